"""The memo's on-disk level: a result is read back instead of recomputed, and only while the data,
the code and the arguments are the same; a broken store is a miss, never an error."""
from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from analysis.datasets import data, memostore


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
    fn("C")
    (entry,) = store.glob("*/*.pkl")
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
    assert len(entries) == 4
    old = time.time() - 30 * 86400
    os.utime(entries[0], (old, old))
    assert memostore.prune(max_bytes=10**9, max_age_days=14) == 1
    assert memostore.prune(max_bytes=0, max_age_days=14) == 3
    assert not list(store.glob("*/*.pkl"))
