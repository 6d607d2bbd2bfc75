"""Facts about one member state, as of a date, for the allies dossiers and the country profiles."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data, members
from analysis.metrics import alignment, economy, membership, travel, votes
from analysis.metrics import stances as _stance
from analysis.report import labels
from analysis.report.display import md_escape


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
            "Share of Russia's trade": (f"{f['trade_share']:.1%} ({f['trade_year']})"
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
            f"{md_escape(t.title)} (signed {t.signed:%Y-%m-%d}"
            + (f", in force {t.in_force:%Y-%m-%d}" if pd.notna(t.in_force) else "")
            + (f", ended {t.ended:%Y-%m-%d}" if pd.notna(getattr(t, "ended", pd.NaT)) else "")
            + (f", mutual assistance {md_escape(t.mutual_assistance_article)}"
               if isinstance(t.mutual_assistance_article, str) else "")
            + ")" for t in tr.itertuples()) + ".")
    if len(f["visits"]):
        parts.append(f"Putin visited {labels.plural(len(f['visits']), 'time')} since the invasion: "
                     + ", ".join(f"{d:%b %Y} ({md_escape(c)})" for d, c in zip(f["visits"]["start_date"], f["visits"]["city"])) + ".")
    if f["arms_tiv_since_2014"] > 0:
        parts.append(f"SIPRI records Russian arms deliveries of {f['arms_tiv_since_2014']:,.0f} million TIV since 2014.")
    if f["trade_share"] is not None:
        parts.append(f"It accounted for {f['trade_share']:.1%} of Russia's goods trade in {f['trade_year']}.")
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
