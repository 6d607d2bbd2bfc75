"""Which raw snapshot curate reads for each refreshable source, and the format checks a snapshot
of that source must pass.

Snapshot naming (see data/README.md, section 1):

- ``raw/<source>/`` is the base snapshot, committed with the project (taken by hand).
- ``raw/<source>@<YYYY-MM-DD>/`` is a snapshot written by ``python -m analysis fetch`` on that
  day (a second one on the same day gets ``.2``, ``.3``, ...). Names sort by date, so the newest
  is the last in name order. They never replace an earlier snapshot.
- UN voting data are not replaced but laid over the base snapshot: a fetch writes a release
  folder ``raw/undl-release-<YYYY-MM-DD>/`` in the format ``import-undl`` reads.

:func:`select` picks, for every source, the newest snapshot that validates: its PROVENANCE.json
checksums hold and its data file passes the source's format check (columns, types, ranges; every
problem names file, line and column). A newer snapshot that fails is *rejected*: kept on disk for
inspection, reported, and not used. The base snapshot is the floor: if it fails, curate fails as
it always did. The format checks are the same ones ``fetch`` runs on a response before it writes
anything, so a fetched file is checked exactly like the file curate will read.
"""
from __future__ import annotations

import datetime as _dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from analysis import config
from analysis.datasets import snapshot
from analysis.datasets.importers import RELEASE_PREFIX
from analysis.errors import DataValidationError, Problem

SEP = "@"
SIPRI_HEADER = "SIPRI AT Database ID,"
WB_COLUMNS = ["Country Name", "Country Code", "Year", "Value"]
IMF_COLUMNS = ["COUNTERPART_COUNTRY.ID", "INDICATOR.ID", "SCALE.ID"]
IMF_INDICATORS = ("XG_FOB_USD", "MG_CIF_USD")
SIPRI_COLUMNS = ["SIPRI AT Database ID", "Supplier", "Recipient", "Designation", "Description", "Armament category",
                 "Order date", "Order date is estimate", "Numbers delivered", "Numbers delivered is estimate",
                 "Delivery year", "Delivery year is estimate", "Status", "TIV deal unit", "TIV delivery values",
                 "Local production"]
_MAX = 50  # problems reported per column


# --------------------------------------------------------------------------- format checks
def _read(data: bytes, label: str, skip: int = 0) -> tuple[pd.DataFrame | None, list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, [Problem(label, line, None, None, "UTF-8 text")]
    try:
        df = pd.read_csv(io.StringIO(text), skiprows=skip, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Problem(label, None, None, None, f"well-formed CSV ({str(exc).strip()})")]
    if df.empty:
        return None, [Problem(label, None, None, None, "at least one data row")]
    return df, []


def _missing(df: pd.DataFrame, columns: list[str], label: str, header_line: int, what: str) -> list[Problem]:
    return [Problem(label, header_line, c, None, f"a column of {what}") for c in columns if c not in df.columns]


def _bad(df: pd.DataFrame, mask: pd.Series, col: str, label: str, expected: str, first_line: int) -> list[Problem]:
    return [Problem(label, int(i) + first_line, col, df.at[i, col], expected) for i in df.index[mask][:_MAX]]


def _number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(s != ""), errors="coerce")


def check_worldbank(data: bytes, label: str) -> list[Problem]:
    """World Bank indicator CSV as curate reads it: Country Name, Country Code, Year, Value."""
    df, problems = _read(data, label)
    if df is None:
        return problems
    problems = _missing(df, WB_COLUMNS, label, 1, "the World Bank CSV format (" + ", ".join(WB_COLUMNS) + ")")
    if problems:
        return problems
    year = pd.to_numeric(df["Year"].where(df["Year"].str.fullmatch(r"\d{4}")), errors="coerce")
    this_year = _dt.date.today().year
    problems += _bad(df, ~year.between(1960, this_year), "Year", label, f"a year 1960-{this_year}", 2)
    problems += _bad(df, ~df["Country Code"].str.fullmatch(r"[A-Z0-9]{2,3}"), "Country Code", label,
                     "a World Bank country code (ISO3 for countries)", 2)
    value = _number(df["Value"])
    problems += _bad(df, (df["Value"] != "") & ~(value >= 0), "Value", label, "a number >= 0 or empty", 2)
    problems += _bad(df, df.duplicated(["Country Code", "Year"]), "Country Code", label, "one row per country and year", 2)
    return problems


def check_imf(data: bytes, label: str) -> list[Problem]:
    """IMF IMTS wide CSV (the IMF data portal's export): one row per partner and indicator, one
    column per year, values in millions of US dollars (SCALE.ID 6)."""
    df, problems = _read(data, label)
    if df is None:
        return problems
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    problems = _missing(df, IMF_COLUMNS, label, 1, "the IMF IMTS export format")
    if not years:
        problems.append(Problem(label, 1, None, None, "one column per year (2016, 2017, ...)"))
    if problems:
        return problems
    problems += _bad(df, df["SCALE.ID"] != "6", "SCALE.ID", label, "6 (values in millions of US dollars)", 2)
    for ind in IMF_INDICATORS:
        if ind not in set(df["INDICATOR.ID"]):
            problems.append(Problem(label, None, "INDICATOR.ID", None, f"rows for indicator {ind}"))
    for y in years:
        value = _number(df[y])
        problems += _bad(df, (df[y] != "") & ~(value >= 0), y, label, "a number >= 0 (million USD) or empty", 2)
    problems += _bad(df, df.duplicated(["COUNTERPART_COUNTRY.ID", "INDICATOR.ID"]), "COUNTERPART_COUNTRY.ID", label,
                     "one row per partner and indicator", 2)
    return problems


def sipri_header_line(text: str) -> int | None:
    """0-based index of the header line of a SIPRI trade-register export (after its preamble)."""
    for i, line in enumerate(text.splitlines()[:100]):
        if line.lstrip("\ufeff").startswith(SIPRI_HEADER):
            return i
    return None


def check_sipri(data: bytes, label: str) -> list[Problem]:
    """SIPRI trade-register CSV export: a preamble, then a header starting 'SIPRI AT Database ID'."""
    head = sipri_header_line(data[:20000].decode("utf-8", errors="replace"))
    if head is None:
        return [Problem(label, None, None, None, f"a header line starting '{SIPRI_HEADER}' (the SIPRI trade-register "
                                                 f"export format); found none in the first 100 lines")]
    df, problems = _read(data, label, skip=head)
    if df is None:
        return problems
    problems = _missing(df, SIPRI_COLUMNS, label, head + 1, "the SIPRI trade-register export")
    if problems:
        return problems
    first = head + 2
    problems += _bad(df, ~df["SIPRI AT Database ID"].str.fullmatch(r"\d+"), "SIPRI AT Database ID", label, "a whole number", first)
    problems += _bad(df, ~df["Order date"].str.fullmatch(r"\d{4}"), "Order date", label, "a year", first)
    problems += _bad(df, ~df["Delivery year"].str.fullmatch(r"(\d{4})?"), "Delivery year", label, "a year or empty", first)
    for col in ("Numbers delivered", "TIV deal unit", "TIV delivery values"):
        problems += _bad(df, (df[col] != "") & _number(df[col]).isna(), col, label, "a number or empty", first)
    return problems


def max_year(frame: pd.DataFrame, columns: list[str]) -> int | None:
    """The latest year in ``columns`` (cells that are years; others ignored)."""
    years = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in columns])
    return None if years.dropna().empty else int(years.max())


# --------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class RawSource:
    name: str       # folder name of the base snapshot, e.g. "wb-population"
    pattern: str    # glob of the one data file curate reads in a snapshot folder
    check: Callable[[bytes, str], list[Problem]]


SOURCES = {s.name: s for s in (
    RawSource("wb-population", "population.csv", check_worldbank),
    RawSource("wb-gdp", "gdp.csv", check_worldbank),
    RawSource("imf-imts-russia", "RU_trade_imf_imts.csv", check_imf),
    RawSource("sipri-arms-transfers", "trade_register_*.csv", check_sipri),
)}
#: curated table -> the sources it is derived from ("undl" = the fetched UN voting-data releases)
TABLE_SOURCES = {"countries.csv": ("wb-population", "wb-gdp", "undl"), "trade.csv": ("imf-imts-russia",),
                 "arms_transfers.csv": ("sipri-arms-transfers",), "un_votes.csv.gz": ("undl",),
                 "un_resolutions.csv": ("undl",)}


def is_fetched(folder: Path) -> bool:
    """Whether a snapshot folder was written by ``fetch`` (its PROVENANCE.json has a ``fetch`` record)."""
    try:
        return "fetch" in json.loads((Path(folder) / snapshot.PROVENANCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def candidates(name: str, raw_root: Path | None = None) -> list[Path]:
    """The snapshots of a source, newest first; the base snapshot ``raw/<name>`` last."""
    raw_root = Path(raw_root or config.raw_dir())
    dated = sorted((p for p in raw_root.glob(f"{name}{SEP}*") if p.is_dir()), key=lambda p: p.name, reverse=True)
    return dated + ([raw_root / name] if (raw_root / name).is_dir() else [])


def data_file(folder: Path, source: RawSource) -> tuple[Path | None, list[Problem]]:
    found = sorted(Path(folder).glob(source.pattern))
    if len(found) != 1:
        return None, [Problem(f"raw/{Path(folder).name}", None, None, len(found), f"one file matching {source.pattern}")]
    return found[0], []


def check_snapshot(folder: Path, source: RawSource) -> tuple[Path | None, list[Problem]]:
    """The data file of a snapshot and its problems (checksums first, then the format)."""
    problems = snapshot.verify_folder(folder)
    path, probs = data_file(folder, source)
    problems += probs
    if path is None or problems:
        return None, problems
    problems = source.check(path.read_bytes(), f"raw/{Path(folder).name}/{path.name}")
    return (None if problems else path), problems


@dataclass
class Selection:
    files: dict[str, Path] = field(default_factory=dict)   # source -> the data file curate reads
    releases: list[Path] = field(default_factory=list)     # UNDL release CSVs, in merge order
    fetched: dict[str, list[str]] = field(default_factory=dict)  # source or "undl" -> fetched folders in use
    rejected: dict[str, list[Problem]] = field(default_factory=dict)  # "raw/<folder>" -> problems

    def in_use_behind(self, problems: list[Problem]) -> dict[str, list[Problem]]:
        """The fetched snapshots in use that feed a curated table named in ``problems``, each with
        the problems of those tables (``raw/<folder>`` -> problems)."""
        out: dict[str, list[Problem]] = {}
        for table, sources in TABLE_SOURCES.items():
            probs = [p for p in problems if p.file.endswith(table)]
            for folder in (f for s in sources for f in self.fetched.get(s, [])) if probs else ():
                out.setdefault(f"raw/{folder}", []).extend(probs)
        return out


def select(raw_root: Path | None = None, exclude: dict[str, list[Problem]] | None = None) -> Selection:
    """The newest valid snapshot of every refreshable source, and the UNDL releases to lay over the
    base votes. ``exclude`` maps folders rejected by an earlier pass (``raw/<folder>``) to their
    problems. Raises DataValidationError when a base snapshot itself fails."""
    raw_root = Path(raw_root or config.raw_dir())
    sel = Selection(rejected=dict(exclude or {}))
    for name, source in SOURCES.items():
        for folder in candidates(name, raw_root):
            if f"raw/{folder.name}" in sel.rejected:
                continue
            path, problems = check_snapshot(folder, source)
            if path is not None:
                sel.files[name] = path
                if folder.name != name:
                    sel.fetched[name] = [folder.name]
                break
            if folder.name == name:  # the base snapshot: no older one to fall back on
                raise DataValidationError(problems)
            sel.rejected[f"raw/{folder.name}"] = problems
        else:
            raise DataValidationError([Problem(f"raw/{name}", None, None, None, "a snapshot of this source")])
    for folder in sorted(raw_root.glob(f"{RELEASE_PREFIX}*")):
        if f"raw/{folder.name}" in sel.rejected or not folder.is_dir():
            continue
        if is_fetched(folder):
            problems = snapshot.verify_folder(folder)
            if problems:
                sel.rejected[f"raw/{folder.name}"] = problems
                continue
            sel.fetched.setdefault("undl", []).append(folder.name)
        sel.releases += sorted(folder.glob("*.csv"))
    return sel


def in_use(raw_root: Path | None = None) -> set[str]:
    """Names of the snapshot folders curate reads: every snapshot, less the older and the rejected
    snapshots of the refreshable sources and the rejected releases (for the report's Sources)."""
    raw_root = Path(raw_root or config.raw_dir())
    sel = select(raw_root)
    names = set(snapshot.load_provenance(raw_root))
    for name in SOURCES:
        names -= {f.name for f in candidates(name, raw_root)}
        names.add(sel.files[name].parent.name)
    return names - {folder.removeprefix("raw/") for folder in sel.rejected}


def verify_base(raw_root: Path | None = None) -> list[Problem]:
    """Checksums of every snapshot not written by ``fetch`` (those are checked by :func:`select`,
    which rejects a bad one instead of stopping)."""
    raw_root = Path(raw_root or config.raw_dir())
    provs = snapshot.load_provenance(raw_root)
    if not provs:
        return snapshot.verify(raw_root)
    return [p for name, rec in provs.items() if "fetch" not in rec for p in snapshot.verify_folder(raw_root / name)]
