"""Claim checks of the DW article on the real data, at the article's date and the latest."""
import pytest

from analysis.metrics import claims

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def compared():
    return claims.compare().set_index("claim_id")


def test_check_all_returns_the_public_columns():
    c = claims.check_all("2024-06-20")
    assert list(c.columns[:4]) == ["claim_id", "claim", "verdict", "evidence"]
    assert c["verdict"].isin(claims.VERDICTS).all()
    assert len(c) == len(claims.CLAIMS) >= 10
    assert (c.loc[c["verdict"] != claims.NOT_CHECKABLE, "evidence"] != "").all()


def test_dprk_always_against_and_china_not(compared):
    assert compared.at["dprk-always-against", "verdict_then"] == claims.SUPPORTED
    assert compared.at["dprk-always-against", "verdict_now"] == claims.SUPPORTED


def test_syria_belarus_dprk_voted_against_the_withdrawal_demands(compared):
    assert compared.at["syria-against", "verdict_then"] == claims.SUPPORTED
    ev = claims.check("syria-against", "2024-06-20").evidence
    assert set(ev["iso3"]) == {"SYR", "BLR", "PRK"} and (ev["vote"] == "no").all()


def test_vietnam_never_voted_yes(compared):
    ev = claims.check("vietnam-no-condemnation").evidence
    assert not (ev.iloc[:, 1] == "yes").any()
    assert compared.at["vietnam-no-condemnation", "verdict_now"] == claims.SUPPORTED


def test_destinations_since_reelection_hold_then_and_have_grown_since(compared):
    then = claims.check("travel-since-reelection", claims.ARTICLE_DATE).evidence
    assert sorted(then["iso3"]) == ["BLR", "CHN", "PRK", "UZB", "VNM"]
    assert compared.at["travel-since-reelection", "verdict_then"] == claims.SUPPORTED
    assert bool(compared.at["travel-since-reelection", "changed"])


def test_the_dprk_treaty_has_a_mutual_assistance_article(compared):
    ev = claims.check("dprk-mutual-defence", claims.ARTICLE_DATE).evidence
    assert ev["mutual_assistance_article"].str.startswith("Article").all()
    assert compared.at["dprk-mutual-defence", "verdict_then"] == claims.SUPPORTED


def test_china_is_the_main_trading_partner_at_both_dates(compared):
    assert compared.at["china-main-partner", "verdict_then"] == claims.SUPPORTED
    assert compared.at["china-main-partner", "verdict_now"] == claims.SUPPORTED


def test_a_claim_without_data_is_not_checkable(compared):
    assert compared.at["belarus-largest-partner", "verdict_now"] == claims.NOT_CHECKABLE


def test_unknown_claim_is_an_error():
    with pytest.raises(KeyError):
        claims.check("nope")


def test_explanations_name_states_and_use_the_plural_rule():
    """Readers see names, not ISO3 codes, and "1 visit", not "1 visits" (a week after the first
    visit since the re-election)."""
    import re

    from analysis.words import percent
    c = claims.check_all("2024-05-20").set_index("claim_id")["explanation"]
    assert c["travel-since-reelection"].startswith("1 visit since")
    assert "China with " in c["china-main-partner"] and "CHN" not in c["china-main-partner"]
    assert "Syria: no" in c["syria-against"] and not re.search(r"\b(SYR|BLR|PRK)\b", c["syria-against"])
    assert re.search(r"China with \d+(\.\d+)?% of the total", c["china-main-partner"])
    assert percent(0.3712) == "37%" and percent(0.0512) == "5.1%"
