"""Memberships, treaties and the unfriendly list, as of a date."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.words import day


def active(spells: pd.DataFrame, when) -> pd.Series:
    """The one rule of membership on a date: a spell (``joined``, ``left``) is active on ``when``
    (a date, or a Series of dates aligned with ``spells``) when joined <= when < left; ``left`` is
    the effective date of withdrawal, empty while still a member."""
    return (spells["joined"] <= when) & (spells["left"].isna() | (spells["left"] > when))


def member_on(spells: pd.DataFrame, iso3s, dates) -> list[bool]:
    """For each (iso3, date) pair: whether one of ``spells`` (rows of one group) was active for that
    state on that date. Vectorised (one merge), for many pairs at once."""
    pairs = pd.DataFrame({"iso3": list(iso3s), "date": pd.to_datetime(list(dates))})
    pairs["pair"] = range(len(pairs))
    j = pairs.merge(spells[["iso3", "joined", "left"]], on="iso3", how="inner")
    hit = active(j, j["date"]).groupby(j["pair"]).any()
    return [bool(hit.get(i, False)) for i in range(len(pairs))]


def members_of(group: str, as_of=None) -> set[str]:
    """States that belonged to ``group`` (ICC, NATO, EU, CSTO, SCO, BRICS, EAEU, G7) on the date."""
    return _members_of(group, _asof.resolve(as_of))


@data.memo
def _members_of(group: str, ts: pd.Timestamp) -> set[str]:
    m = data.memberships()
    m = m[m["group"] == group]
    return set(m.loc[active(m, ts), "iso3"])


def groups_of(iso3: str, as_of=None) -> list[str]:
    ts = _asof.resolve(as_of)
    m = data.memberships()
    m = m[m["iso3"] == iso3]
    return sorted(m.loc[active(m, ts), "group"])


def history(iso3: str, as_of=None) -> pd.DataFrame:
    """Every membership row of a state known on the date (joined on or before it)."""
    ts = _asof.resolve(as_of)
    m = data.memberships()
    m = m[(m["iso3"] == iso3) & (m["joined"] <= ts)].copy()
    m.loc[m["left"] > ts, "left"] = pd.NaT
    return m[["group", "joined", "left", "source", "source_url"]].sort_values("joined").reset_index(drop=True)


def unfriendly(as_of=None) -> set[str]:
    """ISO3 codes on Russia's unfriendly-states list on the date."""
    return _unfriendly(_asof.resolve(as_of))


@data.memo
def _unfriendly(ts: pd.Timestamp) -> set[str]:
    u = data.unfriendly_states()
    return set(u.loc[u["listed_on"] <= ts, "iso3"])


DEFENCE_KINDS = ("mutual_defence", "security_guarantees")


def _ended(t: pd.DataFrame) -> pd.Series:
    return t["ended"] if "ended" in t else pd.Series(pd.NaT, index=t.index)


def treaties_in_force(as_of=None, kinds=DEFENCE_KINDS) -> pd.DataFrame:
    """Treaties of the given kinds in force on the date (in_force on or before it, and not ended on
    or before it)."""
    return _treaties_in_force(_asof.resolve(as_of), tuple(kinds))


@data.memo
def _treaties_in_force(ts: pd.Timestamp, kinds: tuple) -> pd.DataFrame:
    t = data.treaties()
    ended = _ended(t)
    t = t[t["kind"].isin(list(kinds)) & t["in_force"].notna() & (t["in_force"] <= ts) & (ended.isna() | (ended > ts))]
    return t.reset_index(drop=True)


def treaties_signed(iso3: str | None = None, as_of=None) -> pd.DataFrame:
    """Treaties signed on or before the date; ``in_force`` and ``ended`` are blanked when they come
    after it, and ``current`` says whether the treaty had not ended by the date."""
    ts = _asof.resolve(as_of)
    t = data.treaties()
    t = t.assign(ended=_ended(t))
    t = t[t["signed"] <= ts]
    if iso3:
        t = t[t["iso3"] == iso3]
    t = t.copy()
    t.loc[t["in_force"] > ts, "in_force"] = pd.NaT
    t.loc[t["ended"] > ts, "ended"] = pd.NaT
    t["current"] = t["ended"].isna()
    return t.sort_values("signed").reset_index(drop=True)


ICC_WORDS = {"withdrawal_announced": "announced its withdrawal", "withdrawal_notified": "notified its withdrawal",
             "withdrawal_revoked": "revoked its withdrawal"}
STATUS_WORDS = {"confirmed": "confirmed", "reported": "reported by weak sources only, not confirmed",
                "uncertain": "uncertain"}


def icc_notices(iso3: str | None = None, as_of=None) -> pd.DataFrame:
    """ICC withdrawal notices known on the date (icc_notices.csv): iso3, event, date, effective,
    status, description, source_url. Empty when the table is not curated."""
    ts = _asof.resolve(as_of)
    try:
        n = data.icc_notices()
    except FileNotFoundError:
        return pd.DataFrame(columns=["iso3", "event", "date", "effective", "status", "description", "source_url"])
    n = n[n["date"] <= ts]
    if iso3:
        n = n[n["iso3"] == iso3]
    return n.sort_values(["iso3", "date"]).reset_index(drop=True)


def icc_status(iso3: str, as_of=None) -> str:
    """In words: whether ``iso3`` is bound by the Rome Statute on the date, and the withdrawal
    notices behind it with their status (confirmed / reported / uncertain). The membership decision
    follows the rule of data/README.md: a withdrawal ends the spell only when it is confirmed and no
    revocation is recorded; a revocation that is only reported keeps the state a party, and says so."""
    from analysis.datasets import codes

    ts = _asof.resolve(as_of)
    party = iso3 in members_of("ICC", ts)
    n = icc_notices(iso3, ts)
    words = f"{codes.display_name(iso3)} is {'a party' if party else 'not a party'} to the Rome Statute on {day(ts)}"
    if n.empty:
        return words + "."
    parts = []
    for r in n.itertuples():
        eff = f", effective {day(r.effective)}" if pd.notna(r.effective) else ""
        parts.append(f"{ICC_WORDS[r.event]} on {day(r.date)}{eff} ({STATUS_WORDS[r.status]})")
    counted = ""
    if party and (n["status"] != "confirmed").any():
        counted = " It is counted as a party; the status is uncertain until the notices are confirmed."
    return f"{words}: it " + "; ".join(parts) + "." + counted


def eu_members_by_session(sessions: pd.DataFrame) -> pd.DataFrame:
    """(iso3, session) pairs of the states that were EU members when each session began
    (1 September of its start year); ``sessions`` has columns session and year."""
    m = data.memberships()
    m = m.loc[m["group"] == "EU", ["iso3", "joined", "left"]]
    s = sessions[["session", "year"]].drop_duplicates()
    s = s.assign(start=pd.to_datetime(s["year"].astype(int).astype(str) + "-09-01"))
    pairs = s.merge(m, how="cross")  # every session with every EU spell, then the one rule of membership
    pairs = pairs[active(pairs, pairs["start"])]
    return pairs[["iso3", "session"]].reset_index(drop=True)
