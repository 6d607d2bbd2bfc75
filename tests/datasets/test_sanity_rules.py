"""Each sanity rule of `validate` gets a bad row and reports it with file, line, column and value."""
import pandas as pd
import pytest

from analysis import config
from analysis.datasets import curate, plausibility, validate
from analysis.errors import DataValidationError


def _problems(directory):
    with pytest.raises(DataValidationError) as info:
        validate.validate_dir(directory, check_raw=False, complete=False)
    return info.value.problems


def _append(path, row: dict):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = pd.concat([df, pd.DataFrame([row])], ignore_index=True).fillna("")
    df.to_csv(path, index=False, lineterminator="\n")
    return len(df) + 1  # the line of the new row (the header is line 1)


def _set(path, match: dict, column, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    hit = (df[list(match)] == pd.Series(match)).all(axis=1)
    assert hit.sum() == 1
    df.loc[hit, column] = value
    df.to_csv(path, index=False, lineterminator="\n")
    return int(df.index[hit][0]) + 2


# --------------------------------------------------------------------------- trade
def _real_trade(iso3, years):
    t = pd.read_csv(config.curated_dir() / "trade.csv", dtype=str, keep_default_na=False)
    return t[(t["partner_iso3"] == iso3) & t["year"].isin([str(y) for y in years])]


def test_curation_excludes_uganda_and_uzbekistan_but_keeps_armenia():
    t = pd.read_csv(config.curated_dir() / "trade.csv")
    ex = t[t["excluded"]]
    assert {(r.partner_iso3, r.year) for r in ex.itertuples()} == {
        ("UGA", 2022), ("UGA", 2023), ("UGA", 2024), ("UZB", 2023), ("UZB", 2024)}
    assert ex["exclusion_reason"].str.len().gt(20).all()
    arm = t[(t["partner_iso3"] == "ARM") & (t["year"] == 2024)].iloc[0]
    assert not arm["excluded"] and arm["review_note"].startswith("R1 (kept)")


def test_an_implausible_partner_derived_value_that_is_not_excluded_is_reported(small_curated):
    path = small_curated / "trade.csv"
    for r in _real_trade("UGA", [2019, 2020, 2021, 2024]).to_dict("records"):
        line = _append(path, {**r, "excluded": "False", "exclusion_reason": ""})
    p = _problems(small_curated)
    hit = [x for x in p if x.file == "trade.csv" and x.line == line]
    assert hit and hit[0].column == "imports_usd" and "excluded=True" in hit[0].expected and "UGA" in hit[0].expected


def test_an_excluded_row_needs_a_reason(small_curated):
    line = _set(small_curated / "trade.csv", {"partner_iso3": "CHN", "year": "2023"}, "excluded", "True")
    p = _problems(small_curated)
    assert any(x.file == "trade.csv" and x.line == line and x.column == "exclusion_reason" for x in p)


def test_missing_written_as_zero_is_reported(small_curated):
    line = _set(small_curated / "trade.csv", {"partner_iso3": "CHN", "year": "2024"}, "exports_usd", "0.0")
    p = _problems(small_curated)
    assert any(x.file == "trade.csv" and x.line == line and x.column == "exports_usd" and x.value == 0.0
               and "empty cell" in x.expected for x in p)


def test_the_rule_itself_on_numbers():
    trade = pd.DataFrame({"partner_iso3": ["AAA"] * 4, "year": [2019, 2020, 2021, 2024],
                          "exports_usd": [1e8, 1e8, 1e8, 1e8], "imports_usd": [1e8, 1e8, 1e8, 5e9],
                          "partner_derived": [False, False, False, True]})
    gdp = pd.DataFrame({"iso3": ["AAA"] * 4, "year": [2019, 2020, 2021, 2023], "gdp_usd": [1e10] * 4})
    c = plausibility.trade_checks(trade, gdp)
    r = c.loc[3]
    assert r["rule"] == "R3" and r["excluded"] and r["trade_to_gdp"] == pytest.approx(0.51)


# --------------------------------------------------------------------------- state events
def test_a_state_without_a_vote_that_voted_is_reported(small_curated):
    path = small_curated / "state_events.csv"
    row = {"iso3": "RUS", "event": "article19_no_vote", "start": "2022-01-01", "end": "", "description": "test",
           "source": "test", "source_url": "https://example.org", "source_tier": "news", "checked": "no"}
    line = _append(path, row)
    p = _problems(small_curated)
    hit = [x for x in p if x.file == "state_events.csv" and x.line == line]
    assert hit and hit[0].column == "start" and "A/RES/ES-11/1" in hit[0].expected


def test_a_change_of_government_has_no_end(small_curated):
    line = _set(small_curated / "state_events.csv", {"iso3": "SYR", "event": "government_change"}, "end", "2025-01-01")
    p = _problems(small_curated)
    assert any(x.file == "state_events.csv" and x.line == line and x.column == "end" for x in p)


def test_an_event_outside_the_allowed_kinds_is_reported(small_curated):
    line = _set(small_curated / "state_events.csv", {"iso3": "SYR", "event": "government_change"}, "event", "icc_withdrawal")
    p = _problems(small_curated)
    assert any(x.file == "state_events.csv" and x.line == line and x.column == "event" for x in p)


# --------------------------------------------------------------------------- treaties, ICC, arms, tiers
def test_a_treaty_that_ends_before_it_is_signed_is_reported(small_curated):
    path = small_curated / "treaties.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "ended"] = "1990-01-01"
    df.to_csv(path, index=False, lineterminator="\n")
    p = _problems(small_curated)
    assert any(x.file == "treaties.csv" and x.line == 2 and x.column == "ended" and "signed" in x.expected for x in p)


def test_an_icc_withdrawal_that_took_effect_must_end_the_membership(small_curated):
    row = {"iso3": "UKR", "event": "withdrawal_notified", "date": "2025-02-01", "effective": "2025-06-01",
           "status": "confirmed", "description": "test", "source": "test", "source_url": "https://example.org",
           "source_tier": "news", "checked": "no"}
    _append(small_curated / "icc_notices.csv", row)
    m = pd.read_csv(small_curated / "memberships.csv", dtype=str, keep_default_na=False)
    line = int(m.index[(m["iso3"] == "UKR") & (m["group"] == "ICC")][0]) + 2
    p = _problems(small_curated)
    assert any(x.file == "memberships.csv" and x.line == line and x.column == "left" and "2025-06-01" in x.expected
               for x in p)


def test_a_note_for_an_unknown_sipri_deal_is_reported(small_curated):
    line = _append(small_curated / "arms_notes.csv", {"sipri_id": "1", "note": "x", "source": "t",
                                                      "source_url": "https://example.org", "source_tier": "news",
                                                      "checked": "no"})
    p = _problems(small_curated)
    assert any(x.file == "arms_notes.csv" and x.line == line and x.column == "sipri_id" for x in p)


def test_an_unknown_vote_on_a_full_record_is_reported(small_curated):
    import gzip
    path = small_curated / "un_votes.csv.gz"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[2, "vote"] = "unknown"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
    p = _problems(small_curated)
    assert any(x.file == "un_votes.csv.gz" and x.line == 4 and x.column == "vote" and "full record" in x.expected
               for x in p)


def test_a_source_tier_outside_the_four_is_refused_in_the_manual_file(data_copy):
    path = data_copy / "manual" / "leader_visits.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[4, "source_tier"] = "blog"
    df.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as info:
        curate.curate()
    assert any(x.file == "manual/leader_visits.csv" and x.line == 6 and x.column == "source_tier" and x.value == "blog"
               for x in info.value.problems)
