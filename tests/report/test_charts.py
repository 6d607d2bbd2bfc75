"""Charts: assert on what the figures show (bars per resolution, one colour per vote, the source
line, titles with computed numbers), on the tidy data they return, and render every chart to PNG."""
import matplotlib
import pytest
from matplotlib.colors import to_hex

matplotlib.use("Agg")

from analysis.metrics import stances as stance
from analysis.metrics import votes  # noqa: E402
from analysis.report import charts, profile_charts, style

pytestmark = pytest.mark.realdata


def _bar_colors(ax):
    return [to_hex(p.get_facecolor()) for p in ax.patches]


def _assert_framed(fig, *needles):
    src = style.source_line(fig)
    assert src.startswith("Source:")
    for n in needles:
        assert n in src
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Source:" in texts


def test_tallies_chart_has_one_bar_per_resolution_and_vote():
    fig, df = charts.tallies_chart()
    ax = fig.axes[0]
    n = len(votes.tallies())
    assert len(df) == n and len(ax.patches) == 4 * n
    colors = _bar_colors(ax)
    for i, v in enumerate(["yes", "no", "abstain", "absent"]):
        assert set(colors[i * n:(i + 1) * n]) == {style.VOTE_COLORS[v].lower()}
    assert ax.get_xlabel() and len(ax.get_yticklabels()) == n
    assert "143" in fig._title  # ES-11/4's 143 yes votes, computed
    _assert_framed(fig, "UN Digital Library")
    legend_labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert legend_labels == [style.VOTE_LABELS[v] for v in ["yes", "no", "abstain", "absent"]]


def test_heatmap_rows_are_the_states_that_never_voted_yes():
    fig, df = charts.votes_heatmap()
    m = votes.vote_matrix()
    never = set(m.index[~(m == "yes").any(axis=1)]) - {"RUS"}
    assert set(df["iso3"]) == never
    assert f"{len(never)} states" in fig._title
    assert len(fig.axes[0].get_yticklabels()) == len(never)


def test_agreement_lines_show_each_state_and_the_eu_median():
    states = charts.FOCUS + charts.COMPARISON
    fig, df = charts.agreement_lines()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(states)
    assert all(len(ax.get_lines()) >= 2 for ax in visible)  # state + EU median (+ marker line)
    assert set(df["series"]) >= set(states) | {"EU median"}
    assert df["year"].min() >= 1992
    assert visible[0].get_ylabel() == "Agreement with Russia"


def test_stance_map_colours_every_class_it_names():
    fig, df = charts.stance_map()
    s = stance.stance()
    assert len(df) == len(s) == 193
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    for cls, n in s["stance"].astype(str).value_counts().items():
        assert f"{style.STANCE_LABELS[cls]} ({n})" in legend
    _assert_framed(fig, "Natural Earth")


def test_stance_shares_chart_sums_to_one_per_bar():
    fig, df = charts.stance_shares_chart()
    assert df["population_share"].sum() == pytest.approx(1.0)
    assert df["gdp_share"].sum() == pytest.approx(1.0)
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * len(df)
    assert {to_hex(p.get_facecolor()) for p in ax.patches} <= {c.lower() for c in style.STANCE_COLORS.values()}


def test_visits_map_and_timeline_use_the_icc_colours():
    fig, df = charts.visits_map()
    assert df["start_date"].min() >= __import__("pandas").Timestamp("2023-03-17")
    assert str(len(df)) in fig._title
    fig2, df2 = charts.visits_timeline()
    cols = {to_hex(c) for c in fig2.axes[0].collections[0].get_facecolors()}
    assert cols <= {style.ICC_COLORS[True].lower(), style.ICC_COLORS[False].lower()}
    assert len(fig2.axes[0].get_yticklabels()) == df2["iso3"].nunique()  # one row per host state


def test_arms_and_trade_charts():
    fig, df = charts.arms_exports_chart()
    assert len(fig.axes[0].patches) == len(df) and df["tiv"].is_monotonic_decreasing
    _assert_framed(fig, "SIPRI")
    fig, df = charts.trade_partners_chart()
    assert "CHN" in set(df["partner_iso3"]) and fig.axes[0].get_xlabel()
    _assert_framed(fig, "IMF")


@pytest.mark.parametrize("iso3", ["VNM", "PRK", "TUV"])
def test_profile_charts(iso3):
    for fn in (profile_charts.profile_votes_chart, profile_charts.profile_agreement_chart,
               profile_charts.profile_arms_chart):
        fig, df = fn(iso3)
        assert style.source_line(fig).startswith("Source:")
        assert fig._title


def test_every_chart_draws_inside_its_a4_wide_figure(tmp_path):
    """Figures are saved at their laid-out size (no tight bounding box, which costs a second layout
    pass), so anything drawn outside the figure would be cut off: every chart, and the profile charts
    of a state with and one without arms and trade data, keep all their artists inside it."""
    from PIL import Image

    from analysis.report import change_charts

    made = [fn() for fn in (charts.tallies_chart, charts.votes_heatmap, charts.agreement_lines, charts.stance_map,
                            charts.stance_shares_chart, charts.visits_map, charts.visits_timeline,
                            charts.arms_exports_chart, charts.trade_partners_chart, change_charts.isolation_chart,
                            change_charts.stance_over_time_chart)]
    made.append(change_charts.movers_chart("2022-03-02"))
    made += [fn(iso3) for iso3 in ("CHN", "UKR") for fn in (profile_charts.profile_votes_chart,
             profile_charts.profile_agreement_chart, profile_charts.profile_arms_chart,
             profile_charts.profile_trade_chart)]
    for fig, _ in made:
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
        name = getattr(fig, "_title", "?")
        assert fig.get_figwidth() <= style.FIG_WIDTH, name
        assert box.x0 >= 0 and box.y0 >= 0, (name, box)
        assert box.x1 <= fig.get_figwidth() and box.y1 <= fig.get_figheight(), (name, box)
    fig = made[0][0]
    fig.savefig(tmp_path / "tallies.png")
    assert Image.open(tmp_path / "tallies.png").size == (round(style.FIG_WIDTH * style.DPI),
                                                         round(fig.get_figheight() * style.DPI))


def test_tight_layout_measures_each_axes_once_with_the_same_result():
    """style.tight_layout gives the subplot parameters of matplotlib's own tight layout engine with
    the same rect, asks each Axes for its extent once instead of twice, and leaves no trace on it."""
    from matplotlib.layout_engine import TightLayoutEngine

    def drawn():
        fig, ax = style.figure(3.0)
        ax.barh(range(12), range(12))
        ax.set_yticks(range(12), [f"a long label {i}" for i in range(12)])
        ax.set_xlabel("x label")
        return fig, ax

    rect = (0, 0.1, 1, 0.85)
    ref, _ = drawn()
    TightLayoutEngine(rect=rect).execute(ref)
    fig, ax = drawn()
    calls = []
    measure = ax.get_tightbbox
    ax.get_tightbbox = lambda *a, **k: calls.append(1) or measure(*a, **k)
    style.tight_layout(fig, rect)
    assert len(calls) == 1
    assert "get_tightbbox" not in vars(ax)  # the instance attribute is removed again
    params = ("left", "right", "bottom", "top")
    assert [getattr(fig.subplotpars, p) for p in params] == [getattr(ref.subplotpars, p) for p in params]


def test_shared_text_metrics_change_no_chart(monkeypatch, chart_svgs):
    """Each text is measured once per process (analysis.report.textmetrics) instead of once per
    renderer: the SVGs of charts and profile charts are byte-identical to matplotlib's own measures."""
    import matplotlib.text as mtext

    from analysis.report import textmetrics

    makers = [charts.tallies_chart, charts.stance_shares_chart, charts.visits_timeline]
    makers += [lambda fn=fn, iso3=iso3: fn(iso3) for iso3 in ("CHN", "FRA")
               for fn in (profile_charts.profile_votes_chart, profile_charts.profile_trade_chart)]

    def svgs():
        return chart_svgs(makers)

    shared = svgs()  # twice with the shared cache: the second time every text is a hit
    assert svgs() == shared
    assert textmetrics._STATE.entries
    textmetrics.uninstall()
    monkeypatch.setattr(textmetrics, "install", lambda: False)  # style.apply() would put it back
    try:
        own = svgs()
        assert mtext._get_text_metrics_with_cache is not textmetrics._shared  # matplotlib's own cache measured
    finally:
        monkeypatch.undo()
        style.apply()
    assert mtext._get_text_metrics_with_cache is textmetrics._shared
    assert own == shared


def test_shared_text_metrics_follow_the_font_settings():
    """A change of the rcParams that pick fonts is a new measure, the one matplotlib would give."""
    import matplotlib.pyplot as plt
    import matplotlib.text as mtext
    from matplotlib.font_manager import FontProperties

    from analysis.report import textmetrics

    style.apply()
    assert mtext._get_text_metrics_with_cache is textmetrics._shared
    prop = FontProperties(family="sans-serif", size=10)
    own = textmetrics._STATE.original
    measures = []
    for family in ("DejaVu Sans", "DejaVu Sans Mono"):
        with matplotlib.rc_context({"font.sans-serif": [family]}):
            shared = mtext._get_text_metrics_with_cache(plt.figure(dpi=100).canvas.get_renderer(),
                                                        "Mongolia abstained", prop, False, 100)
            fresh = plt.figure(dpi=100).canvas.get_renderer()  # matplotlib's cache is per renderer
            assert shared == own(fresh, "Mongolia abstained", prop, False, 100)
            measures.append(shared)
    sans, mono = measures
    assert mono != sans


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def test_public_metric_api_columns():
    from analysis import metrics
    from analysis.metrics import claims
    assert list(metrics.agreement("RUS").columns) == ["iso3", "session", "year", "agreement", "n_votes"]
    assert list(metrics.agreement("USA", method="kappa").columns)[:4] == ["iso3", "session", "year", "agreement"]
    s = metrics.stance()
    assert list(s.columns[:3]) == ["iso3", "stance", "reason"] and len(s) == 193
    assert list(claims.check_all().columns[:4]) == ["claim_id", "claim", "verdict", "evidence"]


def test_house_style_equals_seaborns_white_theme():
    """style.apply sets seaborn's white theme without importing seaborn: the settings must be the
    ones seaborn itself sets (all of them, except the default colormap, which needs seaborn's
    registered 'rocket' map and which no chart uses)."""
    import matplotlib as mpl
    import seaborn as sns

    from analysis.report import style

    with mpl.rc_context():
        mpl.rcdefaults()
        style.apply()
        ours = dict(mpl.rcParams)
    with mpl.rc_context():
        mpl.rcdefaults()
        sns.set_theme(style="white", rc=style.RC)
        theirs = dict(mpl.rcParams)
    for rc in (ours, theirs):  # the same colours, as hex (seaborn stores RGB tuples)
        rc["axes.prop_cycle"] = [mpl.colors.to_hex(c) for c in rc["axes.prop_cycle"].by_key()["color"]]
    differ = {k: (ours[k], theirs[k]) for k in theirs if k != "image.cmap" and ours[k] != theirs[k]}
    assert not differ


@pytest.mark.parametrize("iso3", ["AUS", "CHN"])
def test_profile_votes_chart_labels_do_not_overlap(iso3):
    """Each row's resolution label (y tick) and the state's vote written beside it ("Not yet sourced
    (partial record)" for a vote no source gives yet) must not overlap once drawn."""
    fig, df = profile_charts.profile_votes_chart(iso3)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    ticks = [t.get_window_extent(r) for t in ax.get_yticklabels() if t.get_text()]
    words = [t.get_window_extent(r) for t in ax.texts]
    assert len(ticks) == len(df) and len(words) == len(df)
    for tick, word in zip(ticks, words):
        assert tick.x1 < word.x0, (iso3, tick, word)  # the label ends left of the vote text
    assert all(not a.overlaps(b) for a in ticks for b in words)
