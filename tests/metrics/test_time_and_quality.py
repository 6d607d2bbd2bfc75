"""Metrics on the real data that depend on the 2026 data update: trade exclusions and missing
values, ended treaties, ICC notices in words, and what the data run through."""
import pandas as pd

from analysis.datasets import asof, coverage
from analysis.metrics import economy, membership


def test_excluded_trade_rows_are_left_out_of_shares_and_missing_is_not_zero():
    t = economy.trade_shares("2025-06-01")
    assert not ((t["partner_iso3"] == "UGA") & (t["year"] == 2024)).any()
    top = economy.top_partners("2025-06-01", 2021, 10).set_index("partner_iso3")
    assert "UGA" not in top.index
    if "UZB" in top.index:  # in the top by its 2021 share; its excluded 2024 value is not shown
        assert top.loc["UZB", "missing_latest"]
    kaz = top.loc["KAZ"]  # Kazakhstan has no 2024 value: missing, not 0 %
    assert kaz["missing_latest"] and pd.isna(kaz["share_latest"]) and kaz["share_base"] > 0.03
    ex = economy.trade_exclusions("2025-06-01")
    assert set(ex["partner_iso3"]) == {"UGA", "UZB"} and ex["exclusion_reason"].str.startswith("R").all()


def test_arms_imports_carry_the_sourced_note():
    imp = economy.arms_imports("2025-06-01")
    us = imp[imp["supplier"] == "United States"]
    assert len(us) and us["note"].str.contains("licensed engine deal").all()


def test_an_ended_treaty_is_not_current_after_its_end():
    t = membership.treaties_signed("PRK", "2025-06-01").set_index("signed")
    old = t.loc[pd.Timestamp("2000-02-09")]
    assert old["ended"] == pd.Timestamp("2024-12-04") and not old["current"]
    before = membership.treaties_signed("PRK", "2024-06-01").set_index("signed")
    assert before.loc[pd.Timestamp("2000-02-09"), "current"]


def test_icc_status_states_the_uncertainty_in_words():
    hun = membership.icc_status("HUN", "2026-12-01")
    assert "a party" in hun and "2 June 2026" in hun and "reported by weak sources only" in hun
    assert "uncertain" in hun and "-06-" not in hun  # dates in words, not ISO
    assert "HUN" in membership.members_of("ICC", "2026-12-01")
    ner = membership.icc_status("NER", "2026-12-01")
    assert "announced its withdrawal on 22 September 2025" in ner and "effective 18 June 2027" in ner


def test_default_as_of_is_the_build_date_and_the_header_line_names_each_source():
    assert asof.resolve(None) == pd.Timestamp.today().normalize()
    s = coverage.summary().set_index("table")
    assert s.at["un_resolutions", "through"] == pd.Timestamp("2026-02-24")
    assert s.at["un_resolutions", "partial_records"] == 3
    assert s.at["trade", "through"] == 2024
    line = coverage.line()
    assert line.startswith("Votes through 24 February 2026 (3 partial records)")
    assert "trips through 12 December 2025 (sources checked to 2 December 2026)" in line
    assert "trade through 2024" in line
    # looking back, the partial records are not yet known
    assert "partial" not in coverage.line("2025-11-01")
