"""Agreement with Russia: hand-computed cases on the tiny world (session 64: four votes, with an
abstention pair, a yes/no split and absences), and the comparison with the published BSV data."""
import pandas as pd
import pytest

from analysis.metrics import alignment


def _s64(method):
    a = alignment.agreement("RUS", method=method)
    return a[a["session"] == 64].set_index("iso3")


def test_identical_share_excludes_absences(tiny_data):
    a = _s64("identical")
    assert a.loc["BLR", "agreement"] == pytest.approx(2 / 3) and a.loc["BLR", "n_votes"] == 3
    assert a.loc["CHN", "agreement"] == pytest.approx(0.5) and a.loc["CHN", "n_votes"] == 4
    assert a.loc["USA", "agreement"] == pytest.approx(1 / 3) and a.loc["USA", "n_votes"] == 3
    assert "SSD" not in a.index  # not yet a member
    assert "RUS" not in a.index


def test_half_credit_for_an_abstention_against_a_vote(tiny_data):
    a = _s64("half")
    assert a.loc["BLR", "agreement"] == pytest.approx(2.5 / 3)
    assert a.loc["CHN", "agreement"] == pytest.approx(2.5 / 4)
    assert a.loc["USA", "agreement"] == pytest.approx(1 / 3)  # yes/no pairs get nothing


def test_kappa_discounts_chance_agreement(tiny_data):
    a = _s64("kappa")
    assert a.loc["BLR", "agreement"] == pytest.approx(0.5)
    assert a.loc["CHN", "agreement"] == pytest.approx((0.5 - 5 / 16) / (1 - 5 / 16))
    assert a.loc["USA", "agreement"] == pytest.approx(-0.5)


def test_kappa_is_undefined_when_both_always_vote_the_same_single_way():
    pairs = pd.DataFrame({"iso3": ["X", "X"], "session": [1, 1], "vote": ["yes", "yes"],
                          "ref_vote": ["yes", "yes"], "date": pd.to_datetime(["2000-01-01"] * 2)})
    assert pd.isna(alignment.agreement_from_pairs(pairs, "kappa")["agreement"].iloc[0])
    assert alignment.agreement_from_pairs(pairs, "identical")["agreement"].iloc[0] == 1.0


def test_unknown_method_is_refused(tiny_data):
    with pytest.raises(ValueError):
        alignment.agreement(method="cosine")


def test_as_of_drops_later_votes(tiny_data):
    a = alignment.agreement("RUS", as_of="2009-12-02")
    assert a.set_index("iso3").loc["CHN", "n_votes"] == 2


@pytest.mark.realdata
def test_identical_share_matches_bailey_strezhnev_voeten_for_sessions_70_to_78():
    joined, r, mad = alignment.compare_with_bsv(range(70, 79))
    print(f"\nBSV comparison, sessions 70-78: n={len(joined)} country-sessions, Pearson r={r:.4f}, "
          f"median absolute difference={mad:.4f}")
    assert len(joined) > 1500
    assert r >= 0.95
    assert mad <= 0.02


def test_eu_median_uses_the_members_of_the_day(tiny_data):
    # in the tiny world only the USA is an "EU member" (joined 1958): the median is its agreement
    med = alignment.eu_median(alignment.agreement("RUS")).set_index("session")["agreement"]
    assert med[64] == pytest.approx(1 / 3)
    assert alignment.region_median(alignment.agreement("RUS"), ["BLR", "CHN"]).set_index("session").at[
        64, "agreement"] == pytest.approx((2 / 3 + 0.5) / 2)
