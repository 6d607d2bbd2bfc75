"""Report sections on the tiny fixture world: each returns a Section that exposes its data and an
open, restylable figure, and whose sentences are computed from the data."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.datasets import data  # noqa: E402
from analysis.report import display, profile  # noqa: E402
from analysis.report import profile_sections as profile_page  # noqa: E402
from analysis.report import sections as report  # noqa: E402
from analysis.report.display import Section  # noqa: E402

THRESHOLDS = {}


@pytest.fixture
def ctx(tiny_data):
    return report.context("2024-06-20", ["BLR", "CHN"])


def test_chart_section_returns_its_data_and_an_open_figure(ctx):
    sec = report.tallies(ctx)
    assert isinstance(sec, Section)
    assert list(sec.data["resolution"]) == ["A/RES/68/262", "A/RES/ES-11/1", "A/RES/ES-11/6"]
    assert list(sec.data["no"]) == [2, 2, 3]  # counted from the tiny votes
    assert sec.figure is not None and plt.fignum_exists(sec.figure.number)
    assert "ukraine-vote-tallies" in sec.tables


def test_restyle_changes_title_and_legend(ctx):
    sec = report.tallies(ctx)
    old = sec.figure._title
    sec.restyle(title="My own title", legend_labels={"No": "Against"})
    assert sec.figure._title == "My own title" != old
    texts = [t.get_text() for lg in sec.figure.legends for t in lg.get_texts()]
    assert "Against" in texts and "No" not in texts


def test_display_renders_blocks_and_detaches_the_figure(ctx, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(type(obj).__name__))
    sec = report.tallies(ctx).md("text")
    sec._ipython_display_()
    assert shown == ["Figure", "Markdown"]  # SVG + PNG bundle (display.Figure)
    assert not plt.fignum_exists(sec.figure.number)
    sec.figure.savefig(__import__("io").BytesIO(), format="png")  # still usable after display


def test_text_section_computes_its_numbers(ctx, tiny_data):
    assert "3 General Assembly resolutions" in report.votes_intro(ctx).text
    # one more Ukraine resolution in the data: the sentence follows
    res = data.resolutions()
    votes = data.votes()
    extra = res[res["resolution"] == "A/RES/ES-11/6"].assign(resolution="A/RES/ES-11/7",
                                                              date=pd.Timestamp("2024-02-24"), undl_id=9999)
    from analysis.datasets.schemas import TABLES
    from analysis.datasets.tableio import write_table
    write_table(pd.concat([res, extra]), tiny_data / "curated" / TABLES["un_resolutions"].filename)
    write_table(pd.concat([votes, votes[votes["resolution"] == "A/RES/ES-11/6"].assign(resolution="A/RES/ES-11/7")]),
                tiny_data / "curated" / TABLES["un_votes"].filename)
    data.clear_cache()
    assert "4 General Assembly resolutions" in report.votes_intro(ctx).text


def test_table_sections_expose_tidy_data(ctx):
    sec = report.absences(ctx)
    assert {"iso3", "absent", "absence_rate"} <= set(sec.data.columns)
    blocs = report.blocs(ctx)
    assert len(blocs.data) >= 1


def test_csv_written_only_when_configured(ctx, tmp_path):
    display.configure("", "")
    report.tallies(ctx)
    assert not list(tmp_path.glob("*.csv"))
    display.configure(str(tmp_path), "d")
    try:
        sec = report.tallies(ctx)
    finally:
        display.configure("", "")
    written = pd.read_csv(tmp_path / "ukraine-vote-tallies.csv")
    assert list(written["no"]) == list(sec.data["no"])


def test_profile_facts_and_sections_on_the_tiny_world(tiny_data):
    f = profile.facts("BLR", "2024-06-20")
    assert f["name"] == "Belarus"
    assert f["votes"]["no"] == 3  # BLR voted no on all three Ukraine resolutions
    ctx = report.context("2024-06-20", ["BLR"])
    assert "Belarus" in profile_page.header(ctx).text
    assert len(profile_page.visits(ctx).data) == 2  # two visits to Minsk in the tiny data


def test_context_defaults_to_the_article_six(tiny_data):
    from analysis import config
    from analysis.errors import ParameterError
    with pytest.raises(ParameterError, match="closest"):
        report.context("2024-06-20", ["CHX"])
    assert config.FOCUS == ("CHN", "PRK", "BLR", "IRN", "SYR", "VNM")


def test_profile_visits_before_the_invasion_are_not_anachronistic(tiny_data):
    """Before 24 February 2022 the profile says visits are counted from the invasion and the date is
    before it, not that Putin "has not visited since" a date that has not come yet."""
    from analysis import config
    inv = f"{pd.Timestamp(config.INVASION_DATE):%-d %B %Y}"
    early = profile_page.visits(report.context("2021-12-31", ["USA"])).text
    assert "has not visited" not in early
    assert "counted from" in early and inv in early and "31 December 2021" in early and "before" in early
    later = profile_page.visits(report.context("2022-06-01", ["USA"])).text
    assert "has not visited United States since" in later and inv in later


def test_trade_share_has_one_format_in_dossier_summary_and_profile(tiny_data, monkeypatch):
    """The dossier sentence, the summary table and the profile facts show a state's share of Russia's
    trade with labels.percent (5.1%, 37%, 0.08%), not each with its own format."""
    from analysis.report import labels
    for share, words in ((0.3712, "37%"), (0.0512, "5.1%"), (0.0008, "0.08%")):
        f = dict(profile.facts("BLR", "2024-06-20"), trade_share=share, trade_year=2023)
        monkeypatch.setattr(profile, "facts", lambda *a, _f=f, **k: _f)
        assert labels.percent(share) == words
        assert f"accounted for {words} of Russia's goods trade in 2023" in profile.dossier_text("BLR", "2024-06-20")
        assert profile.summary_table(["BLR"], "2024-06-20").at[0, "Share of Russia's trade"] == f"{words} (2023)"
        assert f"in 2023: {words}." in profile_page.facts(report.context("2024-06-20", ["BLR"])).text


def test_reader_tables_show_names_not_codes(tiny_data):
    """Blocs list members by name; the absences and stance tables keep ISO3 in their CSV only; the
    glossary shows the resolution without a sourced symbol by its label; the stance sensitivity says
    "1 state", never "1 states"."""
    ctx = report.context("2024-06-20", ["BLR"])
    shown = [b[1] for b in report.blocs(ctx).blocks if b[0] == "table"][0]
    assert "Belarus" in " ".join(shown["members"]) and "BLR" not in " ".join(shown["members"])
    st = report.stance_tables(ctx)
    tables = [b for b in st.blocks if b[0] == "table"]
    with_russia = [b for b in tables if b[6] == "stance-with-russia"][0]
    assert "iso3" not in with_russia[1].columns and "iso3" in st.tables["stance-with-russia"].columns
    html = st.html() if hasattr(st, "html") else " ".join(str(b[1].to_numpy()) for b in tables)
    assert "1 states" not in html
    assert not any(str(r).startswith("UNGA-") for r in report.glossary(ctx).data["resolution"])


def test_allies_sensitivity_and_scorecard_read_as_words():
    from analysis.report import story_sections as story
    assert story.setting_words("weight sco_brics") == "Weight of SCO or BRICS"
    assert story.setting_words("ally_ties") == "Ties score an ally needs"
    sens = pd.DataFrame({"setting": ["ally_ties"], "value": [2.0], "allies": [1], "partners": [0],
                         "allies_named": ["BLR"]})
    assert "_" not in story.sensitivity_shown(sens).at[0, "setting"]
    # verdict marks a PDF font can print: no colour emoji (they print as empty boxes)
    assert all(ord(ch) < 0x2800 for mark in story._COLOUR.values() for ch in mark)
