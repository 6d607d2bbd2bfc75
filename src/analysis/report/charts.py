"""Charts of the report. Each function returns (Figure, tidy DataFrame it plotted) and uses the
house style (:mod:`analysis.report.style`). The measures come from the metric modules; a chart only
does the small aggregations its own layout and title need (counts per class, visits per host,
totals named in the title), and those are in the DataFrame it returns."""
from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.datasets.schemas import VOTES
from analysis.metrics import alignment, economy, travel, votes
from analysis.metrics import stances as _stance
from analysis.report import labels, style

FOCUS = config.FOCUS
COMPARISON = config.COMPARISON


def _name(iso3s) -> pd.Series:
    names = data.countries().set_index("iso3")["name"]
    return pd.Series(list(iso3s)).map(lambda i: names.get(i, i))


# ----------------------------------------------------------------------------- UN votes
def tallies_chart(as_of=None):
    """Stacked bars: yes / no / abstain / absent per Ukraine resolution, in date order."""
    t = votes.tallies(None, as_of)
    fig, ax = style.figure(0.42 * len(t) + 1.6)
    labels = [f"{r.label}{' (partial record)' if getattr(r, 'record', 'full') == 'partial' else ''}  ({r.date:%d %b %Y})"
              for r in t.itertuples()]
    left = np.zeros(len(t))
    y = np.arange(len(t))[::-1]
    for v in VOTES:
        ax.barh(y, t[v], left=left, color=style.VOTE_COLORS[v], edgecolor="white", linewidth=0.6,
                label=style.VOTE_LABELS[v], height=0.72)
        for yi, li, val in zip(y, left, t[v]):
            if val >= 8 and v != "no":
                ax.text(li + val / 2, yi, str(int(val)), ha="center", va="center", fontsize=7.5,
                        color="white" if v == "yes" else "black")
        left += t[v].to_numpy()
    # the "no" votes are the key figure: every one labelled, beside the bar
    for yi, total, no in zip(y, left, t["no"]):
        ax.text(total + 2, yi, f"{int(no)} no", ha="left", va="center", fontsize=8, fontweight="bold",
                color=style.VERMILLION)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, t["members"].max() * 1.12)
    ax.set_xlabel("UN member states")
    peak = t.loc[t["yes"].idxmax()]
    last = t.iloc[-1]
    title = (f"Yes votes for Ukraine peaked at {peak.yes} ({peak.label}); the latest vote, {last.label}, "
             f"drew {last.yes}")
    partial = int((t["record"] == "partial").sum()) if "record" in t else 0
    style.frame(fig, title, f"Votes of the {int(last.members)} UN members on the {len(t)} General Assembly "
                f"resolutions on Ukraine, {t['date'].min():%Y}–{t['date'].max():%Y}; the number voting no "
                "beside each bar", style.sources("un_votes"),
                legend=style.legend_handles(style.VOTE_COLORS, style.VOTE_LABELS),
                note=(f"{partial} partial record{'' if partial == 1 else 's'}: official totals; not every member's "
                      "vote is known yet." if partial else None))
    return fig, t[["resolution", "label", "date", "yes", "no", "abstain", "absent", "members"]]


def _vote_cmap():
    from matplotlib.colors import ListedColormap
    return ListedColormap([style.VOTE_COLORS[v] for v in VOTES] + [style.NOT_MEMBER])


def votes_heatmap(as_of=None, iso3s=None, title: str | None = None):
    """Members x Ukraine resolutions, one colour per vote. Default rows: every state that never
    voted yes on any of the resolutions, most 'no' votes first."""
    m = votes.vote_matrix(None, as_of)
    if iso3s is None:
        m = m[~(m == "yes").any(axis=1)]
        m = m.drop(index="RUS", errors="ignore")
    else:
        m = m.reindex(list(iso3s))
    order = (m == "no").sum(axis=1) * 100 + (m == "abstain").sum(axis=1)
    m = m.loc[order.sort_values(ascending=False).index]
    codes = {v: i for i, v in enumerate(VOTES)}
    z = m.apply(lambda c: c.map(codes)).fillna(len(VOTES)).to_numpy(dtype=float)
    fig, ax = style.figure(0.2 * len(m) + 1.9)
    ax.imshow(z, aspect="auto", cmap=_vote_cmap(), vmin=-0.5, vmax=len(VOTES) + 0.5, interpolation="nearest")
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=0, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(m)), [f"{n} ({i})" for i, n in zip(m.index, _name(m.index))], fontsize=7.5)
    ax.set_xticks(np.arange(-0.5, m.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, len(m)), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if title is None:
        title = f"{len(m)} states never voted yes on any UN resolution on Ukraine"
    present = [v for v in VOTES if (m == v).to_numpy().any()]
    not_member = bool(m.isna().to_numpy().any())
    style.frame(fig, title, "Each row a state, each column a General Assembly resolution (in date order)"
                + ("; white = not yet a UN member" if not_member else ""), style.sources("un_votes"),
                legend=style.legend_handles(style.VOTE_COLORS, style.VOTE_LABELS, present))
    tidy = m.reset_index().melt(id_vars="iso3", var_name="resolution", value_name="vote")
    return fig, tidy


# ----------------------------------------------------------------------------- alignment
def agreement_lines(as_of=None, states=FOCUS + COMPARISON, since: int = 1992, min_votes: int = 10,
                    method: str = "identical", highlight=None, highlight_label: str | None = None):
    """Small multiples: each state's agreement with Russia per session against the EU median.
    ``highlight`` (default: the article's six among ``states``) is drawn in vermilion, the others in
    black; ``highlight_label`` names them in the legend."""
    highlight = [i for i in states if i in FOCUS] if highlight is None else list(highlight)
    if highlight_label is None:
        highlight_label = "The article's six (DW)" if set(highlight) == set(FOCUS) else "Highlighted states"
    a = alignment.agreement("RUS", as_of, method)
    a = a[(a["year"] >= since) & (a["n_votes"] >= min_votes)]
    eu_med = alignment.eu_median(a)
    sel = a[a["iso3"].isin(states)]
    ncol = 5
    nrow = int(np.ceil(len(states) / ncol))
    fig, axes = style.figure(2.0 * nrow + 1.5, sharex=True, sharey=True, nrows=nrow, ncols=ncol)
    axes = np.atleast_1d(axes).ravel()
    for ax, iso3 in zip(axes, states):
        d = sel[sel["iso3"] == iso3]
        ax.plot(eu_med["year"], eu_med["agreement"], color=style.BLUE, lw=1.2, ls="--")
        ax.plot(d["year"], d["agreement"], color=style.VERMILLION if iso3 in highlight else style.BLACK, lw=1.6)
        ax.set_title(_name([iso3]).iloc[0], fontsize=9, loc="left")
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
        ax.grid(axis="y")
        ax.axvline(2022, color=style.GREY, lw=0.8, ls=":")
    for ax in axes[len(states):]:
        ax.set_visible(False)
    for ax in axes[::ncol]:
        ax.set_ylabel("Agreement with Russia")
    for ax in axes[-ncol:]:
        ax.set_xlabel("Session (start year)")
    handles = [Line2D([], [], color=style.VERMILLION, lw=1.6, label=highlight_label),
               Line2D([], [], color=style.BLACK, lw=1.6, label="Other states"),
               Line2D([], [], color=style.BLUE, lw=1.2, ls="--", label="Median of EU members"),
               Line2D([], [], color=style.GREY, lw=0.8, ls=":", label="2022: full-scale invasion")]
    latest = sel[sel["session"] == sel["session"].max()]
    top = latest.sort_values("agreement", ascending=False).iloc[0]
    season = f"{int(top.year)}–{(int(top.year) + 1) % 100:02d}"
    title = (f"{_name([top.iso3]).iloc[0]} votes with Russia most often: {top.agreement:.0%} of General Assembly "
             f"votes in the {season} session; the EU median is {eu_med['agreement'].iloc[-1]:.0%}")
    style.frame(fig, title, f"Share of recorded General Assembly votes cast the same way as Russia, per session "
                f"{since}–latest (absences excluded; sessions with fewer than {min_votes} votes left out)",
                style.sources("alignment", "memberships"), legend=handles, legend_ncol=2)
    named = sel.assign(name=_name(sel["iso3"]).to_numpy(), series=sel["iso3"])
    tidy = pd.concat([named, eu_med.assign(iso3=pd.NA, name="Median of EU members", series="EU median")])
    first = ["series", "iso3", "name"]
    return fig, tidy[first + [c for c in tidy.columns if c not in first]].reset_index(drop=True)


# ----------------------------------------------------------------------------- stance
def _maps():
    """The maps module, imported on first use: geopandas and shapely (~0.5 s) load only for the
    report's two maps, not for the country profiles."""
    from analysis.report import maps

    return maps


def _world_with(values: pd.DataFrame, column: str):
    w = _maps().projected()
    members = data.countries()["iso3"]
    pts = _maps().points_for_missing(members, crs=_maps().EQUAL_AREA)
    # small members are hard to see as polygons: add a dot for every member under 3,000 km²
    small = w[w["iso3"].isin(members) & (w.geometry.area < 3.0e9)]
    dots = small.assign(geometry=small.geometry.representative_point())
    shapes = w.merge(values[["iso3", column]], on="iso3", how="left")
    dots = pd.concat([pts, dots], ignore_index=True).merge(values[["iso3", column]], on="iso3", how="left")
    return shapes, dots


def _projected_y(lat: float) -> float:
    from pyproj import Transformer
    return Transformer.from_crs("EPSG:4326", _maps().EQUAL_AREA, always_xy=True).transform(0, lat)[1]


def stance_map(as_of=None, **thresholds):
    """World choropleth of the stance classes."""
    s = _stance.stance(as_of, **thresholds)
    s["stance"] = s["stance"].astype(str)
    shapes, dots = _world_with(s, "stance")
    fig, ax = style.figure(5.6)
    _maps().draw_choropleth(ax, shapes, "stance", style.STANCE_COLORS, missing_color=style.LIGHT_GREY, linewidth=0.25)
    _maps().draw_choropleth(ax, dots, "stance", style.STANCE_COLORS, markersize=9, edgecolor="#333333",
                         linewidth=0.3)
    allied = s.loc[s["stance"] == "allied", "iso3"]
    _maps().label_states(ax, pd.concat([shapes, dots], ignore_index=True).drop_duplicates("iso3"),
                      dict(zip(allied, _name(allied))), fontsize=6.5)
    counts = s["stance"].value_counts()
    keys = [k for k in style.STANCE_COLORS if k in counts]
    labels = {k: f"{style.STANCE_LABELS[k]} ({counts[k]})" for k in keys}
    ts = _asof.resolve(as_of)
    n_with = int(counts.get("allied", 0) + counts.get("russia_leaning", 0))
    title = f"{n_with} of the {len(s)} UN members side with Russia on Ukraine; {counts.get('neutral', 0)} stay neutral"
    missing = _maps().missing_members()
    style.frame(fig, title, f"Stance class of every UN member as of {ts:%-d %B %Y} (rules in the Methods section); "
                "small states as dots; the states allied with Russia named", style.sources("un_votes", "treaties", "unfriendly", "maps"),
                note=("Not shown (no shape in the map data): " + ", ".join(_name(missing))) if missing else None,
                legend=style.legend_handles(style.STANCE_COLORS, labels, keys), legend_ncol=3)
    out = s[["iso3", "stance", "reason"]].copy()
    out.insert(1, "name", _name(out["iso3"]).to_numpy())
    out.insert(3, "stance_label", out["stance"].map(style.STANCE_LABELS))
    return fig, out


def stance_shares_chart(as_of=None, **thresholds):
    """Population and GDP shares of each stance class (100% bars), with state counts."""
    sh = _stance.shares(as_of, **thresholds)
    sh = sh[sh["states"] > 0]
    keys = [k for k in style.STANCE_COLORS if k in set(sh["stance"].astype(str))]
    sh = sh.set_index(sh["stance"].astype(str)).loc[keys]
    rows = [("states", sh["states"] / sh["states"].sum(), f"States ({int(sh['states'].sum())})"),
            ("population", sh["population_share"], f"Population ({int(sh['n_with_population'].iloc[0])} with data)"),
            ("gdp", sh["gdp_share"], f"GDP ({int(sh['n_with_gdp'].iloc[0])} with data)")]
    fig, ax = style.figure(3.0)
    for yi, (_, shares, _) in enumerate(rows):
        left = 0.0
        for k in keys:
            v = float(shares[k])
            ax.barh(2 - yi, v, left=left, color=style.STANCE_COLORS[k], edgecolor="white", height=0.65)
            if v >= 0.045:
                ax.text(left + v / 2, 2 - yi, f"{v:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if k in ("allied", "condemning", "russia") else "black")
            left += v
    ax.set_yticks([2, 1, 0], [r[2] for r in rows])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.set_xlabel("Share of the UN members with data")
    with_r = sh.loc[[k for k in ("allied", "russia_leaning") if k in sh.index]]
    title = (f"States siding with Russia hold {labels.percent(with_r['population_share'].sum())} of the world's population "
             f"but {labels.percent(with_r['gdp_share'].sum())} of its GDP")
    style.frame(fig, title, "Shares of UN members, population and GDP by stance class (World Bank, latest year "
                "per country)", style.sources("un_votes", "countries"),
                legend=style.legend_handles(style.STANCE_COLORS, style.STANCE_LABELS, keys), legend_ncol=3)
    tidy = sh.reset_index(drop=True)[["stance", "label", "states", "population", "population_share", "gdp_usd",
                                      "gdp_share", "n_members", "n_with_population", "n_with_gdp"]]
    return fig, tidy


# ----------------------------------------------------------------------------- travel
def visits_map(as_of=None):
    """World map answering "where can Putin not go?": every ICC state party shaded, the states he
    visited since the ICC warrant coloured by their ICC status on the day, with the number of
    visits and the host's name on each."""
    from analysis.metrics import membership

    v = travel.visits_since_warrant(as_of)
    d = v.groupby("iso3", as_index=False).agg(visits=("start_date", "size"), icc_party=("icc_party", "max"),
                                              host=("host", "first"))
    parties = membership.members_of("ICC", as_of)
    status = pd.DataFrame({"iso3": sorted(parties)}).assign(status="party")
    status = pd.concat([status[~status["iso3"].isin(d["iso3"])],
                        d.assign(status=d["icc_party"].map({True: "visited_party", False: "visited"}))[
                            ["iso3", "status"]]], ignore_index=True)
    colors = {"party": "#D9C3E6", "visited_party": style.PURPLE, "visited": style.GREEN}
    names = {"party": "ICC state party (obliged to arrest him)", "visited_party": "Visited although an ICC party",
             "visited": "Visited, not bound by the Rome Statute"}
    shapes, dots = _world_with(status, "status")
    fig, ax = style.figure(4.9)
    _maps().draw_choropleth(ax, shapes, "status", colors, missing_color=style.LIGHT_GREY, linewidth=0.25)
    _maps().draw_choropleth(ax, dots.dropna(subset=["status"]), "status", colors, markersize=12)
    order = d.sort_values(["icc_party", "visits"], ascending=False)  # the ICC parties he visited first
    texts = {r.iso3: f"{r.host} {r.visits}" if r.visits > 1 else r.host for r in order.itertuples()}
    _maps().label_states(ax, pd.concat([shapes, dots], ignore_index=True).drop_duplicates("iso3"), texts,
                      fontsize=6.5, min_gap=1.7e6)
    n_icc = int(v["icc_party"].sum())
    title = (f"Since the ICC warrant Putin has made {len(v)} foreign visits to {v['iso3'].nunique()} states, "
             f"{n_icc} of them to ICC states parties, which are obliged to arrest him")
    warrant = pd.Timestamp(config.ICC_WARRANT_DATE)
    keys = [k for k in colors if k in set(status["status"])]
    style.frame(fig, title, f"The {len(parties)} ICC states parties (shaded) and the states Putin visited from "
                f"{warrant:%-d %B %Y} (named where space allows, with the number of visits when more than one); "
                "ICC status on the day of the visit", style.sources("visits", "memberships", "maps"),
                legend=style.legend_handles(colors, names, keys), legend_ncol=3)
    out = v[["start_date", "end_date", "iso3", "host", "city", "purpose", "icc_party"]]
    return fig, out


def visits_timeline(as_of=None):
    """Putin's foreign visits since the invasion: one row per host state, a dot per visit,
    coloured by the host's ICC status on the day."""
    v = travel.visits(as_of)
    hosts = (v.groupby(["iso3", "host"], as_index=False).agg(first=("start_date", "min"), n=("start_date", "size"))
             .sort_values(["first", "host"]))
    row = {iso3: i for i, iso3 in enumerate(hosts["iso3"])}
    fig, ax = style.figure(0.21 * len(hosts) + 1.7)
    y = len(hosts) - 1 - v["iso3"].map(row).to_numpy()
    ax.scatter(v["start_date"], y, c=[style.ICC_COLORS[b] for b in v["icc_party"]], s=30, zorder=3,
               edgecolor="white", linewidth=0.4)
    ax.set_yticks(len(hosts) - 1 - np.arange(len(hosts)),
                  [f"{h} ({n})" if n > 1 else h for h, n in zip(hosts["host"], hosts["n"])], fontsize=7.5)
    warrant = pd.Timestamp(config.ICC_WARRANT_DATE)
    ax.axvline(warrant, color=style.PURPLE, lw=1, ls="--")
    ax.text(warrant, len(hosts) - 0.4, " ICC arrest warrant", color=style.PURPLE, fontsize=8, va="bottom")
    ax.set_ylim(-0.7, len(hosts) + 0.3)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("Date of visit")
    ax.grid(axis="x")
    after = v[v["start_date"] >= warrant]
    title = (f"{len(v)} foreign trips since the invasion, to {len(hosts)} states; since the ICC warrant "
             f"{len(after)}, {int(after['icc_party'].sum())} of them to ICC states parties")
    style.frame(fig, title, "Vladimir Putin's visits abroad since 24 February 2022: one row per host state "
                "(number of visits in brackets), a dot per visit", style.sources("visits", "memberships"),
                legend=style.legend_handles(style.ICC_COLORS, style.ICC_LABELS, [True, False]), legend_ncol=2)
    return fig, v[["start_date", "iso3", "host", "city", "purpose", "icc_party"]]


# ----------------------------------------------------------------------------- arms and trade
def arms_exports_chart(as_of=None, since: int = 2014, top: int = 12):
    """Russia's arms deliveries (SIPRI TIV) since ``since`` to its top recipients, coloured by the
    recipient's stance."""
    g = economy.arms_exports_totals(as_of, since, top)
    s = _stance.stance(as_of).set_index("iso3")["stance"].astype(str)
    g["stance"] = g["recipient_iso3"].map(s).fillna("neutral")
    fig, ax = style.figure(0.3 * len(g) + 1.7)
    y = np.arange(len(g))[::-1]
    ax.barh(y, g["tiv"], color=[style.STANCE_COLORS[k] for k in g["stance"]], height=0.7)
    for yi, v, sh in zip(y, g["tiv"], g["share"]):
        ax.text(v, yi, f" {v:,.0f} ({sh:.0%})", va="center", fontsize=7.5)
    ax.set_yticks(y, _name(g["recipient_iso3"]))
    ax.set_xlabel("SIPRI trend-indicator value (millions), deliveries")
    ax.set_xlim(0, g["tiv"].max() * 1.22)
    keys = [k for k in style.STANCE_COLORS if k in set(g["stance"])]
    ax.legend(handles=style.legend_handles(style.STANCE_COLORS, style.STANCE_LABELS, keys), loc="lower right")
    last_year = int(economy.arms_exports(as_of)["year"].max())
    top2 = g.iloc[:2]
    title = (f"{_name([top2.iloc[0].recipient_iso3]).iloc[0]} and {_name([top2.iloc[1].recipient_iso3]).iloc[0]} "
             f"took {top2['share'].sum():.0%} of Russia's arms deliveries {since}–{last_year}")
    style.frame(fig, title, f"Russia's top {len(g)} arms recipients, {since}–{last_year} (share of all Russian "
                "deliveries); colour = recipient's stance today", style.sources("sipri", "un_votes"),
                note="TIV measures the volume of military capability transferred, not its price.")
    return fig, g


def trade_partners_chart(as_of=None, base_year: int = 2021, top: int = 10):
    """Russia's top trading partners: share of Russia's goods trade in ``base_year`` and in the
    latest year (2022+ values estimated by the IMF from partners' reports)."""
    t = economy.top_partners(as_of, base_year, top)
    fig, ax = style.figure(0.3 * len(t) + 1.8)
    y = np.arange(len(t))[::-1]
    for yi, r in zip(y, t.itertuples()):
        ax.plot([r.share_base, r.share_latest], [yi, yi], color=style.GREY, lw=1.2, zorder=1)
    ax.scatter(t["share_base"], y, color="white", edgecolor=style.BLACK, s=34, zorder=2, label=str(base_year))
    latest = int(t["latest_year"].iloc[0])
    ax.scatter(t["share_latest"], y, color=style.VERMILLION, s=34, zorder=3,
               label=f"{latest} (IMF estimate from partners' reports)")
    ax.set_yticks(y, t["name"])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
    ax.set_xlabel("Share of Russia's goods trade (exports + imports)")
    ax.grid(axis="x")
    ax.legend(loc="lower right")
    for yi, r in zip(y, t.itertuples()):  # missing is marked, never drawn as zero
        for missing, year, x in ((r.missing_latest, latest, r.share_base), (r.missing_base, base_year, r.share_latest)):
            if missing and pd.notna(x):
                ax.annotate(f"no {year} value", (x, yi), xytext=(7, 0), textcoords="offset points", va="center",
                            fontsize=7.5, color=style.GREY)
    chn = t[t["partner_iso3"] == "CHN"].iloc[0]
    title = (f"China's share of Russia's trade rose from {labels.percent(chn.share_base)} in {base_year} to "
             f"{labels.percent(chn.share_latest)} in {latest}")
    excluded = economy.trade_exclusions(as_of)
    excluded = excluded[excluded["year"] == latest]
    note = ("From 2022 Russia publishes no partner detail: the IMF estimates those years from the partners' own "
            "records." + (" Left out as implausible against the partner's own economy (see Methods): "
                          + ", ".join(excluded["name"]) + "." if len(excluded) else ""))
    style.frame(fig, title, f"Russia's largest trading partners, {base_year} against {latest}",
                style.sources("trade"), note=note)
    return fig, t
