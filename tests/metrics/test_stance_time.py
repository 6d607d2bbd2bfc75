"""The time-aware stance (window, change of government, could not vote, contested seat, Ukraine),
the ties score and the allies rule, on the tiny hand-made world (tests/conftest.py)."""
import pandas as pd
import pytest

from analysis.datasets import data
from analysis.datasets.schemas import TABLES
from analysis.datasets.tableio import write_table
from analysis.metrics import allies, stances, ties, timeline
from tests.conftest import _tiny_tables

SRC = {"source": "test", "source_url": "https://example.org", "source_tier": "secondary", "checked": "no",
       "checked_source": None, "notes": None}


def _rewrite(root, **tables):
    for name, df in tables.items():
        write_table(df, root / "curated" / TABLES[name].filename)
    data.clear_cache()


def _events(root, *rows):
    base = _tiny_tables()["state_events"]
    extra = pd.DataFrame([{"iso3": i, "event": e, "start": s, "end": end, "description": "t", **SRC}
                          for i, e, s, end in rows])
    _rewrite(root, state_events=pd.concat([base, extra], ignore_index=True))


def _stance(**kw):
    return stances.stance(**kw).set_index("iso3")


def test_the_window_keeps_only_the_latest_votes(tiny_data):
    # China on the Ukraine set: abstain (2014), abstain (2022), no (2023)
    assert _stance(window=0).at["CHN", "stance"] == "russia_leaning"  # 1 no of 3
    two = _stance(window=2)
    assert two.at["CHN", "stance"] == "allied" and two.at["CHN", "eligible"] == 2  # 1 no of the latest 2
    assert "Mar 2022 to Feb 2023" in two.at["CHN", "reason"]


def test_a_change_of_government_restarts_the_window_once_it_has_voted(tiny_data):
    _events(tiny_data, ("CHN", "government_change", "2022-06-01", None))
    s = _stance(window=0)
    assert s.at["CHN", "eligible"] == 1 and s.at["CHN", "stance"] == "allied"  # only ES-11/6 (no) counts
    assert "since 1 June 2022" in s.at["CHN", "reason"]
    before = _stance(as_of="2022-12-31", window=0)  # the new government has not voted yet: old votes, said so
    assert before.at["CHN", "eligible"] == 2 and "has not voted" in before.at["CHN", "reason"]


def test_could_not_vote_is_not_absent(tiny_data):
    t = _tiny_tables()
    v = t["un_votes"]
    v.loc[(v["iso3"] == "SSD") & (v["resolution"] == "A/RES/ES-11/1"), "vote"] = "absent"
    r = t["un_resolutions"]
    r.loc[r["resolution"] == "A/RES/ES-11/1", ["yes", "absent"]] = [2, 0]
    _rewrite(tiny_data, un_votes=v, un_resolutions=r)
    _events(tiny_data, ("SSD", "article19_no_vote", "2022-01-01", "2022-06-01"))
    s = _stance(window=2)
    assert s.at["SSD", "could_not_vote"] == 1 and s.at["SSD", "absent"] == 0 and s.at["SSD", "eligible"] == 1
    assert "could not vote on 1" in s.at["SSD", "reason"]
    only = _stance(as_of="2022-12-31", window=1)  # its one vote in the window fell in the arrears period
    assert only.at["SSD", "stance"] == "could_not_vote"


def test_a_contested_seat_is_not_read_as_a_choice(tiny_data):
    _events(tiny_data, ("USA", "contested_seat", "2021-02-01", None))
    s = _stance()
    assert s.at["USA", "stance"] == "contested" and "does not represent" in s.at["USA", "reason"]


def test_ukraine_is_a_party_not_west_leaning():
    c = pd.DataFrame([("UKR", 6, 6, 0, 0, 0)], columns=["iso3", "eligible", "yes", "no", "abstain", "absent"])
    assert str(stances.classify(c, set(), set())["stance"].iloc[0]) == "ukraine"


def test_window_is_a_checked_parameter():
    assert stances.check_threshold("window", "4") == 4
    from analysis.errors import ParameterError
    with pytest.raises(ParameterError):
        stances.check_threshold("window", -1)


def test_ties_score_adds_documented_points(tiny_data):
    t = ties.ties().set_index("iso3")
    # Belarus: security treaty in force (3), hosted Putin (1), 10 m TIV delivered to Russia in 2022 (2)
    assert t.at["BLR", "score"] == 6 and t.at["BLR", "ties_class"] == "strong"
    assert "defence treaty" in t.at["BLR", "reason"] and "hosted Putin 2 times" in t.at["BLR", "reason"]
    # United States: unfriendly (-3), one visit (1), trade 10% of its GDP (2)
    assert t.at["USA", "score"] == 0
    assert "RUS" not in t.index
    heavier = ties.ties(weights={"visits": 3}).set_index("iso3")
    assert heavier.at["BLR", "score"] == 8


def test_allies_need_votes_and_ties_or_arms(tiny_data):
    a = allies.allies().set_index("iso3")
    assert a.at["BLR", "side"] == "ally"  # votes no, strong ties
    assert a.at["USA", "side"] == ""
    assert allies.named() == ["BLR", "CHN"]  # China: 1 no in 3 (leaning) and ties 3 (trade 2, visits 1)
    assert "ties worth 3 points or more" in a.at["CHN", "why"] and ">=" not in a.at["CHN", "why"]
    assert allies.named(ally_ties=4) == ["BLR"]
    p = allies.premise(states=["BLR", "CHN"]).set_index("iso3")
    assert p.at["BLR", "verdict"] == "ally"


def test_isolation_over_time_shares_use_one_denominator(tiny_data):
    iso = timeline.isolation()
    assert list(iso["label"]) == ["68/262", "ES-11/1", "ES-11/6"]
    row = iso.set_index("label").loc["ES-11/1"]
    assert row["members_yes"] == pytest.approx(2 / 5)
    assert row["population_yes"] == pytest.approx(310 / 1420)
    assert row["gdp_yes"] == pytest.approx(100 / 161)


def test_stance_over_time_has_every_year_end_and_as_of(tiny_data):
    st = timeline.stance_shares(as_of="2023-06-30")
    assert sorted(st["date"].unique())[-1] == pd.Timestamp("2023-06-30")
    assert pd.Timestamp("2014-12-31") in set(st["date"])
    per = st.groupby("date")["states_share"].sum()
    assert per.round(9).eq(1).all()
