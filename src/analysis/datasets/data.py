"""Load curated tables for notebooks and metrics: one call per table, typed, cached per process.

    from analysis import data
    votes = data.votes()            # resolution, iso3, vote (categorical yes/no/abstain/absent/unknown)
    res = data.resolutions()        # dates as datetime64

Tables are read with explicit dtypes (fast); `python -m analysis validate` is the full check.
Callers get a shallow copy: pandas' copy-on-write (always on since pandas 3) copies the data the
moment a caller changes it, so changing a returned frame never changes the cache, and reading one
costs nothing.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.datasets.schemas import TABLES, VOTE_DOMAIN


def _read_spec(name: str) -> tuple[dict[str, str], list[str]]:
    """Read dtypes and date columns of a table, derived from its schema (analysis.datasets.schemas):
    a non-nullable integer column reads as int64, a nullable one as Int64, floats as float64,
    dates are parsed, everything else is text."""
    dtypes, dates = {}, []
    for col, spec in TABLES[name].schema.columns.items():
        kind = str(spec.dtype)
        if kind.startswith("datetime64"):
            dates.append(col)
        elif kind.startswith("float"):
            dtypes[col] = "float64"
        elif kind == "Int64":
            dtypes[col] = "Int64" if spec.nullable else "int64"
        else:
            dtypes[col] = "str"
    return dtypes, dates


def _path(name: str) -> Path:
    return config.curated_dir() / TABLES[name].filename


@functools.lru_cache(maxsize=None)
def _load(name: str, directory: str) -> pd.DataFrame:
    """The typed table, from the memo store when this process or an earlier one read the same file
    (a pickle of the 900,000 votes loads in a fifth of the time of their CSV)."""
    from analysis.datasets import memostore

    path = Path(directory) / TABLES[name].filename
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m analysis curate`")
    entry = memostore.key(_load, directory, (name,))  # keyed by the curated files, the code and the date
    if entry is not None:
        stored = memostore.get(entry)
        if isinstance(stored, pd.DataFrame):
            return stored
    df = _read_csv(name, path)
    if entry is not None:
        memostore.put(entry, df)
    return df


def _read_csv(name: str, path: Path) -> pd.DataFrame:
    dtypes, dates = _read_spec(name)
    try:
        df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""], parse_dates=dates)
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as exc:  # truncated gzip, bad CSV
        from analysis.errors import DataValidationError, Problem

        raise DataValidationError([Problem(str(path), None, None, None, "a readable curated table "
                                           f"({type(exc).__name__}: {str(exc)[:200]}); run `python -m analysis "
                                           "curate`, then `python -m analysis validate`")]) from exc
    if name == "un_votes":
        df["vote"] = pd.Categorical(df["vote"], categories=VOTE_DOMAIN)
    if name == "trade":
        df["partner_derived"] = df["partner_derived"].astype(str).str.lower() == "true"
        if "excluded" in df:
            df["excluded"] = df["excluded"].astype(str).str.lower() == "true"
    return df


def load(name: str) -> pd.DataFrame:
    """A curated table by name (see analysis.schemas.TABLES), as a (copy-on-write) copy."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES)}")
    from analysis.datasets import reads

    folder = str(config.curated_dir())
    reads.note(Path(folder) / TABLES[name].filename)  # also when served from this process's cache
    return _load(name, folder).copy(deep=False)


_MEMOS: list = []


def memo(fn):
    """Cache a pure function of (hashable arguments, the curated data) for the process, and on disk
    for the next process (:mod:`analysis.datasets.memostore`: keyed by the arguments, the curated
    files, the package's code and the build date).

    The key includes the curated folder, so pointing ISOLATION_DATA_DIR elsewhere never serves a
    stale result; ``clear_cache()`` empties every in-process memo. DataFrames are returned as
    copy-on-write copies and sets, lists and dicts as new containers (changing one never changes
    the memo)."""
    from analysis.datasets import memostore, reads

    def compute(folder, *args) -> tuple:
        """(result, the data files it was computed from), from disk when stored."""
        entry = memostore.key(fn, folder, args)
        if entry is not None:
            stored = memostore.get(entry)
            if stored is memostore.MISSING:  # a build's prepare child may be computing it right now
                stored = memostore.wait(entry)
            if stored is not memostore.MISSING:
                return stored
        with memostore.computing(entry):  # released once stored
            with reads.recording() as files:
                value = fn(*args)
            result = (value, tuple(sorted(map(str, files))))
            if entry is not None:
                memostore.put(entry, result)
        return result

    cached = functools.lru_cache(maxsize=256)(compute)
    _MEMOS.append(cached)

    @functools.wraps(fn)
    def wrapper(*args):
        out, files = cached(str(config.curated_dir()), *args)
        reads.note(*files)  # a memoised result stands for the files it was computed from
        if isinstance(out, (pd.DataFrame, pd.Series)):
            return out.copy(deep=False)
        return type(out)(out) if isinstance(out, (set, list, dict)) else out

    wrapper.cache_clear = cached.cache_clear
    return wrapper


def clear_cache() -> None:
    """Forget every loaded table and every memoised result (after `curate`, or in tests)."""
    _load.cache_clear()
    for cached in _MEMOS:
        cached.cache_clear()


def countries() -> pd.DataFrame:
    return load("countries")


def resolutions() -> pd.DataFrame:
    return load("un_resolutions")


def votes() -> pd.DataFrame:
    return load("un_votes")


def alignment_bsv() -> pd.DataFrame:
    return load("alignment_bsv")


def trade() -> pd.DataFrame:
    return load("trade")


def unfriendly_states() -> pd.DataFrame:
    return load("unfriendly_states")


def arms_transfers() -> pd.DataFrame:
    return load("arms_transfers")


def memberships() -> pd.DataFrame:
    return load("memberships")


def leader_visits() -> pd.DataFrame:
    return load("leader_visits")


def treaties() -> pd.DataFrame:
    return load("treaties")


def state_events() -> pd.DataFrame:
    return load("state_events")


def icc_notices() -> pd.DataFrame:
    return load("icc_notices")


def arms_notes() -> pd.DataFrame:
    return load("arms_notes")


@memo
def latest_date() -> pd.Timestamp:
    """The latest dated event in the curated data (a vote, a visit, a treaty...): the default as_of."""
    candidates = [resolutions()["date"].max()]
    for name, cols in (("leader_visits", ["end_date"]), ("memberships", ["joined", "left"]),
                       ("treaties", ["signed", "in_force"])):
        try:
            df = load(name)
        except FileNotFoundError:
            continue
        for c in cols:
            candidates.append(df[c].max())
    return max(pd.Timestamp(c) for c in candidates if pd.notna(c))


@memo
def earliest_date() -> pd.Timestamp:
    return resolutions()["date"].min()
