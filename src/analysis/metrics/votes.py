"""Roll calls: the member x resolution vote matrix, tallies per resolution, absence rates, and
vote switching between two resolutions.

Partial records (recorded votes whose official totals are known but not every member's vote; see
data/README.md) are shown in ``tallies`` with their official totals, ``record='partial'`` and the
number of members whose vote is ``unknown``. Per-country measures (the vote matrix and everything
built on it: counts, absence, switches, stance, blocs) skip partial records unless asked with
``include_partial=True``, because an 'unknown' is not a vote."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.datasets.schemas import UNKNOWN_VOTE, VOTES


def _record(res: pd.DataFrame) -> pd.Series:
    return res["record"] if "record" in res else pd.Series("full", index=res.index)


def resolution_set(topic: str | list[str] = "ukraine", as_of=None, include_partial: bool = False) -> pd.DataFrame:
    """Resolutions of a topic (or an explicit list of symbols) voted on or before ``as_of``,
    oldest first, with a short label ('ES-11/1') and ``record`` ('full' or 'partial'). Partial
    records are left out unless ``include_partial``; naming one explicitly without it is an error."""
    return _resolution_set(_key(topic), _asof.resolve(as_of), include_partial)


@data.memo
def _resolution_set(topic: str | tuple, ts: pd.Timestamp, include_partial: bool) -> pd.DataFrame:
    res = data.resolutions()
    res = res.assign(record=_record(res))
    if isinstance(topic, str):
        sel = res[res["topic"] == topic]
    else:
        sel = res[res["resolution"].isin(list(topic))]
        unknown = set(topic) - set(sel["resolution"])
        if unknown:
            raise KeyError(f"unknown resolution(s): {sorted(unknown)}")
        partial = sorted(sel.loc[sel["record"] == "partial", "resolution"])
        if partial and not include_partial:
            raise KeyError(f"{partial} are partial records (not every member's vote is known); pass "
                           "include_partial=True to get their sourced votes and 'unknown' for the rest")
    if not include_partial:
        sel = sel[sel["record"] == "full"]
    sel = sel[sel["date"] <= ts].sort_values(["date", "undl_id", "resolution"]).copy()
    sel["label"] = sel["resolution"].map(config.short_symbol)
    return sel.reset_index(drop=True)


def _key(resolutions) -> str | tuple:
    """A hashable form of a resolution selection: a topic name or a tuple of symbols."""
    if resolutions is None:
        return "ukraine"
    return resolutions if isinstance(resolutions, str) else tuple(resolutions)


def long_votes(resolutions=None, as_of=None, include_partial: bool = False) -> pd.DataFrame:
    """Votes on the chosen resolutions (default the Ukraine set), one row per member and
    resolution: resolution, label, date, iso3, vote ('unknown' only with ``include_partial``)."""
    return _long_votes(_key(resolutions), _asof.resolve(as_of), include_partial)


@data.memo
def _long_votes(selection, ts, include_partial=False) -> pd.DataFrame:
    res = resolution_set(selection if isinstance(selection, str) else list(selection), ts, include_partial)
    allv, rows = _votes_by_resolution()
    take = [rows[r] for r in res["resolution"] if r in rows]
    v = allv.take(np.concatenate(take)) if take else allv.iloc[:0]
    v = v.merge(res[["resolution", "label", "date"]], on="resolution")
    if not include_partial:  # full records only: the four vote values
        v["vote"] = v["vote"].cat.set_categories(VOTES)
    return v.sort_values(["date", "iso3"]).reset_index(drop=True)


@data.memo
def _votes_by_resolution() -> tuple[pd.DataFrame, dict]:
    """Every vote, and per resolution the row positions of its votes: selecting a few resolutions
    is then a take of their rows, not a scan of the whole table (one scan per process)."""
    v = data.votes()
    return v, {r: np.asarray(ix) for r, ix in v.groupby("resolution", observed=True).indices.items()}


def vote_matrix(resolutions=None, as_of=None, include_partial: bool = False) -> pd.DataFrame:
    """Member x resolution matrix of votes (yes/no/abstain/absent; empty where the state was not a
    member; 'unknown' on partial records, which are included only with ``include_partial``).
    Rows: every UN member on ``as_of``; columns: short labels in date order."""
    return _vote_matrix(_key(resolutions), _asof.resolve(as_of), include_partial)


@data.memo
def _vote_matrix(selection, ts, include_partial=False) -> pd.DataFrame:
    res = resolution_set(selection if isinstance(selection, str) else list(selection), ts, include_partial)
    lv = _long_votes(tuple(res["resolution"]), ts, include_partial)
    m = lv.pivot(index="iso3", columns="label", values="vote")
    m = m.reindex(columns=list(res["label"]))
    members = _asof.members(ts)["iso3"]
    return m.reindex(members).rename_axis(index="iso3", columns="resolution").astype("object")


def tallies(resolutions=None, as_of=None) -> pd.DataFrame:
    """Per resolution, full and partial records alike: the official totals yes, no, abstain, absent
    (for a full record they equal the counted votes, which `validate` checks), members, ``record``
    ('full' or 'partial') and ``unknown`` (members whose vote no source gives yet; 0 for full records)."""
    return _tallies(_key(resolutions), _asof.resolve(as_of))


@data.memo
def _tallies(selection: str | tuple, ts: pd.Timestamp) -> pd.DataFrame:
    res = resolution_set(selection if isinstance(selection, str) else list(selection), ts, include_partial=True)
    lv = long_votes(list(res["resolution"]), ts, include_partial=True)
    unknown = lv[lv["vote"].astype(str) == UNKNOWN_VOTE].groupby("resolution").size()
    out = res[["resolution", "label", "date", "title", *VOTES, "record"]].copy()
    for v in VOTES:
        out[v] = out[v].astype(int)
    out["members"] = out[VOTES].sum(axis=1)
    out["unknown"] = out["resolution"].map(unknown).fillna(0).astype(int)
    return out.reset_index(drop=True)


def unknown_members(resolution: str) -> list[str]:
    """ISO3 codes of the members whose vote on a partial record no source gives yet (empty for a
    full record)."""
    v = data.votes()
    v = v[(v["resolution"] == resolution) & (v["vote"].astype(str) == UNKNOWN_VOTE)]
    return sorted(v["iso3"])


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
