"""The as-of date every metric takes: parse it, default it, and filter tables to what was known."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import data
from analysis.errors import ParameterError


def today() -> pd.Timestamp:
    """The build date: the default as-of date and the last date a report may look at."""
    return pd.Timestamp.today().normalize()


def resolve(as_of=None) -> pd.Timestamp:
    """None (or 'latest', 'today') -> today, the build date; a 'YYYY-MM-DD' string or date -> a Timestamp.

    The data run to different dates per source (see analysis.datasets.coverage); the report's header
    says so rather than moving the as-of date back to the latest event in the data.
    Raises ParameterError for a malformed date or one outside the accepted range (the first recorded
    vote to today)."""
    if as_of is None or (isinstance(as_of, str) and as_of.strip().lower() in ("", "latest", "none", "today")):
        return today()
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"as_of={as_of!r} is not a date; expected YYYY-MM-DD between "
                             f"{data.earliest_date().date()} and today ({today().date()})") from exc
    if pd.isna(ts):
        raise ParameterError(f"as_of={as_of!r} is not a date; expected YYYY-MM-DD")
    earliest = data.earliest_date()
    if ts < earliest or ts.normalize() > today():
        raise ParameterError(f"as_of={as_of!r} is out of range; expected a date between {earliest.date()} "
                             f"and today ({today().date()})")
    return ts.normalize()


def members(as_of=None) -> pd.DataFrame:
    """UN members on the date (admitted on or before it)."""
    ts = resolve(as_of)
    c = data.countries()
    return c[c["un_member_from"] <= ts].reset_index(drop=True)
