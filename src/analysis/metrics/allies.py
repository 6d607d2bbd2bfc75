"""Russia's allies and partners, named by evidence over both axes: how a member votes
(:mod:`analysis.metrics.stances`) and how it is tied to Russia (:mod:`analysis.metrics.ties`).

Rule (``ally_ties`` default ALLY_TIES, ``partner_ties`` default PARTNER_TIES):

* **ally**     votes with Russia (stance ``allied`` or ``russia_leaning``) and ties score >= ally_ties,
               or arms Russia's war (the ties component ``arms_to_russia``: SIPRI records major arms
               it delivered to Russia since 2022) while not voting with the West;
* **partner**  votes with Russia with fewer ties, or does not vote with Russia (neutral, could not
               vote, contested seat) but has ties score >= partner_ties;
* nothing otherwise; a state that votes with the West, or Ukraine, is never named.

``named(as_of)`` gives the allies' ISO3 codes (the build adds their profiles); ``premise(as_of)``
judges the DW article's six "allies" state by state, and ``changes(as_of)`` lists whom the data add
and drop, with reasons.
"""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import stances, ties

ALLY_TIES, PARTNER_TIES = 3.0, 3.0
SIDES = ("ally", "partner", "")
_NOT_WITH = ("neutral", "could_not_vote", "contested")


def classify(st: pd.DataFrame, ti: pd.DataFrame, ally_ties: float = ALLY_TIES,
             partner_ties: float = PARTNER_TIES, arms_rule: bool = True, explain: bool = True) -> pd.DataFrame:
    """Pure rule over a stance table (iso3, stance, reason) and a ties table (iso3, score, reason).
    ``explain=False`` leaves out the ``why`` sentences (the sensitivity analysis counts sides only)."""
    j = st[["iso3", "stance", "reason"]].merge(ti[["iso3", "score", "ties_class", "reason"]], on="iso3", how="left",
                                               suffixes=("_votes", "_ties"))
    j["stance"] = j["stance"].astype(str)
    j["score"] = j["score"].fillna(0.0)
    with_r = j["stance"].isin(stances.WITH_RUSSIA)
    arms = ti.set_index("iso3")["arms_to_russia"].reindex(j["iso3"]).fillna(False).to_numpy(bool) & arms_rule
    j["side"] = ""
    j.loc[with_r & (j["score"] < ally_ties), "side"] = "partner"
    j.loc[j["stance"].isin(_NOT_WITH) & (j["score"] >= partner_ties), "side"] = "partner"
    j.loc[(with_r & (j["score"] >= ally_ties)) | ((with_r | j["stance"].isin(_NOT_WITH)) & arms), "side"] = "ally"
    j["arms_to_russia"] = arms
    if explain:
        j["why"] = [_why(r, ally_ties, partner_ties) for r in j.itertuples()]
    return j


def _why(r, ally_ties: float, partner_ties: float) -> str:
    votes = f"votes: {stances.LABELS.get(r.stance, r.stance)}"
    tie = f"ties {r.score:g} points ({r.reason_ties})" if isinstance(r.reason_ties, str) else "ties: none"
    if r.side == "ally" and r.stance not in stances.WITH_RUSSIA:
        return f"arms Russia's war (SIPRI deliveries since 2022): {votes}; {tie}"
    if r.side == "ally":
        return f"votes with Russia and has ties worth {ally_ties:g} points or more: {votes}; {tie}"
    if r.side == "partner" and r.stance in stances.WITH_RUSSIA:
        return f"votes with Russia but has ties worth under {ally_ties:g} points: {votes}; {tie}"
    if r.side == "partner":
        return f"does not vote with Russia but has ties worth {partner_ties:g} points or more: {votes}; {tie}"
    return f"{votes}; {tie}"


def allies(as_of=None, ally_ties: float = ALLY_TIES, partner_ties: float = PARTNER_TIES,
           **thresholds) -> pd.DataFrame:
    """Every member with its stance, ties score, ``side`` (ally / partner / '') and ``why``."""
    ts = _asof.resolve(as_of)
    j = classify(stances.stance(ts, **thresholds), ties.ties(ts), ally_ties, partner_ties)
    j["name"] = j["iso3"].map(data.countries().set_index("iso3")["name"])
    order = {s: i for i, s in enumerate(SIDES)}
    return j.sort_values(["side", "score"], key=lambda c: c.map(order) if c.name == "side" else -c).reset_index(
        drop=True)


def named(as_of=None, partners: bool = False, **thresholds) -> list[str]:
    """ISO3 codes of the states the report names as Russia's allies (and partners, if asked)."""
    a = allies(as_of, **thresholds)
    keep = ("ally", "partner") if partners else ("ally",)
    return sorted(a.loc[a["side"].isin(keep), "iso3"])


def premise(as_of=None, states=config.FOCUS, **thresholds) -> pd.DataFrame:
    """The article's allies judged one by one: iso3, name, side, verdict (ally / partner only / not
    an ally by this data) and why."""
    a = allies(as_of, **thresholds).set_index("iso3")
    rows = []
    for i in (s for s in states if s in a.index):  # a state that is not a member on the date is skipped
        r = a.loc[i]
        verdict = {"ally": "ally", "partner": "partner only"}.get(r["side"], "not an ally by this data")
        rows.append({"iso3": i, "name": r["name"], "stance": r["stance"], "score": r["score"], "side": r["side"],
                     "verdict": verdict, "why": r["why"]})
    return pd.DataFrame(rows, columns=["iso3", "name", "stance", "score", "side", "verdict", "why"])


def changes(as_of=None, states=config.FOCUS, **thresholds) -> pd.DataFrame:
    """States the data add to the article's list (named allies it does not list) and the ones it
    drops (listed, not named as allies): iso3, name, change ('added' / 'dropped'), side, why."""
    a = allies(as_of, **thresholds)
    add = a[(a["side"] == "ally") & ~a["iso3"].isin(states)].assign(change="added")
    drop = a[a["iso3"].isin(states) & (a["side"] != "ally")].assign(change="dropped")
    return pd.concat([add, drop])[["iso3", "name", "change", "side", "stance", "score", "why"]].reset_index(drop=True)


SENSITIVITY = {"ally_ties": [2.0, 3.0, 4.0, 5.0], "partner_ties": [2.0, 3.0, 4.0], "arms_rule": [True, False]}


def sensitivity(as_of=None, **thresholds) -> pd.DataFrame:
    """How many allies and partners the rule names when one rule threshold or one ties weight
    moves (a weight set to 0 or doubled): setting, value, allies, partners, allies_named."""
    return _sensitivity(_asof.resolve(as_of), tuple(sorted(stances.check_thresholds(thresholds).items())))


@data.memo  # ~30 classifications of every member (~0.2 s)
def _sensitivity(ts, thresholds: tuple) -> pd.DataFrame:
    thresholds = dict(thresholds)
    st = stances.stance(ts, **thresholds)
    rows = []

    def add(setting, value, j):
        al = j.loc[j["side"] == "ally", "iso3"]
        rows.append({"setting": setting, "value": value, "allies": len(al),
                     "partners": int((j["side"] == "partner").sum()), "allies_named": ", ".join(sorted(al))})

    for name, values in SENSITIVITY.items():
        for v in values:
            add(name, v, classify(st, ties.ties(ts), **{name: v}, explain=False))
    for w in stances.SENSITIVITY_STEPS["window"]:
        add("stance window (votes)", w, classify(stances.stance(ts, **{**thresholds, "window": w}), ties.ties(ts),
                                                 explain=False))
    for comp, w in ties.WEIGHTS.items():
        for factor in (0, 2):
            add(f"weight {comp}", w * factor, classify(st, ties.ties(ts, {comp: w * factor}), explain=False))
    return pd.DataFrame(rows)
