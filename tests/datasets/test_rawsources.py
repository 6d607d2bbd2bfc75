"""Which snapshot curate reads: the newest that validates; a newer one that fails is kept on disk,
reported with file, line and column, and not used."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from analysis import config
from analysis.datasets import curate, rawsources, snapshot
from analysis.errors import DataValidationError, Problem, SnapshotRejected

META = {"title": "t", "publisher": "p", "origin": "o", "licence": "l", "attribution": "a", "fetch": {"url": "http://x"}}


@pytest.fixture
def raw(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data" / "raw"
    for name in [*rawsources.SOURCES, "country-codes"]:
        shutil.copytree(config.raw_dir() / name, root / name)
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(root.parent))
    return root


def _gdp(extra: str = "", rename: str | None = None) -> bytes:
    text = (config.raw_dir() / "wb-gdp" / "gdp.csv").read_text(encoding="utf-8").rstrip("\n") + "\n" + extra
    if rename:
        text = text.replace("Value", rename, 1)
    return text.encode()


def test_the_base_snapshots_pass_their_format_checks():
    sel = rawsources.select()
    assert {k: p.parent.name for k, p in sel.files.items()} == {k: k for k in rawsources.SOURCES}
    assert sel.rejected == {} and sel.fetched == {}


def test_the_newest_valid_snapshot_is_used_and_newer_broken_ones_are_rejected(raw):
    good = snapshot.write_new("wb-gdp@2026-11-01", {"gdp.csv": _gdp("Russian Federation,RUS,2024,2173835806672.3\n")},
                              META, raw_root=raw)
    snapshot.write_new("wb-gdp@2026-11-02", {"gdp.csv": _gdp(rename="Val")}, META, raw_root=raw)
    edited = snapshot.write_new("wb-gdp@2026-11-03", {"gdp.csv": _gdp()}, META, raw_root=raw)
    with open(edited / "gdp.csv", "a", encoding="utf-8") as fh:  # changed after it was taken
        fh.write("Nowhere,XXX,2023,1\n")
    sel = rawsources.select(raw)
    assert sel.files["wb-gdp"] == good / "gdp.csv" and sel.fetched == {"wb-gdp": [good.name]}
    assert set(sel.rejected) == {"raw/wb-gdp@2026-11-02", "raw/wb-gdp@2026-11-03"}
    renamed = sel.rejected["raw/wb-gdp@2026-11-02"]
    assert renamed == [Problem("raw/wb-gdp@2026-11-02/gdp.csv", 1, "Value", None,
                               "a column of the World Bank CSV format (Country Name, Country Code, Year, Value)")]
    assert {p.column for p in sel.rejected["raw/wb-gdp@2026-11-03"]} == {"bytes", "sha256"}
    used = rawsources.in_use(raw)  # what the report's Sources section lists
    assert good.name in used and "wb-gdp" not in used and "wb-gdp@2026-11-02" not in used and "wb-population" in used


def test_format_checks_name_file_line_and_column():
    bad = b"Country Name,Country Code,Year,Value\nA,AAA,2020,1\nB,BBB,20x1,2\nC,CCC,2021,-5\n"
    problems = rawsources.check_worldbank(bad, "f.csv")
    assert [(p.line, p.column) for p in problems] == [(3, "Year"), (4, "Value")]
    assert rawsources.check_sipri(b"a,b\n1,2\n", "s.csv")[0].expected.startswith("a header line starting")
    imf = (config.raw_dir() / "imf-imts-russia" / "RU_trade_imf_imts.csv").read_text("utf-8-sig")
    lines = imf.splitlines()
    lines[3] = lines[3].replace('"6","Millions"', '"3","Thousands"')
    assert [(p.line, p.column, p.value) for p in rawsources.check_imf("\n".join(lines).encode(), "i.csv")] == [(4, "SCALE.ID", "3")]


def test_write_new_is_all_or_nothing(raw):
    def refuse(staged):
        assert (staged / "gdp.csv").exists() and (staged / "PROVENANCE.json").exists()
        raise ValueError("no")
    with pytest.raises(ValueError):
        snapshot.write_new("wb-gdp@2026-11-05", {"gdp.csv": _gdp()}, META, raw_root=raw, check=refuse)
    assert not list(raw.glob("*2026-11-05*")) and not list(raw.glob(".*"))
    snapshot.write_new("wb-gdp@2026-11-05", {"gdp.csv": _gdp()}, META, raw_root=raw)
    with pytest.raises(FileExistsError):
        snapshot.write_new("wb-gdp@2026-11-05", {"gdp.csv": b"x"}, META, raw_root=raw)
    assert snapshot.free_name(raw, "wb-gdp@2026-11-05") == "wb-gdp@2026-11-05.2"
    assert snapshot.verify(raw) == []


def test_a_new_snapshot_that_breaks_a_curated_table_is_set_aside(raw, tmp_path, monkeypatch):
    snapshot.write_new("undl-release-2026-12-02", {"r.csv": b"x\n"}, META, raw_root=raw)

    def build(sel):  # the fetched release breaks the 193-member rule of countries.csv
        if sel.fetched.get("undl"):
            raise DataValidationError([Problem("curated (before writing)/countries.csv", None, "iso3", 192, "193 UN member states")])
        return {}, {}
    monkeypatch.setattr(curate, "_build_and_validate", build)
    with pytest.raises(SnapshotRejected) as info:
        curate.curate(tmp_path / "out")
    assert list(info.value.rejected) == ["raw/undl-release-2026-12-02"]
    assert "countries.csv" in str(info.value) and "193 UN member states" in str(info.value)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.long
def test_curate_uses_a_good_new_snapshot_and_keeps_the_old_data_for_a_bad_one(data_copy):
    raw = data_copy / "raw"
    snapshot.write_new("wb-gdp@2026-12-01", {"gdp.csv": _gdp("Russian Federation,RUS,2024,2173835806672.3\n")},
                       META, raw_root=raw)
    sipri = raw / "sipri-arms-transfers" / "trade_register_2000_2030_generated_2025-01-03.csv"
    text = sipri.read_text(encoding="utf-8").replace(",Order date,", ",Order year,")
    snapshot.write_new("sipri-arms-transfers@2026-12-01", {"trade_register_2000_2030_generated_2026-03-01.csv": text.encode()},
                       META, raw_root=raw)
    before = _digests(data_copy / "curated")
    with pytest.raises(SnapshotRejected) as info:
        curate.curate()
    assert list(info.value.rejected) == ["raw/sipri-arms-transfers@2026-12-01"]
    problem = info.value.rejected["raw/sipri-arms-transfers@2026-12-01"][0]
    assert (problem.line, problem.column) == (12, "Order date")
    after = _digests(data_copy / "curated")
    assert {k for k in before if before[k] != after[k]} == {"countries.csv"}  # only the new GDP changed anything
    countries = (data_copy / "curated" / "countries.csv").read_text()
    assert ",2173835806672.3,2024" in countries
    assert (raw / "sipri-arms-transfers@2026-12-01").is_dir()  # kept for inspection
