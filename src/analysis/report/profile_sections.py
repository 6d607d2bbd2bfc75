"""The sections of the country profile notebook: each function returns a
:class:`~analysis.report.display.Section` (text, tables, figures, and their data)."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import data
from analysis.metrics import economy, membership, travel
from analysis.metrics import stances as _stance
from analysis.report import labels, profile, profile_charts, sources
from analysis.report.display import Section, md_escape
from analysis.report.sections import Context
from analysis.words import day


def votes(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_votes_chart(ctx.focus[0], ctx.as_of), "votes")


def agreement(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_agreement_chart(ctx.focus[0], ctx.as_of), "agreement")


def arms(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_arms_chart(ctx.focus[0], ctx.as_of), "arms")


def trade(ctx: Context) -> Section:
    """Russia's goods trade with the state as a trend; in words when no year or no value is known."""
    iso3 = ctx.focus[0]
    d = economy.partner_trade(iso3, ctx.as_of)
    name = md_escape(profile.facts(iso3, ctx.as_of)["name"])
    sec = Section()
    last_full = ctx.as_of.year - 1
    if d.empty:
        first = int(data.trade()["year"].min())
        return sec.md(f"Russia's goods trade by partner (IMF) starts with {first}; on {day(ctx.as_of)} no year of it "
                      f"is known yet (a year counts as known from the next year), so there is no trend to show.")
    usable = d[d["status"].isin(["both", "exports only", "imports only"])]
    span = labels.years([d["year"].min(), d["year"].max()]).replace(" and ", "–")
    if usable.empty:
        why = ("records no goods trade between Russia and " + name if (d["status"] == "missing").all() else
               f"values for Russia's goods trade with {name} are all left out as implausible or missing")
        sec.md(f"The IMF data ({span}) {why}; no chart is drawn.")
        return sec.save(d.assign(iso3=iso3), "trade")
    sec.chart(profile_charts.profile_trade_chart(iso3, ctx.as_of), "trade")
    notes = profile_charts.trade_notes(d)
    lines = [f"{n}." for n in notes]
    if int(d["year"].max()) < last_full:
        lines.append(f"{labels.years(range(int(d['year'].max()) + 1, last_full + 1))}: not yet in the IMF data "
                     f"on {day(ctx.as_of)}; the current year, {ctx.as_of.year}, is not complete and is not shown.")
    ex = d[d["status"] == "excluded"]
    lines += [f"Left out in {int(r.year)}: {md_escape(r.note)}." for r in ex.itertuples() if r.note]
    if lines:
        sec.md("**What is provisional or missing.** Shares are of Russia's trade with all partners that have a value "
               "that year.")
        sec.bullets(lines)
    return sec


def header(ctx: Context) -> Section:
    sec = Section()
    f = profile.facts(ctx.focus[0], ctx.as_of)
    sec.md(f"# {md_escape(f['name'])} and Russia\n\n**Country profile, data as of {day(ctx.as_of)}.** "
           f"{md_escape(f['region'])}; UN member "
           f"since {f['un_member_from']}; population {f['population']:,.0f} ({f['population_year']}).\n\n"
           f"Stance: **{_stance.LABELS.get(f['stance'], f['stance'])}** — {md_escape(f['reason'])}.")
    return sec


def what_changed(ctx: Context) -> Section:
    """Two to four computed sentences on what changed for the state (votes, government, stance, ICC,
    trade); the first mention of each resolution says what it demanded."""
    return Section().bullets(profile.what_changed(ctx.focus[0], ctx.as_of, seen=ctx.mentioned, **ctx.thresholds))


def facts(ctx: Context) -> Section:
    sec = Section()
    iso3 = ctx.focus[0]
    f = profile.facts(iso3, ctx.as_of)
    lines = [f"On Russia's unfriendly-states list: {'yes' if f['on_unfriendly_list'] else 'no'}.",
             "Member of: " + (", ".join(map(md_escape, f["groups"])) or "none of ICC, NATO, EU, CSTO, SCO, BRICS, EAEU, G7") + "."]
    if f["trade_share"] is not None:
        lines.append(f"Share of Russia's goods trade in {f['trade_year']}: {labels.percent(f['trade_share'])}.")
    sec.bullets(lines)
    hist = membership.history(iso3, ctx.as_of)
    if len(hist):
        sec.table(hist, caption="Memberships", slug="memberships")
    tr = f["treaties"]
    if len(tr):
        sec.table(tr[["title", "kind", "signed", "in_force", "mutual_assistance_article", "source_url"]],
                  caption="Treaties with Russia", slug="treaties")
    else:
        sec.md("No bilateral defence or strategic-partnership treaty with Russia in the treaties table.")
    return sec


def visits(ctx: Context) -> Section:
    sec = Section()
    invasion = pd.Timestamp(config.INVASION_DATE)
    if ctx.as_of < invasion:
        return sec.md(f"Vladimir Putin's foreign visits are counted from Russia's full-scale invasion of Ukraine on "
                      f"{day(invasion)}; this profile's date, {day(ctx.as_of)}, is before it, so there are none to "
                      "show.")
    v = travel.visits(ctx.as_of, since=config.INVASION_DATE)
    v = v[v["iso3"] == ctx.focus[0]]
    if v.empty:
        name = md_escape(profile.facts(ctx.focus[0], ctx.as_of)["name"])
        sec.md(f"Vladimir Putin has not visited {name} since the invasion of {day(invasion)} (per the visits table).")
    else:
        sec.table(v[["start_date", "end_date", "city", "purpose", "icc_party", "source_url"]], slug="visits")
    return sec


def sources_section(ctx: Context) -> Section:
    sec = Section()
    sec.bullets(sources.ATTRIBUTION)
    return sec
