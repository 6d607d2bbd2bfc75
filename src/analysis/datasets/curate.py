"""Derive data/curated/ from data/raw/ (snapshots) and data/manual/ (hand-curated, sourced rows).

Deterministic: the same inputs give byte-identical files. Everything is built in memory, validated
(schemas and cross-table rules), and only then written, each file atomically; when validation
fails nothing is written.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.datasets import codes, plausibility, snapshot
from analysis.datasets.importers import release_files
from analysis.datasets.schemas import HAND_CURATED, TABLES, UN_ADMISSION, UN_RESOLUTIONS_PARTIAL, UN_VOTES_PARTIAL, UNKNOWN_VOTE, VOTES, Table
from analysis.datasets.tableio import check_table, read_table, read_text_table, write_table
from analysis.errors import DataValidationError, Problem

CRIMEA_HR = re.compile(r"^Situation of human rights in .*Crimea", re.IGNORECASE)


def _raw(*parts: str) -> Path:
    return config.raw_dir().joinpath(*parts)


# --------------------------------------------------------------------------- UN votes
def un_resolutions() -> pd.DataFrame:
    src = pd.read_csv(_raw("undl-ga-votes", "resolutions.csv"), dtype=str, keep_default_na=False)
    dropped = src["dropped_pre_admission"].map(lambda s: len([x for x in s.split(";") if x]))
    out = pd.DataFrame({
        "resolution": src["resolution"],
        "undl_id": src["undl_id"].astype(int),
        "date": src["date"],
        "session": src["session"].astype(int),
        "session_label": src["session_label"],
        "title": src["title"].str.replace(r"\s*:\s*(resolution|decision) / adopted by the General Assembly\s*$", "",
                                          regex=True),
        "topic": "other",
        "yes": src["yes"].astype(int),
        "no": src["no"].astype(int),
        "abstain": src["abstain"].astype(int),
        "absent": src["non_voting"].astype(int) - dropped,
        "meeting_record": src["meeting_record"],
        "record_url": src["record_link"].str.replace("?ln=en", "", regex=False),
        "record": "full",
    })
    return out


def assign_topics(res: pd.DataFrame) -> pd.DataFrame:
    """topic: 'ukraine' for 68/262, 78/316 and every resolution of the 11th emergency special
    session (ES-11, on Ukraine); 'crimea_human_rights' for the annual Crimea human-rights item."""
    res = res.copy()
    res["topic"] = "other"
    res.loc[res["title"].str.match(CRIMEA_HR), "topic"] = "crimea_human_rights"
    ukraine = (res["resolution"].isin(config.UKRAINE_RESOLUTIONS) | res["resolution"].str.match(r"^A/RES/ES-11/\d+$")
               | (res["session_label"] == "ES-11"))
    res.loc[ukraine, "topic"] = "ukraine"
    return res


def merge_releases(votes: pd.DataFrame, res: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lay every imported UN Digital Library release (data/raw/undl-release-*) over the base
    snapshot: a record in a release replaces the base record with the same undl_id."""
    from analysis.datasets.importers import parse_release

    votes = votes.assign(undl_id=votes["resolution"].map(res.set_index("resolution")["undl_id"]),
                         date=votes["resolution"].map(res.set_index("resolution")["date"]))
    for path in release_files():
        rel_votes, rel_res = parse_release(path, f"raw/{path.parent.name}/{path.name}")
        rel_res["record"] = "full"
        votes = pd.concat([votes[~votes["undl_id"].isin(rel_res["undl_id"])], rel_votes], ignore_index=True)
        res = pd.concat([res[~res["undl_id"].isin(rel_res["undl_id"])], rel_res], ignore_index=True)
    res = assign_topics(res).sort_values(["date", "undl_id"], kind="stable").reset_index(drop=True)
    votes = votes.sort_values(["date", "undl_id", "iso3"], kind="stable")
    return votes[["resolution", "iso3", "vote"]].reset_index(drop=True), res


def drop_pre_admission(votes: pd.DataFrame, resolutions: pd.DataFrame,
                       admission: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Non-voting listings of a state dated before its UN admission (a
    quirk of the UN Digital Library lists, e.g. Mongolia on 1961-10-23, admitted 1961-10-27) are
    dropped and the resolution's absent count lowered to match; any other vote before admission is
    kept so that validation reports it. Returns (votes, resolutions)."""
    admitted = votes["iso3"].map(admission.set_index("iso3")["un_member_from"])
    dates = votes["resolution"].map(resolutions.set_index("resolution")["date"])
    pre = admitted.notna() & (dates < admitted) & (votes["vote"] == "absent")
    resolutions = resolutions.copy()
    resolutions["dropped_pre_admission"] = resolutions["resolution"].map(
        votes[pre].groupby("resolution")["iso3"].agg(";".join)).fillna("")
    dropped = votes[pre].groupby("resolution").size()
    resolutions["absent"] = resolutions["absent"] - resolutions["resolution"].map(dropped).fillna(0).astype(int)
    return votes[~pre].reset_index(drop=True), resolutions


# --------------------------------------------------------------------------- countries
def _latest_value(path: Path, value_name: str) -> pd.DataFrame:
    wb = pd.read_csv(path, dtype={"Country Code": str}, keep_default_na=False, na_values=[""])
    wb = wb.dropna(subset=["Value"])
    wb = wb.sort_values(["Country Code", "Year"]).groupby("Country Code", as_index=False).last()
    return wb.rename(columns={"Country Code": "iso3", "Value": value_name, "Year": f"{value_name}_year"})[
        ["iso3", value_name, f"{value_name}_year"]]


def un_members(votes: pd.DataFrame, resolutions: pd.DataFrame) -> list[str]:
    """The current UN members: the states listed in the most recent recorded vote with a full record."""
    full = resolutions[resolutions["record"] == "full"] if "record" in resolutions else resolutions
    last = full.sort_values(["date", "undl_id"]).iloc[-1]["resolution"]
    return sorted(votes.loc[votes["resolution"] == last, "iso3"].unique())


# --------------------------------------------------------------------------- partial records
def _norm_title(title: str) -> str:
    t = re.sub(r"\s*:\s*(resolution|decision) / adopted by the General Assembly\s*$", "", str(title))
    return re.sub(r"\s+", " ", t).strip().lower()


def _session_of(date: str) -> int:
    """The regular session running on a date: session n opens in September of year 1945 + n."""
    d = pd.Timestamp(date)
    return d.year - 1945 if d.month >= 9 else d.year - 1946


def _full_counterpart(row: pd.Series, full: pd.DataFrame) -> pd.Series | None:
    """The full record that replaces a partial one: the same symbol, or the same date and title."""
    hit = full[full["resolution"] == row["resolution"]]
    if hit.empty:
        same_day = full[full["date"] == row["date"]]
        hit = same_day[same_day["title"].map(_norm_title) == _norm_title(row["title"])]
    return hit.iloc[0] if len(hit) else None


def replacement_problems(pres: pd.DataFrame, pvotes: pd.DataFrame, res: pd.DataFrame,
                         votes: pd.DataFrame) -> tuple[set[str], list[Problem]]:
    """Partial records (manual, as text) that a full record now replaces, and every disagreement between
    them: the official totals must equal the full record's, and each sourced vote the member's vote there.
    ``res`` and ``votes`` are the full records with dates written YYYY-MM-DD."""
    rlabel, vlabel = f"manual/{UN_RESOLUTIONS_PARTIAL.filename}", f"manual/{UN_VOTES_PARTIAL.filename}"
    full = res[res["record"] == "full"] if "record" in res else res
    replaced, problems = set(), []
    for idx, row in pres.iterrows():
        counterpart = _full_counterpart(row, full)
        if counterpart is None:
            continue
        replaced.add(row["resolution"])
        for col in VOTES:
            if int(row[col]) != int(counterpart[col]):
                problems.append(Problem(rlabel, int(idx) + 2, col, row[col],
                                        f"{int(counterpart[col])}, the '{col}' total of the full record "
                                        f"{counterpart['resolution']} that replaces this partial record"))
        fv = votes[votes["resolution"] == counterpart["resolution"]].set_index("iso3")["vote"].astype(str)
        for vidx, v in pvotes[pvotes["resolution"] == row["resolution"]].iterrows():
            if fv.get(v["iso3"]) != v["vote"]:
                problems.append(Problem(vlabel, int(vidx) + 2, "vote", v["vote"],
                                        f"{fv.get(v['iso3'], 'no listing')}, {v['iso3']}'s vote in the full record "
                                        f"{counterpart['resolution']}"))
    return replaced, problems


def partial_records(votes: pd.DataFrame, res: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Lay the partial records of data/manual (official totals, the votes sources name) over the full
    records. A partial record whose full record has arrived (a UN DL release with the same symbol, or
    the same date and title) is dropped after checking that its totals and sourced votes agree with
    the full record; otherwise every member gets a row, ``unknown`` where no source gives its vote.
    Returns (votes, resolutions, problems); problems name lines of the manual files."""
    pres, problems = hand_input(UN_RESOLUTIONS_PARTIAL)
    pvotes, probs = hand_input(UN_VOTES_PARTIAL)
    problems += probs
    if pres is None or pvotes is None or problems:
        return votes, res, problems
    rlabel, vlabel = f"manual/{UN_RESOLUTIONS_PARTIAL.filename}", f"manual/{UN_VOTES_PARTIAL.filename}"
    replaced, problems = replacement_problems(pres, pvotes, res, votes)
    members = un_members(votes, res)
    new_res, new_votes = [], []
    for idx, row in pres.iterrows():
        line = int(idx) + 2
        if row["resolution"] in replaced:  # the UN release has arrived and replaces the partial record
            continue
        mine = pvotes[pvotes["resolution"] == row["resolution"]]
        total = sum(int(row[c]) for c in VOTES)
        if total != len(members):
            problems.append(Problem(rlabel, line, "absent", row["absent"],
                                    f"yes + no + abstain + absent = {len(members)}, the number of UN members "
                                    f"(now {total})"))
        counted = mine["vote"].value_counts()
        for col in VOTES:
            if int(counted.get(col, 0)) > int(row[col]):
                problems.append(Problem(rlabel, line, col, row[col],
                                        f"at least {int(counted.get(col, 0))}, the number of sourced '{col}' votes "
                                        f"in {UN_VOTES_PARTIAL.filename}"))
        known = dict(zip(mine["iso3"], mine["vote"]))
        for vidx, v in mine.iterrows():
            if v["iso3"] not in members:
                problems.append(Problem(vlabel, int(vidx) + 2, "iso3", v["iso3"], "a UN member state"))
        new_votes.append(pd.DataFrame({"resolution": row["resolution"], "iso3": members,
                                       "vote": [known.get(i, UNKNOWN_VOTE) for i in members]}))
        new_res.append({
            "resolution": row["resolution"], "undl_id": pd.NA, "date": row["date"], "session": _session_of(row["date"]),
            "session_label": row.get("session_label") if pd.notna(row.get("session_label")) else str(_session_of(row["date"])),
            "title": row["title"], "topic": "other",
            **{c: int(row[c]) for c in VOTES},
            "meeting_record": "", "record_url": row["source_url"], "dropped_pre_admission": "", "record": "partial",
        })
    unknown_keys = set(pvotes["resolution"]) - set(pres["resolution"])
    for vidx in pvotes.index[pvotes["resolution"].isin(unknown_keys)]:
        problems.append(Problem(vlabel, int(vidx) + 2, "resolution", pvotes.at[vidx, "resolution"],
                                f"a resolution listed in {UN_RESOLUTIONS_PARTIAL.filename}"))
    if new_res:
        res = pd.concat([res, pd.DataFrame(new_res)], ignore_index=True)
        votes = pd.concat([votes, *new_votes], ignore_index=True)
    res["undl_id"] = res["undl_id"].astype("Int64")
    res = assign_topics(res).sort_values(["date", "undl_id", "resolution"], kind="stable").reset_index(drop=True)
    order = {r: k for k, r in enumerate(res["resolution"])}
    votes = votes.assign(_o=votes["resolution"].map(order)).sort_values(["_o", "iso3"], kind="stable")
    return votes.drop(columns="_o").reset_index(drop=True), res, problems


def countries(votes: pd.DataFrame, resolutions: pd.DataFrame, admission: pd.DataFrame) -> pd.DataFrame:
    members = un_members(votes, resolutions)
    out = pd.DataFrame({"iso3": members})
    out["name"] = out["iso3"].map(codes.display_name)
    adm = admission[["iso3", "un_member_from"]]
    out = out.merge(adm, on="iso3", how="left")
    out = out.merge(codes.regions(), on="iso3", how="left")
    pop = _latest_value(_raw("wb-population", "population.csv"), "population")
    gdp = _latest_value(_raw("wb-gdp", "gdp.csv"), "gdp")
    out = out.merge(pop, on="iso3", how="left").merge(gdp, on="iso3", how="left")
    out = out.rename(columns={"gdp": "gdp_usd"})
    for col in ("population_year", "gdp_year"):
        out[col] = out[col].astype("Int64")
    out["population"] = out["population"].astype("float64")
    return out[["iso3", "name", "un_member_from", "un_region", "un_subregion", "population", "population_year",
                "gdp_usd", "gdp_year"]]


# --------------------------------------------------------------------------- alignment (BSV)
def alignment_bsv() -> pd.DataFrame:
    src = pd.read_csv(_raw("unga-idealpoints-voeten", "IdealpointestimatesAll_Jun2024.csv"))
    # Harmonise with the roll-call codes: Yemen Arab Republic (COW 678) voted as YEM in the UN
    # records, Yemen People's Republic (COW 680) as YMD; BSV gives both "YAR".
    iso3 = src["iso3c"].mask(src["ccode"] == 678, "YEM").mask(src["ccode"] == 680, "YMD")
    out = pd.DataFrame({
        "iso3": iso3, "session": src["session"].astype(int), "year": src["session"].astype(int) + 1945,
        "ccode": src["ccode"].astype(int), "n_votes": src["NVotesAll"].astype("Int64"),
        "ideal_point": src["IdealPointAll"], "agree_russia": src["RUSSAgree"], "agree_usa": src["USAgree"],
        "agree_china": src["ChinaAgree"], "agree_india": src["IndiaAgree"], "agree_brazil": src["BrazilAgree"],
        "agree_israel": src["IsraelAgree"],
    })
    return out.sort_values(["iso3", "session"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- trade (IMF IMTS)
def trade() -> pd.DataFrame:
    src = pd.read_csv(_raw("imf-imts-russia", "RU_trade_imf_imts.csv"), dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    src = src[src["COUNTERPART_COUNTRY.ID"].str.match(r"^[A-Z]{3}$")
              & ~src["COUNTERPART_COUNTRY.ID"].isin(["YUG", "CSK", "SCG", "ANT"])]
    years = [c for c in src.columns if re.fullmatch(r"\d{4}", c)]
    long = src.melt(id_vars=["COUNTERPART_COUNTRY.ID", "INDICATOR.ID"], value_vars=years, var_name="year",
                    value_name="value")
    long = long[long["value"] != ""]
    long["value"] = long["value"].astype(float) * 1e6  # the file is in millions of US dollars
    wide = long.pivot_table(index=["COUNTERPART_COUNTRY.ID", "year"], columns="INDICATOR.ID", values="value",
                            aggfunc="first").reset_index()
    # IMF codes the State of Palestine as WBG (West Bank and Gaza); ISO 3166-1 uses PSE.
    out = pd.DataFrame({
        "partner_iso3": wide["COUNTERPART_COUNTRY.ID"].replace({"WBG": "PSE"}), "year": wide["year"].astype(int),
        "exports_usd": wide.get("XG_FOB_USD"), "imports_usd": wide.get("MG_CIF_USD"),
    })
    out["partner_derived"] = out["year"] >= 2022
    out = out.sort_values(["partner_iso3", "year"]).reset_index(drop=True)
    # Sanity rule: partner-derived values implausible against the partner's own economy are kept but
    # flagged and excluded from rankings and shares (analysis.datasets.plausibility).
    return plausibility.apply_trade_rules(out, plausibility.gdp_by_year(_raw("wb-gdp", "gdp.csv")))


# --------------------------------------------------------------------------- unfriendly list
def unfriendly_states() -> pd.DataFrame:
    src = pd.read_csv(_raw("russia-unfriendly-states", "unfriendly_countries_russia_430r.csv"), dtype=str,
                      keep_default_na=False)
    first_date = src["source_basis"].str.extract(r"(\d{2})\.(\d{2})\.(\d{4})")
    listed = first_date[2] + "-" + first_date[1] + "-" + first_date[0]
    # The order lists "EU member states" as a group, from the original order of 5 March 2022.
    listed = listed.where(src["entry_type"] != "eu_member", "2022-03-05")
    out = pd.DataFrame({"iso3": src["iso3"], "name": src["name_en"], "listed_on": listed,
                        "entry_type": src["entry_type"], "legal_basis": src["source_basis"]})
    return out.sort_values("iso3").reset_index(drop=True)


# --------------------------------------------------------------------------- SIPRI
def arms_transfers() -> pd.DataFrame:
    path = _raw("sipri-arms-transfers", "trade_register_2000_2030_generated_2025-01-03.csv")
    src = pd.read_csv(path, skiprows=11, dtype=str, keep_default_na=False)
    src = src[(src["Supplier"] == "Russia") | (src["Recipient"] == "Russia")]
    out = pd.DataFrame({
        "sipri_id": src["SIPRI AT Database ID"].astype(int),
        "supplier": src["Supplier"], "supplier_iso3": src["Supplier"].map(codes.name_to_iso3),
        "recipient": src["Recipient"], "recipient_iso3": src["Recipient"].map(codes.name_to_iso3),
        "order_year": src["Order date"].astype(int), "order_year_estimated": src["Order date is estimate"] == "Yes",
        "delivery_year": pd.to_numeric(src["Delivery year"], errors="coerce").astype("Int64"),
        "delivery_year_estimated": src["Delivery year is estimate"] == "Yes",
        "designation": src["Designation"].str.strip(), "description": src["Description"].str.strip(),
        "category": src["Armament category"], "number_delivered": pd.to_numeric(src["Numbers delivered"]).astype("Int64"),
        "number_estimated": src["Numbers delivered is estimate"] == "Yes", "status": src["Status"],
        "tiv_unit": pd.to_numeric(src["TIV deal unit"], errors="coerce"),
        "tiv_delivered": pd.to_numeric(src["TIV delivery values"], errors="coerce"),
        "local_production": src["Local production"] == "Yes",
    })
    return out.sort_values(["sipri_id", "delivery_year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- hand-curated
def hand_table(name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """A hand-curated table from data/manual/, as text, checked against its schema first so that
    problems name the lines of the file people edit."""
    return hand_input(TABLES[name])


def hand_input(table: Table) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Any hand-curated file (a curated table's source or an input such as the partial records), as
    text, checked against its schema."""
    path = config.manual_dir() / table.filename
    label = f"manual/{table.filename}"
    df, problems = read_text_table(path, label)
    if df is None:
        return None, problems
    _, problems = check_table(df, table, label)
    return (df if not problems else None), problems


def un_admission() -> pd.DataFrame:
    """UN admission dates (hand-curated, sourced), checked against their schema."""
    df, problems = read_table(config.manual_dir() / UN_ADMISSION.filename, UN_ADMISSION,
                              f"manual/{UN_ADMISSION.filename}")
    if df is None:
        raise DataValidationError(problems)
    df["un_member_from"] = df["un_member_from"].dt.strftime("%Y-%m-%d")
    return df


# --------------------------------------------------------------------------- the whole set
def build_all() -> dict[str, pd.DataFrame]:
    """Every curated table, in memory."""
    admission = un_admission()
    base_res = un_resolutions()
    base_votes = pd.read_csv(_raw("undl-ga-votes", "votes.csv.gz"), dtype=str, keep_default_na=False)
    votes, res = merge_releases(pd.DataFrame({"resolution": base_votes["resolution"], "iso3": base_votes["iso3"],
                                              "vote": base_votes["vote"].map(config.UNDL_VOTE_CODES)}), base_res)
    votes, res = drop_pre_admission(votes, res, admission)
    votes, res, problems = partial_records(votes, res)
    tables = {
        "un_resolutions": res,
        "un_votes": votes,
        "countries": countries(votes, res, admission),
        "alignment_bsv": alignment_bsv(),
        "trade": trade(),
        "unfriendly_states": unfriendly_states(),
        "arms_transfers": arms_transfers(),
    }
    for name in HAND_CURATED:
        df, probs = hand_table(name)
        problems += probs
        if df is not None:
            tables[name] = df.sort_values(list(TABLES[name].key), kind="stable").reset_index(drop=True)
    if problems:
        raise DataValidationError(problems)
    return tables


def curate(out_dir: Path | None = None) -> dict[str, Path]:
    """Build, validate, then write every curated table. Raises DataValidationError (nothing written)."""
    from analysis.datasets.validate import validate_frames

    out_dir = Path(out_dir or config.curated_dir())
    snapshot.verify_or_raise()  # never derive from a raw file that changed since it was taken
    tables = build_all()
    # Validate the text form exactly as it will be written and read back.
    validate_frames(tables, source_label="curated (before writing)")
    written = {}
    for name, df in tables.items():
        path = out_dir / TABLES[name].filename
        write_table(df, path)
        written[name] = path
    return written
