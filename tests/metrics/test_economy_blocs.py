import numpy as np
import pandas as pd
import pytest

from analysis.metrics import blocs, economy


def test_trade_shares_and_top_partners(tiny_data):
    t = economy.trade_shares(as_of="2023-06-01")
    assert t.groupby("year")["share"].sum().round(9).eq(1.0).all()
    top = economy.top_partners(as_of="2023-06-01", base_year=2021).set_index("partner_iso3")
    assert top.loc["CHN", "share_base"] == pytest.approx(0.5)
    assert top.loc["CHN", "share_latest"] == pytest.approx(300 / 310)
    assert top.loc["CHN", "latest_year"] == 2022 and bool(top.loc["CHN", "partner_derived"])
    assert economy.main_partner("2023-06-01")[0] == "CHN"


def test_annual_data_count_from_the_year_after(tiny_data):
    assert economy.trade_shares(as_of="2022-06-01")["year"].max() == 2021


def test_arms_exports_and_imports(tiny_data):
    tot = economy.arms_exports_totals(as_of="2024-01-01", since=2014)
    assert tot.iloc[0]["recipient_iso3"] == "CHN" and tot.iloc[0]["tiv"] == 45 and tot.iloc[0]["share"] == 1.0
    imp = economy.arms_imports(as_of="2024-01-01")
    assert list(imp["supplier_iso3"]) == ["BLR"] and imp["tiv"].sum() == 10
    assert economy.arms_exports_totals(as_of="2017-01-01", since=2014)["tiv"].sum() == 30  # 2017 not yet known


def test_distance_matrix_by_hand():
    m = pd.DataFrame({"r1": ["yes", "yes", "no"], "r2": ["no", "absent", "no"], "r3": [None, "abstain", "abstain"]},
                     index=["A", "B", "C"])
    d = blocs.distance_matrix(m)
    assert d.loc["A", "B"] == pytest.approx(0.5)   # r1 same, r2 differs (absent is a vote), r3 not shared
    assert d.loc["A", "C"] == pytest.approx(0.5)
    assert d.loc["B", "C"] == pytest.approx(2 / 3)
    assert np.allclose(d.to_numpy(), d.to_numpy().T)


def test_clusters_put_russia_with_belarus(tiny_data):
    c, _ = blocs.clusters(k=3)
    c = c.set_index("iso3")
    assert c.loc["RUS", "cluster"] == c.loc["BLR", "cluster"] == 1
    assert c.loc["RUS", "with_russia"] and not c.loc["USA", "with_russia"]
