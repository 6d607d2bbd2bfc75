"""Stance of every UN member towards Russia's war, as of a date: transparent rules over the votes
on the Ukraine set, Russia's defence treaties and Russia's unfriendly list.

For each member, over the Ukraine-set resolutions voted on or before ``as_of`` that it could vote
on (it was a UN member), let share_no / share_yes be the shares of 'no' / 'yes' votes. The first
rule that holds gives the class:

1. ``allied``          share_no >= allied_no_share (default 0.5), or a mutual-defence / security-
                       guarantee treaty with Russia in force (if use_treaties).
2. ``russia_leaning``  share_no >= leaning_no_share (default 0.2): voted with Russia against the
                       resolutions at least one time in five.
3. ``condemning``      share_yes >= condemning_yes_share (default 1.0, i.e. yes on all) and on
                       Russia's unfriendly-states list (it sanctions Russia, in Russia's own words).
4. ``west_leaning``    share_yes >= west_yes_share (default 0.7).
5. ``neutral``         everything else: mostly abstaining or absent.

Russia itself is ``russia``. Population and GDP shares per class use as denominator the UN
members with a value (stated in the output), from the World Bank's latest available year.
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.datasets import data
from analysis.metrics import membership, votes

CLASSES = ("allied", "russia_leaning", "neutral", "west_leaning", "condemning", "russia")
LABELS = {"allied": "Allied with Russia", "russia_leaning": "Russia-leaning", "neutral": "Neutral",
          "west_leaning": "West-leaning", "condemning": "Condemning and sanctioning", "russia": "Russia"}
DEFAULTS = {"allied_no_share": 0.5, "leaning_no_share": 0.2, "west_yes_share": 0.7, "condemning_yes_share": 1.0,
            "use_treaties": True}


def check_threshold(name: str, value) -> float | bool:
    """One stance threshold, checked (the one home of this rule, used by the notebook parameters
    too): ``use_treaties`` a boolean, every other a share: a finite number between 0 and 1 (text
    such as ``"0.6"`` is read as a number)."""
    from analysis.errors import ParameterError

    if name not in DEFAULTS:
        raise ParameterError(f"unknown stance threshold {name!r}; known: {', '.join(sorted(DEFAULTS))}")
    if name == "use_treaties":
        if isinstance(value, bool):
            return value
        raise ParameterError(f"{name}={value!r}: expected true or false")
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if (not isinstance(number, (int, float)) or isinstance(number, bool) or not math.isfinite(number)
            or not 0 <= number <= 1):
        raise ParameterError(f"{name}={value!r}: expected a number between 0 and 1")
    return float(number)


def check_thresholds(thresholds: dict) -> dict:
    """All thresholds (defaults filled in), each checked by :func:`check_threshold`."""
    return {k: check_threshold(k, v) for k, v in {**DEFAULTS, **thresholds}.items()}


def classify(counts: pd.DataFrame, defence: set[str], unfriendly: set[str], **thresholds) -> pd.DataFrame:
    """Apply the rules to per-member vote counts (iso3, eligible, yes, no, abstain, absent).
    Pure function, exposed for tests."""
    t = check_thresholds(thresholds)
    rows = []
    for r in counts.itertuples(index=False):
        n = r.eligible
        share_no = r.no / n if n else 0.0
        share_yes = r.yes / n if n else 0.0
        votes_txt = f"voted no on {r.no} and yes on {r.yes} of the {n} Ukraine resolutions it could vote on"
        if r.iso3 == "RUS":
            stance, reason = "russia", "Russia"
        elif n and share_no >= t["allied_no_share"]:
            stance, reason = "allied", f"{votes_txt} (no share {share_no:.0%} >= {t['allied_no_share']:.0%})"
        elif t["use_treaties"] and r.iso3 in defence:
            stance, reason = "allied", f"mutual-defence treaty with Russia in force; {votes_txt}"
        elif n and share_no >= t["leaning_no_share"]:
            stance, reason = "russia_leaning", f"{votes_txt} (no share {share_no:.0%} >= {t['leaning_no_share']:.0%})"
        elif n and share_yes >= t["condemning_yes_share"] and r.iso3 in unfriendly:
            stance, reason = "condemning", f"{votes_txt} and is on Russia's unfriendly-states list"
        elif n and share_yes >= t["west_yes_share"]:
            stance, reason = "west_leaning", f"{votes_txt} (yes share {share_yes:.0%} >= {t['west_yes_share']:.0%})"
        else:
            stance, reason = "neutral", f"{votes_txt}; abstained {r.abstain}, absent {r.absent}"
        rows.append({"iso3": r.iso3, "stance": stance, "reason": reason, "eligible": n, "yes": r.yes, "no": r.no,
                     "abstain": r.abstain, "absent": r.absent, "share_yes": share_yes, "share_no": share_no})
    out = pd.DataFrame(rows)
    out["stance"] = pd.Categorical(out["stance"], categories=CLASSES)
    return out


def stance(as_of=None, **thresholds) -> pd.DataFrame:
    """iso3, stance, reason (+ the counts behind it) for every UN member on ``as_of``."""
    from analysis.datasets import asof as _asof
    return _stance(_asof.resolve_report(as_of), tuple(sorted(check_thresholds(thresholds).items())))


@data.memo
def _stance(ts, thresholds: tuple) -> pd.DataFrame:
    counts = votes.counts_by_member(None, ts)
    defence = set(membership.treaties_in_force(ts)["iso3"])
    return classify(counts, defence, membership.unfriendly(ts), **dict(thresholds))


def shares(as_of=None, stances: pd.DataFrame | None = None, **thresholds) -> pd.DataFrame:
    """Per class: states, population and GDP, and their shares of the UN members with data.
    Columns n_with_population / n_with_gdp state the denominators."""
    s = stance(as_of, **thresholds) if stances is None else stances
    c = data.countries()[["iso3", "name", "population", "gdp_usd"]]
    j = s.merge(c, on="iso3", how="left")
    pop_total, gdp_total = j["population"].sum(), j["gdp_usd"].sum()
    g = j.groupby("stance", observed=False).agg(states=("iso3", "size"), population=("population", "sum"),
                                                gdp_usd=("gdp_usd", "sum")).reset_index()
    g["population_share"] = g["population"] / pop_total
    g["gdp_share"] = g["gdp_usd"] / gdp_total
    g["n_members"] = len(j)
    g["n_with_population"] = int(j["population"].notna().sum())
    g["n_with_gdp"] = int(j["gdp_usd"].notna().sum())
    g["label"] = g["stance"].map(LABELS)
    return g


SENSITIVITY_STEPS = {"allied_no_share": [0.3, 0.4, 0.5, 0.6, 0.7], "leaning_no_share": [0.1, 0.2, 0.3],
                     "west_yes_share": [0.5, 0.6, 0.7, 0.8, 0.9], "condemning_yes_share": [0.8, 0.9, 1.0],
                     "use_treaties": [True, False]}


def sensitivity(as_of=None, steps: dict | None = None, **thresholds) -> pd.DataFrame:
    """How the classes' state counts and population/GDP shares move when one threshold moves and
    the others keep their values: threshold, value, is_default, stance, states, population_share, gdp_share."""
    base = check_thresholds(thresholds)
    counts = votes.counts_by_member(None, as_of)
    defence = set(membership.treaties_in_force(as_of)["iso3"])
    unfriendly = membership.unfriendly(as_of)
    rows = []
    for name, values in (steps or SENSITIVITY_STEPS).items():
        for value in values:
            t = {**base, name: value}
            s = classify(counts, defence, unfriendly, **t)
            sh = shares(as_of, stances=s)
            sh.insert(0, "threshold", name)
            sh.insert(1, "value", value)
            sh.insert(2, "is_default", value == base[name])
            rows.append(sh[["threshold", "value", "is_default", "stance", "states", "population_share", "gdp_share"]])
    return pd.concat(rows, ignore_index=True)
