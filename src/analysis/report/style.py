"""The house style, in one place: palettes (colour-blind safe, Okabe & Ito 2008), labels, and the
figure frame every chart uses (a title that states the finding, a subtitle, a source line).

The same colour always means the same thing: blue = yes / condemning, vermillion = no / allied
with Russia, yellow = abstain, grey = absent; stance classes run from dark red to dark blue with
a grey middle, light and dark steps on each side, so they stay apart under protanopia,
deuteranopia and tritanopia (``tests/report/test_colours.py`` simulates them).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.patches import Patch

from analysis.report import markercopy, textmetrics

# Okabe-Ito palette
BLUE, SKY, VERMILLION, ORANGE, YELLOW, GREEN, PURPLE, BLACK = (
    "#0072B2", "#56B4E9", "#D55E00", "#E69F00", "#F0E442", "#009E73", "#CC79A7", "#000000")
GREY, LIGHT_GREY, NOT_MEMBER = "#999999", "#EDEDED", "#FFFFFF"

VOTE_COLORS = {"yes": BLUE, "no": VERMILLION, "abstain": YELLOW, "absent": GREY}
VOTE_LABELS = {"yes": "Yes", "no": "No", "abstain": "Abstain", "absent": "Absent / not voting"}
# A member of a partial record whose vote no source gives yet (not drawn in tallies, which use official totals).
UNKNOWN_COLOR, UNKNOWN_LABEL = LIGHT_GREY, "Not yet sourced (partial record)"

# diverging, lightness-stepped (ColorBrewer RdBu ends): distinct under the common colour-vision deficiencies
STANCE_COLORS = {"allied": "#B2182B", "russia_leaning": "#F4A582", "neutral": "#A6A6A6", "west_leaning": "#92C5DE",
                 "condemning": "#2166AC", "ukraine": YELLOW, "could_not_vote": "#737373", "contested": "#4D4D4D",
                 "russia": BLACK}
STANCE_LABELS = {"allied": "Allied with Russia", "russia_leaning": "Russia-leaning", "neutral": "Neutral",
                 "west_leaning": "West-leaning", "condemning": "Condemning and sanctioning",
                 "ukraine": "Ukraine (party to the war)", "could_not_vote": "Could not vote (arrears)",
                 "contested": "Seat contested", "russia": "Russia"}

ICC_COLORS = {True: PURPLE, False: GREEN}
ICC_LABELS = {True: "ICC state party on the day (obliged to arrest)", False: "Not bound by the Rome Statute"}

FIG_WIDTH = 8.3  # inches: A4 text width at the report's scale
DPI = 150

RC = {
    "font.family": "DejaVu Sans", "font.size": 9.5, "axes.titlesize": 10, "axes.labelsize": 9.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#444444",
    "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5, "legend.frameon": False,
    "figure.dpi": DPI, "savefig.dpi": DPI, "savefig.bbox": "standard", "axes.grid": False,
    "grid.color": "#DDDDDD", "grid.linewidth": 0.6,
}


#: seaborn's ``set_theme(style="white")`` (its "white" axes style and "notebook" context) as plain
#: matplotlib settings, so a chart never imports seaborn (and with it scipy: ~2-3 s per process).
#: tests/report/test_charts.py checks that these equal what ``seaborn.set_theme(style="white",
#: rc=RC)`` sets, so a seaborn upgrade that changes its theme fails the suite.
SEABORN_WHITE = {
    "axes.axisbelow": True, "axes.labelcolor": ".15", "axes.linewidth": 1.25,
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "legend.title_fontsize": 12.0, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.major.size": 6.0, "xtick.major.width": 1.25, "xtick.minor.size": 4.0, "xtick.minor.width": 1.0,
    "ytick.color": ".15", "ytick.left": False, "ytick.major.size": 6.0, "ytick.major.width": 1.25,
    "ytick.minor.size": 4.0, "ytick.minor.width": 1.0,
    # seaborn's "deep" palette as the default colour cycle (charts pass their colours explicitly)
    "axes.prop_cycle": ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                        "#8c8c8c", "#ccb974", "#64b5cd"],
}


def apply() -> None:
    """Apply the house style (seaborn's plain white theme, :data:`SEABORN_WHITE`, with the report's
    fonts and sizes, :data:`RC`); charts call it, notebooks need not."""
    from cycler import cycler

    theme = {**SEABORN_WHITE, **RC}
    theme["axes.prop_cycle"] = cycler(color=theme["axes.prop_cycle"])
    plt.rcParams.update(theme)
    textmetrics.install()  # each text measured once per process, not once per figure (same drawing)
    markercopy.install()  # each tick's marker styles copied plainly, not deep-copied (same drawing)


def figure(height: float, width: float = FIG_WIDTH, **subplot_kw):
    apply()
    return plt.subplots(figsize=(width, height), **subplot_kw)


def _wrap(text: str, width_in: float, inch_per_char: float) -> list[str]:
    import textwrap

    lines = []
    for para in text.split("\n"):
        lines += textwrap.wrap(para, max(20, int(width_in / inch_per_char))) or [""]
    return lines


def tight_layout(fig, rect: tuple) -> None:
    """matplotlib's tight layout of ``fig`` within ``rect`` (figure fractions), measuring each Axes once.

    - The engine is run directly: ``Figure.tight_layout`` leaves a placeholder layout engine on the
      figure, which makes every ``savefig`` lay out and draw the whole figure once more.
    - With a ``rect``, the engine measures every Axes (its ticks, labels and titles: most of the cost)
      in a first pass, then again in a second pass that only moves the rect; nothing changes in
      between, so the second pass reads the first one's measures. The result is identical.
    """
    measured: dict = {}
    for ax in fig.axes:
        def once(*args, _ax=ax, _measure=ax.get_tightbbox, **kwargs):
            key = (id(_ax), tuple(id(a) for a in args), tuple(sorted((k, id(v)) for k, v in kwargs.items())))
            if key not in measured:
                measured[key] = _measure(*args, **kwargs)
            return measured[key]
        ax.get_tightbbox = once  # an instance attribute, removed below: the method is unchanged
    try:
        TightLayoutEngine(rect=rect).execute(fig)
    finally:
        for ax in fig.axes:
            vars(ax).pop("get_tightbbox", None)


def frame(fig, title: str, subtitle: str | None, source: str, note: str | None = None,
          legend: list | None = None, legend_ncol: int = 4) -> None:
    """Lay out a finished figure: title (the finding), subtitle (what is shown), an optional legend
    under the plot, and the source line at the bottom. Long texts wrap to the figure's width and
    the plot area shrinks to make room, so nothing overlaps or is clipped."""
    w, h = fig.get_figwidth(), fig.get_figheight()
    t_lines = _wrap(title, w - 0.2, 0.108)
    s_lines = _wrap(subtitle, w - 0.2, 0.074) if subtitle else []
    src_text = f"Source: {source}" + (f"\n{note}" if note else "")
    b_lines = _wrap(src_text, w - 0.2, 0.058)
    y = 1 - 0.06 / h
    # fig.text, not suptitle: tight_layout would reserve room for a suptitle a second time
    fig._title_artist = fig.text(0.01, y, "\n".join(t_lines), ha="left", va="top", fontsize=12, fontweight="bold")
    y -= (0.21 * len(t_lines) + 0.06) / h
    if s_lines:
        fig._subtitle_artist = fig.text(0.01, y, "\n".join(s_lines), ha="left", va="top", fontsize=9.5, color="#333333")
        y -= (0.165 * len(s_lines) + 0.08) / h
    bottom_in = 0.07 + 0.13 * len(b_lines)
    fig.text(0.01, 0.07 / h, "\n".join(b_lines), ha="left", va="bottom", fontsize=7.5, color="#555555")
    if legend:
        rows = -(-len(legend) // legend_ncol)
        fig.legend(handles=legend, ncol=legend_ncol, loc="lower center", bbox_to_anchor=(0.5, (bottom_in + 0.05) / h),
                   frameon=False, handlelength=1.6, columnspacing=1.4)
        bottom_in += 0.2 * rows + 0.15
    tight_layout(fig, rect=(0, (bottom_in + 0.05) / h, 1, y))
    fig._source_line = src_text  # read by tests and by the report's figure captions
    fig._title = title


def restyle(fig, title: str | None = None, subtitle: str | None = None,
            legend_labels: dict[str, str] | None = None) -> None:
    """Change the title, subtitle or legend labels (old -> new) of a figure laid out by :func:`frame`."""
    w = fig.get_figwidth()
    if title is not None and getattr(fig, "_title_artist", None) is not None:
        fig._title_artist.set_text("\n".join(_wrap(title, w - 0.2, 0.108)))
        fig._title = title
    if subtitle is not None and getattr(fig, "_subtitle_artist", None) is not None:
        fig._subtitle_artist.set_text("\n".join(_wrap(subtitle, w - 0.2, 0.074)))
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is None:
            continue
        for text in legend.get_texts():
            if legend_labels and text.get_text() in legend_labels:
                text.set_text(legend_labels[text.get_text()])


def legend_handles(colors: dict, labels: dict, keys=None) -> list[Patch]:
    keys = list(colors) if keys is None else keys
    return [Patch(facecolor=colors[k], edgecolor="#666666", linewidth=0.4, label=labels[k]) for k in keys]


def source_line(fig) -> str:
    return getattr(fig, "_source_line", "")


# Source lines, one per table, joined by charts for the tables they use.
SOURCES = {
    "un_votes": "UN Digital Library voting records (un_votes, un_resolutions)",
    "countries": "World Bank WDI population and GDP (countries)",
    "alignment": "own calculation from UN Digital Library GA votes",
    "bsv": "Bailey, Strezhnev & Voeten (2017) (alignment_bsv)",
    "memberships": "memberships (UN Treaty Collection, organisations' member lists)",
    "treaties": "treaties (official and press sources per row)",
    "unfriendly": "Government of Russia, Order 430-r and amendments (unfriendly_states)",
    "visits": "leader_visits (Kremlin and news agencies, per row)",
    "sipri": "SIPRI Arms Transfers Database (arms_transfers)",
    "trade": "IMF International Trade in Goods (trade)",
    "maps": "Natural Earth via world-atlas (Crimea drawn as part of Ukraine)",
}


def sources(*keys: str) -> str:
    return "; ".join(SOURCES[k] for k in keys) + "."
