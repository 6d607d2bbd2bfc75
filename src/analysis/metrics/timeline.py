"""Russia's isolation over time, with one set of denominators throughout: the UN members on the
date (193 since 2011), their population and their GDP (World Bank, the latest value per country,
held fixed so that a change is a change of votes, not of economies).

* :func:`isolation` — per Ukraine-set roll call (partial records included and marked): the share of
  members, population and GDP voting yes / no / abstaining / absent, and 'unknown' on partial records
  (members whose vote no source gives yet; their official totals are in ``yes`` .. ``absent``).
* :func:`stance_shares` — per date (the end of each year since 2014 and ``as_of``): the share of
  members, population and GDP in each stance class.
* :func:`movers` — each member's stance on two dates, with the change-of-government event between.
"""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.datasets.schemas import VOTES
from analysis.metrics import events, stances, votes

VALUES = (*VOTES, "unknown")


def _weights() -> pd.DataFrame:
    return data.countries().set_index("iso3")[["population", "gdp_usd"]]


def isolation(as_of=None) -> pd.DataFrame:
    """One row per resolution of the Ukraine set voted on or before ``as_of``: resolution, label,
    date, record, members, the official totals, and for v in yes/no/abstain/absent/unknown the
    columns ``members_<v>``, ``population_<v>``, ``gdp_<v>`` (shares)."""
    return _isolation(_asof.resolve(as_of))


@data.memo
def _isolation(ts) -> pd.DataFrame:
    t = votes.tallies(None, ts)
    lv = votes.long_votes(list(t["resolution"]), ts, include_partial=True)
    lv = lv.assign(vote=lv["vote"].astype(str)).join(_weights(), on="iso3")
    rows = []
    for r in t.itertuples():
        v = lv[lv["resolution"] == r.resolution]
        row = {"resolution": r.resolution, "label": r.label, "date": r.date, "record": r.record,
               "members": int(r.members), **{k: int(getattr(r, k)) for k in VOTES}, "unknown": int(r.unknown)}
        for k in VALUES:  # members: official totals (on a partial record too); population, GDP: known votes
            sel = v[v["vote"] == k]
            row[f"members_{k}"] = (getattr(r, k) / r.members) if k in VOTES else 0.0
            row[f"population_{k}"] = sel["population"].sum() / v["population"].sum()
            row[f"gdp_{k}"] = sel["gdp_usd"].sum() / v["gdp_usd"].sum()
        rows.append(row)
    out = pd.DataFrame(rows)
    return out


#: Resolutions of the emergency session that demand Russia's withdrawal (comparable texts).
DEMANDS = ("A/RES/ES-11/1", "A/RES/ES-11/4", "A/RES/ES-11/6", "A/RES/ES-11/7")


def demand_votes(as_of=None) -> dict[str, pd.Series]:
    """Rows of :func:`isolation` to compare: ``first``, the first demand that Russia withdraw
    (ES-11/1); ``low``, the latest comparable demand with a full record (the first again when there
    is none yet); ``last``, the latest vote of the set. The thesis and the isolation chart both say
    "from the first demand to the latest comparable one" with these."""
    iso = isolation(as_of)
    first = iso[iso["label"] == "ES-11/1"]
    first = first.iloc[0] if len(first) else iso.iloc[0]
    demands = iso[iso["resolution"].isin(DEMANDS) & (iso["record"] == "full") & (iso["date"] > first["date"])]
    return {"first": first, "low": demands.iloc[-1] if len(demands) else first, "last": iso.iloc[-1]}


def dates(as_of=None, since: int = 2014) -> list[pd.Timestamp]:
    """The end of every year from ``since`` to the year before ``as_of``, then ``as_of``."""
    ts = _asof.resolve(as_of)
    ends = [pd.Timestamp(f"{y}-12-31") for y in range(since, ts.year)]
    return [d for d in ends if d < ts] + [ts]


def stance_shares(as_of=None, since: int = 2014, **thresholds) -> pd.DataFrame:
    """Per date and stance class: states, population_share, gdp_share, states_share (of the members
    on the date), with the class label."""
    rows = []
    for d in dates(as_of, since):
        sh = stances.shares(d, **thresholds)
        sh.insert(0, "date", d)
        sh["states_share"] = sh["states"] / sh["n_members"]
        rows.append(sh[["date", "stance", "label", "states", "states_share", "population_share", "gdp_share",
                        "n_members"]])
    out = pd.concat(rows, ignore_index=True)
    out["stance"] = out["stance"].astype(str)
    return out


def movers(first, second=None, **thresholds) -> pd.DataFrame:
    """Members whose stance differs between ``first`` and ``second`` (default as_of): iso3, name,
    stance_then, stance_now, reason_now, and ``event``: a change of government between the dates."""
    t1, t2 = _asof.resolve(first), _asof.resolve(second)
    a = stances.stance(t1, **thresholds).set_index("iso3")
    b = stances.stance(t2, **thresholds).set_index("iso3")
    j = pd.DataFrame({"stance_then": a["stance"].astype(str), "stance_now": b["stance"].astype(str).reindex(a.index),
                      "reason_now": b["reason"].reindex(a.index)})
    j = j[j["stance_then"] != j["stance_now"]].copy()
    g = events.known("government_change", t2)
    g = g[g["start"] > t1].groupby("iso3")["description"].last()
    j["event"] = g.reindex(j.index)
    j["name"] = data.countries().set_index("iso3")["name"].reindex(j.index)
    rank = {c: i for i, c in enumerate(stances.CLASSES)}
    j["direction"] = [("towards Russia" if rank[n] < rank[t] else "away from Russia")
                      if t in rank and n in rank and max(rank[t], rank[n]) <= rank["condemning"] else "other"
                      for t, n in zip(j["stance_then"], j["stance_now"])]
    return j.reset_index()[["iso3", "name", "stance_then", "stance_now", "direction", "event", "reason_now"]]
