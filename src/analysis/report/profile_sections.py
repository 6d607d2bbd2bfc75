"""The sections of the country profile notebook: each function returns a
:class:`~analysis.report.display.Section` (text, tables, figures, and their data)."""
from __future__ import annotations

from analysis.metrics import membership, travel
from analysis.metrics import stances as _stance
from analysis.report import profile, profile_charts, sources
from analysis.report.display import Section, md_escape
from analysis.report.sections import Context, _d


def votes(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_votes_chart(ctx.focus[0], ctx.as_of), "votes")


def agreement(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_agreement_chart(ctx.focus[0], ctx.as_of), "agreement")


def arms(ctx: Context) -> Section:
    return Section().chart(profile_charts.profile_arms_chart(ctx.focus[0], ctx.as_of), "arms")


def header(ctx: Context) -> Section:
    sec = Section()
    f = profile.facts(ctx.focus[0], ctx.as_of)
    sec.md(f"# {md_escape(f['name'])} and Russia\n\n**Country profile, data as of {_d(ctx.as_of)}.** "
           f"{md_escape(f['region'])}; UN member "
           f"since {f['un_member_from']}; population {f['population']:,.0f} ({f['population_year']}).\n\n"
           f"Stance: **{_stance.LABELS.get(f['stance'], f['stance'])}** — {md_escape(f['reason'])}.")
    return sec


def facts(ctx: Context) -> Section:
    sec = Section()
    iso3 = ctx.focus[0]
    f = profile.facts(iso3, ctx.as_of)
    lines = [f"On Russia's unfriendly-states list: {'yes' if f['on_unfriendly_list'] else 'no'}.",
             "Member of: " + (", ".join(map(md_escape, f["groups"])) or "none of ICC, NATO, EU, CSTO, SCO, BRICS, EAEU, G7") + "."]
    if f["trade_share"] is not None:
        lines.append(f"Share of Russia's goods trade in {f['trade_year']}: {f['trade_share']:.1%}.")
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
    v = travel.visits(ctx.as_of)
    v = v[v["iso3"] == ctx.focus[0]]
    if v.empty:
        sec.md("Vladimir Putin has not visited since 24 February 2022 (per the visits table).")
    else:
        sec.table(v[["start_date", "end_date", "city", "purpose", "icc_party", "source_url"]], slug="visits")
    return sec


def sources_section(ctx: Context) -> Section:
    sec = Section()
    sec.bullets(sources.ATTRIBUTION)
    return sec
