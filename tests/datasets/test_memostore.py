"""The memo's on-disk level: a result is read back instead of recomputed, and only while the data,
the code and the arguments are the same; a broken store is a miss, never an error."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from analysis import config
from analysis.datasets import data, memostore


def small_curated_dir():
    return config.curated_dir()


@pytest.fixture
def store(tmp_path, monkeypatch, small_curated):
    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(tmp_path / "memo"))
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(small_curated.parent))
    data.clear_cache()
    yield tmp_path / "memo"
    data.clear_cache()


def _counting():
    calls = []

    @data.memo
    def members_named(prefix: str) -> pd.DataFrame:
        calls.append(prefix)
        c = data.countries()
        return c[c["name"].str.startswith(prefix)][["iso3", "name"]].reset_index(drop=True)

    return members_named, calls


def test_a_result_is_read_back_from_disk_by_the_next_process(store):
    fn, calls = _counting()
    first = fn("C")
    data.clear_cache()  # what a new process starts with: no in-process memo
    again = fn("C")
    assert calls == ["C"]  # computed once, then read from the store
    pd.testing.assert_frame_equal(first, again)
    assert list(store.glob("*/*.pkl"))


def test_changed_data_or_arguments_are_recomputed(store, small_curated):
    fn, calls = _counting()
    fn("C")
    fn("B")
    assert calls == ["C", "B"]
    path = small_curated / "countries.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("China", "Zhongguo"), encoding="utf-8")
    data.clear_cache()
    assert "CHN" not in set(fn("C")["iso3"])  # the edited table, not the stored result
    assert calls == ["C", "B", "C"]


def test_a_corrupt_entry_is_a_miss_and_is_removed(store):
    fn, calls = _counting()
    data.countries()  # the table's own entry first (tables are stored too)
    tables = set(store.glob("*/*.pkl"))
    fn("C")
    (entry,) = set(store.glob("*/*.pkl")) - tables
    entry.write_bytes(b"not a pickle")
    data.clear_cache()
    assert len(fn("C")) >= 1
    assert calls == ["C", "C"]
    assert entry.exists() and entry.read_bytes() != b"not a pickle"  # rewritten whole


def test_off_writes_nothing_and_an_unwritable_store_is_not_an_error(store, monkeypatch, tmp_path):
    monkeypatch.setenv("ISOLATION_MEMO_DIR", "off")
    fn, calls = _counting()
    fn("C")
    assert not store.exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(blocker / "memo"))  # cannot be created
    data.clear_cache()
    assert len(fn("C")) >= 1
    assert calls == ["C", "C"]


def test_prune_removes_old_entries_then_the_oldest_over_the_size(store):
    fn, _ = _counting()
    for prefix in "ABCU":
        fn(prefix)
    entries = sorted(store.glob("*/*.pkl"))
    assert len(entries) == 5  # four results and the table they read
    old = time.time() - 30 * 86400
    os.utime(entries[0], (old, old))
    assert memostore.prune(max_bytes=10**9, max_age_days=14) == 1
    assert memostore.prune(max_bytes=0, max_age_days=14) == 4
    assert not list(store.glob("*/*.pkl"))


def test_a_table_is_read_back_from_the_store_and_reread_when_its_file_changes(store, small_curated, monkeypatch):
    first = data.countries()
    assert list(store.glob("*/*.pkl"))  # the typed table was stored
    data.clear_cache()
    read = []
    real = data._read_csv
    monkeypatch.setattr(data, "_read_csv", lambda *a: read.append(a[0]) or real(*a))
    pd.testing.assert_frame_equal(data.countries(), first)  # from the store: no CSV read
    assert read == []
    path = small_curated / "countries.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("China", "Zhongguo"), encoding="utf-8")
    data.clear_cache()
    assert "Zhongguo" in set(data.countries()["name"]) and read == ["countries"]


def _claimed_elsewhere(entry: str) -> subprocess.Popen:
    """A live process that has claimed ``entry`` (as a build's prepare child does)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = memostore._lock(entry)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(str(proc.pid))
    return proc


def test_a_process_waits_for_an_entry_another_process_is_computing(store):
    fn, calls = _counting()
    entry = memostore.key(fn.__wrapped__, str(small_curated_dir()), ("C",))
    proc = _claimed_elsewhere(entry)
    try:
        def claimer_stores_it():
            time.sleep(0.3)
            memostore.put(entry, (pd.DataFrame({"iso3": ["XXX"], "name": ["Stored by the claimer"]}), ()))
            memostore._lock(entry).unlink()

        threading.Thread(target=claimer_stores_it).start()
        got = fn("C")
        assert calls == []  # waited for the claimer's result instead of computing it again
        assert list(got["iso3"]) == ["XXX"]
    finally:
        proc.kill()
        proc.wait()


def test_a_claim_whose_process_stops_or_dies_without_storing_is_not_waited_for(store):
    fn, calls = _counting()
    entry = memostore.key(fn.__wrapped__, str(small_curated_dir()), ("C",))
    proc = _claimed_elsewhere(entry)
    threading.Timer(0.2, proc.kill).start()
    t0 = time.monotonic()
    assert len(fn("C")) >= 1
    assert calls == ["C"] and time.monotonic() - t0 < 5  # computed here once the claimer was gone
    proc.wait()
    memostore._lock(entry).unlink()
    data.clear_cache()
    memostore.claim_entries(True)
    try:
        entry_b = memostore.key(fn.__wrapped__, str(small_curated_dir()), ("B",))
        seen = []
        real_put = memostore.put
        memostore.put = lambda e, v: seen.append(memostore._lock(e).exists()) or real_put(e, v)
        try:
            fn("B")
        finally:
            memostore.put = real_put
        assert seen and all(seen)  # a claimer holds its claim until the entry is stored...
        assert not memostore._lock(entry_b).exists()  # ...and releases it then
    finally:
        memostore.claim_entries(False)
