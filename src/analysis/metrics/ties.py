"""The second axis: a member's ties with Russia on a date, from the curated tables, as a transparent
points score (the votes are the first axis, :mod:`analysis.metrics.stances`).

Components (each a fact on ``as_of``; weights in ``WEIGHTS``, every point explained in ``reason``):

=====================  ==============================================================  ======
component              fact                                                            points
=====================  ==============================================================  ======
defence_treaty         mutual-defence or security-guarantee treaty with Russia in force    3
csto                   member of the Russia-led Collective Security Treaty Organization    2
eaeu                   member of the Russia-led Eurasian Economic Union                    1
sco_brics              member of the SCO or of BRICS                                       1
arms_to_russia         SIPRI records at least ARMS_TO_RUSSIA_MIN million TIV of major arms    2
                       it delivered to Russia since 2022 (the floor keeps out the last
                       deliveries of small pre-war deals, e.g. licensed engines)
arms_from_russia       Russian major arms received in the last 5 full years (SIPRI TIV):   1 / 2
                       at least ARMS_TIV[0] / ARMS_TIV[1] million TIV
trade                  Russia's goods trade with it, share of its own GDP (latest year):  1 / 2
                       at least TRADE_GDP[0] / TRADE_GDP[1]
visits                 hosted Vladimir Putin at least once since 24 February 2022          1
unfriendly             on Russia's unfriendly-states list                                 -3
=====================  ==============================================================  ======

Why not a share of its arms imports from Russia: the SIPRI extract in the data holds only deals in
which Russia is supplier or recipient, so a state's imports from other suppliers (the denominator)
are unknown; the volume from Russia is used instead. Trade is Russia's trade with the partner
(IMF; from 2022 estimated from partners' records, implausible values excluded) over the partner's
GDP (World Bank, latest year); a state without a GDP value gets no trade points and the reason says
so. ``ties_class``: ``strong`` (score >= STRONG), ``some`` (>= SOME), ``none`` below.
"""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import economy, membership, travel

WEIGHTS = {"defence_treaty": 3, "csto": 2, "eaeu": 1, "sco_brics": 1, "arms_to_russia": 2, "arms_from_russia": 2,
           "trade": 2, "visits": 1, "unfriendly": -3}
COMPONENTS = tuple(WEIGHTS)
ARMS_TIV = (100.0, 1000.0)  # million TIV over five years: half / full arms_from_russia points
TRADE_GDP = (0.02, 0.10)  # Russia's trade with it over its GDP: half / full trade points
ARMS_YEARS = 5
ARMS_TO_RUSSIA_MIN = 10.0  # million TIV delivered to Russia since 2022
STRONG, SOME = 4.0, 2.0


def _arms_from_russia(ts) -> pd.Series:
    last = economy._last_full_year(ts)
    e = economy.arms_exports(ts)
    e = e[e["year"] > last - ARMS_YEARS]
    return e.groupby("recipient_iso3")["tiv"].sum()


def _arms_to_russia(ts) -> pd.Series:
    i = economy.arms_imports(ts)
    i = i[i["year"] >= pd.Timestamp(config.INVASION_DATE).year]
    return i.groupby("supplier_iso3")["tiv"].sum()


def _trade_gdp(ts) -> pd.DataFrame:
    t = economy.trade_shares(ts).dropna(subset=["total_usd"])
    t = t.sort_values("year").groupby("partner_iso3").last()[["year", "total_usd"]]
    c = data.countries().set_index("iso3")
    t["gdp_usd"] = c["gdp_usd"].reindex(t.index)
    t["ratio"] = t["total_usd"] / t["gdp_usd"]
    return t


def facts(as_of=None) -> pd.DataFrame:
    """The raw facts per member (before points): iso3, defence_treaty, csto, eaeu, sco_brics,
    arms_to_russia (bool) and arms_to_russia_tiv, arms_tiv_5y, trade_ratio, trade_year, visits, unfriendly."""
    return _facts(_asof.resolve(as_of))


@data.memo
def _facts(ts) -> pd.DataFrame:  # memoised: every weight variant of ties() starts from the same facts
    iso = _asof.members(ts)["iso3"]
    f = pd.DataFrame({"iso3": iso}).set_index("iso3")
    f["defence_treaty"] = f.index.isin(membership.treaties_in_force(ts)["iso3"])
    for g in ("CSTO", "EAEU"):
        f[g.lower()] = f.index.isin(membership.members_of(g, ts))
    f["sco_brics"] = f.index.isin(membership.members_of("SCO", ts) | membership.members_of("BRICS", ts))
    f["arms_to_russia_tiv"] = _arms_to_russia(ts).reindex(f.index).fillna(0.0)
    f["arms_to_russia"] = f["arms_to_russia_tiv"] >= ARMS_TO_RUSSIA_MIN
    f["arms_tiv_5y"] = _arms_from_russia(ts).reindex(f.index).fillna(0.0)
    tr = _trade_gdp(ts).reindex(f.index)
    f["trade_ratio"], f["trade_year"] = tr["ratio"], tr["year"]
    v = travel.visits(ts, since=config.INVASION_DATE)
    f["visits"] = v.groupby("iso3").size().reindex(f.index).fillna(0).astype(int)
    f["unfriendly"] = f.index.isin(membership.unfriendly(ts))
    return f.drop(index="RUS", errors="ignore").reset_index()


def _steps(value: float, cuts: tuple) -> float:
    return 1.0 if value >= cuts[1] else (0.5 if value >= cuts[0] else 0.0)


def points(f: pd.DataFrame, weights: dict | None = None) -> pd.DataFrame:
    """Points per component (columns named like the components) and ``score`` from facts."""
    w = {**WEIGHTS, **(weights or {})}
    p = pd.DataFrame({"iso3": f["iso3"]})
    for k in ("defence_treaty", "csto", "eaeu", "sco_brics", "arms_to_russia", "unfriendly"):
        p[k] = f[k].astype(float) * w[k]
    p["arms_from_russia"] = f["arms_tiv_5y"].map(lambda x: _steps(x, ARMS_TIV)) * w["arms_from_russia"]
    p["trade"] = f["trade_ratio"].fillna(0).map(lambda x: _steps(x, TRADE_GDP)) * w["trade"]
    p["visits"] = (f["visits"] > 0).astype(float) * w["visits"]
    p["score"] = p[list(COMPONENTS)].sum(axis=1)
    return p


def _reason(r) -> str:
    parts = []
    if r.defence_treaty:
        parts.append("defence treaty with Russia in force")
    parts += [name for flag, name in ((r.csto, "CSTO member"), (r.eaeu, "EAEU member"),
                                      (r.sco_brics, "SCO or BRICS member")) if flag]
    if r.arms_to_russia:
        parts.append(f"delivered {r.arms_to_russia_tiv:,.0f} m TIV of major arms to Russia since 2022 (SIPRI)")
    if r.arms_tiv_5y >= ARMS_TIV[0]:
        parts.append(f"received {r.arms_tiv_5y:,.0f} m TIV of Russian arms in {ARMS_YEARS} years")
    if pd.notna(r.trade_ratio) and r.trade_ratio >= TRADE_GDP[0]:
        parts.append(f"trade with Russia {r.trade_ratio:.0%} of its GDP ({int(r.trade_year)})")
    if r.visits:
        parts.append(f"hosted Putin {r.visits} time{'s' if r.visits > 1 else ''} since the invasion")
    if r.unfriendly:
        parts.append("on Russia's unfriendly-states list")
    return "; ".join(parts) if parts else "no tie in the data"


def ties(as_of=None, weights: dict | None = None) -> pd.DataFrame:
    """Per member (Russia left out): the facts, the points of each component, ``score``,
    ``ties_class`` (strong / some / none) and ``reason`` in words."""
    return _ties(_asof.resolve(as_of), tuple(sorted((weights or {}).items()))).copy()


@data.memo
def _ties(ts, weights: tuple) -> pd.DataFrame:
    f = facts(ts)
    p = points(f, dict(weights)).set_index("iso3")
    out = f.set_index("iso3").join(p.add_prefix("pts_").rename(columns={"pts_score": "score"}))
    out["ties_class"] = pd.cut(out["score"], [-99, SOME - 1e-9, STRONG - 1e-9, 99], labels=["none", "some", "strong"])
    out["reason"] = [_reason(r) for r in out.reset_index().itertuples()]
    return out.reset_index()
