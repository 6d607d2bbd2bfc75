"""Charts of the country profile: one state's votes, its agreement with Russia, and its arms
trade with Russia. Each returns (Figure, tidy DataFrame) like :mod:`analysis.report.charts`."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.datasets import data
from analysis.datasets.schemas import VOTES
from analysis.metrics import alignment, economy, votes
from analysis.report import labels, style
from analysis.report.charts import _name


def profile_votes_chart(iso3: str, as_of=None):
    """One state's votes on every Ukraine resolution next to the world's tallies."""
    t = votes.tallies(None, as_of)
    m = votes.vote_matrix(None, as_of, include_partial=True)
    mine = m.loc[iso3] if iso3 in m.index else pd.Series(index=m.columns, dtype=object)
    fig, ax = style.figure(0.36 * len(t) + 1.6)
    y = np.arange(len(t))[::-1]
    left = np.zeros(len(t))
    for v in VOTES:
        ax.barh(y, t[v], left=left, color=style.VOTE_COLORS[v], height=0.6, alpha=0.35, edgecolor="white")
        left += t[v].to_numpy()
    name = _name([iso3]).iloc[0]
    for yi, label in zip(y, t["label"]):
        vote = mine.get(label)
        color = style.UNKNOWN_COLOR if vote == "unknown" else style.VOTE_COLORS.get(vote, style.NOT_MEMBER)
        ax.scatter([-8], [yi], s=70, color=color, edgecolor="#333333", linewidth=0.5, clip_on=False)
        ax.text(-14, yi, style.UNKNOWN_LABEL if vote == "unknown" else style.VOTE_LABELS.get(vote, "not a member"),
                ha="right", va="center", fontsize=8)
    ax.set_yticks(y, t["label"])
    ax.tick_params(axis="y", pad=110)
    ax.set_xlim(0, t["members"].max())
    ax.set_xlabel("UN member states (world tally, pale)")
    counts = mine[mine.isin(VOTES)].value_counts()  # 'unknown' (partial records) is not a vote
    words = {"yes": "yes", "no": "no", "abstain": "abstained", "absent": "was absent"}
    if len(counts) == 1:
        v = counts.index[0]
        title = (f"{name} voted {v} on all {counts.iloc[0]} Ukraine resolutions" if v in ("yes", "no") else
                 f"{name} {words[v]} on all {counts.iloc[0]} Ukraine resolutions")
    elif len(counts) == 0:
        title = f"{name} was not a UN member at any of the Ukraine votes"
    else:
        title = (f"{name} on the {int(counts.sum())} Ukraine resolutions: "
                 + ", ".join(f"{v} {counts[v]}" for v in VOTES if v in counts))
    style.frame(fig, title, f"{name}'s vote (dot) on each General Assembly resolution on Ukraine, with the world's "
                "tally behind it", style.sources("un_votes"),
                legend=style.legend_handles(style.VOTE_COLORS, style.VOTE_LABELS))
    tidy = t[["resolution", "label", "date"]].assign(iso3=iso3, vote=[mine.get(lbl) for lbl in t["label"]])
    return fig, tidy


def profile_agreement_chart(iso3: str, as_of=None, since: int = 1992, min_votes: int = 10):
    """One state's agreement with Russia per session against the median of its UN sub-region."""
    a = alignment.agreement("RUS", as_of)
    a = a[(a["year"] >= since) & (a["n_votes"] >= min_votes)]
    c = data.countries().set_index("iso3")
    sub = c.at[iso3, "un_subregion"]
    peers = c.index[(c["un_subregion"] == sub) & (c.index != iso3) & (c.index != "RUS")]
    med = alignment.region_median(a, peers)
    mine = a[a["iso3"] == iso3]
    eu = alignment.eu_median(a)
    fig, ax = style.figure(3.6)
    ax.plot(med["year"], med["agreement"], color=style.GREY, lw=1.3, ls="--", label=f"Median of {sub}")
    ax.plot(eu["year"], eu["agreement"], color=style.BLUE, lw=1.2, ls=":", label="Median of EU members")
    ax.plot(mine["year"], mine["agreement"], color=style.VERMILLION, lw=2, label=c.at[iso3, "name"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("Agreement with Russia")
    ax.set_xlabel("Session (start year)")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.grid(axis="y")
    ax.legend(loc="lower left")
    name = c.at[iso3, "name"]
    if mine.empty:
        title = f"{name}: no recorded votes to compare with Russia"
    else:
        last = mine.iloc[-1]
        title = (f"{name} voted with Russia on {last.agreement:.0%} of GA votes in {labels.session(last.session)} "
                 f"({med['agreement'].iloc[-1]:.0%} for the median of {sub})")
    style.frame(fig, title, "Share of recorded General Assembly votes cast the same way as Russia, per session "
                "(absences excluded)", style.sources("alignment"))
    tidy = pd.concat([mine.assign(series=name), med.assign(series=f"median {sub}"),
                      eu.assign(series="EU median")], ignore_index=True)
    return fig, tidy


def profile_arms_chart(iso3: str, as_of=None):
    """Arms deliveries between Russia and one state per year (SIPRI TIV)."""
    e = economy.arms_exports(as_of)
    e = e[e["recipient_iso3"] == iso3].groupby("year", as_index=False)["tiv"].sum().assign(direction="from Russia")
    i = economy.arms_imports(as_of)
    i = i[i["supplier_iso3"] == iso3].groupby("year", as_index=False)["tiv"].sum().assign(direction="to Russia")
    d = pd.concat([e, i], ignore_index=True)
    name = _name([iso3]).iloc[0]
    fig, ax = style.figure(3.0)
    if d.empty:
        ax.text(0.5, 0.5, "No deliveries in the SIPRI register (2000–2023)", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        title = f"SIPRI records no arms deliveries between Russia and {name} since 2000"
    else:
        years = range(int(d["year"].min()), int(d["year"].max()) + 1)
        for direction, color, off in (("from Russia", style.VERMILLION, -0.2), ("to Russia", style.BLACK, 0.2)):
            dd = d[d["direction"] == direction].set_index("year")["tiv"].reindex(years, fill_value=0)
            if dd.sum() > 0:
                ax.bar(np.array(list(years)) + off, dd.to_numpy(), width=0.4, color=color,
                       label=f"Deliveries {direction}")
        ax.set_xlabel("Delivery year")
        ax.set_ylabel("SIPRI TIV (millions)")
        ax.legend(loc="upper right")
        ax.grid(axis="y")
        tot = d.groupby("direction")["tiv"].sum()
        title = (f"Russia delivered arms worth {tot.get('from Russia', 0):,.0f} million TIV to {name} "
                 f"{int(d['year'].min())}–{int(d['year'].max())}")
    style.frame(fig, title, "Major conventional arms deliveries per year (SIPRI trend-indicator values)",
                style.sources("sipri"))
    return fig, d.assign(iso3=iso3)


def profile_trade_chart(iso3: str, as_of=None):
    """Russia's goods trade with one state per year (exports and imports, US$ billions) and the
    state's share of Russia's trade: the trend, not one year."""
    t = economy.trade_shares(as_of)
    d = t[t["partner_iso3"] == iso3].sort_values("year")[
        ["year", "exports_usd", "imports_usd", "total_usd", "share", "partner_derived"]].copy()
    name = _name([iso3]).iloc[0]
    fig, ax = style.figure(3.1)
    if d.empty or d["total_usd"].fillna(0).sum() == 0:
        ax.text(0.5, 0.5, "No goods trade with Russia recorded by the IMF", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        title = f"The IMF records no goods trade between Russia and {name}"
    else:
        x = d["year"].to_numpy()
        ax.bar(x - 0.2, d["exports_usd"].fillna(0) / 1e9, width=0.4, color=style.VERMILLION,
               label=f"Russia's exports to {name}")
        ax.bar(x + 0.2, d["imports_usd"].fillna(0) / 1e9, width=0.4, color=style.BLACK,
               label=f"Russia's imports from {name}")
        ax.set_xticks(x, [str(int(v)) for v in x])
        ax.set_ylabel("US$ billions")
        ax.axvline(2021.5, color=style.GREY, lw=0.8, ls=":")
        ax.grid(axis="y")
        ax.legend(loc="upper left")
        ax2 = ax.twinx()
        ax2.plot(x, d["share"], color=style.BLUE, marker="o", lw=1.4, label="Share of Russia's trade")
        ax2.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax2.set_ylim(0, max(0.05, float(d["share"].max()) * 1.25))
        ax2.set_ylabel("Share of Russia's goods trade", color=style.BLUE)
        ax2.spines["right"].set_visible(True)
        first, last = d.iloc[0], d.iloc[-1]
        verb = "rose" if last.share > first.share else "fell"
        title = (f"{name}'s share of Russia's goods trade {verb} from {first.share:.1%} in {int(first.year)} "
                 f"to {last.share:.1%} in {int(last.year)}")
    style.frame(fig, title, "Russia's goods trade with the state per year (bars) and its share of Russia's trade "
                "with all partners (line); from 2022 estimated by the IMF from partners' reports",
                style.sources("trade"))
    return fig, d.assign(iso3=iso3, name=name)[["iso3", "name", "year", "exports_usd", "imports_usd", "total_usd",
                                                 "share", "partner_derived"]]
