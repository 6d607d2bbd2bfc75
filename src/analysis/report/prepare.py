"""What each report notebook reads first, computed ahead of it.

A build calls these in a process of their own while its worker processes start
(:mod:`analysis.build.prepare`; each notebook names its function in its metadata), so that the
notebook's first cells find the all-member results -- the stance of every member, agreement with
Russia, the ties scores -- in the memo store instead of computing them. Each function takes the
notebook's parameters, resolves them as the notebook's ``context()`` does and makes the same
memoised calls as its sections (same arguments, hence the same memo entries); it draws and
writes nothing else. Calling one is never needed for correctness, only for speed.
"""
from __future__ import annotations

from analysis.datasets import asof as _asof
from analysis.datasets import members
from analysis.metrics import alignment, allies, timeline
from analysis.metrics import stances as _stance
from analysis.report import profile, thesis


def _thresholds(parameters: dict) -> dict:
    return _stance.check_thresholds({k: v for k, v in parameters.items() if k in _stance.DEFAULTS})


def main_report(as_of=None, **parameters) -> None:
    """``notebooks/isolation_report.ipynb``: the thesis and its findings (the stance of every member
    now and on the article's date, allies and partners, the article's claims checked), the world
    map's geometry, agreement with Russia, the stance at every year end, the sensitivity tables."""
    ts = _asof.resolve_report(as_of)
    t = _thresholds(parameters)
    n = thesis.numbers(ts, **t)  # as story_sections.thesis_section computes them
    thesis.thesis(n=n, seen=set())
    thesis.findings(n=n, seen=set())
    from analysis.report import maps  # geopandas: for the report's two maps, not the profiles

    maps.projected()
    maps.world(maps.FINEST)
    alignment.agreement("RUS", ts)
    timeline.stance_shares(ts, **t)
    _stance.sensitivity(ts, **t)  # the stance tables' and the methods' sensitivity tables
    allies.sensitivity(ts, **t)


def country_profile(iso3: str = "CHN", as_of=None, **parameters) -> None:
    """``notebooks/country_profile.ipynb``: the state's facts and what changed for it, which compute
    the all-member tables every profile reads (stance at the profile's dates, agreement, vote
    counts, visits, arms and trade)."""
    ts = _asof.resolve_report(as_of)
    iso3 = members.check_iso3(iso3)
    profile.facts(iso3, ts)
    profile.what_changed(iso3, ts, **_stance.check_thresholds({}))
