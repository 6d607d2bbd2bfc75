import json
import shutil

from analysis import config, files
from analysis.datasets import snapshot


def test_every_raw_file_matches_its_recorded_sha256():
    provs = snapshot.load_provenance()
    assert {"undl-ga-votes", "country-codes", "wb-population", "sipri-arms-transfers"} <= set(provs)
    assert snapshot.verify() == []
    for name, rec in provs.items():
        for field in snapshot.REQUIRED_FIELDS:
            assert rec.get(field), f"{name} lacks {field}"


def test_a_changed_raw_file_is_detected(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(config.raw_dir() / "wb-gdp", raw / "wb-gdp")
    assert snapshot.verify(raw) == []
    with open(raw / "wb-gdp" / "gdp.csv", "a", encoding="utf-8") as fh:
        fh.write("Nowhere,XXX,2023,1\n")
    problems = snapshot.verify(raw)
    assert {p.column for p in problems} == {"bytes", "sha256"}
    assert all("gdp.csv" in p.file and "immutable" in p.expected for p in problems)


def test_take_refuses_to_overwrite_a_snapshot_with_other_content(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_text("x\n1\n")
    meta = dict(title="t", publisher="p", origin="o", licence="l", attribution="a")
    dest = snapshot.take(src, "demo", ["a.csv"], meta, raw_root=tmp_path / "raw", retrieved="2026-01-01")
    rec = json.loads((dest / "PROVENANCE.json").read_text())
    assert rec["files"]["a.csv"]["sha256"] == files.sha256(src / "a.csv")
    (src / "a.csv").write_text("x\n2\n")
    try:
        snapshot.take(src, "demo", ["a.csv"], meta, raw_root=tmp_path / "raw")
    except FileExistsError as exc:
        assert "immutable" in str(exc)
    else:
        raise AssertionError("a changed snapshot was overwritten")


def test_gpl_country_converter_table_is_not_copied():
    assert not list(config.raw_dir().rglob("country_data.tsv"))
