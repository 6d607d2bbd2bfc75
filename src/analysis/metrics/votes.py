"""Roll calls: the member x resolution vote matrix, tallies per resolution, absence rates, and
vote switching between two resolutions."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.datasets.schemas import VOTES


def resolution_set(topic: str | list[str] = "ukraine", as_of=None) -> pd.DataFrame:
    """Resolutions of a topic (or an explicit list of symbols) voted on or before ``as_of``,
    oldest first, with a short label ('ES-11/1')."""
    ts = _asof.resolve(as_of)
    res = data.resolutions()
    if isinstance(topic, str):
        sel = res[res["topic"] == topic]
    else:
        sel = res[res["resolution"].isin(list(topic))]
        unknown = set(topic) - set(sel["resolution"])
        if unknown:
            raise KeyError(f"unknown resolution(s): {sorted(unknown)}")
    sel = sel[sel["date"] <= ts].sort_values(["date", "undl_id"]).copy()
    sel["label"] = sel["resolution"].map(config.short_symbol)
    return sel.reset_index(drop=True)


def _key(resolutions) -> str | tuple:
    """A hashable form of a resolution selection: a topic name or a tuple of symbols."""
    if resolutions is None:
        return "ukraine"
    return resolutions if isinstance(resolutions, str) else tuple(resolutions)


def long_votes(resolutions=None, as_of=None) -> pd.DataFrame:
    """Votes on the chosen resolutions (default the Ukraine set), one row per member and
    resolution: resolution, label, date, iso3, vote."""
    return _long_votes(_key(resolutions), _asof.resolve(as_of))


@data.memo
def _long_votes(selection, ts) -> pd.DataFrame:
    res = resolution_set(selection if isinstance(selection, str) else list(selection), ts)
    v = data.votes()
    v = v[v["resolution"].isin(res["resolution"])]
    v = v.merge(res[["resolution", "label", "date"]], on="resolution")
    return v.sort_values(["date", "iso3"]).reset_index(drop=True)


def vote_matrix(resolutions=None, as_of=None) -> pd.DataFrame:
    """Member x resolution matrix of votes (yes/no/abstain/absent; empty where the state was not a
    member). Rows: every UN member on ``as_of``; columns: short labels in date order."""
    return _vote_matrix(_key(resolutions), _asof.resolve(as_of))


@data.memo
def _vote_matrix(selection, ts) -> pd.DataFrame:
    res = resolution_set(selection if isinstance(selection, str) else list(selection), ts)
    lv = _long_votes(tuple(res["resolution"]), ts)
    m = lv.pivot(index="iso3", columns="label", values="vote")
    m = m.reindex(columns=list(res["label"]))
    members = _asof.members(ts)["iso3"]
    return m.reindex(members).rename_axis(index="iso3", columns="resolution").astype("object")


def tallies(resolutions=None, as_of=None) -> pd.DataFrame:
    """Per resolution: yes, no, abstain, absent, members (counted from the votes)."""
    res = resolution_set("ukraine" if resolutions is None else resolutions, as_of)
    lv = long_votes(list(res["resolution"]), as_of)
    t = lv.groupby(["resolution", "vote"], observed=False).size().unstack(fill_value=0).reindex(columns=VOTES,
                                                                                                fill_value=0)
    out = res[["resolution", "label", "date", "title"]].merge(t.reset_index(), on="resolution")
    out["members"] = out[VOTES].sum(axis=1)
    return out


def counts_by_member(resolutions=None, as_of=None) -> pd.DataFrame:
    """Per member: how many of the resolutions it could vote on (was a member), and how it voted."""
    m = vote_matrix(resolutions, as_of)
    out = pd.DataFrame(index=m.index)
    out["eligible"] = m.notna().sum(axis=1)
    for v in VOTES:
        out[v] = (m == v).sum(axis=1)
    return out.reset_index()


def absence_rate(resolutions=None, as_of=None) -> pd.DataFrame:
    """Share of the resolutions a member could vote on where it did not vote (absent or present
    and not voting). Strategic non-voting is a stance, so it is measured, not dropped."""
    c = counts_by_member(resolutions, as_of)
    c["absence_rate"] = (c["absent"] / c["eligible"]).where(c["eligible"] > 0)
    return c[["iso3", "eligible", "absent", "absence_rate"]].sort_values(
        ["absence_rate", "iso3"], ascending=[False, True]).reset_index(drop=True)


_DIRECTION = {"yes": 3, "abstain": 2, "absent": 2, "no": 0}


def vote_switches(first: str, second: str, as_of=None) -> pd.DataFrame:
    """How each member voted on ``first`` and on ``second`` (symbols, e.g. 'A/RES/ES-11/1' and
    'A/RES/ES-11/7'), and the move: 'left yes' (yes -> abstain/absent/no), 'joined yes',
    'to no', 'from no', 'other change' or 'unchanged'. Members of the UN on only one date are left out."""
    m = vote_matrix([first, second], as_of)
    a, b = config.short_symbol(first), config.short_symbol(second)
    if a not in m.columns or b not in m.columns:
        raise KeyError(f"{first} or {second} not voted on by {_asof.resolve(as_of).date()}")
    out = m[[a, b]].dropna().rename(columns={a: "first", b: "second"}).reset_index()

    def move(row):
        x, y = row["first"], row["second"]
        if x == y:
            return "unchanged"
        if x == "yes":
            return "left yes"
        if y == "yes":
            return "joined yes"
        if y == "no":
            return "to no"
        if x == "no":
            return "from no"
        return "other change"

    out["move"] = out.apply(move, axis=1)
    out["first_resolution"], out["second_resolution"] = first, second
    return out.sort_values(["move", "iso3"]).reset_index(drop=True)


def switch_table(first: str, second: str, as_of=None) -> pd.DataFrame:
    """Cross-tabulation of votes on ``first`` (rows) and ``second`` (columns)."""
    s = vote_switches(first, second, as_of)
    return pd.crosstab(pd.Categorical(s["first"], VOTES), pd.Categorical(s["second"], VOTES),
                       rownames=[config.short_symbol(first)], colnames=[config.short_symbol(second)], dropna=False)
