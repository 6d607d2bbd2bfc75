"""Facts about one member state, as of a date, for the allies dossiers and the country profiles."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data, members
from analysis.metrics import alignment, economy, membership, travel, votes
from analysis.metrics import stances as _stance
from analysis.report import labels
from analysis.report.display import md_escape
from analysis.words import day


def facts(iso3: str, as_of=None, **thresholds) -> dict:
    """Name, region, stance and reason, vote counts, latest agreement with Russia, groups,
    defence treaties, visits by Putin since the invasion, arms from Russia since 2014, and share of
    Russia's trade in the last full year. (Memoised: treat the returned tables as read-only.)"""
    return _facts(members.check_iso3(iso3), _asof.resolve(as_of), tuple(sorted(thresholds.items())))


@data.memo
def _facts(iso3: str, ts, thresholds: tuple) -> dict:
    thresholds = dict(thresholds)
    c = data.countries().set_index("iso3").loc[iso3]
    st = _stance.stance(ts, **thresholds).set_index("iso3")
    a = alignment.agreement("RUS", ts)
    a = a[(a["iso3"] == iso3) & (a["n_votes"] >= 10)]
    counts = votes.counts_by_member(None, ts).set_index("iso3")
    v = travel.visits(ts)
    v = v[v["iso3"] == iso3]
    arms = economy.arms_exports(ts)
    arms = arms[(arms["recipient_iso3"] == iso3) & (arms["year"] >= 2014)]
    tr = economy.trade_shares(ts)
    tr = tr[(tr["partner_iso3"] == iso3) & (tr["year"] == tr["year"].max())]
    row = {
        "iso3": iso3, "name": c["name"], "region": str(c["un_subregion"]),
        "un_member_from": c["un_member_from"].date().isoformat(),
        "population": c["population"], "population_year": c["population_year"],
        "stance": str(st.at[iso3, "stance"]) if iso3 in st.index else None,
        "reason": st.at[iso3, "reason"] if iso3 in st.index else None,
        "votes": counts.loc[iso3, ["eligible", "yes", "no", "abstain", "absent"]].to_dict() if iso3 in counts.index else {},
        "agreement_latest": float(a["agreement"].iloc[-1]) if len(a) else None,
        "agreement_session": int(a["session"].iloc[-1]) if len(a) else None,
        "groups": membership.groups_of(iso3, ts),
        "on_unfriendly_list": iso3 in membership.unfriendly(ts),
        "treaties": membership.treaties_signed(iso3, ts),
        "visits": v,
        "arms_tiv_since_2014": float(arms["tiv"].sum()),
        "trade_share": float(tr["share"].iloc[0]) if len(tr) and pd.notna(tr["share"].iloc[0]) else None,
        "trade_year": int(tr["year"].iloc[0]) if len(tr) else None,
    }
    return row


def summary_table(iso3s, as_of=None, **thresholds) -> pd.DataFrame:
    """One row per state: the headline facts of the dossiers, side by side."""
    rows = []
    for i in iso3s:
        f = facts(i, as_of, **thresholds)
        vt = f["votes"]
        rows.append({
            "State": f["name"], "Stance": _stance.LABELS.get(f["stance"], f["stance"]),
            "Ukraine votes (yes/no/abst./absent)": f"{vt.get('yes', 0)}/{vt.get('no', 0)}/{vt.get('abstain', 0)}/"
                                                    f"{vt.get('absent', 0)} of {vt.get('eligible', 0)}",
            "Agreement with Russia": (f"{f['agreement_latest']:.0%} (s. {f['agreement_session']})"
                                      if f["agreement_latest"] is not None else "n/a"),
            "Defence treaty in force": ", ".join(
                f"{t.kind.replace('_', ' ')} ({t.signed:%Y})" for t in f["treaties"].itertuples()
                if t.kind in membership.DEFENCE_KINDS and pd.notna(t.in_force) and getattr(t, "current", True)) or "none",
            "Putin visits since Feb 2022": len(f["visits"]),
            "Russian arms since 2014 (TIV m)": round(f["arms_tiv_since_2014"]),
            "Share of Russia's trade": (f"{labels.percent(f['trade_share'])} ({f['trade_year']})"
                                        if f["trade_share"] is not None else "n/a"),
            "Groups": ", ".join(f["groups"]) or "none",
        })
    return pd.DataFrame(rows)


def dossier_text(iso3: str, as_of=None, **thresholds) -> str:
    """A short paragraph (Markdown) of computed facts for one state."""
    f = facts(iso3, as_of, **thresholds)
    parts = [f"**{md_escape(f['name'])}** ({md_escape(f['region'])}) is classed "
             f"*{_stance.LABELS.get(f['stance'], f['stance'])}*: {md_escape(f['reason'])}."]
    if f["agreement_latest"] is not None:
        parts.append(f"It voted with Russia on {f['agreement_latest']:.0%} of recorded General Assembly votes in "
                     f"{labels.session(f['agreement_session'])}.")
    tr = f["treaties"]
    if len(tr):
        parts.append("Treaties with Russia: " + "; ".join(
            f"{md_escape(t.title)} (signed {day(t.signed)}"
            + (f", in force {day(t.in_force)}" if pd.notna(t.in_force) else "")
            + (f", ended {day(t.ended)}" if pd.notna(getattr(t, "ended", pd.NaT)) else "")
            + (f", mutual assistance {md_escape(t.mutual_assistance_article)}"
               if isinstance(t.mutual_assistance_article, str) else "")
            + ")" for t in tr.itertuples()) + ".")
    if len(f["visits"]):
        parts.append(f"Putin visited {labels.plural(len(f['visits']), 'time')} since the invasion: "
                     + ", ".join(f"{d:%b %Y} ({md_escape(c)})" for d, c in zip(f["visits"]["start_date"], f["visits"]["city"])) + ".")
    if f["arms_tiv_since_2014"] > 0:
        parts.append(f"SIPRI records Russian arms deliveries of {f['arms_tiv_since_2014']:,.0f} million TIV since 2014.")
    if f["trade_share"] is not None:
        parts.append(f"It accounted for {labels.percent(f['trade_share'])} of Russia's goods trade in {f['trade_year']}.")
    if f["groups"]:
        parts.append("Member of: " + ", ".join(map(md_escape, f["groups"])) + ".")
    parts.append(_two_axes(iso3, as_of, **thresholds))
    return " ".join(parts)


def _two_axes(iso3: str, as_of=None, **thresholds) -> str:
    """Its government changes since 2014, its ties score and where both axes put it."""
    from analysis.metrics import allies, events

    g = events.known("government_change", as_of)
    g = g[(g["iso3"] == iso3) & (g["start"] >= pd.Timestamp("2014-01-01"))]
    words = "".join(f" Change of government on {r.start:%-d %B %Y}: {r.description}" for r in g.itertuples())
    a = allies.allies(as_of, **thresholds).set_index("iso3")
    if iso3 not in a.index:
        return words.strip()
    r = a.loc[iso3]
    side = {"ally": "an **ally** of Russia", "partner": "a **partner** of Russia"}.get(r["side"], "neither an ally "
                                                                                             "nor a partner of Russia")
    return (words + f" Ties with Russia: {r['score']:g} points ({r['reason_ties']}). On votes and ties together it "
            f"is {side}.").strip()


# ----------------------------------------------------------------------------- what changed
_DID = {"yes": "voted yes", "no": "voted no", "abstain": "abstained", "absent": "was absent"}
_COUNTED = {"yes": ("yes vote", None), "no": ("no vote", None), "abstain": ("abstention", None),
            "absent": ("absence", "absences")}


def _counts(vs) -> str:
    """['no', 'no', 'abstain'] -> "2 no votes and 1 abstention" (in the order yes, no, abstain, absent)."""
    vs = list(vs)
    parts = [labels.plural(vs.count(v), *_COUNTED[v]) for v in _COUNTED if vs.count(v)]
    return "no vote" if not parts else parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _first_vote(ts) -> pd.Timestamp:
    """The date of the first Ukraine-set resolution (the start of every comparison here)."""
    return pd.Timestamp(votes.tallies(None, ts)["date"].min())


def _when(ts, as_of) -> str:
    ts = pd.Timestamp(ts)
    return f"on {ts:%-d %B %Y}" if ts == as_of else f"at the end of {ts.year}"


def _votes_of(iso3: str, ts) -> pd.DataFrame:
    """The state's known votes on the Ukraine set (partial records where a source names its vote)."""
    from analysis.datasets.schemas import VOTES

    t = votes.tallies(None, ts)
    m = votes.vote_matrix(None, ts, include_partial=True)
    mine = m.loc[iso3] if iso3 in m.index else pd.Series(index=m.columns, dtype=object)
    t = t.assign(vote=[mine.get(lbl) for lbl in t["label"]])
    return t[t["vote"].isin(VOTES)].reset_index(drop=True)


def _votes_sentence(name: str, v: pd.DataFrame, ts, seen: set) -> str:
    def res(r) -> str:  # the first mention says what it demanded (with its date); later ones give the date
        named = labels.first_mention(r.resolution, seen, r.label)
        when = "" if named != r.label else f", of {r.date:%B %Y}"
        part = ", a partial record" if getattr(r, "record", "full") == "partial" else ""
        return f"{md_escape(named)}{when}{part}"

    if v.empty:
        return f"{name} has no recorded vote on the General Assembly's Ukraine resolutions by {ts:%-d %B %Y}."
    first, last = v.iloc[0], v.iloc[-1]
    if len(v) == 1:
        return f"On the only Ukraine resolution with its vote on record, {res(first)}, {name} {_DID[first.vote]}."
    again = "and again" if first.vote == last.vote else f"and {_DID[last.vote]}"
    move = "" if first.vote == last.vote else f" ({first.vote} \u2192 {last.vote})"
    return (f"{name} {_DID[first.vote]} on the first Ukraine resolution, {res(first)}, {again} on the latest with its "
            f"vote on record, {res(last)}{move}; of the {len(v)} with its vote on record: {_counts(v['vote'])}.")


def _government_sentence(name: str, iso3: str, v: pd.DataFrame, ts) -> str | None:
    from analysis.metrics import events

    g = events.known("government_change", ts)
    start = _first_vote(ts)
    g = g[(g["iso3"] == iso3) & (g["start"] >= start)]
    if g.empty:
        return None
    r = g.iloc[-1]
    more = f"; the latest of {len(g)} recorded since {start:%B %Y}" if len(g) > 1 else ""
    desc = md_escape(str(r["description"]).strip().rstrip("."))
    before, after = v[v["date"] < r["start"]], v[v["date"] >= r["start"]]
    since = _counts(after["vote"]) if len(after) else "no vote of it is on record yet"
    return (f"The data record a change of government on {r['start']:%-d %B %Y} (\u201c{desc}\u201d{more}): "
            f"before it, {name}'s record on the Ukraine resolutions was {_counts(before['vote'])}; since then, {since}.")


def _stance_sentence(iso3: str, ts, **thresholds) -> str:
    points = [d for d in (pd.Timestamp("2014-12-31"), pd.Timestamp("2022-12-31")) if d < ts] + [ts]
    classes = []
    for d in points:
        st = _stance.stance(d, **thresholds).set_index("iso3")["stance"].astype(str)
        classes.append(_stance.LABELS.get(st.get(iso3), "not classed"))
    if len(set(classes)) == 1:
        whens = [_when(d, ts) for d in points]
        said = whens[0] if len(whens) == 1 else ", ".join(whens[:-1]) + " and " + whens[-1]
        return f"Its stance class is *{classes[0]}* {said}{' alike' if len(whens) > 1 else ''}."
    runs: list[tuple[str, list]] = []
    for c, d in zip(classes, points):
        if runs and runs[-1][0] == c:
            runs[-1][1].append(d)
        else:
            runs.append((c, [d]))
    said = [f"*{c}* " + " and ".join(_when(d, ts) for d in ds) for c, ds in runs]
    return "Its stance class moved: " + ", then ".join(said) + "."


def _icc_sentence(iso3: str, ts) -> str | None:
    h = membership.history(iso3, ts)
    h = h[h["group"] == "ICC"]
    start = _first_vote(ts)
    acts = [f"joined on {r.joined:%-d %B %Y}" for r in h.itertuples() if r.joined >= start]
    acts += [f"left it on {r.left:%-d %B %Y}" for r in h.itertuples() if pd.notna(r.left) and r.left >= start]
    n = membership.icc_notices(iso3, ts)
    acts += [f"{membership.ICC_WORDS.get(r.event, 'filed a notice')} on {r.date:%-d %B %Y} "
             f"({membership.STATUS_WORDS.get(r.status, 'status unknown')})" for r in n.itertuples()]
    if not acts:
        return None
    party = "a party" if iso3 in membership.members_of("ICC", ts) else "not a party"
    return (f"On the International Criminal Court's Rome Statute: since {start:%B %Y} it " + "; ".join(acts)
            + f"; on {ts:%-d %B %Y} it is {party}.")


def _trade_sentence(iso3: str, ts) -> str | None:
    d = economy.partner_trade(iso3, ts)
    pair = economy.trade_trend(d)
    if pair is None:
        return None
    first, last = pair
    a, b = labels.percent(first.share), labels.percent(last.share)
    verb = (f"was {a} both in {int(first.year)} and in {int(last.year)}" if a == b else
            f"{'rose' if last.share > first.share else 'fell'} from {a} in {int(first.year)} to {b} in {int(last.year)}")
    est = " (from 2022 IMF estimates from the partners' reports, provisional)" if last.partner_derived else ""
    return f"Its share of Russia's goods trade {verb}{est}."


def what_changed(iso3: str, as_of=None, seen: set | None = None, **thresholds) -> list[str]:
    """Two to four sentences (Markdown, data strings escaped) on what changed for a state, computed
    from the data: its votes on the Ukraine resolutions from the first to the latest (and around a
    change of government), its stance class then and now, ICC membership changes, and the trend of
    its share of Russia's trade. ``seen``: resolutions already named (first mentions are described)."""
    ts = _asof.resolve(as_of)
    iso3 = members.check_iso3(iso3)
    seen = set() if seen is None else seen
    from analysis.report.thesis import _names

    name = md_escape(_names([iso3]))
    name = name[:1].upper() + name[1:]
    v = _votes_of(iso3, ts)
    out = [_votes_sentence(name, v, ts, seen), _government_sentence(name, iso3, v, ts),
           _stance_sentence(iso3, ts, **thresholds), _icc_sentence(iso3, ts), _trade_sentence(iso3, ts)]
    return [s for s in out if s][:4]
