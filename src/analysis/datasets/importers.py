"""Importers for new roll-call data.

A newer UN Digital Library voting-data release (or a single new roll call written in the same
format) is taken as a new raw snapshot ``data/raw/undl-release-<name>/`` with provenance; curation
then merges every release over the base snapshot (a record in a release replaces the base record
with the same undl_id, new records are added).

The release format (one row per member state per vote):
``undl_id, ms_code, ms_name, ms_vote, date, session, resolution, draft, committee_report, meeting,
title, agenda_title, subjects, vote_note, total_yes, total_no, total_abstentions, total_non_voting,
total_ms, undl_link`` with ms_code an ISO3 code and ms_vote Y, N, A, or X/blank for non-voting.
"""
from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.datasets import codes, snapshot
from analysis.datasets.tableio import read_text_table
from analysis.errors import DataValidationError, Problem

RELEASE_COLUMNS = ["undl_id", "ms_code", "ms_name", "ms_vote", "date", "session", "resolution", "draft",
                   "committee_report", "meeting", "title", "agenda_title", "subjects", "vote_note", "total_yes",
                   "total_no", "total_abstentions", "total_non_voting", "total_ms", "undl_link"]
# a release leaves the vote of a member that did not vote blank
VOTE_LETTERS = {**config.UNDL_VOTE_CODES, "": "absent"}
RELEASE_PREFIX = "undl-release-"
#: the tail UN Digital Library titles carry ("... : resolution / adopted by the General Assembly")
TITLE_TAIL = r"\s*:\s*(resolution|decision) / adopted by the General Assembly\s*$"


def parse_release(path: Path, label: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a release CSV and check it; return (votes, resolutions) in the curated shapes.

    Every problem of the file is collected and raised together (DataValidationError)."""
    label = label or Path(path).name
    df, problems = read_text_table(Path(path), label)
    if df is None:
        raise DataValidationError(problems)
    missing = [c for c in RELEASE_COLUMNS if c not in df.columns]
    if missing:
        raise DataValidationError([Problem(label, 1, c, None, "a column of the UN Digital Library release format")
                                   for c in missing])
    df = df.fillna("")
    known = codes.iso3_codes()
    for idx, row in df.iterrows():
        line = int(idx) + 2
        if row["ms_vote"].strip().upper() not in VOTE_LETTERS:
            problems.append(Problem(label, line, "ms_vote", row["ms_vote"], "Y, N, A, X or empty (non-voting)"))
        if row["ms_code"] not in known:
            problems.append(Problem(label, line, "ms_code", row["ms_code"], "an ISO 3166-1 alpha-3 code"))
        if not re.fullmatch(r"\d+", row["undl_id"]):
            problems.append(Problem(label, line, "undl_id", row["undl_id"], "a numeric UN Digital Library record id"))
        if not _is_date(row["date"]):
            problems.append(Problem(label, line, "date", row["date"], "a date written YYYY-MM-DD"))
        for col in ("total_yes", "total_no", "total_abstentions", "total_non_voting", "session"):
            if not re.fullmatch(r"\d+", row[col]):
                problems.append(Problem(label, line, col, row[col], "a whole number"))
    if problems:
        raise DataValidationError(problems)

    df["vote"] = df["ms_vote"].str.strip().str.upper().map(VOTE_LETTERS)
    dup = df.duplicated(["undl_id", "ms_code"], keep=False)
    for idx in df.index[dup]:
        problems.append(Problem(label, int(idx) + 2, "ms_code", df.at[idx, "ms_code"], "one row per member per vote"))
    res_rows = []
    for undl_id, g in df.groupby("undl_id", sort=False):
        first = g.iloc[0]
        counted = g["vote"].value_counts()
        stated = {"yes": int(first["total_yes"]), "no": int(first["total_no"]),
                  "abstain": int(first["total_abstentions"]), "absent": int(first["total_non_voting"])}
        for vote, n in stated.items():
            if int(counted.get(vote, 0)) != n:
                problems.append(Problem(label, int(g.index[0]) + 2, f"total_{vote}", n,
                                        f"{int(counted.get(vote, 0))}, the number of member rows voting '{vote}' "
                                        f"for record {undl_id}"))
        res_rows.append({
            "resolution": first["resolution"], "undl_id": int(undl_id), "date": first["date"],
            "session": int(first["session"]), "session_label": _session_label(first["resolution"], first["session"]), "title": first["title"],
            "topic": "other", **stated, "meeting_record": first["meeting"],
            "record_url": first["undl_link"] or f"https://digitallibrary.un.org/record/{undl_id}",
        })
    if problems:
        raise DataValidationError(problems)
    votes = pd.DataFrame({"resolution": df["resolution"], "iso3": df["ms_code"], "vote": df["vote"],
                          "undl_id": df["undl_id"].astype(int), "date": df["date"]})
    return votes, pd.DataFrame(res_rows)


def _is_date(text: str) -> bool:
    """A real calendar date written YYYY-MM-DD (as pd.to_datetime(format="%Y-%m-%d") accepts, without
    its cost per row)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _session_label(resolution: str, session: str) -> str:
    """Emergency and special sessions are labelled by the symbol ('ES-11', 'S-27'), others by number."""
    m = re.match(r"^A/(?:RES|DEC)/((?:ES|S)-\d+)/", resolution)
    return m.group(1) if m else str(session)


def release_files(raw_root: Path | None = None) -> list[Path]:
    raw_root = Path(raw_root or config.raw_dir())
    return sorted(p for d in sorted(raw_root.glob(f"{RELEASE_PREFIX}*")) for p in d.glob("*.csv"))


def import_release(path: Path, name: str, meta: dict, retrieved: str | None = None) -> Path:
    """Check a release file, then take it as the raw snapshot ``undl-release-<name>``."""
    parse_release(path)  # raises before anything is written
    meta = {"title": "UN Digital Library General Assembly voting data release",
            "publisher": "United Nations Digital Library", "licence": "UN Digital Library terms: non-commercial use "
            "with attribution", "attribution": "Source: United Nations Digital Library, General Assembly voting data",
            **meta}
    return snapshot.take(Path(path).parent, RELEASE_PREFIX + name, [Path(path).name], meta, retrieved=retrieved)
