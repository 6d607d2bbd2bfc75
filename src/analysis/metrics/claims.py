"""Claim checks of the DW article "The list of Vladimir Putin's remaining autocratic allies"
(Henry-Laur Allik, Deutsche Welle, June 2024; reference copy in shared/reference).

Each checkable factual claim is a record: an id, a brief quotation, and a function over the data
that returns a verdict and the evidence rows. Verdicts: supported, partly supported, not
supported, not checkable (with current data). ``check_all(as_of)`` runs every check with the data
known on ``as_of``; ``compare()`` runs them on the article's date and on the latest data and says
which verdicts changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import codes
from analysis.metrics import allies, economy, events, membership, stances, travel, votes
from analysis.words import day, percent, plural

ARTICLE_DATE = "2024-06-20"
ARTICLE = "Henry-Laur Allik, \"The list of Vladimir Putin's remaining autocratic allies\", Deutsche Welle, June 2024"
RE_ELECTION = "2024-03-17"  # polling day of the 2024 presidential election (end of voting)

SUPPORTED, PARTLY, NOT_SUPPORTED, NOT_CHECKABLE = "supported", "partly supported", "not supported", "not checkable"
VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, NOT_CHECKABLE)

# Resolutions whose operative text demands that Russia stop the war and withdraw its forces.
# ES-11/1 (2 March 2022) "demands that the Russian Federation immediately cease its use of force
# ... and immediately, completely and unconditionally withdraw all of its military forces";
# ES-11/6 (23 February 2023) repeats the demand. Read in: rubryka.com (Ukrinform), 2022-03-02;
# dailyfinland.fi (EEAS), 2022-03-04; mtm.az (Anadolu), 2023-02-23.
STOP_THE_INVASION = ("A/RES/ES-11/1", "A/RES/ES-11/6")


@dataclass(frozen=True)
class Result:
    verdict: str
    explanation: str
    evidence: pd.DataFrame


@dataclass(frozen=True)
class Claim:
    claim_id: str
    claim: str  # a brief quotation or close paraphrase of the article
    check: Callable[[pd.Timestamp], Result]


def _counts(series: pd.Series) -> str:
    """'no 15, abstain 4' from a series of votes."""
    return ", ".join(f"{v} {n}" for v, n in series.value_counts().items())


def _opposed_by_russia(ts) -> pd.DataFrame:
    """Ukraine-set and Crimea resolutions (on Russia's actions) on which Russia voted no."""
    res = pd.concat([votes.resolution_set("ukraine", ts), votes.resolution_set("crimea_human_rights", ts)])
    m = votes.vote_matrix(list(res["resolution"]), ts)
    opposed = [c for c in m.columns if m.at["RUS", c] == "no"]
    return m[opposed]


def _votes_of(iso3s, resolutions, ts) -> pd.DataFrame:
    lv = votes.long_votes(list(resolutions), ts)
    return lv[lv["iso3"].isin(iso3s)][["iso3", "label", "date", "vote"]].reset_index(drop=True)


def _dprk_always_against(ts) -> Result:
    m = _opposed_by_russia(ts)
    ev = m.loc[["PRK", "CHN"]].T.reset_index().rename(columns={"resolution": "label"})
    prk_all_no = (m.loc["PRK"] == "no").all()
    chn_not_all = not (m.loc["CHN"] == "no").all()
    expl = (f"On the {m.shape[1]} Ukraine and Crimea resolutions Russia voted against, North Korea voted "
            f"{_counts(m.loc['PRK'])}; China voted {_counts(m.loc['CHN'])}.")
    return Result(SUPPORTED if prk_all_no and chn_not_all else (PARTLY if chn_not_all else NOT_SUPPORTED), expl, ev)


def _syria_belarus_dprk_against(ts) -> Result:
    sel = [r for r in STOP_THE_INVASION if r in set(votes.resolution_set("ukraine", ts)["resolution"])]
    ev = _votes_of(["SYR", "BLR", "PRK"], sel, ts)
    against = ev.groupby("iso3")["vote"].apply(lambda s: (s == "no").all())
    expl = ("Votes on the resolutions demanding that Russia stop and withdraw ("
            + ", ".join(config.short_symbol(r) for r in sel) + "): "
            + "; ".join(f"{codes.display_name(i)}: {', '.join(ev.loc[ev['iso3'] == i, 'vote'].astype(str))}"
                       for i in ["SYR", "BLR", "PRK"]))
    if len(sel) == 0:
        return Result(NOT_CHECKABLE, "no such resolution voted yet", ev)
    return Result(SUPPORTED if against.all() else (PARTLY if against.any() else NOT_SUPPORTED), expl, ev)


def _vietnam_never_condemned(ts) -> Result:
    m = _opposed_by_russia(ts)
    ev = m.loc[["VNM"]].T.reset_index().rename(columns={"resolution": "label"})
    yes = int((m.loc["VNM"] == "yes").sum())
    expl = (f"Vietnam's votes on the {plural(m.shape[1], 'resolution')} on Russia's actions that Russia opposed: "
            f"{_counts(m.loc['VNM'])}.")
    return Result(SUPPORTED if yes == 0 else NOT_SUPPORTED, expl, ev)


def _five_visits_since_reelection(ts) -> Result:
    v = travel.visits(ts, since=RE_ELECTION)
    claimed = ["BLR", "UZB", "CHN", "PRK", "VNM"]
    hosts = list(v["iso3"])
    same = sorted(set(hosts)) == sorted(claimed) and len(v) == 5
    expl = f"{plural(len(v), 'visit')} since the re-election of {RE_ELECTION}: " + ", ".join(v["host"])
    if same:
        return Result(SUPPORTED, expl, v)
    if set(claimed) <= set(hosts):
        return Result(PARTLY, expl + " (the five named are among them; the count has grown since the article)", v)
    return Result(NOT_SUPPORTED, expl, v)


def _dprk_mutual_defence(ts) -> Result:
    t = membership.treaties_signed("PRK", ts)
    t = t[t["kind"] == "mutual_defence"]
    ev = t[["iso3", "title", "signed", "in_force", "mutual_assistance_article", "source_url"]]
    if t.empty:
        return Result(NOT_SUPPORTED, "no mutual-defence treaty with the DPRK signed by this date", ev)
    r = t.iloc[-1]
    force = f"in force {day(r['in_force'])}" if pd.notna(r["in_force"]) else "not yet in force on this date"
    return Result(SUPPORTED, f"{r['title']} signed {day(r['signed'])} ({force}); mutual assistance in "
                             f"{r['mutual_assistance_article']}.", ev)


def _china_main_partner(ts) -> Result:
    if economy.trade_shares(ts).empty:  # an early date: no full year of trade by partner known yet
        return Result(NOT_CHECKABLE, "Russia's goods trade by partner is not yet known on this date.", pd.DataFrame())
    iso3, year, share = economy.main_partner(ts)
    ev = economy.top_partners(ts, top=5)
    expl = (f"Largest partner in Russia's goods trade in {year}: {codes.display_name(iso3)} with {percent(share)} "
            "of the total "
            f"(IMF IMTS; from 2022 estimated from partners' reports).")
    return Result(SUPPORTED if iso3 == "CHN" else NOT_SUPPORTED, expl, ev)


def _iran_visit(ts) -> Result:
    v = travel.visits(ts)
    v = v[v["iso3"] == "IRN"]
    if v.empty:
        return Result(NOT_SUPPORTED, "no visit to Iran since the invasion in the data", v)
    return Result(SUPPORTED, f"Visited Iran on {day(v['start_date'].iloc[0])} ({v['purpose'].iloc[0]}); "
                             f"{len(travel.visits(ts))} foreign visits since the invasion in all.", v)


def _china_may_visit(ts) -> Result:
    v = travel.visits(ts, since="2024-05-01")
    v = v[(v["iso3"] == "CHN") & (v["start_date"] < pd.Timestamp("2024-06-01"))]
    if v.empty:
        return Result(NOT_SUPPORTED, "no visit to China in May 2024 in the data", v)
    return Result(SUPPORTED, f"State visit to China {day(v['start_date'].iloc[0])} to {day(v['end_date'].iloc[0])}. "
                             f"Xi Jinping's 2023 visit to Russia is outside this data (not checked).", v)


def _iran_drones(ts) -> Result:
    imp = economy.arms_imports(ts)
    ev = imp[imp["supplier_iso3"] == "IRN"]
    if ev.empty:
        return Result(NOT_CHECKABLE if _asof.resolve(ts).year <= 2022 else NOT_SUPPORTED,
                      "SIPRI lists no Iranian deliveries to Russia in the years known by this date", ev)
    return Result(PARTLY, "SIPRI lists Iranian deliveries of " + ", ".join(sorted(set(ev["description"]))) +
                  f" ({', '.join(map(str, sorted(set(ev['year']))))}); ammunition is outside SIPRI's register of major "
                  "conventional arms, so that half of the claim is not checkable here.", ev)


def _movements_limited(ts) -> Result:
    v = travel.visits_since_warrant(ts)
    icc = v[v["icc_party"]]
    expl = (f"Since the ICC warrant of {config.ICC_WARRANT_DATE}: {plural(len(v), 'foreign visit')} to "
            f"{plural(v['iso3'].nunique(), 'state')}, {len(icc)} of them to ICC states parties"
            + (f" ({', '.join(icc['host'] + ' ' + icc['start_date'].dt.strftime('%Y-%m'))})" if len(icc) else "") + ".")
    if len(icc) == 0:
        return Result(SUPPORTED, expl + " He went only where the Rome Statute did not bind the host.", v)
    return Result(PARTLY, expl + " He has since travelled to ICC states parties that did not arrest him.", v)


def _vietnam_defence_agreement(ts) -> Result:
    t = membership.treaties_signed("VNM", ts)
    t = t[t["signed"] >= pd.Timestamp("2024-06-01")]
    ev = t[["iso3", "title", "kind", "signed", "source_url"]]
    if t.empty:
        return Result(NOT_SUPPORTED, "no agreement with Vietnam signed during the June 2024 visit in the data", ev)
    kinds = set(t["kind"])
    if kinds & {"mutual_defence", "security_guarantees", "military_cooperation"}:
        return Result(SUPPORTED, "a defence agreement was signed: " + "; ".join(t["title"]), ev)
    return Result(PARTLY, "what was signed on the visit is a " + "; ".join(t["title"]) +
                  " — a strategic-partnership statement, not a defence treaty.", ev)


def _belarus_largest_partner(ts) -> Result:
    return Result(NOT_CHECKABLE, "Belarus's own trade by partner is not in the data (only Russia's trade is).",
                  pd.DataFrame())


def _six_allies(ts) -> Result:
    p = allies.premise(ts)
    ok = p[p["side"] == "ally"]
    expl = ("Read on votes and ties together (rule in Methods), "
            + "; ".join(f"{r.name}: {r.verdict}" for r in p.itertuples()) + ".")
    verdict = SUPPORTED if len(ok) == len(p) else (PARTLY if len(ok) else NOT_SUPPORTED)
    return Result(verdict, expl, p[["iso3", "stance", "score", "verdict", "why"]])


def _syria_stronghold(ts) -> Result:
    g = events.government_changes(ts)
    g = g[g["iso3"] == "SYR"]
    s = stances.stance(ts).set_index("iso3").loc["SYR"]
    votes_now = f"its stance on the votes is '{stances.LABELS[str(s['stance'])]}' ({s['reason']})"
    if len(g):
        return Result(NOT_SUPPORTED, f"The government of Bashar al-Assad fell on {day(g['start'].iloc[0])}; "
                      f"the new government no longer votes with Russia: {votes_now}.", g)
    verdict = SUPPORTED if str(s["stance"]) in stances.WITH_RUSSIA else PARTLY
    ev = stances.stance(ts).query("iso3 == 'SYR'")[["iso3", "stance", "reason"]]
    return Result(verdict, f"Assad's government was in power; {votes_now}. Russia's bases are outside the data.", ev)


CLAIMS: list[Claim] = [
    Claim("six-allies", "DW lists six countries as Putin's main remaining allies: China, North Korea, Belarus, Iran, "
          "Syria and Vietnam (the article's section headings; not a direct quotation).", _six_allies),
    Claim("syria-stronghold", "\"Syria is Russia's stronghold in the Middle East.\"", _syria_stronghold),
    Claim("travel-since-reelection", "Putin \"has made five international visits since his victory. His destinations "
          "have been Belarus, Uzbekistan, China, North Korea and now Vietnam.\"", _five_visits_since_reelection),
    Claim("movements-limited", "Since the ICC arrest order, Putin \"has seen his international movements limited\".",
          _movements_limited),
    Claim("china-main-partner", "China is \"Russia's main trading partner\".", _china_main_partner),
    Claim("putin-china-may", "\"Putin visited China in May\" (and Xi Jinping went to Russia the year before).",
          _china_may_visit),
    Claim("dprk-mutual-defence", "Russia and North Korea \"have just signed a defense agreement, which includes a "
          "commitment to mutual defense\".", _dprk_mutual_defence),
    Claim("dprk-always-against", "\"Whenever the United Nations votes on resolutions condemning or stopping Russia's "
          "actions in Ukraine, North Korea, unlike China, always votes against it.\"", _dprk_always_against),
    Claim("belarus-largest-partner", "Russia is Belarus's \"largest economic partner\".", _belarus_largest_partner),
    Claim("iran-drones", "\"Iran has supplied Russia with drones and ammunition\".", _iran_drones),
    Claim("iran-visit", "\"One of Vladimir Putin's few international visits after the 2022 invasion was to Iran.\"",
          _iran_visit),
    Claim("syria-against", "\"Syria, like Belarus and North Korea, has voted against UN resolutions calling for "
          "Russia to stop the invasion.\"", _syria_belarus_dprk_against),
    Claim("vietnam-defence-agreement", "Vietnam \"signed a strategic defense agreement with Russia\" during Putin's "
          "June 2024 visit.", _vietnam_defence_agreement),
    Claim("vietnam-no-condemnation", "\"Vietnam has avoided condemning Russian aggression in Ukraine.\"",
          _vietnam_never_condemned),
]


def check(claim_id: str, as_of=None) -> Result:
    ts = _asof.resolve(as_of)
    for c in CLAIMS:
        if c.claim_id == claim_id:
            return c.check(ts)
    raise KeyError(f"unknown claim {claim_id!r}; known: {[c.claim_id for c in CLAIMS]}")


def _evidence_text(ev: pd.DataFrame, limit: int = 12) -> str:
    if ev is None or ev.empty:
        return ""
    rows = []
    for rec in ev.head(limit).to_dict("records"):
        rows.append(", ".join(f"{k}={v.date() if isinstance(v, pd.Timestamp) else v}" for k, v in rec.items()
                              if k not in ("source", "source_url") and pd.notna(v)))
    more = f" (+{len(ev) - limit} more rows)" if len(ev) > limit else ""
    return " | ".join(rows) + more


def check_all(as_of=None) -> pd.DataFrame:
    """claim_id, claim, verdict, evidence (the evidence rows as text), explanation, as_of."""
    ts = _asof.resolve(as_of)
    rows = []
    for c in CLAIMS:
        r = c.check(ts)
        rows.append({"claim_id": c.claim_id, "claim": c.claim, "verdict": r.verdict, "evidence": _evidence_text(r.evidence),
                     "explanation": r.explanation, "as_of": ts.date().isoformat()})
    return pd.DataFrame(rows)


def compare(first=ARTICLE_DATE, second=None) -> pd.DataFrame:
    """Verdicts on the article's date and on ``second`` (default latest data), with ``changed``."""
    a = check_all(first).set_index("claim_id")
    b = check_all(second).set_index("claim_id")
    out = pd.DataFrame({"claim": a["claim"], "verdict_then": a["verdict"], "explanation_then": a["explanation"],
                        "verdict_now": b["verdict"], "explanation_now": b["explanation"]})
    out["changed"] = out["verdict_then"] != out["verdict_now"]
    out["then"], out["now"] = a["as_of"], b["as_of"]
    return out.reset_index()
