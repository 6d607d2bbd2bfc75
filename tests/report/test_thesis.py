"""The thesis and key findings compute their numbers: change the data and the sentences change;
the story sections return Sections and save the files the site index and the data folder need."""
import pandas as pd

from analysis.datasets import data
from analysis.datasets.schemas import TABLES
from analysis.datasets.tableio import write_table
from analysis.report import sections, story_sections, thesis
from analysis.report.display import Section
from tests.conftest import _tiny_tables


def test_thesis_numbers_follow_the_data(tiny_data):
    before = thesis.thesis()
    assert "2 of the 5 UN members" in before  # ES-11/1 in the tiny world: USA and South Sudan yes
    t = _tiny_tables()
    v, r = t["un_votes"], t["un_resolutions"]
    v.loc[(v["iso3"] == "CHN") & (v["resolution"] == "A/RES/ES-11/1"), "vote"] = "yes"
    r.loc[r["resolution"] == "A/RES/ES-11/1", ["yes", "abstain"]] = [3, 0]
    for name, df in (("un_votes", v), ("un_resolutions", r)):
        write_table(df, tiny_data / "curated" / TABLES[name].filename)
    data.clear_cache()
    after = thesis.thesis()
    assert after != before and "3 of the 5 UN members" in after


def test_findings_are_at_most_five_plain_sentences_with_anchors():
    f = thesis.findings()
    assert 1 <= len(f) <= 5
    assert set(f["anchor"]) <= set(thesis.ANCHORS.values())
    assert not f["text"].str.contains(r"\*\*|\[").any()
    k = thesis.key_numbers()
    assert list(k.columns) == ["name", "label", "value", "unit", "denominator"] and len(k) == 3


def test_story_sections_save_thesis_and_time_series():
    ctx = sections.context()
    sec = story_sections.thesis_section(ctx)
    assert isinstance(sec, Section)
    saved = sec.data if isinstance(sec.data, pd.DataFrame) else None
    assert saved is not None
    iso = story_sections.isolation_over_time(ctx)
    assert isinstance(iso, Section)
    assert isinstance(story_sections.stance_over_time(ctx), Section)
    assert isinstance(story_sections.scorecard(ctx), Section)
    assert isinstance(story_sections.allies_section(ctx), Section)
