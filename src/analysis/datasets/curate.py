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
from analysis.datasets import codes, plausibility, rawsources
from analysis.datasets.importers import TITLE_TAIL, release_files
from analysis.datasets.manual import hand_table, un_admission
from analysis.datasets.records import assign_topics, partial_records, un_members
from analysis.datasets.schemas import HAND_CURATED, TABLES
from analysis.datasets.tableio import lookup, to_csv_bytes, write_table
from analysis.errors import DataValidationError, Problem, SnapshotRejected


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
        "title": src["title"].str.replace(TITLE_TAIL, "", regex=True),
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


def merge_releases(votes: pd.DataFrame, res: pd.DataFrame, releases: list[Path] | None = None,
                   rejected: dict[str, list[Problem]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lay every UN Digital Library release (data/raw/undl-release-*, imported or fetched) over the
    base snapshot: a record in a release replaces the base record with the same undl_id.

    A fetched release that fails the importer's checks is recorded in ``rejected`` and skipped; an
    imported one stops curation, as before."""
    from analysis.datasets.importers import parse_release

    by_symbol = res.set_index("resolution")
    votes = votes.assign(undl_id=lookup(votes["resolution"], by_symbol["undl_id"]),
                         date=lookup(votes["resolution"], by_symbol["date"]))
    for path in (release_files() if releases is None else releases):
        try:
            rel_votes, rel_res = parse_release(path, f"raw/{path.parent.name}/{path.name}")
        except DataValidationError as exc:
            if rejected is None or not rawsources.is_fetched(path.parent):
                raise
            rejected[f"raw/{path.parent.name}"] = exc.problems
            continue
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
    admitted = lookup(votes["iso3"], admission.set_index("iso3")["un_member_from"])
    dates = lookup(votes["resolution"], resolutions.set_index("resolution")["date"])
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


def countries(votes: pd.DataFrame, resolutions: pd.DataFrame, admission: pd.DataFrame,
              population: Path | None = None, gdp: Path | None = None) -> pd.DataFrame:
    members = un_members(votes, resolutions)
    out = pd.DataFrame({"iso3": members})
    out["name"] = out["iso3"].map(codes.display_name)
    adm = admission[["iso3", "un_member_from"]]
    out = out.merge(adm, on="iso3", how="left")
    out = out.merge(codes.regions(), on="iso3", how="left")
    pop = _latest_value(population or _raw("wb-population", "population.csv"), "population")
    gdp_ = _latest_value(gdp or _raw("wb-gdp", "gdp.csv"), "gdp")
    out = out.merge(pop, on="iso3", how="left").merge(gdp_, on="iso3", how="left")
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
def trade(path: Path | None = None) -> pd.DataFrame:
    src = pd.read_csv(path or _raw("imf-imts-russia", "RU_trade_imf_imts.csv"), dtype=str, keep_default_na=False,
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
def arms_transfers(path: Path | None = None) -> pd.DataFrame:
    path = path or _raw("sipri-arms-transfers", "trade_register_2000_2030_generated_2025-01-03.csv")
    # the export's preamble (11 lines in the base snapshot) ends at the header line
    head = rawsources.sipri_header_line(path.read_text(encoding="utf-8"))
    src = pd.read_csv(path, skiprows=head or 0, dtype=str, keep_default_na=False)
    src = src[(src["Supplier"] == "Russia") | (src["Recipient"] == "Russia")]
    iso3 = {name: codes.name_to_iso3(name) for name in {*src["Supplier"], *src["Recipient"]}}
    out = pd.DataFrame({
        "sipri_id": src["SIPRI AT Database ID"].astype(int),
        "supplier": src["Supplier"], "supplier_iso3": src["Supplier"].map(iso3),
        "recipient": src["Recipient"], "recipient_iso3": src["Recipient"].map(iso3),
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


# --------------------------------------------------------------------------- the whole set
def build_all(selection: rawsources.Selection | None = None) -> dict[str, pd.DataFrame]:
    """Every curated table, in memory, from the snapshots in ``selection`` (default: the newest
    valid snapshot of every source, :func:`rawsources.select`). Fetched releases that fail the
    importer's checks are added to ``selection.rejected`` and skipped."""
    sel = selection or rawsources.select()
    admission = un_admission()
    base_res = un_resolutions()
    base_votes = pd.read_csv(_raw("undl-ga-votes", "votes.csv.gz"), dtype=str, keep_default_na=False)
    votes, res = merge_releases(pd.DataFrame({"resolution": base_votes["resolution"], "iso3": base_votes["iso3"],
                                              "vote": base_votes["vote"].map(config.UNDL_VOTE_CODES)}), base_res,
                                sel.releases, sel.rejected)
    votes, res = drop_pre_admission(votes, res, admission)
    votes, res, problems = partial_records(votes, res)
    tables = {
        "un_resolutions": res,
        "un_votes": votes,
        "countries": countries(votes, res, admission, sel.files["wb-population"], sel.files["wb-gdp"]),
        "alignment_bsv": alignment_bsv(),
        "trade": trade(sel.files["imf-imts-russia"]),
        "unfriendly_states": unfriendly_states(),
        "arms_transfers": arms_transfers(sel.files["sipri-arms-transfers"]),
    }
    for name in HAND_CURATED:
        df, probs = hand_table(name)
        problems += probs
        if df is not None:
            tables[name] = df.sort_values(list(TABLES[name].key), kind="stable").reset_index(drop=True)
    if problems:
        raise DataValidationError(problems)
    return tables


def _build_and_validate(sel: rawsources.Selection) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    """The tables and their CSV text, validated."""
    from analysis.datasets.validate import validate_frames

    tables = build_all(sel)
    # Validate the text form exactly as it will be written and read back.
    texts = {name: to_csv_bytes(df) for name, df in tables.items()}
    validate_frames(tables, source_label="curated (before writing)", texts=texts)
    return tables, texts


def curate(out_dir: Path | None = None) -> dict[str, Path]:
    """Build, validate, then write every curated table, from the newest snapshot of every source
    that validates (:func:`rawsources.select`).

    Raises DataValidationError (nothing written) when the tables fail validation. When newer
    fetched snapshots were rejected -- they failed their own checks, or the tables built from them
    failed validation and the tables built without them pass -- the tables from the previous good
    snapshots are written and SnapshotRejected is raised afterwards, naming every rejected folder
    and its problems."""
    out_dir = Path(out_dir or config.curated_dir())
    problems = rawsources.verify_base()  # never derive from a raw file that changed since it was taken
    if problems:
        raise DataValidationError(problems)
    sel = rawsources.select()
    try:
        tables, texts = _build_and_validate(sel)
    except DataValidationError as exc:
        suspects = sel.in_use_behind(exc.problems)
        if not suspects:
            raise
        # the new data broke a table: try again without the fetched snapshots behind it
        sel = rawsources.select(exclude={**sel.rejected, **suspects})
        tables, texts = _build_and_validate(sel)
    written = {}
    for name, df in tables.items():
        path = out_dir / TABLES[name].filename
        write_table(df, path, texts[name])
        written[name] = path
    if sel.rejected:
        raise SnapshotRejected(sel.rejected)
    return written
