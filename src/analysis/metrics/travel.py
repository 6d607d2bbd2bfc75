"""Vladimir Putin's foreign visits and the ICC: each visit with the host's ICC status on the date
of the visit, derived from memberships.csv (the Rome Statute in force for the host on that day)."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import membership


def _icc_spells() -> pd.DataFrame:
    m = data.memberships()
    return m[m["group"] == "ICC"]


def icc_party_on(iso3: str, date) -> bool:
    """Whether the Rome Statute was in force for ``iso3`` on ``date`` (joined on or before it and
    not yet withdrawn)."""
    return membership.member_on(_icc_spells(), [iso3], [date])[0]


def visits(as_of=None, since: str | None = None) -> pd.DataFrame:
    """Visits that started on or before ``as_of`` (and on or after ``since``), with host name and
    ``icc_party`` (bool) on the visit's start date, and ``after_warrant``."""
    return _visits(_asof.resolve(as_of), None if since is None else pd.Timestamp(since))


@data.memo
def _visits(ts: pd.Timestamp, since: pd.Timestamp | None) -> pd.DataFrame:
    v = data.leader_visits()
    v = v[v["start_date"] <= ts]
    if since is not None:
        v = v[v["start_date"] >= since]
    v = v.copy()
    names = data.countries().set_index("iso3")["name"]
    v["host"] = v["iso3"].map(names).fillna(v["iso3"])
    v["icc_party"] = membership.member_on(_icc_spells(), v["iso3"], v["start_date"])
    v["after_warrant"] = v["start_date"] >= pd.Timestamp(config.ICC_WARRANT_DATE)
    cols = ["start_date", "end_date", "iso3", "host", "city", "purpose", "icc_party", "after_warrant", "source",
            "source_url"]
    return v[cols].sort_values("start_date").reset_index(drop=True)


def visits_since_warrant(as_of=None) -> pd.DataFrame:
    """Visits from the ICC arrest warrant of 17 March 2023 on."""
    return visits(as_of, since=config.ICC_WARRANT_DATE)


def visits_to_icc_parties(as_of=None) -> pd.DataFrame:
    """Visits after the warrant to states bound by the Rome Statute on the day: states that were
    obliged to arrest him."""
    v = visits_since_warrant(as_of)
    return v[v["icc_party"]].reset_index(drop=True)
