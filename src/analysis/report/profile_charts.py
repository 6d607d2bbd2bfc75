"""Charts of the country profile: one state's votes, its agreement with Russia, and its arms
trade with Russia. Each returns (Figure, tidy DataFrame) like :mod:`analysis.report.charts`."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.ticker import PercentFormatter

from analysis.datasets import data
from analysis.datasets.schemas import VOTES
from analysis.metrics import alignment, economy, votes
from analysis.report import labels, style
from analysis.report.charts import _name

#: Distances left of the votes chart's axis, in points: the dot's centre, the right edge of the vote's
#: words, and the gap between the widest words and the resolution labels.
_DOT_PT, _WORDS_PT, _GAP_PT = 12, 22, 10
#: A vote no source gives yet, on two lines so the row stays narrow.
_UNKNOWN_WORDS = style.UNKNOWN_LABEL.replace(" (", "\n(")


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
    # The dot and the vote's words sit left of the axis at fixed distances in points (not data
    # units), and the resolution labels are pushed left of the widest words, so they never overlap.
    row = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    words, colors = [], []
    for yi, label in zip(y, t["label"]):
        vote = mine.get(label)
        colors.append(style.UNKNOWN_COLOR if vote == "unknown" else style.VOTE_COLORS.get(vote, style.NOT_MEMBER))
        word = _UNKNOWN_WORDS if vote == "unknown" else style.VOTE_LABELS.get(vote, "not a member")
        words.append(ax.text(0, yi, word, ha="right", va="center", fontsize=8, linespacing=1.0,
                             transform=transforms.offset_copy(row, fig, x=-_WORDS_PT, units="points")))
    ax.scatter(np.zeros(len(y)), y, s=70, c=colors, edgecolor="#333333", linewidth=0.5, clip_on=False,
               transform=transforms.offset_copy(row, fig, x=-_DOT_PT, units="points"))  # one dot per vote
    renderer = fig.canvas.get_renderer()
    widest = max(w.get_window_extent(renderer).width for w in words) * 72 / fig.dpi
    ax.set_yticks(y, t["label"])
    ax.tick_params(axis="y", pad=_WORDS_PT + widest + _GAP_PT)
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


def _money(values: pd.Series) -> tuple[float, str]:
    """Divisor and unit of a money axis: US$ billions, or millions for a small partner."""
    return (1e9, "US$ billions") if values.max() >= 1e9 else (1e6, "US$ millions")


#: Short marks on the chart for a year that is not a full record.
_MARKS = {"missing": "no value", "excluded": "left out", "impossible": "left out", "exports only": "no import\nvalue",
          "imports only": "no export\nvalue"}


def trade_title(name: str, d: pd.DataFrame) -> str:
    """The finding of the trade chart: how the state's share of Russia's goods trade moved."""
    pair = economy.trade_trend(d)
    if pair is None:
        one = d[d["share"].notna()]
        if one.empty:
            return f"No usable value of Russia's goods trade with {name} in the IMF data"
        r = one.iloc[-1]
        return f"{name} accounted for {labels.percent(r.share)} of Russia's goods trade in {int(r.year)}"
    first, last = pair
    a, b = labels.percent(first.share), labels.percent(last.share)
    est = " (an IMF estimate)" if last.partner_derived else ""
    if a == b:
        return f"{name}'s share of Russia's goods trade was {a} both in {int(first.year)} and in {int(last.year)}{est}"
    verb = "rose" if last.share > first.share else "fell"
    return f"{name}'s share of Russia's goods trade {verb} from {a} in {int(first.year)} to {b} in {int(last.year)}{est}"


def trade_notes(d: pd.DataFrame) -> list[str]:
    """What is provisional or missing in the trade rows, in words (years named, nothing typed)."""
    notes = []
    est = d.loc[d["partner_derived"] & (d["status"] != "missing"), "year"]
    if len(est):
        notes.append(f"{labels.years(est)}: IMF estimates from the partners' reports (Russia stopped publishing "
                     "trade by partner in 2022), provisional")
    for status in ("exports only", "imports only", "missing", "excluded", "impossible"):
        yrs = d.loc[d["status"] == status, "year"]
        if len(yrs):
            notes.append(f"{labels.years(yrs)}: {economy.TRADE_STATUS[status]}")
    return notes


def profile_trade_chart(iso3: str, as_of=None):
    """Russia's goods trade with one state per year (exports and imports) and the state's share of
    Russia's trade with all partners: the trend, with every year that is not a full record marked.
    Call it when :func:`economy.partner_trade` has a value (the profile section says so otherwise)."""
    d = economy.partner_trade(iso3, as_of)
    name = _name([iso3]).iloc[0]
    drawn = d[d["status"].isin(["both", "exports only", "imports only"])]
    if drawn.empty:
        raise ValueError(f"no usable trade value for {iso3}: say so in words instead of drawing")
    div, unit = _money(drawn[["exports_usd", "imports_usd"]].max(axis=1))
    fig, ax = style.figure(3.4)
    x = d["year"].to_numpy()
    ex = drawn.set_index("year")["exports_usd"].reindex(x) / div
    im = drawn.set_index("year")["imports_usd"].reindex(x) / div
    ax.bar(x - 0.2, ex.to_numpy(), width=0.4, color=style.VERMILLION, label=f"Russia's exports to {name}")
    ax.bar(x + 0.2, im.to_numpy(), width=0.4, color=style.BLACK, label=f"Russia's imports from {name}")
    ax.set_xticks(x, [str(int(v)) for v in x])
    ax.set_xlabel("Year")
    ax.set_ylabel(f"Goods trade ({unit})")
    top = float(np.nanmax([ex.max(), im.max()]))
    ax.set_ylim(0, top * 1.3)
    if (d["partner_derived"]).any():
        ax.axvspan(2021.5, x.max() + 0.5, color=style.LIGHT_GREY, zorder=0, lw=0)
        ax.text(2021.6, top * 1.27, "IMF estimates from partners' reports", fontsize=7.5, va="top", color="#444444")
    for r in d[~d["status"].isin(["both"])].itertuples():
        ax.text(r.year, top * 0.03, _MARKS[r.status], ha="center", va="bottom", fontsize=6.5, color="#444444")
    ax.grid(axis="y")
    ax2 = ax.twinx()
    ax2.plot(x, d["share"].to_numpy(), color=style.BLUE, marker="o", lw=1.4, label="Share of Russia's trade")
    peak = d["share"].max(skipna=True)
    high = min(1.0, max(0.001, (float(peak) if pd.notna(peak) else 0.0) * 1.35))
    ax2.set_ylim(0, high)
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if high >= 0.1 else (1 if high >= 0.01 else 2)))
    ax2.set_ylabel("Share of Russia's goods trade (%)", color=style.BLUE)
    ax2.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5)
    notes = trade_notes(d)
    style.frame(fig, trade_title(name, d), "Russia's goods exports to and imports from the state per year (bars) and "
                "the state's share of Russia's goods trade with all partners with a value that year (line)",
                style.sources("trade"), note=("; ".join(notes) + ".") if notes else None)
    return fig, d.assign(iso3=iso3, name=name)[["iso3", "name", *d.columns]]
