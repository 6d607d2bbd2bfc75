"""Shared fixtures: a small, readable copy of the curated tables (five states, two resolutions),
built from the real curated data, that tests can break one way at a time."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.datasets import data
from analysis.datasets.schemas import TABLES
from analysis.datasets.tableio import write_table

# The memo's on-disk store (analysis.datasets.memostore) for this test session only: shared by the
# tests and the builds they start (subprocesses inherit it), never the developer's .cache/memo.
if "ISOLATION_MEMO_DIR" not in os.environ:
    _MEMO_DIR = tempfile.mkdtemp(prefix="analysis-memo-")
    os.environ["ISOLATION_MEMO_DIR"] = _MEMO_DIR
    atexit.register(shutil.rmtree, _MEMO_DIR, True)

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
    # state_events and icc_notices stay whole (no small state has a row); notes only for deals kept
    t["arms_notes"] = t["arms_notes"][t["arms_notes"]["sipri_id"].isin(t["arms_transfers"]["sipri_id"])]
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
    from analysis.datasets import codes
    codes._table.cache_clear()
    codes._name_index.cache_clear()
    yield dest
    data.clear_cache()


# ---------------------------------------------------------------------------------------------
# A tiny hand-made world for metric tests (invented votes; see tests/fixtures/tiny/README.md).
TINY_COUNTRIES = [  # iso3, name, un_member_from, population, gdp
    ("RUS", "Russia", "1945-10-24", 100, 10.0),
    ("BLR", "Belarus", "1945-10-24", 10, 1.0),
    ("CHN", "China", "1945-10-24", 1000, 50.0),
    ("USA", "United States", "1945-10-24", 300, 100.0),
    ("SSD", "South Sudan", "2011-07-14", 10, None),  # joined late; no GDP
]
# resolution, date, session, topic, votes by RUS, BLR, CHN, USA, SSD (None = not a member)
TINY_RESOLUTIONS = [
    ("A/RES/64/1", "2009-12-01", 64, "other", ["yes", "yes", "yes", "no", None]),
    ("A/RES/64/2", "2009-12-02", 64, "other", ["no", "no", "abstain", "yes", None]),
    ("A/RES/64/3", "2009-12-03", 64, "other", ["abstain", "yes", "abstain", "absent", None]),
    ("A/RES/64/4", "2009-12-04", 64, "other", ["yes", "absent", "no", "yes", None]),
    ("A/RES/68/262", "2014-03-27", 68, "ukraine", ["no", "no", "abstain", "yes", "absent"]),
    ("A/RES/ES-11/1", "2022-03-02", 76, "ukraine", ["no", "no", "abstain", "yes", "yes"]),
    ("A/RES/ES-11/6", "2023-02-23", 77, "ukraine", ["no", "no", "no", "yes", "abstain"]),
]


def _tiny_tables() -> dict[str, pd.DataFrame]:
    iso = [c[0] for c in TINY_COUNTRIES]
    countries = pd.DataFrame([{"iso3": i, "name": n, "un_member_from": d, "un_region": "R", "un_subregion": "S",
                               "population": float(p), "population_year": 2024, "gdp_usd": g,
                               "gdp_year": 2023 if g is not None else None} for i, n, d, p, g in TINY_COUNTRIES])
    countries["gdp_year"] = countries["gdp_year"].astype("Int64")
    res, vts = [], []
    for k, (sym, date, session, topic, vs) in enumerate(TINY_RESOLUTIONS):
        counts = {v: sum(1 for x in vs if x == v) for v in ("yes", "no", "abstain", "absent")}
        res.append({"resolution": sym, "undl_id": 1000 + k, "date": date, "session": session, "title": sym,
                    "topic": topic, **counts, "record_url": f"https://example.org/{k}", "record": "full"})
        vts += [{"resolution": sym, "iso3": i, "vote": v} for i, v in zip(iso, vs) if v is not None]
    src = {"source": "test", "source_url": "https://example.org", "source_tier": "secondary", "checked": "no",
           "checked_source": None, "notes": None}
    memberships = pd.DataFrame([
        {"iso3": "BLR", "group": "ICC", "joined": "2020-01-01", "left": "2023-01-01", **src},  # left before a visit
        {"iso3": "CHN", "group": "ICC", "joined": "2024-01-01", "left": None, **src},  # joined after a visit
        {"iso3": "USA", "group": "ICC", "joined": "2002-07-01", "left": None, **src},
        {"iso3": "USA", "group": "EU", "joined": "1958-01-01", "left": None, **src},
    ])
    visits = pd.DataFrame([
        {"start_date": "2022-12-19", "end_date": "2022-12-19", "iso3": "BLR", "city": "Minsk", "purpose": "t", **src},
        {"start_date": "2023-06-01", "end_date": "2023-06-02", "iso3": "BLR", "city": "Minsk", "purpose": "t", **src},
        {"start_date": "2023-10-17", "end_date": "2023-10-18", "iso3": "CHN", "city": "Beijing", "purpose": "t", **src},
        {"start_date": "2024-05-16", "end_date": "2024-05-17", "iso3": "CHN", "city": "Beijing", "purpose": "t", **src},
        {"start_date": "2024-06-01", "end_date": "2024-06-01", "iso3": "USA", "city": "X", "purpose": "t", **src},
    ])
    treaties = pd.DataFrame([
        {"iso3": "BLR", "title": "Security treaty", "kind": "security_guarantees", "signed": "2022-01-01",
         "in_force": "2023-06-01", "ended": None, "mutual_assistance_article": "Article 2", "status_note": None, **src},
    ])
    unfriendly = pd.DataFrame([{"iso3": "USA", "name": "United States", "listed_on": "2022-03-05"}])
    trade = pd.DataFrame([
        {"partner_iso3": "CHN", "year": 2021, "exports_usd": 60.0, "imports_usd": 40.0, "partner_derived": False},
        {"partner_iso3": "USA", "year": 2021, "exports_usd": 50.0, "imports_usd": 50.0, "partner_derived": False},
        {"partner_iso3": "CHN", "year": 2022, "exports_usd": 150.0, "imports_usd": 150.0, "partner_derived": True},
        {"partner_iso3": "USA", "year": 2022, "exports_usd": 10.0, "imports_usd": None, "partner_derived": True},
    ]).assign(excluded=False, exclusion_reason=None)
    arms = pd.DataFrame([
        {"sipri_id": 1, "supplier": "Russia", "supplier_iso3": "RUS", "recipient": "China", "recipient_iso3": "CHN",
         "order_year": 2015, "delivery_year": 2016, "designation": "x", "description": "y", "number_delivered": 2,
         "tiv_delivered": 30.0},
        {"sipri_id": 1, "supplier": "Russia", "supplier_iso3": "RUS", "recipient": "China", "recipient_iso3": "CHN",
         "order_year": 2015, "delivery_year": 2017, "designation": "x", "description": "y", "number_delivered": 1,
         "tiv_delivered": 15.0},
        {"sipri_id": 2, "supplier": "Belarus", "supplier_iso3": "BLR", "recipient": "Russia", "recipient_iso3": "RUS",
         "order_year": 2020, "delivery_year": 2022, "designation": "z", "description": "w", "number_delivered": 5,
         "tiv_delivered": 10.0},
    ])
    bsv = pd.DataFrame([{"iso3": "BLR", "session": 64, "year": 2009, "ideal_point": 0.1, "agree_russia": 0.5,
                         "agree_usa": 0.5, "agree_china": 0.5}])
    events = pd.DataFrame([  # South Sudan had no vote until it paid, before voting on ES-11/6
        {"iso3": "SSD", "event": "article19_no_vote", "start": "2023-01-19", "end": "2023-02-23", "description": "t",
         **src}])
    notices = pd.DataFrame([  # the withdrawal that ends Belarus's (invented) ICC spell
        {"iso3": "BLR", "event": "withdrawal_notified", "date": "2022-01-01", "effective": "2023-01-01",
         "status": "confirmed", "description": "t", **src}])
    arms_notes = pd.DataFrame([{"sipri_id": 2, "note": "context", **src}])
    return {"countries": countries, "un_resolutions": pd.DataFrame(res), "un_votes": pd.DataFrame(vts),
            "state_events": events, "icc_notices": notices, "arms_notes": arms_notes,
            "memberships": memberships, "leader_visits": visits, "treaties": treaties,
            "unfriendly_states": unfriendly, "trade": trade, "arms_transfers": arms, "alignment_bsv": bsv}


@pytest.fixture
def tiny_data(tmp_path, monkeypatch):
    """Point analysis.data at the tiny hand-made world (curated tables only; raw stays real)."""
    root = tmp_path / "data"
    shutil.copytree(config.raw_dir() / "country-codes", root / "raw" / "country-codes")
    for name, df in _tiny_tables().items():
        write_table(df, root / "curated" / TABLES[name].filename)
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(root))
    data.clear_cache()
    from analysis.metrics import alignment
    alignment._agreement.cache_clear()
    yield root
    data.clear_cache()
    alignment._agreement.cache_clear()


@pytest.fixture
def chart_svgs():
    """``svgs(makers)``: each chart function's figure as the report's SVG (closed after), in order; for
    tests that compare the drawing with and without a drawing shortcut."""
    def svgs(makers) -> list[str]:
        import matplotlib.pyplot as plt

        from analysis.report import display

        out = []
        for make in makers:
            fig, _ = make()
            out.append(display.figure_svg(fig))
            plt.close(fig)
        return out
    return svgs


def pytest_collection_modifyitems(config, items):
    """Order for `make test`'s workers (pytest-xdist hands tests out in collection order): tests
    marked ``long`` first, so that none starts last and leaves the other worker idle; the tests that
    read the shared end-to-end build (fixture ``shared_build``) last, so that one worker builds it (a long test needs it)
    while the other runs the rest, instead of waiting for it."""
    def rank(item) -> int:
        if item.get_closest_marker("long"):
            return 0
        return 2 if "shared_build" in item.fixturenames else 1
    items.sort(key=rank)  # stable: the order within a rank stays
