"""Events in a member's government that change how its UN votes are read (state_events.csv):

* ``government_change``  the date a new government took power (Syria 2024-12-08): the stance
  window restarts once the new government has cast a vote (see :mod:`analysis.metrics.stances`);
* ``contested_seat``     the seat is held by a delegation that does not represent the government in
  control (Myanmar, Afghanistan): its votes are not read as that government's stance;
* ``article19_no_vote``  a period without a vote for arrears (Article 19 of the Charter): an
  'absent' in it is "could not vote", not a choice.

A period is active on a date when start <= date and (end is empty or date < end): ``end`` is the
day the vote was restored, so a vote on that day counts.
"""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data

COLUMNS = ["iso3", "event", "start", "end", "description", "source", "source_url"]


def known(event: str | None = None, as_of=None) -> pd.DataFrame:
    """Events that had started on or before ``as_of`` (end blanked when after it)."""
    return _known(event, _asof.resolve(as_of))


@data.memo
def _known(event: str | None, ts: pd.Timestamp) -> pd.DataFrame:
    try:
        e = data.state_events()
    except FileNotFoundError:
        return pd.DataFrame(columns=COLUMNS)
    e = e[e["start"] <= ts]
    if event:
        e = e[e["event"] == event]
    e = e.copy()
    e.loc[e["end"] > ts, "end"] = pd.NaT
    return e.sort_values(["iso3", "start"]).reset_index(drop=True)


def active_on(e: pd.DataFrame, when) -> pd.Series:
    """Which rows of ``e`` (events) are active on ``when`` (a date or a Series aligned with e)."""
    return (e["start"] <= when) & (e["end"].isna() | (when < e["end"]))


def government_changes(as_of=None) -> pd.DataFrame:
    """The latest change of government per member on or before ``as_of``: iso3, start, description."""
    g = known("government_change", as_of)
    return g.sort_values("start").groupby("iso3", as_index=False).last()[["iso3", "start", "description",
                                                                          "source_url"]]


def contested(as_of=None) -> pd.DataFrame:
    """Members whose seat is contested on ``as_of``: iso3, start, description."""
    ts = _asof.resolve(as_of)
    c = _known("contested_seat", ts)
    return c[active_on(c, ts)][["iso3", "start", "description", "source_url"]].reset_index(drop=True)


def could_not_vote(long_votes: pd.DataFrame, as_of=None) -> pd.Series:
    """For rows of a long vote table (iso3, date, vote): True where the vote is 'absent' and an
    Article 19 period without a vote covered the date (aligned with ``long_votes``' index)."""
    p = known("article19_no_vote", as_of)
    out = pd.Series(False, index=long_votes.index)
    if p.empty or long_votes.empty:
        return out
    lv = long_votes[long_votes["vote"].astype(str) == "absent"][["iso3", "date"]].reset_index()
    j = lv.merge(p[["iso3", "start", "end"]], on="iso3")
    hit = j[active_on(j, j["date"])]["index"].unique()
    out.loc[hit] = True
    return out
