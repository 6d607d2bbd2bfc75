import hashlib

import pandas as pd
import pytest

from analysis import config
from analysis.datasets import codes, curate
from analysis.datasets.schemas import TABLES
from analysis.errors import DataValidationError


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.long
def test_curate_reproduces_the_committed_tables_byte_for_byte(tmp_path):
    written = curate.curate(tmp_path)
    assert set(written) == set(TABLES)
    for _name, path in written.items():
        committed = config.curated_dir() / path.name
        assert _digest(path) == _digest(committed), f"{path.name} differs from data/curated/{path.name}"


def test_namibia_iso2_na_survives_reading_under_this_pandas():
    # The failure that breaks country_converter 1.3.2 under pandas 3: "NA" read as missing.
    cw = codes.crosswalk()
    assert cw.loc[cw["ISO3166-1-Alpha-3"] == "NAM", "ISO3166-1-Alpha-2"].item() == "NA"
    assert codes.name_to_iso3("Namibia") == "NAM"
    assert not cw.isna().any().any()


@pytest.mark.parametrize("name,iso3", [("Turkiye", "TUR"), ("DR Congo", "COD"), ("UAE", "ARE"),
                                       ("Viet Nam", "VNM"), ("North Korea", "PRK"), ("Ukraine Rebels*", None)])
def test_sipri_names_map_to_iso3(name, iso3):
    assert codes.name_to_iso3(name) == iso3


def test_topics_mark_the_ukraine_set_and_crimea_items():
    res = pd.read_csv(config.curated_dir() / "un_resolutions.csv")
    ukr = set(res.loc[res["topic"] == "ukraine", "resolution"])
    assert set(config.UKRAINE_RESOLUTIONS) <= ukr
    # anything else tagged 'ukraine' must be a resolution of the emergency session on Ukraine (ES-11)
    assert all(r.startswith("A/RES/ES-11/") for r in ukr - set(config.UKRAINE_RESOLUTIONS))
    crimea = res.loc[res["topic"] == "crimea_human_rights", "resolution"]
    assert len(crimea) == 10 and "A/RES/71/205" in set(crimea) and "A/RES/79/184" in set(crimea)
    # the 2025 item (A/RES/80/223) is a partial record: official totals, not every member's vote
    assert res.set_index("resolution").at["A/RES/80/223", "record"] == "partial"


def test_a_broken_manual_table_stops_curation_before_anything_is_written(data_copy):
    before = {p.name: _digest(p) for p in (data_copy / "curated").iterdir()}
    path = data_copy / "manual" / "treaties.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if ",1997-08-29," in line)  # Armenia's 1997 treaty
    lines[i] = lines[i].replace(",1997-08-29,", ",1997-02-30,")  # an impossible date
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        curate.curate()
    assert any(p.line == i + 1 and p.column == "signed" and p.value == "1997-02-30" for p in info.value.problems)
    after = {p.name: _digest(p) for p in (data_copy / "curated").iterdir()}
    assert after == before


def test_trade_is_in_dollars_and_flags_partner_derived_years():
    t = pd.read_csv(config.curated_dir() / "trade.csv")
    chn = t[(t["partner_iso3"] == "CHN") & (t["year"] == 2021)].iloc[0]
    assert 5e10 < chn["exports_usd"] < 1e11  # tens of billions of USD, not millions
    assert t.loc[t["year"] >= 2022, "partner_derived"].all() and not t.loc[t["year"] < 2022, "partner_derived"].any()
    assert not t["partner_iso3"].isin(["WBG", "YUG", "G001"]).any()
