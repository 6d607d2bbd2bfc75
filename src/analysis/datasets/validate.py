"""Validation of the curated tables: each against its schema, then the rules that span tables.

Every problem is collected (all errors of a table at once) and raised together as a
DataValidationError; `python -m analysis validate` prints them and exits non-zero.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import config
from analysis.datasets import codes, snapshot, textcheck
from analysis.datasets.schemas import TABLES
from analysis.datasets.tableio import check_table, read_table, to_csv_bytes
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


def _typed_from_memory(tables: dict[str, pd.DataFrame], label: str) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Round-trip in-memory tables through their CSV text, then check them as if read from disk."""
    import io

    frames, problems = {}, []
    for name, df in tables.items():
        table = TABLES[name]
        text = pd.read_csv(io.BytesIO(to_csv_bytes(df)), dtype=str, keep_default_na=False).replace("", pd.NA)
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
                "memberships": ["iso3"], "leader_visits": ["iso3"], "treaties": ["iso3"]}
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
        # per resolution, counted votes equal the recorded totals
        counts = votes.groupby(["resolution", "vote"]).size().unstack(fill_value=0)
        counts = counts.reindex(columns=["yes", "no", "abstain", "absent"], fill_value=0)
        merged = res.set_index("resolution")[["yes", "no", "abstain", "absent"]].join(counts.add_suffix("_counted"))
        for col in ["yes", "no", "abstain", "absent"]:
            counted = merged[f"{col}_counted"].fillna(0).astype(int)
            bad = merged[col].astype(int) != counted
            for symbol in merged.index[bad][:50]:
                idx = res.index[res["resolution"] == symbol][0]
                problems.append(Problem("un_resolutions.csv", _line(res, idx), col, int(merged.at[symbol, col]),
                                        f"{int(counted[symbol])}, the number of '{col}' votes for {symbol} in un_votes.csv.gz"))
        # no vote before the member's admission
        if "countries" in t:
            adm = t["countries"].set_index("iso3")["un_member_from"]
            dates = res.set_index("resolution")["date"]
            vdates = votes["resolution"].map(dates)
            vadm = votes["iso3"].map(adm)
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
                             ("treaties", "signed", "in_force")):
        if name in t:
            df = t[name]
            bad = df[end].notna() & (df[end] < df[start])
            for idx in df.index[bad]:
                problems.append(Problem(TABLES[name].filename, _line(df, idx), end, str(df.at[idx, end].date()),
                                        f"a date on or after {start} ({df.at[idx, start].date()})"))
    if "leader_visits" in t:
        df = t["leader_visits"]
        bad = df["start_date"] < pd.Timestamp(config.INVASION_DATE)
        for idx in df.index[bad]:
            problems.append(Problem("leader_visits.csv", _line(df, idx), "start_date", str(df.at[idx, "start_date"].date()),
                                    f"a visit on or after {config.INVASION_DATE}"))
    return problems


def validate_frames(tables: dict[str, pd.DataFrame], source_label: str = "curated",
                    complete: bool = True) -> dict[str, pd.DataFrame]:
    frames, problems = _typed_from_memory(tables, source_label)
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
