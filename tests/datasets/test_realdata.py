"""Facts the curated data must reproduce (official UN totals)."""
import pandas as pd
import pytest

from analysis.datasets import data

pytestmark = pytest.mark.realdata


def _tally(symbol):
    v = data.votes()
    return v[v["resolution"] == symbol]


def test_es11_1_counts_141_5_35_with_the_five_against():
    v = _tally("A/RES/ES-11/1")
    counts = v["vote"].value_counts()
    assert (counts["yes"], counts["no"], counts["abstain"]) == (141, 5, 35)
    assert sorted(v.loc[v["vote"] == "no", "iso3"]) == ["BLR", "ERI", "PRK", "RUS", "SYR"]


def test_es11_4_counts_143_5_35():
    counts = _tally("A/RES/ES-11/4")["vote"].value_counts()
    assert (counts["yes"], counts["no"], counts["abstain"]) == (143, 5, 35)


def test_es11_7_counts_93_18_65_with_the_usa_against():
    v = _tally("A/RES/ES-11/7")
    counts = v["vote"].value_counts()
    assert (counts["yes"], counts["no"], counts["abstain"]) == (93, 18, 65)
    assert v.loc[v["iso3"] == "USA", "vote"].item() == "no"


def test_193_members_on_every_vote_since_july_2011():
    res = data.resolutions()
    recent = res.loc[res["date"] >= "2011-07-14", "resolution"]
    n = data.votes().groupby("resolution", observed=True).size()
    assert len(recent) > 1000
    assert (n[recent] == 193).all()


def test_recorded_totals_equal_the_counted_votes():
    res = data.resolutions().set_index("resolution")
    counted = data.votes().groupby(["resolution", "vote"], observed=False).size().unstack(fill_value=0)
    full = res[res["record"] == "full"]
    for col in ["yes", "no", "abstain", "absent"]:
        assert (counted[col].reindex(full.index).fillna(0).astype(int) == full[col]).all()
    # partial records: sourced votes never exceed the official totals; the rest are 'unknown'
    partial = res[res["record"] == "partial"]
    assert len(partial) >= 3
    for sym, r in partial.iterrows():
        c = counted.loc[sym]
        assert all(c[v] <= r[v] for v in ["yes", "no", "abstain", "absent"])
        assert c["unknown"] == r[["yes", "no", "abstain", "absent"]].sum() - c[["yes", "no", "abstain", "absent"]].sum()


def test_countries_are_the_193_members_with_regions_and_population():
    c = data.countries()
    assert len(c) == 193 and c["iso3"].is_unique
    assert c["un_region"].notna().all() and c["un_member_from"].notna().all()
    assert c["population"].notna().sum() >= 190
    assert c.loc[c["iso3"] == "SSD", "un_member_from"].item() == pd.Timestamp("2011-07-14")


def test_loader_returns_typed_copies():
    v = data.votes()
    assert isinstance(v["vote"].dtype, pd.CategoricalDtype)
    assert pd.api.types.is_datetime64_any_dtype(data.resolutions()["date"])
    v["iso3"] = "XXX"  # changing a returned frame must not change the cache
    assert (data.votes()["iso3"] != "XXX").all()


def test_every_hand_curated_row_has_a_source():
    for table in (data.memberships(), data.leader_visits(), data.treaties()):
        assert table["source"].notna().all() and table["source_url"].str.startswith("http").all()
        assert table["checked"].isin(["yes", "no"]).all()
