"""The as-of date every metric takes: parse it, default it, and filter tables to what was known."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import data
from analysis.errors import ParameterError


def today() -> pd.Timestamp:
    """The build date: the default as-of date and the last date a report may look at."""
    return pd.Timestamp.today().normalize()


def _range(earliest: pd.Timestamp) -> str:
    """The accepted range, worded the same in every message."""
    return f"between {earliest.date()} and today ({today().date()})"


#: Dates this process has resolved, per lower bound: a value that went through :func:`resolve` once
#: (the typed as-of every layer passes down) is recognised in O(1) and not parsed or checked again.
_RESOLVED: dict[pd.Timestamp, set] = {}


def resolve(as_of=None, earliest: pd.Timestamp | None = None) -> pd.Timestamp:
    """None (or 'latest', 'today') -> today, the build date; a 'YYYY-MM-DD' string or date -> a Timestamp.

    The data run to different dates per source (see analysis.datasets.coverage); the report's header
    says so rather than moving the as-of date back to the latest event in the data.
    Raises ParameterError for a malformed date, one with a time zone, or one outside the range from
    ``earliest`` (default: the first date in the data) to today."""
    if as_of is None or (isinstance(as_of, str) and as_of.strip().lower() in ("", "latest", "none", "today")):
        return today()
    earliest = data.earliest_date() if earliest is None else earliest
    if type(as_of) is pd.Timestamp and as_of in _RESOLVED.get(earliest, ()):
        return as_of
    shown = repr(as_of) if len(repr(as_of)) <= 80 else repr(as_of)[:80] + "..."
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ParameterError(f"as_of={shown} is not a date; expected YYYY-MM-DD {_range(earliest)}") from exc
    if pd.isna(ts):
        raise ParameterError(f"as_of={shown} is not a date; expected YYYY-MM-DD {_range(earliest)}")
    if ts.tzinfo is not None:
        raise ParameterError(f"as_of={shown} has a time zone; expected a calendar date YYYY-MM-DD {_range(earliest)}")
    if ts.normalize() > today():
        raise ParameterError(f"as_of={shown} is out of range; expected a date {_range(earliest)}")
    if ts < earliest:
        why = "" if earliest == data.earliest_date() else (
            f" (the report starts on {earliest.date()}, the first General Assembly vote on Russia and Ukraine, "
            "A/RES/68/262: before it there is nothing to report)")
        raise ParameterError(f"as_of={shown} is before {earliest.date()}{why}; expected a date {_range(earliest)}")
    ts = ts.normalize()
    _RESOLVED.setdefault(earliest, set()).add(ts)
    return ts


@data.memo
def report_start() -> pd.Timestamp:
    """The first date the report is meaningful on: the first recorded vote of the Ukraine set
    (A/RES/68/262, 27 March 2014). Before it there is no stance to classify."""
    res = data.resolutions()
    ukraine = res.loc[res["topic"] == "ukraine", "date"]
    return ukraine.min() if len(ukraine) else data.earliest_date()


def resolve_report(as_of=None) -> pd.Timestamp:
    """:func:`resolve`, for the report, the profiles and the stance classes: the date must be on
    or after :func:`report_start`, and the message says why."""
    return resolve(as_of, earliest=report_start())


def members(as_of=None) -> pd.DataFrame:
    """UN members on the date (admitted on or before it)."""
    ts = resolve(as_of)
    c = data.countries()
    return c[c["un_member_from"] <= ts].reset_index(drop=True)
