"""Shared fixtures: a small, readable copy of the curated tables (five states, two resolutions),
built from the real curated data, that tests can break one way at a time."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import config, data
from analysis.schemas import TABLES
from analysis.tableio import write_table

SMALL = ["BLR", "CHN", "RUS", "UKR", "USA"]
SMALL_RES = ["A/RES/ES-11/1", "A/RES/ES-11/4"]


def _small_tables() -> dict[str, pd.DataFrame]:
    real = config.curated_dir()
    t = {}
    for name, table in TABLES.items():
        t[name] = pd.read_csv(real / table.filename, dtype=str, keep_default_na=False)
    t["countries"] = t["countries"][t["countries"]["iso3"].isin(SMALL)]
    v = t["un_votes"]
    t["un_votes"] = v[v["resolution"].isin(SMALL_RES) & v["iso3"].isin(SMALL)]
    r = t["un_resolutions"][t["un_resolutions"]["resolution"].isin(SMALL_RES)].copy()
    counts = t["un_votes"].groupby(["resolution", "vote"]).size().unstack(fill_value=0)
    for col in ["yes", "no", "abstain", "absent"]:
        r[col] = r["resolution"].map(counts[col] if col in counts else {}).fillna(0).astype(int).astype(str)
    t["un_resolutions"] = r
    t["alignment_bsv"] = t["alignment_bsv"][t["alignment_bsv"]["iso3"].isin(SMALL)
                                            & (t["alignment_bsv"]["session"].astype(int) >= 76)]
    t["trade"] = t["trade"][t["trade"]["partner_iso3"].isin(SMALL)]
    t["unfriendly_states"] = t["unfriendly_states"][t["unfriendly_states"]["iso3"].isin(SMALL)]
    a = t["arms_transfers"]
    t["arms_transfers"] = a[a["recipient_iso3"].isin(SMALL) & a["supplier_iso3"].isin(SMALL)]
    for name in ("memberships", "leader_visits", "treaties"):
        t[name] = t[name][t[name]["iso3"].isin(SMALL)]
    return {k: v.reset_index(drop=True) for k, v in t.items()}


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    return _small_tables()


@pytest.fixture
def small_curated(tmp_path, small_tables) -> Path:
    """A folder of small curated tables that pass validation."""
    out = tmp_path / "curated"
    for name, df in small_tables.items():
        write_table(df, out / TABLES[name].filename)
    return out


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A full copy of data/ (raw, manual, curated) that a test may change; analysis reads it."""
    dest = tmp_path / "data"
    shutil.copytree(config.data_dir(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(dest))
    data.clear_cache()
    from analysis import codes
    codes._table.cache_clear()
    codes._name_index.cache_clear()
    yield dest
    data.clear_cache()
