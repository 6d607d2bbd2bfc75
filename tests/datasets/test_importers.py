"""The importer for UN Digital Library voting-data releases, on a small fixture in that format."""
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from analysis.build.cli import main
from analysis.datasets import curate, importers
from analysis.errors import DataValidationError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "undl_release_es11-4.csv"


def test_parse_release_gives_votes_and_totals():
    votes, res = importers.parse_release(FIXTURE)
    assert len(votes) == 193 and set(votes["vote"]) == {"yes", "no", "abstain", "absent"}
    row = res.iloc[0]
    assert (row["resolution"], row["yes"], row["no"], row["abstain"], row["absent"]) == ("A/RES/ES-11/4", 143, 5, 35, 10)
    assert sorted(votes.loc[votes["vote"] == "no", "iso3"]) == ["BLR", "NIC", "PRK", "RUS", "SYR"]


def test_totals_that_disagree_with_the_rows_are_refused(tmp_path):
    bad = tmp_path / "release.csv"
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df["total_yes"] = "144"
    df.loc[5, "ms_vote"] = "Q"
    df.to_csv(bad, index=False)
    with pytest.raises(DataValidationError) as info:
        importers.parse_release(bad)
    problems = info.value.problems
    assert any(p.line == 7 and p.column == "ms_vote" and p.value == "Q" for p in problems)


def test_total_mismatch_is_reported(tmp_path):
    bad = tmp_path / "release.csv"
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df["total_yes"] = "144"
    df.to_csv(bad, index=False)
    with pytest.raises(DataValidationError) as info:
        importers.parse_release(bad)
    assert any(p.column == "total_yes" and p.value == 144 and "143" in p.expected for p in info.value.problems)


def test_missing_release_columns_are_named(tmp_path):
    bad = tmp_path / "release.csv"
    pd.read_csv(FIXTURE, dtype=str).drop(columns=["ms_vote"]).to_csv(bad, index=False)
    with pytest.raises(DataValidationError) as info:
        importers.parse_release(bad)
    assert [p.column for p in info.value.problems] == ["ms_vote"]


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.long
def test_import_then_curate_merges_the_release(data_copy, tmp_path):
    # A release that repeats ES-11/4 unchanged must leave the curated tables as they are...
    before = {p.name: _digest(p) for p in (data_copy / "curated").iterdir()}
    assert main(["import-undl", str(FIXTURE), "--name", "test", "--origin", "fixture", "--retrieved", "2026-11-29"]) == 0
    assert (data_copy / "raw" / "undl-release-test" / "PROVENANCE.json").exists()
    curate.curate()
    assert {p.name: _digest(p) for p in (data_copy / "curated").iterdir()} == before


def test_a_new_record_in_a_release_is_added(data_copy, tmp_path):
    # ...and a release with a new record id adds a resolution with its votes.
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    df["undl_id"] = "9999999"
    df["resolution"] = "A/RES/TEST/1"
    new = tmp_path / "new.csv"
    df.to_csv(new, index=False)
    importers.import_release(new, "new", {"origin": "test"}, retrieved="2026-11-29")
    tables = curate.build_all()
    res = tables["un_resolutions"]
    assert "A/RES/TEST/1" in set(res["resolution"]) and "A/RES/ES-11/4" in set(res["resolution"])
    assert (tables["un_votes"]["resolution"] == "A/RES/TEST/1").sum() == 193
