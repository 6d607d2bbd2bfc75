"""reads.recording: the data files a computation depends on, the same whether the process computes
them, serves them from its caches or from the memo's on-disk store (the build's cache keys rely
on it: a file that is missed would let a changed table serve a stale report)."""
from __future__ import annotations

import pytest

from analysis.datasets import data, reads


@pytest.fixture
def tiny_data(tmp_path, monkeypatch, small_curated):
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(small_curated.parent))
    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(tmp_path / "memo"))
    data.clear_cache()
    yield small_curated
    data.clear_cache()


def _names(seen) -> set[str]:
    return {p.name for p in seen}


def test_a_loaded_table_is_recorded_also_from_the_process_cache(tiny_data):
    with reads.recording() as first:
        data.countries()
    with reads.recording() as again:
        data.countries()  # served from the in-process cache: no file is opened
    assert _names(first) == _names(again) == {"countries.csv"}


def test_a_memoised_result_stands_for_its_files_from_memory_and_from_disk(tiny_data):
    @data.memo
    def members_and_votes() -> int:
        return len(data.countries()) + len(data.votes())

    with reads.recording() as computed:
        members_and_votes()
    with reads.recording() as from_memory:
        members_and_votes()
    data.clear_cache()  # a new process: only the on-disk store is left
    with reads.recording() as from_disk:
        members_and_votes()
    assert _names(computed) == _names(from_memory) == _names(from_disk) == {"countries.csv", "un_votes.csv.gz"}


def test_writes_files_outside_the_data_folder_and_hashing_are_not_reads(tiny_data, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "notes.txt"
    outside.write_text("x")
    with reads.recording() as seen:
        outside.read_text()
        (tiny_data / "new.csv").write_text("a\n")
        with reads.ignoring():
            (tiny_data / "countries.csv").read_bytes()
    assert seen == set()


def test_recordings_nest(tiny_data):
    with reads.recording() as outer:
        data.countries()
        with reads.recording() as inner:
            data.treaties()
    assert _names(inner) == {"treaties.csv"}
    assert _names(outer) == {"countries.csv", "treaties.csv"}
