"""Vote matrix, tallies, absence and switching on the tiny hand-made world (see conftest.py)."""
import pandas as pd
import pytest

from analysis.metrics import votes


def test_tallies_count_absences_and_respect_as_of(tiny_data):
    t = votes.tallies(as_of="2022-12-31")
    assert list(t["label"]) == ["68/262", "ES-11/1"]  # ES-11/6 (2023) is not yet known
    first = t.iloc[0]
    assert (first.yes, first.no, first.abstain, first.absent, first.members) == (1, 2, 1, 1, 5)


def test_matrix_leaves_non_members_empty(tiny_data):
    m = votes.vote_matrix(["A/RES/64/1", "A/RES/ES-11/1"])
    assert pd.isna(m.at["SSD", "64/1"])  # South Sudan joined in 2011
    assert m.at["SSD", "ES-11/1"] == "yes"
    assert list(m.columns) == ["64/1", "ES-11/1"]


def test_counts_by_member_use_only_votes_a_member_could_cast(tiny_data):
    c = votes.counts_by_member(["A/RES/64/1", "A/RES/68/262", "A/RES/ES-11/1"]).set_index("iso3")
    assert c.loc["SSD", "eligible"] == 2 and c.loc["RUS", "eligible"] == 3


def test_absence_rate(tiny_data):
    a = votes.absence_rate().set_index("iso3")
    assert a.loc["SSD", "absence_rate"] == pytest.approx(1 / 3)
    assert a.loc["USA", "absence_rate"] == 0


def test_vote_switches_name_the_moves(tiny_data):
    s = votes.vote_switches("A/RES/ES-11/1", "A/RES/ES-11/6").set_index("iso3")
    assert s.loc["CHN", "move"] == "to no"
    assert s.loc["SSD", "move"] == "left yes"
    assert s.loc["USA", "move"] == "unchanged"
    table = votes.switch_table("A/RES/ES-11/1", "A/RES/ES-11/6")
    assert table.loc["abstain", "no"] == 1 and table.values.sum() == 5


def test_unknown_resolution_is_an_error(tiny_data):
    with pytest.raises(KeyError):
        votes.vote_matrix(["A/RES/NOPE"])
