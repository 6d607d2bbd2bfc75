"""Stance of every UN member towards Russia's war, as of a date: transparent rules over its recent
votes on the Ukraine set, Russia's defence treaties and Russia's unfriendly list.

**The window.** A member is judged on its latest ``window`` (default 6) Ukraine-set roll calls
(full records) voted on or before ``as_of`` while it was a UN member; ``window=0`` uses every vote.
Two events change which votes count (state_events.csv, :mod:`analysis.metrics.events`):

* a **change of government** restarts the window once the new government has cast a vote (yes,
  no or abstain) on the set: the votes of the government it replaced no longer speak for it;
  until then the old votes are used and the reason says so;
* a roll call it **could not vote** on (an 'absent' during an Article 19 period without a vote for
  arrears) stays in the window but leaves the denominator.

Within the window let share_no / share_yes be the shares of 'no' / 'yes' among the votes it could
cast. The first rule that holds gives the class:

0. ``russia`` / ``ukraine``  the two parties to the war (Ukraine is not an observer of it);
   ``contested``   the seat is held by a delegation that does not represent the government in control
                   (Myanmar, Afghanistan): its votes are not that government's stance;
   ``could_not_vote`` every roll call in the window fell in a period without the right to vote.
1. ``allied``          share_no >= allied_no_share (default 0.5), or a mutual-defence / security-
                       guarantee treaty with Russia in force (if use_treaties).
2. ``russia_leaning``  share_no >= leaning_no_share (default 0.2): voted with Russia against the
                       resolutions at least one time in five.
3. ``condemning``      share_yes >= condemning_yes_share (default 1.0, i.e. yes on all) and on
                       Russia's unfriendly-states list (it sanctions Russia, in Russia's own words).
4. ``west_leaning``    share_yes >= west_yes_share (default 0.7).
5. ``neutral``         everything else: mostly abstaining or absent.

The stance is defined for every date the data cover (:func:`stance` on any ``as_of``), so it can be
followed over time (:mod:`analysis.metrics.timeline`). Population and GDP shares per class use as
denominator the UN members with a value (stated in the output), from the World Bank's latest
available year.
"""
from __future__ import annotations

import math

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import events, membership, votes
from analysis.words import plural

CLASSES = ("allied", "russia_leaning", "neutral", "west_leaning", "condemning", "ukraine", "could_not_vote",
           "contested", "russia")
LABELS = {"allied": "Allied with Russia", "russia_leaning": "Russia-leaning", "neutral": "Neutral",
          "west_leaning": "West-leaning", "condemning": "Condemning and sanctioning",
          "ukraine": "Ukraine (party to the war)", "could_not_vote": "Could not vote (arrears)",
          "contested": "Seat contested", "russia": "Russia"}
DEFAULTS = {"allied_no_share": 0.5, "leaning_no_share": 0.2, "west_yes_share": 0.7, "condemning_yes_share": 1.0,
            "use_treaties": True, "window": 6}
#: Classes that vote with Russia, and the ones that side against it (used by findings and charts).
WITH_RUSSIA, AGAINST_RUSSIA = ("allied", "russia_leaning"), ("west_leaning", "condemning")


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
    if name == "window":
        return _check_window(value)
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


def _check_window(value) -> int:
    from analysis.errors import ParameterError

    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ParameterError(f"window={value!r}: expected a whole number of votes >= 0 (0 = every vote)")
    return number


def check_thresholds(thresholds: dict) -> dict:
    """All thresholds (defaults filled in), each checked by :func:`check_threshold`."""
    return {k: check_threshold(k, v) for k, v in {**DEFAULTS, **thresholds}.items()}


def window_votes(as_of=None, window: int = DEFAULTS["window"]) -> pd.DataFrame:
    """Every member's votes on the Ukraine set (full records) with ``status``: 'counted' (in the
    window), 'could not vote' (in the window, Article 19), 'previous government' (before a change
    of government whose successor has voted) or 'older' (outside the window)."""
    return _window_votes(_asof.resolve(as_of), _check_window(window)).copy()


@data.memo
def _window_votes(ts, window: int) -> pd.DataFrame:
    lv = votes.long_votes(None, ts)
    lv = lv[lv["iso3"].isin(set(_asof.members(ts)["iso3"]))].reset_index(drop=True)
    lv["vote"] = lv["vote"].astype(str)
    lv["status"] = "counted"
    lv.loc[events.could_not_vote(lv, ts), "status"] = "could not vote"
    lv["government_since"] = pd.NaT
    seated = set(events.contested(ts)["iso3"])  # a contested seat speaks for no new government
    for g in events.government_changes(ts).itertuples():
        if g.iso3 in seated:
            continue
        mine = lv["iso3"] == g.iso3
        cast = mine & (lv["date"] >= g.start) & lv["vote"].isin(["yes", "no", "abstain"])
        if cast.any():
            lv.loc[mine & (lv["date"] < g.start), "status"] = "previous government"
            lv.loc[mine, "government_since"] = g.start
    if window:
        live = lv[lv["status"] != "previous government"].sort_values("date", ascending=False)
        rank = live.groupby("iso3").cumcount()
        lv.loc[rank[rank >= window].index, "status"] = "older"
    return lv.sort_values(["iso3", "date"]).reset_index(drop=True)


def counts_in_window(as_of=None, window: int = DEFAULTS["window"]) -> pd.DataFrame:
    """Per member: eligible (votes it could cast in the window), yes, no, abstain, absent,
    could_not_vote, first / last date of the window, government_since (a restart) and
    pending_change (a change of government whose successor has not voted yet)."""
    return _counts_in_window(_asof.resolve(as_of), _check_window(window))


@data.memo
def _counts_in_window(ts, window: int) -> pd.DataFrame:
    lv = _window_votes(ts, window)
    inw = lv[lv["status"].isin(["counted", "could not vote"])]
    counted = inw[inw["status"] == "counted"]
    out = pd.DataFrame(index=pd.Index(_asof.members(ts)["iso3"], name="iso3"))
    out["eligible"] = counted.groupby("iso3").size()
    for v in ("yes", "no", "abstain", "absent"):
        out[v] = counted[counted["vote"] == v].groupby("iso3").size()
    out["could_not_vote"] = inw[inw["status"] == "could not vote"].groupby("iso3").size()
    out = out.fillna(0).astype(int)
    out["window_from"] = inw.groupby("iso3")["date"].min()
    out["window_to"] = inw.groupby("iso3")["date"].max()
    out["government_since"] = lv.groupby("iso3")["government_since"].max()
    gc = events.government_changes(ts)
    gc = gc[~gc["iso3"].isin(events.contested(ts)["iso3"])].set_index("iso3")["start"]
    out["pending_change"] = gc.where(~gc.index.isin(out.index[out["government_since"].notna()]))
    return out.reset_index()


def _votes_text(r) -> str:
    n = r.eligible
    span = ""
    if pd.notna(getattr(r, "window_from", pd.NaT)):
        span = f" ({r.window_from:%b %Y} to {r.window_to:%b %Y})" if r.window_from != r.window_to else \
            f" ({r.window_from:%b %Y})"
    txt = (f"voted no on {r.no} and yes on {r.yes} of the {plural(n, 'Ukraine resolution')} it could vote "
           f"on{span}")
    if getattr(r, "could_not_vote", 0):
        txt += f"; could not vote on {r.could_not_vote} (Article 19 arrears)"
    if pd.notna(getattr(r, "government_since", pd.NaT)):
        txt += f"; only votes of the government in power since {r.government_since:%-d %B %Y} count"
    if pd.notna(getattr(r, "pending_change", pd.NaT)):
        txt += (f"; the government changed on {r.pending_change:%-d %B %Y} and has not voted on the set since, "
                "so these are the previous government's votes")
    return txt


def _rule(r, t: dict, defence: set, unfriendly: set, contested: set) -> tuple[str, str]:
    n = r.eligible
    share_no, share_yes = (r.no / n, r.yes / n) if n else (0.0, 0.0)
    txt = _votes_text(r)
    if r.iso3 == "RUS":
        return "russia", "Russia"
    if r.iso3 == "UKR":
        return "ukraine", f"Ukraine, the state Russia invaded (a party to the war, not an observer); {txt}"
    if r.iso3 in contested:
        return "contested", (f"its UN seat is held by a delegation that does not represent the government in control; "
                             f"that delegation {txt}")
    if not n and getattr(r, "could_not_vote", 0):
        k = r.could_not_vote
        calls = f"all {plural(k, 'Ukraine roll call')}" if k > 1 else "the 1 Ukraine roll call"
        span = (f"{r.window_from:%b %Y} to {r.window_to:%b %Y}" if r.window_from != r.window_to
                else f"{r.window_from:%b %Y}")
        return "could_not_vote", (f"had no vote in the General Assembly (Article 19 arrears) on {calls} "
                                  f"of its window ({span})")
    if n and share_no >= t["allied_no_share"]:
        return "allied", f"{txt}: {share_no:.0%} no votes, at or above the {t['allied_no_share']:.0%} threshold"
    if t["use_treaties"] and r.iso3 in defence:
        return "allied", f"mutual-defence treaty with Russia in force; {txt}"
    if n and share_no >= t["leaning_no_share"]:
        return "russia_leaning", f"{txt}: {share_no:.0%} no votes, at or above the {t['leaning_no_share']:.0%} threshold"
    if n and share_yes >= t["condemning_yes_share"] and r.iso3 in unfriendly:
        return "condemning", f"{txt} and is on Russia's unfriendly-states list"
    if n and share_yes >= t["west_yes_share"]:
        return "west_leaning", f"{txt}: {share_yes:.0%} yes votes, at or above the {t['west_yes_share']:.0%} threshold"
    return "neutral", f"{txt}; abstained {r.abstain}, absent {r.absent}"


def classify(counts: pd.DataFrame, defence: set[str], unfriendly: set[str], contested: set[str] = frozenset(),
             **thresholds) -> pd.DataFrame:
    """Apply the rules to per-member vote counts (iso3, eligible, yes, no, abstain, absent; optional
    could_not_vote, window_from/to, government_since, pending_change). Pure function, for tests."""
    t = check_thresholds(thresholds)
    rows = []
    for r in counts.itertuples(index=False):
        stance_, reason = _rule(r, t, defence, unfriendly, contested)
        n = r.eligible
        rows.append({"iso3": r.iso3, "stance": stance_, "reason": reason, "eligible": n, "yes": r.yes, "no": r.no,
                     "abstain": r.abstain, "absent": r.absent,
                     "could_not_vote": int(getattr(r, "could_not_vote", 0)),
                     "share_yes": r.yes / n if n else 0.0, "share_no": r.no / n if n else 0.0})
    out = pd.DataFrame(rows)
    out["stance"] = pd.Categorical(out["stance"], categories=CLASSES)
    return out


@data.memo
def _inputs(ts, window: int) -> tuple:
    return (_counts_in_window(ts, window), set(membership.treaties_in_force(ts)["iso3"]), membership.unfriendly(ts),
            set(events.contested(ts)["iso3"]))


def stance(as_of=None, **thresholds) -> pd.DataFrame:
    """iso3, stance, reason (+ the counts behind it) for every UN member on ``as_of``."""
    return _stance(_asof.resolve_report(as_of), tuple(sorted(check_thresholds(thresholds).items())))


@data.memo
def _stance(ts, thresholds: tuple) -> pd.DataFrame:
    t = dict(thresholds)
    counts, defence, unfriendly, contested = _inputs(ts, t["window"])
    return classify(counts, defence, unfriendly, contested, **t)


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
                     "use_treaties": [True, False], "window": [3, 4, 6, 8, 0]}


def sensitivity(as_of=None, steps: dict | None = None, **thresholds) -> pd.DataFrame:
    """How the classes' state counts and population/GDP shares move when one threshold moves and
    the others keep their values: threshold, value, is_default, stance, states, population_share, gdp_share."""
    base = tuple(sorted(check_thresholds(thresholds).items()))
    steps = tuple((name, tuple(values)) for name, values in (steps or SENSITIVITY_STEPS).items())
    return _sensitivity(_asof.resolve(as_of), steps, base)


@data.memo  # 23 classifications of every member with the default steps (~0.2 s)
def _sensitivity(ts, steps: tuple, thresholds: tuple) -> pd.DataFrame:
    base = dict(thresholds)
    rows = []
    for name, values in steps:
        for value in values:
            t = {**base, name: value}
            s = classify(*_inputs(ts, t["window"]), **t)
            sh = shares(ts, stances=s)
            sh.insert(0, "threshold", name)
            sh.insert(1, "value", value)
            sh.insert(2, "is_default", value == base[name])
            rows.append(sh[["threshold", "value", "is_default", "stance", "states", "population_share", "gdp_share"]])
    return pd.concat(rows, ignore_index=True)
