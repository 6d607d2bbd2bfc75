"""Sections that carry the report's argument: the thesis and key findings, isolation and stance
over time, who moved, the allies named over votes and ties, the claims scorecard, and the model's
methods (window, ties weights, allies rule, the EIU comparison). One function per notebook cell;
each returns a :class:`~analysis.report.display.Section` and computes every number it states."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import data
from analysis.metrics import allies, claims, stances, ties, timeline
from analysis.report import change_charts, charts, thesis
from analysis.report.display import Section, md_escape
from analysis.report.sections import mention
from analysis.words import day


def thesis_section(ctx) -> Section:
    """The thesis (two or three sentences) and at most five findings, each linked to its section;
    saved as ``thesis`` and ``key-numbers`` for the site index."""
    sec = Section()
    n = thesis.numbers(ctx.as_of, **ctx.thresholds)
    text = thesis.thesis(n=n, seen=ctx.mentioned)  # the first mention of a resolution says what it demanded
    f = thesis.findings(n=n, seen=ctx.mentioned)
    sec.md(f"**{text}**")
    sec.bullets([f"{r.text} [→](#{r.anchor})" for r in f.itertuples()])
    rows = pd.concat([pd.DataFrame([{"kind": "thesis", "order": 0, "text": text, "anchor": "thesis"}]),
                      f[["kind", "order", "text", "anchor"]]], ignore_index=True)
    sec.save(rows, "thesis")
    sec.save(thesis.key_numbers(n=n), "key-numbers")
    return sec


def isolation_over_time(ctx) -> Section:
    sec = Section().chart(change_charts.isolation_chart(ctx.as_of), "isolation-over-time")
    iso = timeline.isolation(ctx.as_of)
    sec.md(f"One row per roll call on the Ukraine set ({len(iso)} votes, {int((iso['record'] == 'partial').sum())} "
           "of them partial records) in `isolation-over-time.csv`: shares of the members, of their population and "
           "of their GDP voting yes, no, abstaining or absent, and unknown on partial records.")
    return sec


def stance_over_time(ctx) -> Section:
    return Section().chart(change_charts.stance_over_time_chart(ctx.as_of, **ctx.thresholds), "stance-over-time")


def who_moved(ctx, first: str = "2022-12-31") -> Section:
    """Slope chart of stance classes from ``first`` to as_of, and the movers with named reasons."""
    sec = Section()
    if ctx.as_of <= pd.Timestamp(first):
        return sec.md(f"The report date is before {day(first)}: no change to show yet.")
    sec.chart(change_charts.movers_chart(first, ctx.as_of, **ctx.thresholds), "who-moved")
    # the world map at the end of 2022, to set beside the map of today in "Where the world stands"
    sec.chart(charts.stance_map(pd.Timestamp(first), **ctx.thresholds), "stance-by-state-2022")
    m = timeline.movers(first, ctx.as_of, **ctx.thresholds)
    gdp = data.countries().set_index("iso3")["gdp_usd"]
    m = m.assign(gdp=m["iso3"].map(gdp)).sort_values("gdp", ascending=False)
    gov = m[m["event"].notna()]
    if len(gov):
        sec.md("**Changes of government behind a move** (from the state-events table): " + " ".join(
            f"*{md_escape(r.name)}*: {md_escape(r.event)}" for r in gov.itertuples()))
    words = {c: stances.LABELS.get(c, c) for c in set(m["stance_then"].astype(str)) | set(m["stance_now"].astype(str))}
    shown = m.assign(stance_then=m["stance_then"].astype(str).map(words), stance_now=m["stance_now"].astype(str).map(words))
    sec.table(shown[["name", "stance_then", "stance_now", "direction", "reason_now"]].head(15),
              caption=f"The 15 largest economies among the {len(m)} members whose stance changed since {day(first)}",
              slug="movers-largest")
    sec.save(m, "stance-movers")
    return sec


def allies_section(ctx) -> Section:
    sec = Section()
    a = allies.allies(ctx.as_of, **ctx.thresholds)
    al, pa = a[a["side"] == "ally"], a[a["side"] == "partner"]
    sec.md(f"Votes alone cannot say who stands with Russia: the article's allies are allies through treaties, arms, "
           f"trade and visits. Read on both axes (rule in Methods), the data name **{len(al)} allies** and "
           f"{len(pa)} partners on {day(ctx.as_of)}.")
    sec.table(al[["name", "stance", "score", "why"]], caption="Allies of Russia, with the evidence", slug="allies")
    sec.table(pa[["name", "stance", "score", "why"]], caption="Partners of Russia (tied to it, or voting with it "
              "with few ties)", slug="partners", max_rows=40)
    p = allies.premise(ctx.as_of, **ctx.thresholds)
    sec.md("**The article's premise, state by state.** DW lists six countries as Putin's main remaining allies:")
    sec.table(p[["name", "verdict", "why"]], slug="allies-premise")
    ch = allies.changes(ctx.as_of, **ctx.thresholds)
    if len(ch):
        sec.bullets([f"**{r.name}** {r.change}: {r.why}" for r in ch.itertuples()])
    sec.md("*Not in the data:* Russian forces and security contractors abroad (e.g. the Africa Corps in the Sahel), "
           "dual-use goods and ammunition (outside SIPRI's register of major arms), and diplomatic support outside "
           "the General Assembly. States that vote with Russia but show few ties here may be closer than this says.")
    t = ties.ties(ctx.as_of)
    sec.save(t, "ties-all-members")
    return sec


#: A mark per verdict, from glyphs every PDF font fallback has (DejaVu): colour emoji print as empty boxes.
_COLOUR = {claims.SUPPORTED: "✓", claims.PARTLY: "◐", claims.NOT_SUPPORTED: "✗", claims.NOT_CHECKABLE: "○"}


def scorecard(ctx) -> Section:
    """The claims as a scorecard: then (article date) / now / changed, with colour and one-sentence logic."""
    sec = Section()
    latest = data.latest_date()
    second = ctx.as_of if ctx.as_of > pd.Timestamp(claims.ARTICLE_DATE) else latest
    c = claims.compare(claims.ARTICLE_DATE, second)
    sec.md(f"Source: {claims.ARTICLE}. Each claim is checked with the data as known on the article's date "
           f"({day(claims.ARTICLE_DATE)}) and on {day(second)}. " + " · ".join(
               f"{mark} {words}" for mark, words in zip(_COLOUR.values(), ("supported", "partly", "not supported",
                                                                             "not checkable with this data"))) + ".")
    card = pd.DataFrame({
        "claim": c["claim"],
        "then": [f"{_COLOUR[v]} {v}" for v in c["verdict_then"]],
        "now": [f"{_COLOUR[v]} {v}" for v in c["verdict_now"]],
        "changed": c["changed"].map({True: "changed", False: ""}),
        "why (now)": c["explanation_now"]})
    sec.table(card, slug="claims-scorecard", max_rows=40)
    changed = c[c["changed"]]
    if len(changed):
        sec.bullets([f"**{md_escape(r.claim)}** changed from *{r.verdict_then}* to *{r.verdict_now}*. Then: "
                     f"{md_escape(r.explanation_then)}" for r in changed.itertuples()])
    return sec


#: The EIU's published counts (provisional here: they belong in a sourced data/manual table). Sources:
#: economist.com/graphic-detail/2022/04/04/who-are-russias-supporters and
#: eiudigital.wpengine.com/russias-pockets-of-support-are-growing-in-the-developing-world/ (via
#: research/misc/eiu.csv). "against" = condemning + West-leaning; "with_russia" = leaning + supporting.
EIU = pd.DataFrame([
    {"year": 2022, "date": "2022-03-31", "against": 131, "neutral": 32, "with_russia": 29,
     "source": "EIU/The Economist 2022-04-04 (131/32/28; 29 as restated by the EIU in March 2023)"},
    {"year": 2023, "date": "2023-03-31", "against": 122, "neutral": 35, "with_russia": 35,
     "source": "EIU, 'Russia's pockets of support are growing in the developing world' (March 2023)"},
])
_GROUPS = {"against": ("west_leaning", "condemning", "ukraine"), "with_russia": stances.WITH_RUSSIA,
           "neutral": ("neutral", "could_not_vote", "contested")}


def eiu_comparison(ctx) -> pd.DataFrame:
    """Our classes, grouped like the EIU's three camps, on the date of each EIU map."""
    rows = []
    for e in EIU.itertuples():
        when = pd.Timestamp(e.date)
        if when > ctx.as_of:
            continue
        s = stances.stance(when, **ctx.thresholds)["stance"].astype(str)
        for g, classes in _GROUPS.items():
            rows.append({"EIU map": e.date[:7], "camp": g.replace("_", " "), "EIU": getattr(e, g),
                         "this report": int(s.isin(classes).sum())})
    return pd.DataFrame(rows)


#: The settings of :func:`allies.sensitivity` in words (the ties weights are ``weight <component>``).
_SETTINGS = {"ally_ties": "Ties score an ally needs", "partner_ties": "Ties score a partner needs",
             "arms_rule": "Arming Russia's war makes an ally", "stance window (votes)": "Stance window (votes)"}
_WEIGHTS = {"defence_treaty": "defence treaty", "csto": "CSTO", "eaeu": "EAEU", "sco_brics": "SCO or BRICS",
            "arms_to_russia": "arms to Russia", "arms_from_russia": "arms from Russia", "trade": "trade",
            "visits": "Putin's visits", "unfriendly": "unfriendly-states list"}


def setting_words(setting: str) -> str:
    """``"weight sco_brics"`` -> "Weight of SCO or BRICS membership"-style words for a sensitivity row."""
    if setting.startswith("weight "):
        key = setting.removeprefix("weight ")
        return f"Weight of {_WEIGHTS.get(key, key.replace('_', ' '))}"
    return _SETTINGS.get(setting, setting.replace("_", " ").capitalize())


def sensitivity_shown(sens: pd.DataFrame) -> pd.DataFrame:
    """The allies sensitivity for readers: settings in words, allies by name (the CSV keeps codes)."""
    return sens.assign(setting=sens["setting"].map(setting_words),
                       allies_named=[", ".join(charts._name(str(a).split(", "))) if isinstance(a, str) and a else a
                                     for a in sens["allies_named"]])


def methods_model(ctx) -> Section:
    """How the stance window, the ties score and the allies rule work, their sensitivity, and the
    comparison with the EIU's counts."""
    sec = Section()
    t = ctx.thresholds
    w = t["window"]
    sec.md(f"**Time-aware stance.** Each member is judged on its latest {w or 'all'} Ukraine-set roll calls "
           "(full records) up to the date; a change of government (state-events table) restarts the window once the new "
           "government has voted; an 'absent' during an Article 19 period is *could not vote* and leaves the "
           "denominator; a seat held by a delegation that does not represent the government in control is "
           "*seat contested*; Ukraine is a party to the war, its own class. The stance is computed for any date, so "
           "the end of each year since 2014 is judged on the votes known then (`stance-over-time.csv`).")
    weights = ", ".join(f"{_WEIGHTS.get(k, k.replace('_', ' '))} {v:+g}" for k, v in ties.WEIGHTS.items())
    sec.md(f"**Ties with Russia** (points): {weights}. Arms received from Russia count half from "
           f"{ties.ARMS_TIV[0]:g} and fully from {ties.ARMS_TIV[1]:g} million SIPRI TIV over {ties.ARMS_YEARS} years "
           "(a volume, because the SIPRI extract holds only deals with Russia, so no state's total imports are known); "
           f"trade with Russia counts half from {ties.TRADE_GDP[0]:.0%} and fully from {ties.TRADE_GDP[1]:.0%} of the "
           f"state's GDP; arms to Russia count from {ties.ARMS_TO_RUSSIA_MIN:g} million TIV since 2022. "
           f"**Allies**: vote with Russia and have ties worth {allies.ALLY_TIES:g} points or more, or arm Russia's "
           f"war. **Partners**: vote with Russia with fewer ties, or have ties worth {allies.PARTNER_TIES:g} points "
           "or more without voting with Russia.")
    sens = allies.sensitivity(ctx.as_of, **t)
    sec.table(sensitivity_shown(sens), caption="Allies and partners when one setting moves (weights set to 0 or doubled)",
              max_rows=60)
    sec.save(sens, "allies-sensitivity")  # the data keeps the settings' names and ISO3 codes
    cmp = eiu_comparison(ctx)
    if len(cmp):
        counts = " and ".join(f"{e.against} / {e.neutral} / {e.with_russia} in {e.date[:7]}" for e in EIU.itertuples())
        sec.md(f"**Compared with the EIU.** The EIU classed governments into camps: {counts} (against Russia / "
               "neutral / with Russia; sources: " + "; ".join(EIU["source"]) + "). This report, grouped the same "
               "way on the same dates:")
        sec.table(cmp, slug="eiu-comparison")
        first = cmp["EIU map"].iloc[0]
        t0 = timeline.isolation(pd.Timestamp(EIU["date"].iloc[0]))
        t0 = t0[t0["date"] < pd.Timestamp("2022-01-01")]
        if len(t0):
            crimea = mention(ctx, t0["resolution"].iloc[0], t0["label"].iloc[0])
            sec.md(f"On the {first} date the window still holds the 2014 vote on Crimea, {crimea}, on "
                   f"which {int(t0['abstain'].iloc[0])} states abstained and {int(t0['absent'].iloc[0])} were absent; "
                   "that is why this report's 'against' camp is smaller then than the EIU's.")
        sec.md("The EIU reads governments' rhetoric, economic ties and diplomacy as well as votes, so it puts "
               "states that abstain but trade and talk with Moscow (India, much of Africa) on Russia's side or in the "
               "middle; this report's vote classes count only what is recorded, so more states fall in the "
               "West-leaning camp (yes on most votes) and fewer on Russia's side; the second axis (ties) is where "
               "the EIU's 'Russia-leaning' states reappear, as partners.")
    return sec
