"""The country profile's 'What changed' sentences, its trade trend, and first mentions of
resolutions, on the tiny fixture world (expected values computed by hand from tests/conftest.py)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.datasets import data  # noqa: E402
from analysis.datasets.schemas import TABLES  # noqa: E402
from analysis.datasets.tableio import write_table  # noqa: E402
from analysis.metrics import economy  # noqa: E402
from analysis.report import display, profile  # noqa: E402
from analysis.report import profile_sections as page  # noqa: E402
from analysis.report import sections as report  # noqa: E402

DAY = "2024-06-20"


@pytest.fixture(autouse=True)
def _no_output():
    display.configure("")
    yield
    plt.close("all")


def _no_identifiers(text: str) -> None:
    for bad in ("iso3", "with_russia", "(s)", "russia_leaning", "west_leaning", "nan", "None"):
        assert bad not in text, (bad, text)


def test_what_changed_says_how_the_votes_and_the_stance_moved(tiny_data):
    s = profile.what_changed("CHN", DAY)
    assert 2 <= len(s) <= 4
    votes, stance, icc, trade = s
    # CHN: abstain on 68/262 and ES-11/1, no on ES-11/6
    assert votes.startswith("China abstained on the first Ukraine resolution, 68/262 \\(")
    assert "voted no on the latest with its vote on record, ES-11/6" in votes
    assert "(abstain \u2192 no)" in votes and "of the 3 with its vote on record: 1 no vote and 2 abstentions" in votes
    # window [abstain] and [abstain, abstain] -> neutral; [abstain, abstain, no] -> 1/3 no -> Russia-leaning
    assert stance == ("Its stance class moved: *Neutral* at the end of 2014 and at the end of 2022, then "
                      "*Russia-leaning* on 20 June 2024.")
    assert icc.startswith("On the International Criminal Court's Rome Statute: since March 2014 it joined on "
                          "1 January 2024") and icc.endswith("it is a party.")
    # 2021: 100 of 200 = 50%; 2022: 300 of 310 = 96.8% -> "97%"; 2023 is not in the data yet
    assert trade.startswith("Its share of Russia's goods trade rose from 50% in 2021 to 97% in 2022")
    assert "provisional" in trade
    for line in s:
        _no_identifiers(line)


def test_what_changed_names_a_change_of_government_and_escapes_its_description(tiny_data):
    e = data.state_events().copy()
    row = e.iloc[0].copy()
    row["iso3"], row["event"] = "BLR", "government_change"
    row["start"], row["end"] = pd.Timestamp("2023-01-01"), pd.NaT
    row["description"] = "Coup [x](javascript:alert(1)) *bold*"
    write_table(pd.concat([e, row.to_frame().T], ignore_index=True), tiny_data / "curated" / TABLES["state_events"].filename)
    data.clear_cache()
    s = profile.what_changed("BLR", DAY)
    gov = [x for x in s if "change of government" in x]
    assert len(gov) == 1
    g = gov[0]
    assert "on 1 January 2023" in g and "](" not in g and "\\[x\\]\\(javascript" in g and "\\*bold\\*" in g
    # BLR voted no on 68/262 and ES-11/1 (before) and on ES-11/6 (after)
    assert "before it, Belarus's record on the Ukraine resolutions was 2 no votes; since then, 1 no vote." in g
    assert len(s) <= 4  # votes, government, stance, ICC: the trade sentence (no BLR trade) is not there anyway


def test_what_changed_on_the_first_accepted_date(tiny_data):
    s = profile.what_changed("CHN", "2014-03-27")
    assert len(s) == 2  # the only vote, the stance; no trade year is known, no ICC change yet
    assert s[0].startswith("On the only Ukraine resolution with its vote on record, 68/262 \\(Crimea")
    assert s[0].endswith("China abstained.")
    assert s[1] == "Its stance class is *Neutral* on 27 March 2014."


def test_resolutions_are_described_on_first_mention_only(tiny_data):
    ctx = report.context(DAY, ["BLR"])
    intro = report.votes_intro(ctx).text
    assert "68/262 \\(Crimea, 2014" in intro and "ES-11/1 \\(Aggression against Ukraine" in intro
    sw = report.switches(ctx).text
    assert "on ES-11/1 against" in sw and "ES-11/1 \\(" not in sw  # second mention: the code only
    fresh = report.context(DAY, ["BLR"])
    assert "ES-11/1 \\(Aggression against Ukraine" in report.switches(fresh).text  # first mention there
    # in a profile: the 'What changed' sentences describe 68/262, later sections do not repeat it
    p = report.context(DAY, ["CHN"])
    first = page.what_changed(p).text
    assert first.count("68/262 \\(Crimea") == 1
    assert "68/262 \\(" not in " ".join(profile.what_changed("CHN", DAY, seen=p.mentioned))


def test_thesis_describes_the_first_mention_of_each_resolution():
    """On the real data (the tiny world lacks the article's six): the thesis names the latest
    comparable demand with what it demanded; the finding after it gives only its code."""
    from analysis.report import thesis

    n = thesis.numbers("2025-06-01")
    seen: set = set()
    text, f = thesis.thesis(n=n, seen=seen), thesis.findings(n=n, seen=seen)
    votes = f.set_index("anchor").at["isolation-over-time", "text"]
    assert "ES-11/7 (Third anniversary, February 2025" in text and "ES-11/7 (" not in votes
    assert "ES-11/1 (Aggression against Ukraine, March 2022" in votes  # first named in the finding
    assert {"ES-11/1", "ES-11/7"} <= seen


def test_trade_section_draws_the_trend_with_the_provisional_years_named(tiny_data, tmp_path):
    display.configure(str(tmp_path), "CHN_data")
    sec = page.trade(report.context(DAY, ["CHN"]))
    assert sec.figure is not None
    assert sec.figure._title == "China's share of Russia's goods trade rose from 50% in 2021 to 97% in 2022 (an IMF estimate)"
    assert "IMF" in sec.figure._source_line and "2022: IMF estimates" in sec.figure._source_line
    ax = sec.figure.axes[0]
    assert ax.get_ylabel() == "Goods trade (US$ millions)" and ax.get_xlabel() == "Year"
    assert sec.figure.axes[1].get_ylabel() == "Share of Russia's goods trade (%)"
    d = pd.read_csv(tmp_path / "trade.csv")
    assert list(d["year"]) == [2021, 2022] and list(d["status"]) == ["both", "both"]
    assert d["share"].between(0, 1).all()
    assert "2023: not yet in the IMF data on 20 June 2024" in sec.text
    _no_identifiers(sec.text)


def test_trade_section_names_a_partial_year(tiny_data):
    sec = page.trade(report.context(DAY, ["USA"]))  # 2022: exports only
    assert "2022: exports only (imports not reported, so the total and share are lower bounds)" in sec.text
    assert sec.figure._title.startswith("United States")


def test_trade_section_in_words_without_data(tiny_data):
    sec = page.trade(report.context(DAY, ["BLR"]))
    assert sec.figure is None and "records no goods trade between Russia and Belarus" in sec.text
    early = page.trade(report.context("2016-06-01", ["CHN"]))
    assert early.figure is None and "no year of it is known yet" in early.text


def test_an_impossible_share_is_left_out_and_said(tiny_data, monkeypatch):
    real = economy._shares_until

    def broken(last):
        t = real(last)
        return t.assign(share=t["share"].where(t["year"] != 2022, 1.5))

    monkeypatch.setattr(economy, "_shares_until", broken)
    monkeypatch.setenv("ISOLATION_MEMO_DIR", "off")  # partner_trade is memoised: computed afresh, not stored
    data.clear_cache()
    try:
        d = economy.partner_trade("CHN", DAY)
        assert d.set_index("year").at[2022, "status"] == "impossible"
        assert pd.isna(d.set_index("year").at[2022, "share"])
        sec = page.trade(report.context(DAY, ["CHN"]))
        assert "2022: left out: share outside 0-100%" in sec.text
        assert sec.figure._title == "China accounted for 50% of Russia's goods trade in 2021"
    finally:
        data.clear_cache()  # the broken shares stay out of the next tests
