"""Stance rules: each rule, ties at a threshold, the treaty rule, as_of, shares and sensitivity."""
import pandas as pd
import pytest

from analysis.errors import ParameterError
from analysis.metrics import stances as stance


def _counts(rows):
    return pd.DataFrame(rows, columns=["iso3", "eligible", "yes", "no", "abstain", "absent"])


def test_each_rule_in_order():
    c = _counts([("RUS", 4, 0, 4, 0, 0), ("AAA", 4, 0, 2, 2, 0), ("BBB", 4, 0, 1, 3, 0), ("CCC", 4, 4, 0, 0, 0),
                 ("DDD", 4, 3, 0, 1, 0), ("EEE", 4, 1, 0, 2, 1), ("FFF", 4, 0, 0, 4, 0)])
    s = stance.classify(c, defence={"FFF"}, unfriendly={"CCC", "DDD"}).set_index("iso3")["stance"].astype(str)
    assert s.to_dict() == {"RUS": "russia", "AAA": "allied", "BBB": "russia_leaning", "CCC": "condemning",
                           "DDD": "west_leaning", "EEE": "neutral", "FFF": "allied"}


def test_ties_at_a_threshold_count_as_reaching_it():
    c = _counts([("AAA", 10, 0, 5, 5, 0), ("BBB", 10, 7, 0, 3, 0)])
    s = stance.classify(c, set(), set()).set_index("iso3")["stance"].astype(str)
    assert s["AAA"] == "allied" and s["BBB"] == "west_leaning"


def test_treaty_rule_can_be_switched_off():
    c = _counts([("AAA", 4, 0, 0, 4, 0)])
    assert str(stance.classify(c, {"AAA"}, set())["stance"].iloc[0]) == "allied"
    assert str(stance.classify(c, {"AAA"}, set(), use_treaties=False)["stance"].iloc[0]) == "neutral"


def test_reason_states_the_counts():
    c = _counts([("AAA", 10, 0, 6, 4, 0)])
    r = stance.classify(c, set(), set())["reason"].iloc[0]
    assert "no on 6" in r and "of the 10" in r and "60%" in r


def test_bad_thresholds_are_parameter_errors():
    with pytest.raises(ParameterError):
        stance.check_thresholds({"allied_no_share": 1.5})
    with pytest.raises(ParameterError):
        stance.check_thresholds({"alied_no_share": 0.5})


def test_stance_on_the_tiny_world_and_as_of(tiny_data):
    s = stance.stance().set_index("iso3")["stance"].astype(str)
    assert s.to_dict() == {"RUS": "russia", "BLR": "allied", "CHN": "russia_leaning", "USA": "condemning",
                           "SSD": "neutral"}
    before = stance.stance(as_of="2021-12-31").set_index("iso3")["stance"].astype(str)
    assert before["USA"] == "west_leaning"  # not yet on the unfriendly list (5 March 2022)
    assert before["CHN"] == "neutral"  # only 68/262 known: abstained


def test_shares_state_their_denominators(tiny_data):
    sh = stance.shares().set_index(stance.shares()["stance"].astype(str))
    assert sh["n_with_population"].iloc[0] == 5 and sh["n_with_gdp"].iloc[0] == 4
    assert sh.at["russia_leaning", "population_share"] == pytest.approx(1000 / 1420)
    assert sh.at["allied", "gdp_share"] == pytest.approx(1 / 161)
    assert sh["population_share"].sum() == pytest.approx(1.0)


def test_sensitivity_moves_one_threshold_at_a_time(tiny_data):
    se = stance.sensitivity(steps={"allied_no_share": [0.3, 0.5]})
    low = se[(se["value"] == 0.3) & (se["stance"].astype(str) == "allied")]["states"].item()
    default = se[(se["value"] == 0.5) & (se["stance"].astype(str) == "allied")]
    assert low == 2  # China (1 of 3 = 33% no) becomes allied at 30%
    assert default["states"].item() == 1 and bool(default["is_default"].item())


def test_reason_uses_the_singular_for_one_resolution(tiny_data):
    """Before March 2022 the tiny world has one Ukraine vote (68/262): "of the 1 Ukraine resolution",
    never "of the 1 Ukraine resolutions"."""
    r = stance.stance(as_of="2021-12-31").set_index("iso3")["reason"]
    assert "of the 1 Ukraine resolution it could vote on" in r["BLR"]
    assert not any("1 Ukraine resolutions" in x for x in r)
    assert "of the 3 Ukraine resolutions it could vote on" in stance.stance().set_index("iso3").at["BLR", "reason"]


def test_arrears_reason_uses_the_singular_for_one_roll_call():
    c = _counts([("AAA", 0, 0, 0, 0, 0)]).assign(could_not_vote=1, window_from=pd.Timestamp("2023-02-23"),
                                                 window_to=pd.Timestamp("2023-02-23"))
    r = stance.classify(c, set(), set())["reason"].iloc[0]
    assert "roll calls" not in r and "all 1 " not in r and "1 Ukraine roll call" in r
