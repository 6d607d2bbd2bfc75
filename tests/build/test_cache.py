"""The build cache (analysis.cache) and --shard, without kernels: a counting stand-in runner
records which reports were really run.

A report is rebuilt exactly when its notebook, its parameters, a data file, the analysis package's
source or a key package version changed; --force rebuilds all; a corrupted entry is never served;
the shards of a request cover every report once."""
from __future__ import annotations

import io
import json
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from analysis import config
from analysis.build import cache, cli, pipeline
from analysis.build import jobs as build_jobs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


class CountingRunner:
    """Writes a notebook naming the job and its parameters; counts the runs by job name."""

    def __init__(self):
        self.runs: list[str] = []

    def __call__(self, job, parameters, staged_notebook, options):
        self.runs.append(job.name)
        if parameters.get("output_data_dir"):
            Path(parameters["output_data_dir"], "t.csv").write_text(f"job,{job.name}\n")
        shown = {k: v for k, v in parameters.items() if k != "output_data_dir"}
        nb = new_notebook(cells=[new_markdown_cell(f"# {job.label}\n\n{json.dumps(shown, sort_keys=True)}")])
        nbformat.write(nb, staged_notebook)
        return nb

    def take(self) -> list[str]:
        runs, self.runs = sorted(self.runs), []
        return runs


@pytest.fixture
def setup(tmp_path, data_copy):
    """A copy of the fixture notebooks and of data/ (ISOLATION_DATA_DIR), an output folder, a runner."""
    nbs = tmp_path / "notebooks"
    shutil.copytree(FIXTURES, nbs)
    runner = CountingRunner()
    out = tmp_path / "reports"

    def run(**kw):
        args = dict(output=out, notebooks_dir=nbs, profiles="CHN,BLR", formats=["html"], runner=runner,
                    out=io.StringIO(), err=io.StringIO())
        args.update(kw)
        code = pipeline.build(**args)
        assert code == 0, (args["out"].getvalue(), args["err"].getvalue())
        return args["out"].getvalue()

    return run, runner, out, nbs, data_copy


ALL = ["isolation_report", "profile_BLR", "profile_CHN"]


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime of every output file (a no-op must not rewrite any)."""
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file() and "_cache" not in p.parts
            and p.name not in ("index.html", "manifest.json")}


def test_unchanged_reports_come_from_the_cache_and_nothing_is_rewritten(setup):
    run, runner, out, nbs, data = setup
    run()
    assert runner.take() == ALL
    before = snapshot(out)
    stdout = run()
    assert runner.take() == []
    assert stdout.count(" cached ") == 3 and "(3 unchanged, from the cache)" in stdout
    assert snapshot(out) == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["reports"]) == set(ALL)
    assert all(e["cached"] for e in manifest["reports"].values())
    index = (out / "index.html").read_text()
    assert 'href="profiles/CHN.html"' in index and 'href="isolation_report.html"' in index
    # touching a file without changing it changes nothing (content hashes, not mtimes)
    os.utime(data / "manual" / "README.md")
    os.utime(nbs / "country_profile.ipynb")
    run()
    assert runner.take() == []


def test_a_changed_notebook_rebuilds_its_reports_only(setup):
    run, runner, out, nbs, _ = setup
    run()
    runner.take()
    path = nbs / "country_profile.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += " (edited)"
    nbformat.write(nb, path)
    run()
    assert runner.take() == ["profile_BLR", "profile_CHN"]


def test_a_changed_parameter_rebuilds_that_report_only(setup):
    run, runner, *_ = setup
    run()
    runner.take()
    run(extra=["allied_no_share=0.6"])
    assert runner.take() == ["isolation_report"]
    run(extra=["allied_no_share=0.6"], as_of="2024-01-01")  # as_of reaches the profiles too
    assert runner.take() == ALL
    run(profiles="CHN,BLR,IND", extra=["allied_no_share=0.6"], as_of="2024-01-01")
    assert runner.take() == ["profile_IND"]
    run(show_code=True, extra=["allied_no_share=0.6"], as_of="2024-01-01", profiles="CHN")
    assert runner.take() == ["isolation_report", "profile_CHN"]


@pytest.mark.parametrize("folder, name", [("curated", "countries.csv"), ("manual", "README.md"),
                                          ("raw", None)])
def test_a_changed_data_file_rebuilds_everything(setup, folder, name):
    run, runner, out, nbs, data = setup
    run()
    runner.take()
    if name is None:  # some raw file
        path = next(p for p in sorted((data / "raw").rglob("*")) if p.is_file())
    else:
        path = data / folder / name
    with open(path, "ab") as f:
        f.write(b"\n")
    run()
    assert runner.take() == ALL


def test_changed_package_code_or_package_version_rebuilds_everything(setup, tmp_path, monkeypatch):
    run, runner, *_ = setup
    package = tmp_path / "package"
    shutil.copytree(config.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", package)
    run()
    runner.take()
    with open(package / "charts.py", "a") as f:
        f.write("\n# a change\n")
    run()
    assert runner.take() == ALL
    versions = cache.package_versions()
    monkeypatch.setattr(cache, "package_versions", lambda *a: dict(versions, matplotlib="99.0"))
    run()
    assert runner.take() == ALL


def test_force_rebuilds_everything(setup):
    run, runner, *_ = setup
    run()
    runner.take()
    run(force=True)
    assert runner.take() == ALL
    run()
    assert runner.take() == []


def test_deleted_outputs_are_restored_from_the_cache_without_running(setup):
    run, runner, out, *_ = setup
    run()
    runner.take()
    html = (out / "profiles" / "CHN.html").read_bytes()
    (out / "profiles" / "CHN.html").unlink()
    shutil.rmtree(out / "profiles" / "BLR_data")
    (out / "profiles" / "CHN_data" / "extra.csv").write_text("not from the build")
    run()
    assert runner.take() == []
    assert (out / "profiles" / "CHN.html").read_bytes() == html
    assert (out / "profiles" / "BLR_data" / "t.csv").read_text() == "job,profile_BLR\n"
    assert sorted(p.name for p in (out / "profiles" / "CHN_data").iterdir()) == ["datapackage.json", "t.csv"]  # with its data dictionary


def _entry_dir(out: Path, name: str) -> Path:
    for meta in (out / "_cache").glob("*/*/entry.json"):
        if json.loads(meta.read_text())["name"] == name:
            return meta.parent
    raise AssertionError(f"no cache entry for {name}")


@pytest.mark.parametrize("damage", ["stored file", "stored file, output deleted", "entry.json", "missing file"])
def test_a_corrupted_cache_entry_is_rebuilt_not_served(setup, damage):
    run, runner, out, *_ = setup
    run()
    runner.take()
    entry = _entry_dir(out, "profile_CHN")
    target = out / "profiles" / "CHN.html"
    good = target.read_text()
    if damage.startswith("stored file"):
        stored = entry / "report.html"
        stored.unlink()  # (it may be a hard link to the output: replace it, do not write through it)
        stored.write_text(good.replace("CHN", "XXX"))  # same size, other content
        if damage.endswith("deleted"):
            target.unlink()
    elif damage == "entry.json":
        (entry / "entry.json").write_text("{not json")
    else:
        (entry / "data" / "t.csv").unlink()
        target.unlink()
    run()
    assert runner.take() == ["profile_CHN"]
    rebuilt = target.read_text()
    assert "XXX" not in rebuilt and "profile CHN" in rebuilt and len(rebuilt) == len(good)
    run()  # and the new entry is good
    assert runner.take() == []


def test_no_cache_option_neither_reads_nor_writes_it(setup):
    run, runner, out, *_ = setup
    run(cache=False)
    assert runner.take() == ALL and not (out / "_cache").exists()
    run(cache_dir=out.parent / "elsewhere")
    assert runner.take() == ALL and (out.parent / "elsewhere").is_dir() and not (out / "_cache").exists()
    run(cache_dir=out.parent / "elsewhere")
    assert runner.take() == []


# =========================================================================== --shard


def test_shards_cover_every_report_exactly_once():
    jobs = build_jobs.plan(notebooks_dir=FIXTURES, profiles="all").jobs
    names = {j.name for j in jobs}
    for n in (1, 2, 3, 5):
        shards = [build_jobs.select_shard(jobs, (i, n)) for i in range(1, n + 1)]
        seen = [j.name for s in shards for j in s]
        assert sorted(seen) == sorted(names)  # union is everything, nothing twice
        sizes = [len(s) for s in shards]
        assert max(sizes) - min(sizes) <= 1
        # deterministic
        assert [j.name for j in build_jobs.select_shard(jobs, (1, n))] == [j.name for j in shards[0]]


def test_shard_builds_and_index(setup):
    run, runner, out, *_ = setup
    seen = []
    for i in (1, 2):
        stdout = run(shard=f"{i}/2", profiles="CHN,BLR,IND")
        assert f"shard {i}/2" in stdout
        seen += runner.take()
    assert sorted(seen) == sorted(ALL + ["profile_IND"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["reports"]) == set(ALL + ["profile_IND"])  # the index lists both shards' reports


def test_profiles_only(setup):
    run, runner, out, *_ = setup
    run(report=False)
    assert runner.take() == ["profile_BLR", "profile_CHN"]
    assert not (out / "isolation_report.html").exists()


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "a/b", "1", "1/2/3"])
def test_bad_shard_is_exit_2(tmp_path, monkeypatch, spec):
    monkeypatch.setattr(pipeline, "run_jobs", lambda *a, **k: pytest.fail("ran"))
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = cli.main(["build", "--notebooks-dir", str(FIXTURES), "--output", str(tmp_path / "r"),
                         "--shard", spec])
    assert code == 2 and "--shard" in stderr.getvalue()
    assert not (tmp_path / "r").exists()


class ReadingRunner(CountingRunner):
    """Like CountingRunner, and reports what each job read (as the worker pool does): the report
    reads countries.csv and votes, each profile countries.csv and its own treaties."""

    def __init__(self, data: Path):
        super().__init__()
        self.data, self.reads = data, {}

    def __call__(self, job, parameters, staged_notebook, options):
        nb = super().__call__(job, parameters, staged_notebook, options)
        names = ["countries.csv", "un_votes.csv.gz"] if job.kind == "report" else ["countries.csv", "treaties.csv"]
        self.reads[job.name] = {self.data / "curated" / n for n in names}
        return nb


def test_only_reports_that_read_a_changed_file_are_rebuilt(setup):
    run, _, out, nbs, data = setup
    runner = ReadingRunner(data)
    run(runner=runner)
    assert runner.take() == ALL
    with open(data / "manual" / "README.md", "a") as f:  # read by no report
        f.write("\nan edit\n")
    run(runner=runner)
    assert runner.take() == []
    with open(data / "curated" / "treaties.csv", "a") as f:  # read by the profiles only
        f.write("\n")
    run(runner=runner)
    assert runner.take() == ["profile_BLR", "profile_CHN"]
    with open(data / "curated" / "countries.csv", "a") as f:  # read by every report
        f.write("\n")
    run(runner=runner)
    assert runner.take() == ALL
