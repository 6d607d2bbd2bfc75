"""Issue 12, 'the data folder and its provenance' (items 3, 5-8, 15): names cannot escape
data/raw, provenance is cumulative and complete, bad releases are refused at import, hidden
characters and truncated tables are reported with file, line and column."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.build.cli import main
from analysis.datasets import data, importers, snapshot, textcheck
from analysis.errors import DataValidationError, ParameterError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "undl_release_es11-4.csv"
ARGS = ["--origin", "fixture", "--retrieved", "2026-11-29"]


def _release(tmp_path: Path, name: str, change=None) -> Path:
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    if change is not None:
        df = change(df)
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("name", ["../../../../tmp/x", "a/b", "..", ".hidden", "", "x" * 200, "a b"])
def test_import_names_must_be_a_safe_slug(data_copy, tmp_path, capsys, name):
    before = sorted(p.name for p in (data_copy / "raw").iterdir())
    assert main(["import-undl", str(FIXTURE), "--name", name, *ARGS]) == 2
    assert sorted(p.name for p in (data_copy / "raw").iterdir()) == before  # not even an empty folder
    err = capsys.readouterr().err
    assert err.startswith("error: --name") and len(err) < 400


def test_retrieved_must_be_a_date(data_copy, capsys):
    assert main(["import-undl", str(FIXTURE), "--name", "t", "--origin", "o", "--retrieved", "not-a-date"]) == 2
    assert "--retrieved" in capsys.readouterr().err
    assert not (data_copy / "raw" / "undl-release-t").exists()
    with pytest.raises(ParameterError):
        snapshot.check_retrieved("2999-01-01")


def test_reimport_under_one_name_keeps_every_checksum_and_unlisted_files_fail(data_copy, tmp_path):
    a = _release(tmp_path, "a.csv")
    b = _release(tmp_path, "b.csv")
    assert main(["import-undl", str(a), "--name", "t", *ARGS]) == 0
    assert main(["import-undl", str(b), "--name", "t", *ARGS]) == 0
    folder = data_copy / "raw" / "undl-release-t"
    prov = json.loads((folder / "PROVENANCE.json").read_text())
    assert set(prov["files"]) == {"a.csv", "b.csv"}
    assert snapshot.verify(data_copy / "raw") == []
    # editing a.csv is noticed ...
    (folder / "a.csv").write_text((folder / "a.csv").read_text().replace(",Y,", ",N,", 1))
    assert any(p.file.endswith("a.csv") and p.column == "sha256" for p in snapshot.verify(data_copy / "raw"))
    # ... and so is a file nobody listed
    shutil.copyfile(b, folder / "c.csv")
    assert any(p.file.endswith("undl-release-t/c.csv") for p in snapshot.verify(data_copy / "raw"))
    assert not list(folder.glob(".*"))  # no temporary file left


def test_header_only_release_is_refused_at_import(data_copy, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(FIXTURE.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataValidationError) as info:
        importers.parse_release(path)
    assert info.value.problems[0].line == 2
    assert main(["import-undl", str(path), "--name", "empty", *ARGS]) == 1
    assert not (data_copy / "raw" / "undl-release-empty").exists()


def test_non_member_code_and_contradicting_name_are_refused_naming_the_line(data_copy, tmp_path):
    def twn(df):
        df.loc[3, ["ms_code", "ms_name"]] = ["TWN", "TAIWAN"]
        return df

    with pytest.raises(DataValidationError) as info:
        importers.parse_release(_release(tmp_path, "twn.csv", twn))
    assert any(p.line == 5 and p.column == "ms_code" and p.value == "TWN" and p.file == "twn.csv"
               for p in info.value.problems)

    def atlantis(df):
        df.loc[df["ms_code"] == "FRA", "ms_name"] = "ATLANTIS"
        return df

    path = _release(tmp_path, "atl.csv", atlantis)
    with pytest.raises(DataValidationError) as info:
        importers.parse_release(path)
    line = int(pd.read_csv(path, dtype=str).index[pd.read_csv(path, dtype=str)["ms_code"] == "FRA"][0]) + 2
    assert [(p.line, p.column, p.value) for p in info.value.problems] == [(line, "ms_name", "ATLANTIS")]


def test_real_release_names_match_their_codes():
    df = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    assert all(importers.name_matches_code(n, c) for n, c in zip(df["ms_name"], df["ms_code"]))
    assert not importers.name_matches_code("FRANCE", "DEU")


def test_bidi_and_invisible_characters_are_refused_by_validate(data_copy, capsys):
    path = data_copy / "manual" / "leader_visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    lines[3] = lines[3].replace(",", ",\u202e", 1)  # into the second column of line 4
    lines[5] = "\u200b" + lines[5]
    path.write_text("".join(lines), encoding="utf-8")
    problems = textcheck.file_problems(path, "manual/leader_visits.csv")
    assert [(p.line, p.column) for p in problems] == [(4, header[1]), (6, header[0])]
    assert "U+202E" in problems[0].expected and "U+200B" in problems[1].expected
    assert main(["validate"]) == 1
    assert "manual/leader_visits.csv:4" in capsys.readouterr().err


def test_truncated_votes_table_is_one_clear_error(data_copy, capsys):
    path = data_copy / "curated" / "un_votes.csv.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "un_votes.csv.gz" in err and "Traceback" not in err
    data.clear_cache()
    with pytest.raises(DataValidationError, match="un_votes.csv.gz"):
        data.votes()
    assert gzip  # (the module reads gzip files)
