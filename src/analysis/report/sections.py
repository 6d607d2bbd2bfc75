"""The sections of the report notebooks: each function shows one block (tables and Markdown with
computed numbers) so that a notebook cell is a single call. Metrics come from the metric modules;
this module only arranges and shows them."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import coverage, data, members
from analysis.metrics import alignment, economy, membership, travel, votes
from analysis.metrics import allies as _allies
from analysis.metrics import blocs as _blocs
from analysis.metrics import stances as _stance
from analysis.report import charts, labels, mentions, profile, sources
from analysis.report.display import Section, md_escape
from analysis.words import day


@dataclass(frozen=True)
class Context:
    as_of: pd.Timestamp
    focus: list[str]
    thresholds: dict = field(default_factory=dict)
    #: resolutions already named in the running text (sections run in document order): the first
    #: mention carries what the resolution demanded, later ones only the code (:func:`mention`)
    mentioned: set = field(default_factory=mentions.new_seen, compare=False, repr=False)


def mention(ctx: Context, symbol: str, label: str | None = None) -> str:
    """A resolution named in running text (Markdown, escaped): with what it demanded the first time
    in this report, the bare code afterwards."""
    return mentions.escaped(labels.first_mention(symbol, ctx.mentioned, label), md_escape)


def context(as_of=None, focus=None, **thresholds) -> Context:
    """Validate the notebook's parameters once (date, ISO3 codes, thresholds)."""
    ts = _asof.resolve_report(as_of)
    if isinstance(focus, str):
        focus = [f for f in focus.replace(" ", "").split(",") if f]
    focus = [members.check_iso3(i) for i in (config.FOCUS if focus is None else focus)]
    t = _stance.check_thresholds(thresholds)
    return Context(ts, focus, {k: v for k, v in t.items()})


def header(ctx: Context) -> Section:
    sec = Section()
    sec.md(f"# Russia's international isolation\n\n"
           f"**As of {day(ctx.as_of)}.** {coverage.line(ctx.as_of)} "
           f"Report built {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC.\n\n"
           "Who still stands with Russia, who condemns it, and how that has changed since 2014 — measured from "
           "UN General Assembly roll calls, Russia's treaties and the unfriendly-states list, the ICC and "
           "Vladimir Putin's travel, arms transfers and trade. Every number below is computed from the sourced "
           "tables listed at the end.")
    return sec


def votes_intro(ctx: Context) -> Section:
    sec = Section()
    t = votes.tallies(None, ctx.as_of)
    es = t[t["label"].str.startswith("ES-11/")]
    other = []
    for r in t[~t["label"].str.startswith("ES-11/")].itertuples():  # a first mention says what it demanded
        named = mention(ctx, r.resolution, r.label)
        other.append(named if named != md_escape(r.label) else f"{named} ({r.date:%Y})")
    ends = [mention(ctx, r.resolution, r.label) for r in es.iloc[[0, -1]].itertuples()] if len(es) > 1 else []
    span = " to ".join(ends) if ends else (mention(ctx, es["resolution"].iloc[0], es["label"].iloc[0]) if len(es) else "")
    partial = t[t["record"] == "partial"] if "record" in t else t.iloc[0:0]
    sec.md(f"{labels.plural(len(t), 'General Assembly resolution')} on Russia's war against Ukraine went to a recorded vote by "
           f"{day(ctx.as_of)}: " + ", ".join(other) + (f", and {len(es)} of the eleventh emergency special "
           f"session, {span}" if len(es) else "") + ". *Absent* counts states that did not vote, which is itself "
           "a stance." + (f" {len(partial)} of them are **partial records** ("
           + ", ".join(f"{mention(ctx, r.resolution, r.label)}, {day(r.date)}" for r in partial.itertuples())
           + "): their official totals are shown, but not every member's vote is known yet ("
           + ", ".join(f"{int(u)} of {int(m)}" for u, m in zip(partial["unknown"], partial["members"]))
           + " members unknown), so per-country measures (switches, absences, stance, blocs, agreement) leave them out until "
           "the UN Digital Library publishes the roll call." if len(partial) else ""))
    return sec

def glossary(ctx: Context) -> Section:
    """What each resolution of the Ukraine set demanded (the codes used in the charts and tables)."""
    t = votes.tallies(None, ctx.as_of)
    g = labels.glossary()
    g = g[g["resolution"].isin(set(t["resolution"].str.removeprefix("A/RES/")))]
    g = g.assign(resolution=g["resolution"].map(config.short_symbol))  # "ES-11/? (2026-02-24)", as in the charts
    return Section().table(g, caption="The resolutions: what each demanded", slug="resolutions-glossary")


def switches(ctx: Context, first: str = "A/RES/ES-11/1", second: str = "A/RES/ES-11/7") -> Section:
    """Who moved between two votes (default ES-11/1, March 2022, and ES-11/7, February 2025: the
    first and the latest demand on Russia of the emergency session; before ES-11/7 the latest vote)."""
    sec = Section()
    t = votes.tallies(None, ctx.as_of)
    known = list(t["resolution"])
    if first not in known:
        first = known[0]
    if second not in known:
        second = known[-1]
    if first == second:
        sec.md("Only one resolution has been voted on by this date.")
        return sec
    a, b = config.short_symbol(first), config.short_symbol(second)
    table = votes.switch_table(first, second, ctx.as_of)
    sw = votes.vote_switches(first, second, ctx.as_of)
    names = data.countries().set_index("iso3")["name"]
    dates = t.set_index("resolution")["date"]
    sec.md(f"The votes of {day(dates[first])} on {mention(ctx, first, a)} against those of {day(dates[second])} on "
           f"{mention(ctx, second, b)}.")
    tt = table.copy()
    tt.index = [f"{v} on {a}" for v in tt.index]
    tt.columns = [f"{v} on {b}" for v in tt.columns]
    sec.table(tt.reset_index(names="vote"), caption=f"Number of states by vote on {a} and on {b}",
              slug="vote-switch-table")
    moves = {"left yes": f"Voted yes on {a} but not on {b}", "joined yes": f"Voted yes on {b} but not on {a}",
              "to no": f"Moved to no on {b}", "from no": f"Moved away from no on {b}",
              "other change": "Other changes (between abstain and absent)"}
    lines = []
    for move, label in moves.items():
        g = sw[sw["move"] == move].assign(name=lambda d: d["iso3"].map(names)).sort_values("name")
        if len(g):
            lines.append(f"**{label}** ({len(g)}): " + ", ".join(
                f"{md_escape(names.get(i, i))} ({x}\u2192{y})" if move in ("left yes", "to no", "from no")
                else md_escape(names.get(i, i))
                for i, x, y in zip(g["iso3"], g["first"], g["second"])))
    sec.bullets(lines)
    sec.save(sw.assign(name=sw["iso3"].map(names)), "vote-switches")
    return sec


def absences(ctx: Context) -> Section:
    sec = Section()
    a = votes.absence_rate(None, ctx.as_of)
    names = data.countries().set_index("iso3")["name"]
    a = a[a["absent"] > 0].assign(name=lambda d: d["iso3"].map(names))
    top = a[a["absence_rate"] >= 0.5]
    sec.md(f"{len(a)} states missed at least one Ukraine vote; {len(top)} missed half or more of those they could "
           "cast. Repeated absence is how several of Russia's partners avoid taking sides.")
    sec.table(top[["iso3", "name", "eligible", "absent", "absence_rate"]], formats={"absence_rate": "{:.0%}"},
              caption="States absent from at least half of the Ukraine votes", slug="absences", hide=("iso3",))
    return sec


def bsv_check(ctx: Context) -> Section:
    sec = Section()
    _, r, mad = alignment.compare_with_bsv(as_of=ctx.as_of)
    sec.md(f"*Check against the published measure:* for sessions 70–78 this identical-vote share correlates "
           f"r = {r:.3f} with Bailey–Strezhnev–Voeten's RUSSAgree (median absolute difference {mad:.3f}); "
           "their file also counts amendment and paragraph votes, which the UN Digital Library records here do not.")
    return sec


def stance_tables(ctx: Context) -> Section:
    sec = Section()
    s = _stance.stance(ctx.as_of, **ctx.thresholds)
    names = data.countries().set_index("iso3")["name"]
    sh = _stance.shares(ctx.as_of, stances=s)
    sec.md(f"Denominators: {int(sh['n_members'].iloc[0])} UN members; population for "
           f"{int(sh['n_with_population'].iloc[0])}, GDP for {int(sh['n_with_gdp'].iloc[0])} (World Bank, latest "
           "available year per country).")
    sec.table(sh[["label", "states", "population_share", "gdp_share"]],
              formats={"population_share": labels.percent, "gdp_share": labels.percent}, caption="Shares per stance class",
              slug="stance-shares")
    sel = s[s["stance"].astype(str).isin(["allied", "russia_leaning"])].assign(name=lambda d: d["iso3"].map(names))
    sec.table(sel[["iso3", "name", "stance", "reason"]], caption="States classed allied or Russia-leaning, and why",
              slug="stance-with-russia", hide=("iso3",))
    sens = _stance.sensitivity(ctx.as_of, **ctx.thresholds)
    sens = sens[sens["stance"].astype(str).isin(["allied", "russia_leaning", "condemning"])]
    wide = sens.pivot_table(index=["threshold", "value"], columns="stance", values="population_share",
                            observed=True).reset_index()
    states = sens.pivot_table(index=["threshold", "value"], columns="stance", values="states",
                              observed=True).reset_index()
    tidy = wide.merge(states, on=["threshold", "value"], suffixes=("_population_share", "_states"))
    tidy["default"] = [bool(ctx.thresholds.get(k) == v) for k, v in zip(tidy["threshold"], tidy["value"])]
    shown = pd.DataFrame({
        "Threshold moved": tidy["threshold"].map(_THRESHOLD_WORDS).fillna(tidy["threshold"]),
        "Value": [f"{v:g}" + (" (default)" if d else "") for v, d in zip(tidy["value"], tidy["default"])]})
    for c in ("allied", "russia_leaning", "condemning"):
        if f"{c}_states" in tidy:
            shown[_stance.LABELS.get(c, c)] = [f"{labels.percent(p)} ({labels.plural(int(n), 'state')})" for p, n in
                                              zip(tidy[f"{c}_population_share"], tidy[f"{c}_states"])]
    # the explanation is the caption, so the PDF never leaves it at the foot of a page without its table
    sec.table(shown, caption="Sensitivity of the stance classes to each threshold: population share (and number of "
              "states) of three classes when one threshold moves and the others keep their values; the row marked "
              "default is the report's setting")
    sec.save(tidy, "stance-sensitivity")
    sec.save(s.assign(name=s["iso3"].map(names)), "stance-all-members")
    return sec


_THRESHOLD_WORDS = {
    "allied_no_share": "Allied: share of no votes at least", "leaning_no_share": "Russia-leaning: share of no votes at least",
    "west_yes_share": "West-leaning: share of yes votes at least",
    "condemning_yes_share": "Condemning: share of yes votes at least",
    "use_treaties": "Allied by a defence treaty (1 = on)", "window": "Window: latest votes counted (0 = all)"}


def blocs(ctx: Context) -> Section:
    sec = Section()
    summ = _blocs.summary(ctx.as_of)
    sec.md("Members clustered by how often their votes on the Ukraine set differ (average linkage, five clusters; "
           "absence counts as a vote of its own). Cluster 1 is the one with the most 'no' votes.")
    names = data.countries().set_index("iso3")["name"]
    named = [[names.get(i, i) for i in m.split(", ")] for m in summ["members"]]
    shown = summ.assign(members=[", ".join(n) if len(n) <= 12 else
                                 ", ".join(n[:12]) + f" and {len(n) - 12} others (see the data)" for n in named])
    sec.table(shown, formats={"mean_share_yes": "{:.0%}", "mean_share_no": "{:.0%}"})
    sec.save(summ, "voting-blocs")  # every member, untruncated
    return sec


def dossier_states(ctx: Context) -> list[str]:
    """The report's focus, then the states the data name as Russia's allies (not already in it)."""
    named = _allies.named(ctx.as_of, **ctx.thresholds)
    return list(dict.fromkeys([*ctx.focus, *named]))


def dossiers(ctx: Context) -> Section:
    """Dossiers of the article's states and of every state the data name as an ally, each linked to
    its country profile (profiles/<ISO3>.html, relative to the main report)."""
    sec = Section()
    states = dossier_states(ctx)
    extra = [i for i in states if i not in ctx.focus]
    names = data.countries().set_index("iso3")["name"]
    sec.md("The article's states" + (f", and the allies the data add ({', '.join(names[i] for i in extra)})"
                                     if extra else "") + ", side by side; each name links to its country profile.")
    sec.table(profile.summary_table(states, ctx.as_of, **ctx.thresholds), caption="Dossiers side by side",
              slug="dossiers-summary")
    for iso3 in states:
        sec.md(profile.dossier_text(iso3, ctx.as_of, **ctx.thresholds)
               + f" [Country profile of {names[iso3]}](profiles/{iso3}.html).")
    return sec




def icc_visits(ctx: Context) -> Section:
    sec = Section()
    v = travel.visits_to_icc_parties(ctx.as_of)
    sec.md(travel_summary(ctx))
    notices = membership.icc_notices(None, ctx.as_of)
    if len(notices):  # withdrawals, with the status of each notice stated in words
        sec.bullets([membership.icc_status(i, ctx.as_of) for i in sorted(notices["iso3"].unique())])
    if len(v):
        sec.table(v[["start_date", "host", "city", "purpose", "source_url"]],
                  caption="Visits to ICC states parties after the warrant", slug="visits-icc-parties")
    return sec


def travel_summary(ctx: Context) -> str:
    v = travel.visits_since_warrant(ctx.as_of)
    return (f"The ICC issued its arrest warrant for Vladimir Putin on {day(config.ICC_WARRANT_DATE)}. A state party to "
            f"the Rome Statute is obliged to arrest him. Since then he made {len(v)} foreign visits; "
            f"{int(v['icc_party'].sum())} went to states bound by the Statute on the day of the visit (derived from "
            "the memberships table, not typed).")


def arms_imports(ctx: Context) -> Section:
    sec = Section()
    imp = economy.arms_imports(ctx.as_of)
    imp = imp[imp["year"] >= 2022]
    sec.md("Deliveries **to** Russia since 2022 that the SIPRI register records (major conventional arms only; "
           "ammunition and most components are outside its scope):")
    sec.table(imp[["supplier", "year", "designation", "description", "number_delivered", "tiv"]],
              formats={"tiv": "{:,.1f}"}, slug="arms-imports-since-2022")
    notes = imp.dropna(subset=["note"]).drop_duplicates("sipri_id") if "note" in imp else imp.iloc[0:0]
    if len(notes):  # context from data/manual/arms_notes.csv (sourced)
        sec.bullets([f"*{r.supplier}, {r.designation}:* {r.note}" for r in notes.itertuples()])
    return sec


def methods(ctx: Context) -> Section:
    sec = Section()
    t = ctx.thresholds
    sec.md(f"""**Stance classes** (as of the report date, over each member's latest {t['window'] or 'all'} Ukraine-set votes —
see the model notes below; rules applied in this order; thresholds are parameters of the report, set when
it is built; see the project's README). Russia and Ukraine, the parties to the war, have classes of their own, as
have members whose seat is contested and members that could not vote in the whole window (Article 19 arrears).

1. *Allied with Russia*: voted no on at least {t['allied_no_share']:.0%} of the Ukraine resolutions it could vote on,
   or a mutual-defence / security-guarantee treaty with Russia in force{'' if t['use_treaties'] else ' (treaty rule switched off)'}.
2. *Russia-leaning*: voted no on at least {t['leaning_no_share']:.0%} of them.
3. *Condemning and sanctioning*: voted yes on at least {t['condemning_yes_share']:.0%} of them and is on Russia's
   unfriendly-states list (Order 430-r).
4. *West-leaning*: voted yes on at least {t['west_yes_share']:.0%} of them.
5. *Neutral*: all others — mostly abstaining or absent.

**Agreement with Russia**: for a state and a session, the share of recorded votes cast the same way as Russia among the
votes both cast (absences excluded). Variants in `analysis.alignment`: half credit when exactly one abstains, and
Cohen's kappa, which discounts chance agreement.

**Population and GDP shares** use the UN members with a World Bank value (latest year per country) as denominator;
GDP has no 2024 values in this snapshot; North Korea has no GDP.

**As-of date**: every figure uses only what was known on the date — votes, visits and memberships up to it, and annual
trade and arms data up to the year before it. Population and GDP are the latest values (weights, not events).

**Maps**: Natural Earth country shapes (world-atlas 2.0.2), Equal Earth projection; Crimea drawn as part of Ukraine
(General Assembly resolution {mention(ctx, "A/RES/68/262")}); small states as dots.

**Partial records**: votes after the UN Digital Library release ({mention(ctx, "A/RES/ES-11/9")}, 80/223 and the
resolution of 24 February 2026, whose symbol is not yet sourced) are kept with their official totals and the votes that sources name; every other
member is *unknown*. Tallies show them; per-country measures leave them out.

**Not covered**: the EIU Democracy Index comparison needs a sourced EIU table, which the project does not have yet.""")
    ex = economy.trade_exclusions(ctx.as_of)
    if len(ex):  # the trade plausibility rule (analysis.datasets.plausibility)
        sec.md("**Trade values left out as implausible.** From 2022 the IMF estimates Russia's trade by partner "
               "from the partners' records. A partner-year is excluded from rankings and shares when the value "
               "exceeds 20% of the partner's GDP and 3 times its pre-war share (and at least USD 5 bn), or is more "
               "than 10 times its 2021 value and over USD 1 bn. A missing value is shown as missing, not zero.")
        sec.bullets([f"{r.name} {r.year}: {r.total_usd / 1e9:,.1f} bn USD. {r.exclusion_reason}."
                     for r in ex.itertuples()])
    return sec


def sources_section(ctx: Context) -> Section:
    sec = Section()
    raw = sources.raw_sources()
    sec.save(raw, "sources-raw")
    sec.md("**Raw snapshots** (`data/raw/<source>/`, each file's sha256 in its PROVENANCE.json):\n\n" + "\n".join(
    f"- **{md_escape(r.title)}** — {md_escape(r.publisher)}. Version: {md_escape(r.version)}. Licence: "
    f"{md_escape(r.licence)}. Retrieved {md_escape(r.retrieved)}; files: {md_escape(r.files)}." for r in raw.itertuples()))
    sec.table(sources.hand_curated(), caption="Hand-curated tables (data/manual): every row cites its source",
              slug="sources-hand-curated")
    sec.bullets(sources.ATTRIBUTION)
    return sec


# ----------------------------------------------------------------------------- figures
def tallies(ctx: Context) -> Section:
    return Section().chart(charts.tallies_chart(ctx.as_of), "ukraine-vote-tallies")


def never_yes(ctx: Context) -> Section:
    return Section().chart(charts.votes_heatmap(ctx.as_of), "never-voted-yes")


def agreement(ctx: Context) -> Section:
    states = tuple(dict.fromkeys(tuple(ctx.focus) + charts.COMPARISON))
    return Section().chart(charts.agreement_lines(ctx.as_of, states, highlight=ctx.focus), "agreement-with-russia")


def stance_map(ctx: Context) -> Section:
    return Section().chart(charts.stance_map(ctx.as_of, **ctx.thresholds), "stance-by-state")


def stance_shares(ctx: Context) -> Section:
    return Section().chart(charts.stance_shares_chart(ctx.as_of, **ctx.thresholds), "stance-population-gdp")


def visits_map(ctx: Context) -> Section:
    return Section().chart(charts.visits_map(ctx.as_of), "visits-since-warrant-map")


def visits_timeline(ctx: Context) -> Section:
    if travel.visits(ctx.as_of).empty:  # an early as-of date: nothing yet
        return Section().md(f"No foreign visit by Vladimir Putin since 24 February 2022 is recorded by {day(ctx.as_of)}.")
    return Section().chart(charts.visits_timeline(ctx.as_of), "visits-timeline")


def arms_exports(ctx: Context) -> Section:
    g = economy.arms_exports_totals(ctx.as_of, 2014, 12)
    if len(g) < 2 or not g["tiv"].sum() > 0:  # no full year of deliveries since 2014 known yet
        return Section().md(f"No Russian arms deliveries since 2014 are recorded by SIPRI as of {day(ctx.as_of)} "
                            "(a year's deliveries count as known from the next year).")
    return Section().chart(charts.arms_exports_chart(ctx.as_of), "arms-exports-top-recipients")


def trade_partners(ctx: Context) -> Section:
    if not economy.trade_known(ctx.as_of):
        return Section().md(f"Russia's goods trade by partner for {economy.TRADE_BASE_YEAR} and later is not yet "
                            f"known on {day(ctx.as_of)} (a year's trade counts as known from the next year).")
    return Section().chart(charts.trade_partners_chart(ctx.as_of), "trade-top-partners")


