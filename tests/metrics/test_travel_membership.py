"""ICC status on the day of each visit, derived from joined/left dates; memberships as of a date."""
from analysis.metrics import membership, travel


def test_icc_status_is_taken_on_the_day_of_the_visit(tiny_data):
    v = travel.visits().set_index(["iso3", "start_date"])["icc_party"]
    assert v[("BLR", "2022-12-19")]          # a party then
    assert not v[("BLR", "2023-06-01")]      # withdrawal effective 2023-01-01
    assert not v[("CHN", "2023-10-17")]      # joined only in 2024
    assert v[("CHN", "2024-05-16")]
    assert v[("USA", "2024-06-01")]


def test_visits_since_the_warrant_and_to_icc_parties(tiny_data):
    assert len(travel.visits_since_warrant()) == 4
    parties = travel.visits_to_icc_parties()
    assert list(parties["iso3"]) == ["CHN", "USA"]
    assert len(travel.visits_since_warrant(as_of="2024-01-01")) == 2


def test_memberships_and_treaties_as_of(tiny_data):
    assert membership.members_of("ICC", "2022-06-01") == {"BLR", "USA"}
    assert membership.members_of("ICC", "2024-06-01") == {"CHN", "USA"}
    assert membership.treaties_in_force("2023-01-01").empty
    assert list(membership.treaties_in_force("2023-07-01")["iso3"]) == ["BLR"]
    assert membership.unfriendly("2022-03-04") == set() and membership.unfriendly("2022-03-05") == {"USA"}
