"""analysis.params: parameter validation before any kernel starts (no kernel runs here)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.build import params
from analysis.datasets import asof, data
from analysis.datasets import members as members_mod
from analysis.errors import ParameterError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
REPORT = FIXTURES / "isolation_report.ipynb"
PROFILE = FIXTURES / "country_profile.ipynb"


@pytest.fixture(scope="module")
def members():
    return members_mod.un_members()


def test_un_members_are_the_193(members):
    assert len(members) == 193
    assert members["CHN"] == "China"


def test_notebook_parameters_are_read_from_the_tagged_cell():
    declared = params.notebook_parameters(REPORT)
    assert list(declared) == ["as_of", "focus", "allied_no_share", "leaning_no_share", "west_yes_share",
                              "condemning_yes_share", "use_treaties", "output_data_dir", "fail", "sleep"]
    # trailing comments (which papermill's own inspection cannot parse) do not matter
    assert declared["as_of"].default is None
    assert declared["output_data_dir"].default == ""
    assert declared["focus"].default == ["CHN", "PRK", "BLR", "IRN", "SYR", "VNM"]
    assert declared["allied_no_share"].default == 0.5
    assert list(params.notebook_parameters(PROFILE)) == ["iso3", "as_of", "output_data_dir"]


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    nb = json.loads(REPORT.read_text())
    for cell in nb["cells"]:
        cell["metadata"].pop("tags", None)
    path = tmp_path / "untagged.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(ParameterError, match="no code cell tagged 'parameters'"):
        params.notebook_parameters(path)
    with pytest.raises(ParameterError, match="notebook not found"):
        params.notebook_parameters(tmp_path / "missing.ipynb")


def test_iso3_codes(members):
    assert members_mod.check_iso3(" chn ", members) == "CHN"
    with pytest.raises(ParameterError) as e:
        members_mod.check_iso3("XYZ", members)
    assert "XYZ" in str(e.value) and "closest:" in str(e.value)
    # close by code and by name
    with pytest.raises(ParameterError, match=r"CHN \(China\)"):
        members_mod.check_iso3("CHH", members)
    with pytest.raises(ParameterError, match=r"CHN \(China\)"):
        members_mod.check_iso3("Chnia", members)
    # not a UN member (Taiwan, Kosovo...) is refused too
    with pytest.raises(ParameterError):
        members_mod.check_iso3("TWN", members)


def test_profiles_spec(members):
    focus = ["CHN", "PRK"]
    assert params.parse_profiles(None, focus, members) == focus
    assert params.parse_profiles("none", focus, members) == []
    assert params.parse_profiles("all", focus, members) == sorted(data.countries()["iso3"])
    assert params.parse_profiles("chn, IND,CHN", focus, members) == ["CHN", "IND"]
    with pytest.raises(ParameterError, match="XYZ"):
        params.parse_profiles("CHN,XYZ", focus, members)


def test_as_of_dates():
    latest = asof.resolve(None).strftime("%Y-%m-%d")
    assert params.validate_as_of(None) == latest
    assert params.validate_as_of("2023-03-02") == "2023-03-02"
    earliest = str(data.earliest_date().date())
    for bad in ("2022-13-45", "yesterday-ish", "1900-01-01", "2999-01-01"):
        with pytest.raises(ParameterError) as e:
            params.validate_as_of(bad)
        assert "between" in str(e.value) or "expected" in str(e.value)
    with pytest.raises(ParameterError, match=earliest):
        params.validate_as_of("2022-13-45")


def test_parse_assignment():
    assert params.parse_assignment("allied_no_share=0.6") == ("allied_no_share", 0.6)
    assert params.parse_assignment("use_treaties=False") == ("use_treaties", False)
    assert params.parse_assignment("as_of=2023-01-01") == ("as_of", "2023-01-01")
    assert params.parse_assignment("focus=CHN,IND") == ("focus", "CHN,IND")
    assert params.parse_assignment("focus=['CHN']") == ("focus", ["CHN"])
    for bad in ("nonsense", "=1", "1x=2"):
        with pytest.raises(ParameterError, match="NAME=VALUE"):
            params.parse_assignment(bad)


def test_values_are_checked_against_meaning_and_default_type(members):
    d = params.notebook_parameters(REPORT)
    ok = params.validate(REPORT, {"allied_no_share": 0.6, "condemning_yes_share": 1, "use_treaties": "false",
                                  "focus": "chn,ind", "as_of": "2023-01-01", "sleep": 2}, declared=d, members=members)
    assert ok == {"allied_no_share": 0.6, "condemning_yes_share": 1.0, "use_treaties": False,
                  "focus": ["CHN", "IND"], "as_of": "2023-01-01", "sleep": 2}
    for name, value, message in [
        ("allied_no_share", 1.5, "between 0 and 1"),
        ("west_yes_share", -0.1, "between 0 and 1"),
        ("leaning_no_share", "lots", "between 0 and 1"),
        ("leaning_no_share", True, "between 0 and 1"),
        ("use_treaties", "maybe", "true or false"),
        ("sleep", "long", "expected a number"),
        ("focus", ["CHN", "XYZ"], "XYZ"),
        ("as_of", "2022-13-45", "between"),
    ]:
        with pytest.raises(ParameterError, match=message):
            params.validate(REPORT, {name: value}, declared=d, members=members)


def test_unknown_and_reserved_names_are_refused(members):
    d = params.notebook_parameters(REPORT)
    with pytest.raises(ParameterError) as e:
        params.validate(REPORT, {"allied_no_shares": 0.6}, declared=d, members=members)
    assert "unknown parameter" in str(e.value) and "did you mean allied_no_share" in str(e.value)
    with pytest.raises(ParameterError, match="set by the build"):
        params.validate(REPORT, {"output_data_dir": "/tmp/x"}, declared=d, members=members)
    assert params.validate(REPORT, {"output_data_dir": "/tmp/x"}, declared=d, members=members,
                           allow_reserved=True) == {"output_data_dir": "/tmp/x"}
