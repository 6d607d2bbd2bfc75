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
    if df.empty:  # a header-only release would break curate later
        raise DataValidationError([Problem(label, 2, None, None, "at least one vote row after the header")])
    df = df.fillna("")
    known = codes.iso3_codes()
    members = un_member_codes()
    for idx, row in df.iterrows():
        line = int(idx) + 2
        if row["ms_vote"].strip().upper() not in VOTE_LETTERS:
            problems.append(Problem(label, line, "ms_vote", row["ms_vote"], "Y, N, A, X or empty (non-voting)"))
        if row["ms_code"] not in known:
            problems.append(Problem(label, line, "ms_code", row["ms_code"], "an ISO 3166-1 alpha-3 code"))
        elif row["ms_code"] not in members:
            problems.append(Problem(label, line, "ms_code", row["ms_code"],
                                    "the code of a UN member state (data/manual/un_admission.csv) or of a "
                                    "historic member (" + ", ".join(sorted(config.HISTORIC_CODES)) + ")"))
        elif not name_matches_code(row["ms_name"], row["ms_code"]):
            problems.append(Problem(label, line, "ms_name", row["ms_name"],
                                    f"the name of {row['ms_code']} ({codes.display_name(row['ms_code'])})"))
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


def un_member_codes() -> set[str]:
    """The codes a release may use: the 193 members of data/manual/un_admission.csv and the historic
    UN member codes."""
    path = config.manual_dir() / "un_admission.csv"
    current = set(pd.read_csv(path, dtype=str, usecols=["iso3"])["iso3"].dropna()) if path.exists() else set()
    return current | set(config.HISTORIC_CODES)


def _letters(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]+", " ", text).strip()


def name_matches_code(name: str, code: str) -> bool:
    """Whether a release's ``ms_name`` names the state ``code`` (an empty name is accepted).

    True when the name resolves to the code in the country-codes crosswalk, or when it is close to
    (or contains, or is contained in) one of the code's known names -- UN spellings vary
    ('BOLIVIA (PLURINATIONAL STATE OF)', 'UNITED KINGDOM')."""
    import difflib

    if not str(name).strip():
        return True
    resolved = codes.name_to_iso3(name)
    if resolved is not None:
        return resolved == code
    mine = _letters(name)
    cw = codes.crosswalk()
    row = cw[cw["ISO3166-1-Alpha-3"] == code]
    known = {_letters(codes.display_name(code))}
    if not row.empty:
        for col in ("CLDR display name", "UNTERM English Short", "official_name_en", "UNTERM English Formal"):
            if col in row:
                known.add(_letters(row[col].iloc[0]))
    known.discard("")
    return any(k and (k in mine or mine in k or difflib.SequenceMatcher(None, mine, k).ratio() >= 0.8) for k in known)


def _session_label(resolution: str, session: str) -> str:
    """Emergency and special sessions are labelled by the symbol ('ES-11', 'S-27'), others by number."""
    m = re.match(r"^A/(?:RES|DEC)/((?:ES|S)-\d+)/", resolution)
    return m.group(1) if m else str(session)


def release_files(raw_root: Path | None = None) -> list[Path]:
    raw_root = Path(raw_root or config.raw_dir())
    return sorted(p for d in sorted(raw_root.glob(f"{RELEASE_PREFIX}*")) for p in d.glob("*.csv"))


def import_release(path: Path, name: str, meta: dict, retrieved: str | None = None) -> Path:
    """Check a release file, then take it as the raw snapshot ``undl-release-<name>``.

    The name, the retrieval date and the file are all checked before anything is written."""
    snapshot.check_name(name, "--name")
    snapshot.check_retrieved(retrieved)
    parse_release(path)  # raises before anything is written
    meta = {"title": "UN Digital Library General Assembly voting data release",
            "publisher": "United Nations Digital Library", "licence": "UN Digital Library terms: non-commercial use "
            "with attribution", "attribution": "Source: United Nations Digital Library, General Assembly voting data",
            **meta}
    return snapshot.take(Path(path).parent, RELEASE_PREFIX + name, [Path(path).name], meta, retrieved=retrieved)
