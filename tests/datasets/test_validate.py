"""Each kind of bad input gets a clear error: file, line (as an editor shows it), column, value,
what was expected; all problems of a table at once; exit status non-zero."""
import gzip

import pandas as pd
import pytest

from analysis.build.cli import main
from analysis.datasets import validate
from analysis.errors import DataValidationError


def _rewrite(path, edit):
    text = path.read_text(encoding="utf-8")
    path.write_text(edit(text), encoding="utf-8")


def _problems(directory):
    with pytest.raises(DataValidationError) as info:
        validate.validate_dir(directory, check_raw=False, complete=False)
    return info.value.problems


def test_the_small_fixture_is_valid(small_curated):
    frames = validate.validate_dir(small_curated, check_raw=False, complete=False)
    assert len(frames["countries"]) == 5


def _line_of(path, needle):
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_wrong_iso3_is_reported_with_line_column_and_value(small_curated):
    path = small_curated / "countries.csv"
    line = _line_of(path, "BLR,")
    _rewrite(path, lambda t: t.replace("BLR,", "BLRX,", 1))
    p = _problems(small_curated)
    hit = [x for x in p if x.file == "countries.csv" and x.column == "iso3"]
    assert hit and hit[0].line == line and hit[0].value == "BLRX" and "alpha-3" in hit[0].expected


def test_unknown_but_well_formed_iso3_is_reported(small_curated):
    path = small_curated / "treaties.csv"
    line = _line_of(path, "BLR,")
    _rewrite(path, lambda t: t.replace("\nBLR,", "\nBLX,", 1))
    p = _problems(small_curated)
    assert any(x.file == "treaties.csv" and x.line == line and x.value == "BLX" and "known" in x.expected for x in p)


def test_impossible_date_is_reported(small_curated):
    path = small_curated / "un_resolutions.csv"
    line = _line_of(path, "2022-03-02")
    _rewrite(path, lambda t: t.replace("2022-03-02", "2022-02-30"))
    p = _problems(small_curated)
    assert any(x.line == line and x.column == "date" and x.value == "2022-02-30" and "YYYY-MM-DD" in x.expected
               for x in p)


def test_date_out_of_range_is_reported(small_curated):
    path = small_curated / "leader_visits.csv"
    line = _line_of(path, "2024-05-16")
    _rewrite(path, lambda t: t.replace("2024-05-16", "2094-05-16", 1))
    p = _problems(small_curated)
    assert any(x.file == "leader_visits.csv" and x.line == line and "between 1945-01-01 and today" in x.expected
               for x in p)


def _edit_votes(directory, fn):
    path = directory / "un_votes.csv.gz"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
    return df


def test_vote_outside_the_domain_is_reported(small_curated):
    _edit_votes(small_curated, lambda d: d.assign(vote=d["vote"].where(d.index != 3, "maybe")))
    p = _problems(small_curated)
    assert any(x.file == "un_votes.csv.gz" and x.line == 5 and x.column == "vote" and x.value == "maybe"
               and "yes" in x.expected for x in p)


def test_duplicate_key_names_both_lines(small_curated):
    _edit_votes(small_curated, lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True))
    p = _problems(small_curated)
    dup = [x for x in p if "unique key" in x.expected]
    assert dup and dup[0].line == 12 and "line 2" in dup[0].expected


def test_missing_column_is_reported(small_curated):
    path = small_curated / "trade.csv"
    _rewrite(path, lambda t: t.replace("exports_usd", "exports", 1))
    p = _problems(small_curated)
    assert any(x.file == "trade.csv" and x.line == 1 and x.column == "exports_usd" for x in p)


def test_tally_mismatch_names_the_resolution(small_curated):
    path = small_curated / "un_resolutions.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "yes"] = str(int(df.loc[0, "yes"]) + 1)
    df.to_csv(path, index=False, lineterminator="\n")
    p = _problems(small_curated)
    assert any(x.file == "un_resolutions.csv" and x.line == 2 and x.column == "yes" and "un_votes" in x.expected
               for x in p)


def test_empty_file_is_reported(small_curated):
    (small_curated / "memberships.csv").write_text("", encoding="utf-8")
    p = _problems(small_curated)
    assert any(x.file == "memberships.csv" and "empty" in x.expected for x in p)


def test_wrong_encoding_is_reported_with_its_line(small_curated):
    path = small_curated / "countries.csv"
    text = path.read_text(encoding="utf-8").replace("Belarus", "Bélarus")
    path.write_bytes(text.encode("latin-1"))
    line = _line_of_bytes(path, b"B\xe9larus")
    p = _problems(small_curated)
    assert any(x.file == "countries.csv" and x.line == line and "UTF-8" in x.expected for x in p)


def _line_of_bytes(path, needle):
    for i, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_all_errors_of_a_table_are_reported_at_once(small_curated):
    path = small_curated / "countries.csv"
    _rewrite(path, lambda t: t.replace("BLR,", "BLRX,", 1).replace("USA,", "usa,", 1))
    p = [x for x in _problems(small_curated) if x.file == "countries.csv" and x.column == "iso3"]
    assert {x.value for x in p} == {"BLRX", "usa"}


def test_vote_before_admission_is_reported(small_curated):
    path = small_curated / "countries.csv"
    _rewrite(path, lambda t: t.replace("1945-10-24", "2023-01-01"))  # pretend the founders joined in 2023
    p = _problems(small_curated)
    assert any(x.file == "un_votes.csv.gz" and "admitted to the UN 2023-01-01" in x.expected for x in p)


def test_cli_validate_exits_non_zero_with_a_clear_message(small_curated, capsys):
    _rewrite(small_curated / "countries.csv", lambda t: t.replace("BLR,", "BLRX,", 1))
    code = main(["validate", "--dir", str(small_curated)])
    err = capsys.readouterr().err
    assert code == 1 and "countries.csv:" in err and "'BLRX'" in err and "alpha-3" in err


def test_cli_validate_passes_on_the_real_data(capsys):
    assert main(["validate"]) == 0
    assert "OK" in capsys.readouterr().out
