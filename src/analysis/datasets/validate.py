"""Validation of the curated tables: each against its schema, then the rules that span tables.

Every problem is collected (all errors of a table at once) and raised together as a
DataValidationError; `python -m analysis validate` prints them and exits non-zero.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import config
from analysis.datasets import codes, plausibility, snapshot, textcheck
from analysis.datasets.schemas import TABLES, UNKNOWN_VOTE, VOTES
from analysis.datasets.tableio import check_table, lookup, read_table, to_csv_bytes
from analysis.errors import DataValidationError, Problem

# Codes the unfriendly-states source documents for territories without an ISO3 code.
EXTRA_CODES = {"XAD"}  # Akrotiri and Dhekelia


def _frames_from_dir(directory: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    frames, problems = {}, []
    for name, table in TABLES.items():
        df, probs = read_table(directory / table.filename, table, table.filename)
        problems += probs
        if df is not None:
            frames[name] = df
    return frames, problems


def _typed_from_memory(tables: dict[str, pd.DataFrame], label: str,
                       texts: dict[str, bytes] | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Round-trip in-memory tables through their CSV text (``texts``, when the caller has it), then
    check them as if read from disk."""
    import io

    frames, problems = {}, []
    for name, df in tables.items():
        table = TABLES[name]
        csv = texts[name] if texts and name in texts else to_csv_bytes(df)
        text = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False).replace("", pd.NA)
        typed, probs = check_table(text, table, f"{label}/{table.filename}")
        problems += probs
        if typed is not None:
            frames[name] = typed
    return frames, problems


def _line(df: pd.DataFrame, idx) -> int:
    return int(idx) + 2


def cross_table_problems(t: dict[str, pd.DataFrame], complete: bool = True) -> list[Problem]:
    """Rules that need more than one table. Tables that failed their schema are skipped here.

    ``complete`` adds the rules that only hold for the whole data set (193 members; every
    resolution of the independent Ukraine roll-call snapshot present); fixtures turn it off."""
    problems: list[Problem] = []
    known = codes.iso3_codes() | EXTRA_CODES

    # every iso3 is known
    iso_cols = {"countries": ["iso3"], "un_votes": ["iso3"], "alignment_bsv": ["iso3"], "trade": ["partner_iso3"],
                "unfriendly_states": ["iso3"], "arms_transfers": ["supplier_iso3", "recipient_iso3"],
                "memberships": ["iso3"], "leader_visits": ["iso3"], "treaties": ["iso3"], "state_events": ["iso3"],
                "icc_notices": ["iso3"]}
    for name, cols in iso_cols.items():
        if name not in t:
            continue
        df = t[name]
        for col in cols:
            bad = df[col].notna() & ~df[col].isin(known)
            for idx in df.index[bad][:50]:
                problems.append(Problem(TABLES[name].filename, _line(df, idx), col, df.at[idx, col],
                                        "an ISO 3166-1 alpha-3 code known to data/raw/country-codes "
                                        "(or a historic UN member code: " + ", ".join(sorted(config.HISTORIC_CODES)) + ")"))

    if complete and "countries" in t and len(t["countries"]) != 193:
        problems.append(Problem("countries.csv", None, "iso3", len(t["countries"]), "193 UN member states"))

    if "un_votes" in t and "un_resolutions" in t:
        votes, res = t["un_votes"], t["un_resolutions"]
        # each vote's resolution exists
        unknown = ~votes["resolution"].isin(res["resolution"])
        for idx in votes.index[unknown][:50]:
            problems.append(Problem("un_votes.csv.gz", _line(votes, idx), "resolution", votes.at[idx, "resolution"],
                                    "a resolution listed in un_resolutions.csv"))
        # per resolution, counted votes equal the recorded totals (a full record), or do not exceed the
        # official totals with every other member 'unknown' (a partial record)
        counts = votes.groupby(["resolution", "vote"]).size().unstack(fill_value=0)
        counts = counts.reindex(columns=VOTES + [UNKNOWN_VOTE], fill_value=0)
        merged = res.set_index("resolution")[VOTES].join(counts.add_suffix("_counted"))
        partial = res.set_index("resolution")["record"] == "partial" if "record" in res else \
            pd.Series(False, index=merged.index)
        for col in VOTES:
            counted = merged[f"{col}_counted"].fillna(0).astype(int)
            bad = (~partial & (merged[col].astype(int) != counted)) | (partial & (merged[col].astype(int) < counted))
            for symbol in merged.index[bad][:50]:
                idx = res.index[res["resolution"] == symbol][0]
                expected = (f"{int(counted[symbol])}, the number of '{col}' votes for {symbol} in un_votes.csv.gz"
                            if not partial[symbol] else
                            f"at least {int(counted[symbol])}, the sourced '{col}' votes of the partial record {symbol}")
                problems.append(Problem("un_resolutions.csv", _line(res, idx), col, int(merged.at[symbol, col]), expected))
        unknown = merged[f"{UNKNOWN_VOTE}_counted"].fillna(0).astype(int)
        gap = merged[VOTES].astype(int).sum(axis=1) - merged[[f"{v}_counted" for v in VOTES]].fillna(0).astype(int).sum(axis=1)
        for symbol in merged.index[partial & (unknown != gap)][:50]:
            idx = res.index[res["resolution"] == symbol][0]
            problems.append(Problem("un_resolutions.csv", _line(res, idx), "record", "partial",
                                    f"{int(gap[symbol])} members with vote 'unknown' for {symbol} (official totals minus "
                                    f"sourced votes); un_votes.csv.gz has {int(unknown[symbol])}"))
        stray = votes["vote"].astype(str).eq(UNKNOWN_VOTE) & ~lookup(votes["resolution"], partial).fillna(False).astype(bool)
        for idx in votes.index[stray][:50]:
            problems.append(Problem("un_votes.csv.gz", _line(votes, idx), "vote", UNKNOWN_VOTE,
                                    f"yes, no, abstain or absent: {votes.at[idx, 'resolution']} is a full record"))
        if "record" in res:
            bad = (res["record"] == "full") & res["undl_id"].isna()
            for idx in res.index[bad][:50]:
                problems.append(Problem("un_resolutions.csv", _line(res, idx), "undl_id", None,
                                        "the UN Digital Library record id of a full record"))
        # no vote before the member's admission
        if "countries" in t:
            adm = t["countries"].set_index("iso3")["un_member_from"]
            dates = res.set_index("resolution")["date"]
            vdates = lookup(votes["resolution"], dates)
            vadm = lookup(votes["iso3"], adm)
            early = vadm.notna() & (vdates < vadm)
            for idx in votes.index[early][:50]:
                problems.append(Problem("un_votes.csv.gz", _line(votes, idx), "iso3", votes.at[idx, "iso3"],
                                        f"a member on the vote's date {vdates[idx].date()} "
                                        f"(admitted to the UN {vadm[idx].date()})"))
        # the Ukraine set matches the official totals in the independent roll-call snapshot
        official_path = config.raw_dir() / "unga-ukraine-rollcalls" / "resolutions.csv"
        if complete and official_path.exists():
            official = pd.read_csv(official_path).set_index("resolution")
            for symbol, row in official.iterrows():
                if symbol not in merged.index:
                    problems.append(Problem("un_resolutions.csv", None, "resolution", symbol,
                                            "every resolution of raw/unga-ukraine-rollcalls"))
                    continue
                for col in ["yes", "no", "abstain"]:
                    if int(merged.at[symbol, col]) != int(row[col]):
                        idx = res.index[res["resolution"] == symbol][0]
                        problems.append(Problem("un_resolutions.csv", _line(res, idx), col, int(merged.at[symbol, col]),
                                                f"{int(row[col])}, the official total for {symbol}"))

    for name, start, end in (("memberships", "joined", "left"), ("leader_visits", "start_date", "end_date"),
                             ("treaties", "signed", "in_force"), ("treaties", "signed", "ended"),
                             ("treaties", "in_force", "ended"), ("state_events", "start", "end"),
                             ("icc_notices", "date", "effective")):
        if name in t and start in t[name] and end in t[name]:
            df = t[name]
            bad = df[end].notna() & df[start].notna() & (df[end] < df[start])
            for idx in df.index[bad]:
                problems.append(Problem(TABLES[name].filename, _line(df, idx), end, str(df.at[idx, end].date()),
                                        f"a date on or after {start} ({df.at[idx, start].date()})"))
    problems += _state_event_problems(t)
    problems += _icc_problems(t)
    if complete and "un_resolutions" in t and "un_votes" in t:
        problems += _partial_manual_problems(t)
    if "trade" in t and "excluded" in t["trade"]:
        gdp_path = config.raw_dir() / "wb-gdp" / "gdp.csv"
        if gdp_path.exists():
            problems += plausibility.trade_problems(t["trade"], plausibility.gdp_by_year(gdp_path))
    if "arms_notes" in t and "arms_transfers" in t:
        df = t["arms_notes"]
        for idx in df.index[~df["sipri_id"].isin(t["arms_transfers"]["sipri_id"])]:
            problems.append(Problem("arms_notes.csv", _line(df, idx), "sipri_id", int(df.at[idx, "sipri_id"]),
                                    "the SIPRI id of a deal in arms_transfers.csv"))
    if "leader_visits" in t:
        df = t["leader_visits"]
        bad = df["start_date"] < pd.Timestamp(config.INVASION_DATE)
        for idx in df.index[bad]:
            problems.append(Problem("leader_visits.csv", _line(df, idx), "start_date", str(df.at[idx, "start_date"].date()),
                                    f"a visit on or after {config.INVASION_DATE}"))
    return problems


def _state_event_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """A change of government has no end; and a state without a vote under Article 19 casts no vote
    (yes, no or abstain) from ``start`` until ``end`` (the date the vote was restored; empty: still)."""
    problems: list[Problem] = []
    if "state_events" not in t:
        return problems
    ev = t["state_events"]
    gov = (ev["event"] == "government_change") & ev["end"].notna()
    for idx in ev.index[gov]:
        problems.append(Problem("state_events.csv", _line(ev, idx), "end", str(ev.at[idx, "end"].date()),
                                "an empty cell: a change of government has a start only"))
    if "un_votes" not in t or "un_resolutions" not in t:
        return problems
    a19 = ev.index[ev["event"] == "article19_no_vote"]
    votes, res = t["un_votes"], t["un_resolutions"]
    # only the votes cast by the states with such a period (a few thousand rows, not every vote)
    votes = votes[votes["iso3"].isin(set(ev.loc[a19, "iso3"])) & votes["vote"].astype(str).isin(["yes", "no", "abstain"])]
    dates = votes["resolution"].map(res.set_index("resolution")["date"])
    for idx in a19:
        iso3, start, end = ev.at[idx, "iso3"], ev.at[idx, "start"], ev.at[idx, "end"]
        hit = (votes["iso3"] == iso3) & (dates >= start)
        if pd.notna(end):
            hit &= dates < end
        if hit.any():
            first = votes.index[hit][0]
            col, value = ("end", str(end.date())) if pd.notna(end) else ("start", str(start.date()))
            problems.append(Problem(
                "state_events.csv", _line(ev, idx), col, value,
                f"a period in which {iso3} cast no vote: it voted {votes.at[first, 'vote']} on "
                f"{votes.at[first, 'resolution']} on {dates[first].date()} (un_votes.csv.gz); end the period on or "
                f"before that date"))
    return problems


def _partial_manual_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every partial record of data/manual is either in un_resolutions.csv as a partial record, or
    replaced by a full record (a UN DL release) whose totals and votes agree with it."""
    from analysis.datasets.manual import hand_input
    from analysis.datasets.records import replacement_problems
    from analysis.datasets.schemas import UN_RESOLUTIONS_PARTIAL, UN_VOTES_PARTIAL

    if not (config.manual_dir() / UN_RESOLUTIONS_PARTIAL.filename).exists():
        return []
    pres, problems = hand_input(UN_RESOLUTIONS_PARTIAL)
    pvotes, probs = hand_input(UN_VOTES_PARTIAL)
    problems += probs
    if pres is None or pvotes is None:
        return problems
    res = t["un_resolutions"].assign(date=t["un_resolutions"]["date"].dt.strftime("%Y-%m-%d"))
    replaced, probs = replacement_problems(pres, pvotes, res, t["un_votes"])
    problems += probs
    present = set(res.loc[res["record"] == "partial", "resolution"]) if "record" in res else set()
    for idx, row in pres.iterrows():
        if row["resolution"] not in replaced and row["resolution"] not in present:
            problems.append(Problem(f"manual/{UN_RESOLUTIONS_PARTIAL.filename}", int(idx) + 2, "resolution",
                                    row["resolution"], "a partial record in un_resolutions.csv (run "
                                    "`python -m analysis curate`) or a full record that replaces it"))
    return problems


def _icc_problems(t: dict[str, pd.DataFrame]) -> list[Problem]:
    """memberships.csv agrees with icc_notices.csv: a withdrawal that took effect (a confirmed
    notification, effective on or before today, with no confirmed or reported revocation) ends the
    ICC spell on its effective date; a spell ended by withdrawal needs such a notice."""
    problems: list[Problem] = []
    if "icc_notices" not in t or "memberships" not in t:
        return problems
    n, m = t["icc_notices"], t["memberships"]
    today = pd.Timestamp.today().normalize()
    icc = m[m["group"] == "ICC"]
    for iso3, g in n.groupby("iso3"):
        notified = g[(g["event"] == "withdrawal_notified") & (g["status"] == "confirmed") & g["effective"].notna()]
        revoked = g[(g["event"] == "withdrawal_revoked") & g["status"].isin(["confirmed", "reported"])]
        spell = icc[icc["iso3"] == iso3].sort_values("joined")
        if notified.empty or spell.empty:
            continue
        effective = notified["effective"].max()
        idx = spell.index[-1]
        left = spell.at[idx, "left"]
        if effective <= today and revoked.empty and (pd.isna(left) or left != effective):
            problems.append(Problem("memberships.csv", _line(m, idx), "left", None if pd.isna(left) else str(left.date()),
                                    f"{effective.date()}, the effective date of {iso3}'s confirmed withdrawal in "
                                    "icc_notices.csv (no revocation recorded)"))
        if not revoked.empty and pd.notna(left) and left >= revoked["date"].min():
            problems.append(Problem("memberships.csv", _line(m, idx), "left", str(left.date()),
                                    f"an empty cell: icc_notices.csv records a revocation of {iso3}'s withdrawal "
                                    f"({revoked['status'].iloc[0]}, {revoked['date'].min().date()})"))
    return problems


def validate_frames(tables: dict[str, pd.DataFrame], source_label: str = "curated",
                    complete: bool = True, texts: dict[str, bytes] | None = None) -> dict[str, pd.DataFrame]:
    frames, problems = _typed_from_memory(tables, source_label, texts)
    problems += cross_table_problems(frames, complete)
    if problems:
        raise DataValidationError(problems)
    return frames


def validate_dir(directory: Path | None = None, check_raw: bool = True, complete: bool = True) -> dict[str, pd.DataFrame]:
    """Validate every curated table in ``directory`` (default data/curated) and the raw checksums."""
    directory = Path(directory or config.curated_dir())
    problems = snapshot.verify() if check_raw else []
    frames, probs = _frames_from_dir(directory)
    problems += probs + textcheck.folder_problems(config.manual_dir(), directory)
    problems += cross_table_problems(frames, complete)
    if problems:
        raise DataValidationError(problems)
    return frames
