"""Charts of change over time: isolation per Ukraine vote, stance shares per year end, and who
moved between two dates. Each returns (Figure, tidy DataFrame) like :mod:`analysis.report.charts`."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import stances, timeline
from analysis.report import style

_MEASURES = (("members", "UN members"), ("population", "their population"), ("gdp", "their GDP"))


def isolation_chart(as_of=None):
    """Share of members, population and GDP voting yes on each Ukraine-set resolution (one line
    each); partial records drawn as hollow markers."""
    iso = timeline.isolation(as_of)
    fig, ax = style.figure(3.8)
    colors = {"members": style.BLUE, "population": style.ORANGE, "gdp": style.GREEN}
    full = (iso["record"] == "full").to_numpy()
    # one slot per vote, in date order: six votes fell within a year of the invasion, and on a time axis
    # their labels piled up; the date is under each vote's label
    x = np.arange(len(iso))
    for key, label in _MEASURES:
        # on a partial record only the members' share is known (official totals); the population and GDP of
        # the states whose vote no source gives yet are unknown, so those two lines stop at the last full record
        y = iso[f"{key}_yes"] if key == "members" else iso[f"{key}_yes"].where(full)
        ax.plot(x, y, color=colors[key], lw=1.8, label=f"Share of {label}")
        ax.scatter(x[full], y[full], color=colors[key], s=18, zorder=3)
        ax.scatter(x[~full], y[~full], facecolor="white", edgecolor=colors[key], s=26, zorder=3)
    ax.set_xticks(x, [r.label.replace(" (", "\n(") if "(" in r.label else f"{r.label}\n{r.date:%b %Y}"
                      for r in iso.itertuples()], fontsize=7)
    ax.set_xlim(-0.5, len(iso) - 0.5)
    ax.set_xlabel("General Assembly votes on Ukraine, in date order")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.grid(axis="y")
    # from the first demand that Russia withdraw to the latest comparable one (a full record: population
    # and GDP are known on full records only), as the thesis says it
    picked = timeline.demand_votes(as_of)
    first, last = picked["first"], picked["low"]
    title = f"{first.yes} members with {first.gdp_yes:.0%} of GDP voted yes in {first.date:%B %Y}"
    if last.resolution != first.resolution:
        title += f"; {last.yes} with {last.gdp_yes:.0%} of GDP on {last.label} in {last.date:%B %Y}"
    partial = int((iso["record"] == "partial").sum())
    style.frame(fig, title, "Share of the UN members, of their population and of their GDP voting yes on each "
                "General Assembly resolution on Ukraine", style.sources("un_votes", "countries"),
                note=(f"Hollow markers: {partial} partial record{'' if partial == 1 else 's'}: members from the official "
                      "totals; population and GDP not drawn, as not every member's vote is known yet. " if partial else "")
                + "Population and GDP: World Bank, latest year per country, held fixed.",
                legend=ax.get_lines(), legend_ncol=3)
    return fig, iso


def stance_over_time_chart(as_of=None, **thresholds):
    """Stacked shares of members, population and GDP per stance class at each year end and as_of."""
    st = timeline.stance_shares(as_of, **thresholds)
    keys = [k for k in style.STANCE_COLORS if k in set(st["stance"]) and st.loc[st["stance"] == k, "states"].sum()]
    fig, axes = style.figure(3.6, nrows=1, ncols=3, sharey=True)
    for ax, (col, label) in zip(axes, (("states_share", "Members"), ("population_share", "Population"),
                                       ("gdp_share", "GDP"))):
        w = st.pivot_table(index="date", columns="stance", values=col, aggfunc="sum").reindex(columns=keys).fillna(0)
        ax.stackplot(w.index, *[w[k] for k in keys], colors=[style.STANCE_COLORS[k] for k in keys], lw=0)
        ax.set_title(label, fontsize=9)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
        ax.tick_params(axis="x", labelrotation=45)
    last = st[st["date"] == st["date"].max()].set_index("stance")
    g2022 = st[st["date"] == pd.Timestamp("2022-12-31")].set_index("stance")
    c_now = last.at["condemning", "gdp_share"] if "condemning" in last.index else 0.0
    title = f"States condemning and sanctioning Russia hold {c_now:.0%} of the members' GDP"
    if len(g2022) and "condemning" in g2022.index:
        title += f" (end of 2022: {g2022.at['condemning', 'gdp_share']:.0%})"
    style.frame(fig, title, "Stance classes at the end of each year since 2014 and on the report date "
                "(rules in Methods; each date judged on the votes known then)", style.sources("un_votes", "countries"),
                legend=style.legend_handles(style.STANCE_COLORS, style.STANCE_LABELS, keys), legend_ncol=3)
    return fig, st


def movers_chart(first, as_of=None, **thresholds):
    """Slope chart: each stance class on ``first`` (left) and on ``as_of`` (right); bands between
    them as wide as the number of states that made that move; states that changed are named."""
    t1, t2 = _asof.resolve(first), _asof.resolve(as_of)
    a = stances.stance(t1, **thresholds).set_index("iso3")["stance"].astype(str)
    b = stances.stance(t2, **thresholds).set_index("iso3")["stance"].astype(str).reindex(a.index)
    flows = pd.DataFrame({"then": a.to_numpy(), "now": b.to_numpy()}).groupby(["then", "now"]).size()
    flows = flows.rename("states").reset_index()
    keys = [k for k in style.STANCE_COLORS if k in set(a) | set(b)]
    y = {k: len(keys) - i for i, k in enumerate(keys)}
    fig, ax = style.figure(4.4)
    names = data.countries().set_index("iso3")["name"]
    for r in flows.itertuples():
        ax.plot([0, 1], [y[r.then], y[r.now]], color=style.STANCE_COLORS[r.then], alpha=0.55,
                lw=1 + 10 * np.sqrt(r.states / len(a)) * 3, solid_capstyle="butt")
    moved = timeline.movers(t1, t2, **thresholds)
    gdp = data.countries().set_index("iso3")["gdp_usd"]
    moved = moved.assign(gdp=moved["iso3"].map(gdp)).sort_values("gdp", ascending=False).drop(columns="gdp")
    for k in keys:
        ax.text(-0.03, y[k], f"{style.STANCE_LABELS[k]} ({int((a == k).sum())})", ha="right", va="center", fontsize=8)
        who = moved.loc[moved["stance_now"] == k, "iso3"].map(names).dropna().tolist()
        extra = (": " + ", ".join(who[:6]) + (f" +{len(who) - 6}" if len(who) > 6 else "")) if who else ""
        right = textwrap.fill(f"{style.STANCE_LABELS[k]} ({int((b == k).sum())}){extra}", 62,
                              subsequent_indent="   ", break_long_words=False)
        ax.text(1.03, y[k], right, ha="left", va="center", fontsize=7.5, linespacing=1.1)
    # room for the class names on the left (~2 in) and the named states on the right (~4 in)
    ax.set_xlim(-1.2, 3.2)
    ax.axis("off")
    ax.text(0, len(keys) + 0.8, f"{t1:%-d %b %Y}", ha="center", fontsize=9, weight="bold")
    ax.text(1, len(keys) + 0.8, f"{t2:%-d %b %Y}", ha="center", fontsize=9, weight="bold")
    towards = int((moved["direction"] == "towards Russia").sum())
    away = int((moved["direction"] == "away from Russia").sum())
    title = f"{len(moved)} members changed stance: {towards} towards Russia, {away} away from it"
    style.frame(fig, title, "Stance class of every UN member on two dates; band width = number of states; the "
                "states that changed are named on the right, largest economies first", style.sources("un_votes", "treaties", "unfriendly"))
    return fig, moved
