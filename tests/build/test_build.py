"""`python -m analysis build` on small fixture notebooks (tests/fixtures/notebooks/).

Tests marked e2e start real kernels (papermill) and export with nbconvert/WeasyPrint; the others
check validation, atomic file handling and the executor seam without a kernel.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from pypdf import PdfReader

from analysis import files
from analysis.build import cli, pipeline
from analysis.build import jobs as build_jobs
from analysis.datasets import asof
from analysis.errors import ParameterError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
A4 = (595.28, 841.89)


def run_cli(*args: str) -> tuple[int, str, str]:
    """`python -m analysis build --notebooks-dir tests/fixtures/notebooks ARGS` in this process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = cli.main(["build", "--notebooks-dir", str(FIXTURES), *args])
    return code, stdout.getvalue(), stderr.getvalue()


def run_build(out: Path, *args: str) -> tuple[int, str, str]:
    return run_cli("--output", str(out), *args)


def digest(path: Path) -> str:
    if path.is_dir():
        return "|".join(f"{p.relative_to(path)}:{digest(p)}" for p in sorted(path.rglob("*")) if p.is_file())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden_leftovers(out: Path) -> list[str]:
    """Temporary files, staging folders, swap backups: none may survive a build."""
    return [str(p) for p in out.rglob(".*")]


# =========================================================================== validation: exit 2, nothing runs


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail loudly if a build gets as far as running jobs."""
    def refuse(*a, **k):
        raise AssertionError("a kernel would have started")
    monkeypatch.setattr(pipeline, "run_jobs", refuse)


@pytest.mark.parametrize("args, expected", [
    (["--profiles", "XYZ"], [r"unknown ISO3 code 'XYZ'", r"closest: [A-Z]{3} \("]),
    (["--profiles", "CHN,Chnia"], [r"'Chnia'", r"CHN \(China\)"]),
    (["--as-of", "2022-13-45"], [r"2022-13-45", r"expected YYYY-MM-DD between 2014-03-27 and today \(\d{4}-\d\d-\d\d\)"]),
    (["--as-of", "1900-01-01"], [r"is before 2014-03-27 \(the report starts on .*; expected a date between"]),
    (["-p", "nonsense=1"], [r"unknown parameter\(s\) for isolation_report.ipynb: 'nonsense'", r"declares: as_of"]),
    (["-p", "allied_no_share=1.5"], [r"allied_no_share=1.5: expected a number between 0 and 1"]),
    (["-p", "use_treaties=perhaps"], [r"expected true or false"]),
    (["-p", "output_data_dir=/tmp"], [r"set by the build"]),
    (["-p", "focus=CHN,XYZ"], [r"'XYZ'"]),
    (["--format", "docx"], [r"--format 'docx'"]),
    (["--jobs", "0"], [r"--jobs 0"]),
])
def test_bad_parameters_exit_2_before_any_kernel(tmp_path, no_kernel, args, expected):
    out = tmp_path / "reports"
    code, stdout, stderr = run_build(out, *args)
    assert code == 2, (stdout, stderr)
    for pattern in expected:
        assert re.search(pattern, stderr), stderr
    assert not out.exists()  # nothing written, not even the folder


def test_as_of_range_in_message_matches_the_data(tmp_path, no_kernel):
    code, _, stderr = run_build(tmp_path / "r", "--as-of", "2022-13-45")
    # one range in every message: from the first Ukraine-set vote to today (issue 12, item 10)
    assert code == 2 and "between 2014-03-27 and today (" in stderr


def test_missing_notebooks_dir_is_a_parameter_error(tmp_path, no_kernel):
    with pytest.raises(ParameterError, match="no such folder"):
        build_jobs.plan(notebooks_dir=tmp_path / "nowhere")


def test_plan_reads_parameters_from_notebooks():
    p = build_jobs.plan(notebooks_dir=FIXTURES, extra=["allied_no_share=0.6", "focus=CHN,IND"], as_of="2023-03-01")
    report, *profiles = p.jobs
    assert report.parameters == {"allied_no_share": 0.6, "focus": ["CHN", "IND"], "as_of": "2023-03-01"}
    # default profiles: the report's focus, then the states the report names as Russia's allies on the date
    from analysis.metrics import allies
    named = sorted(set(allies.named("2023-03-01")) - {"CHN", "IND"})
    assert named and [j.iso3 for j in profiles] == ["CHN", "IND", *named]
    assert profiles[0].parameters == {"iso3": "CHN", "as_of": "2023-03-01"}
    assert report.formats == ["html", "pdf"] and profiles[0].formats == ["html"]
    assert report.data_dir == Path("isolation_report_data")
    assert profiles[0].data_dir == Path("profiles/CHN_data")
    # defaults: the latest date written out; focus from the notebook's default
    p = build_jobs.plan(notebooks_dir=FIXTURES)
    assert p.as_of == asof.resolve(None).strftime("%Y-%m-%d")
    focus = ["CHN", "PRK", "BLR", "IRN", "SYR", "VNM"]
    assert p.profiles == focus + sorted(set(allies.named(p.as_of)) - set(focus))
    assert len(build_jobs.plan(notebooks_dir=FIXTURES, profiles="all").jobs) == 1 + 193
    assert len(build_jobs.plan(notebooks_dir=FIXTURES, profiles="none").jobs) == 1


# =========================================================================== atomic files (no kernel)


def test_atomic_write_and_swap_dir(tmp_path):
    target = tmp_path / "a" / "report.html"
    files.atomic_write(target, "old")
    files.atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert hidden_leftovers(tmp_path) == []

    data = tmp_path / "a" / "report_data"
    data.mkdir()
    (data / "old.csv").write_text("x")
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "new.csv").write_text("y")
    files.swap_dir(staged, data)
    assert sorted(p.name for p in data.iterdir()) == ["new.csv"]
    assert not staged.exists() and hidden_leftovers(tmp_path) == []


def test_recover_restores_a_folder_cut_mid_swap(tmp_path):
    dead_pid = 2 ** 22 + 12345  # above the default pid_max: not running
    backup = tmp_path / f".isolation_report_data.old-{dead_pid}-0123abcd"
    backup.mkdir()
    (backup / "t.csv").write_text("x")
    (tmp_path / f".isolation_report.html.tmp-{dead_pid}-0123abcd").write_text("half")
    (tmp_path / f".staging-{dead_pid}-0123abcd").mkdir()
    files.recover(tmp_path)
    assert (tmp_path / "isolation_report_data" / "t.csv").read_text() == "x"
    assert hidden_leftovers(tmp_path) == []


def fake_runner(job, parameters, staged_notebook, options):
    """Stand-in executor (no kernel): what a cache or kernel pool would plug in."""
    if parameters.get("output_data_dir"):
        Path(parameters["output_data_dir"], "t.csv").write_text("a,b\n1,2\n")
    nb = new_notebook(cells=[new_markdown_cell(f"# Fake {job.label}\n\nparameters: {sorted(parameters)}")])
    nbformat.write(nb, staged_notebook)
    return nb


def test_executor_is_swappable_and_export_failure_commits_nothing(tmp_path, monkeypatch):
    out = tmp_path / "r"
    kw = dict(output=out, notebooks_dir=FIXTURES, profiles="CHN", formats=["html"], runner=fake_runner,
              out=io.StringIO(), err=io.StringIO())
    assert pipeline.build(**kw) == 0
    html = out / "isolation_report.html"
    assert "Fake report" in html.read_text()
    assert (out / "profiles" / "CHN_data" / "t.csv").exists()
    before = digest(out / "isolation_report.html")

    import analysis.build.export

    def broken_export(*a, **k):
        raise RuntimeError("exporter exploded")
    monkeypatch.setattr(analysis.build.export, "export_html", broken_export)
    err = io.StringIO()
    # force: the cache would otherwise serve the unchanged report without exporting it again
    assert pipeline.build(**dict(kw, err=err, force=True)) == 1
    assert "exporter exploded" in err.getvalue()
    assert digest(out / "isolation_report.html") == before
    assert hidden_leftovers(out) == []


def test_only_a_build_of_one_report_leaves_its_pdfs_garbage_for_later(tmp_path, monkeypatch):
    import analysis.build.export

    calls: list = []
    monkeypatch.setattr(analysis.build.export, "export_pdf", lambda nb, **k: calls.append(k["collect"]) or b"%PDF")
    kw = dict(notebooks_dir=FIXTURES, formats=["html", "pdf"], profile_formats=["html", "pdf"], runner=fake_runner,
              out=io.StringIO(), err=io.StringIO(), cache=False)
    assert pipeline.build(output=tmp_path / "one", profiles="none", **kw) == 0
    assert pipeline.build(output=tmp_path / "two", profiles="CHN", **kw) == 0
    assert calls == [False, True, True]  # the main report alone; then the main report and a profile


def test_a_warm_worker_runs_the_next_report_while_the_last_one_is_exported(tmp_path, monkeypatch):
    import analysis.build.export
    from analysis.build.procpool import ProcessPool

    export, run = analysis.build.export.export_html, ProcessPool.run
    spans: dict = {"export": [], "run": []}

    def slow_export(nb, **k):
        t0 = time.monotonic()
        time.sleep(0.4)  # an export long enough to see whether the worker waits for it
        html = export(nb, **k)
        if threading.current_thread().name.startswith("report"):  # not the export warm-up's own export
            spans["export"].append((t0, time.monotonic()))
        return html

    def timed_run(self, *a, **k):
        t0 = time.monotonic()
        try:
            return run(self, *a, **k)
        finally:
            spans["run"].append((t0, time.monotonic()))
    monkeypatch.setattr(analysis.build.export, "export_html", slow_export)
    monkeypatch.setattr(ProcessPool, "run", timed_run)
    assert pipeline.build(output=tmp_path / "r", notebooks_dir=FIXTURES, profiles="CHN,BLR,IRN", report=False,
                          jobs=1, cache=False, out=io.StringIO(), err=io.StringIO()) == 0
    assert len(spans["run"]) == 3 and len(spans["export"]) == 3
    # one worker: a notebook started while another report was being exported in this process
    assert any(e0 < r0 < e1 for r0, _ in spans["run"] for e0, e1 in spans["export"]), spans


# =========================================================================== end to end (kernels)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One real build: main report (html+pdf) and two profiles, two at a time."""
    out = tmp_path_factory.mktemp("build") / "reports"
    t0 = time.perf_counter()
    code, stdout, stderr = run_build(out, "--profiles", "CHN,BLR", "--jobs", "2", "-p", "allied_no_share=0.6")
    return out, code, stdout, stderr, time.perf_counter() - t0


@pytest.mark.e2e
def test_build_succeeds_with_progress_lines(built):
    out, code, stdout, stderr, seconds = built
    assert code == 0, stdout + stderr
    lines = stdout.splitlines()
    assert re.search(r"^\[\d/3\] report\s+html,pdf\s+\d+\.\d s", stdout, re.M), stdout
    assert re.search(r"^\[\d/3\] profile CHN\s+html\s+\d+\.\d s", stdout, re.M), stdout
    assert re.search(r"^\[\d/3\] profile BLR\s+html\s+\d+\.\d s", stdout, re.M), stdout
    assert re.match(r"built 3 of 3 report\(s\), 0 failed, in \d+\.\d s", lines[-1]), lines[-1]
    print(f"fixture build (report html+pdf, 2 profiles, --jobs 2): {seconds:.1f} s\n{stdout}")


@pytest.mark.e2e
def test_html_is_self_contained_without_code(built):
    out = built[0]
    html = (out / "isolation_report.html").read_text()
    assert "Fixture isolation report" in html  # the markdown heading
    assert "Votes against Ukraine resolutions" in html
    assert "data:image/png;base64," in html
    srcs = re.findall(r"<img[^>]*\ssrc=\"([^\"]*)\"", html)
    assert srcs and all(s.startswith("data:image/") for s in srcs), srcs
    assert not re.search(r"<link[^>]+stylesheet", html)
    # no code: neither cell sources nor the parameters / injected-parameters cells
    assert "plt.subplots" not in html and "matplotlib.use" not in html
    assert "allied_no_share = 0.5" not in html and "# Parameters" not in html
    assert "class=\"jp-InputPrompt" not in html
    # parameters were injected (-p) and as_of written out
    date = asof.resolve(None).strftime("%Y-%m-%d")
    assert f"Data as of:</strong> {date}; allied threshold 0.6" in html
    assert "max-width: 1000px" in html
    profile = (out / "profiles" / "CHN.html").read_text()
    assert "Profile of CHN" in profile and "data:image/png;base64," in profile
    assert "<title>Country profile: China (CHN)</title>" in profile
    assert f"kernel cwd: {FIXTURES.resolve()}" in profile  # kernels run in the notebooks folder


@pytest.mark.e2e
def test_pdf_is_a4_with_page_numbers(built):
    out = built[0]
    data = (out / "isolation_report.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=1)
    text = pages[0].extract_text()
    assert f"page 1 of {len(pages)}" in text
    assert "Fixture isolation report" in text
    assert not (out / "profiles" / "CHN.pdf").exists()  # profiles: html only by default


@pytest.mark.e2e
def test_index_csv_folders_and_notebooks(built):
    out = built[0]
    index = (out / "index.html").read_text()
    for link in ("isolation_report.html", "isolation_report.pdf", "profiles/CHN.html", "profiles/BLR.html",
                 "isolation_report_data/focus_no_share.csv", "profiles/CHN_data/datapackage.json"):
        assert f'href="{link}"' in index, link
    assert asof.resolve(None).strftime("%Y-%m-%d") in index
    assert re.search(r"built \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", index)
    assert "China" in index and "Belarus" in index
    assert (out / "isolation_report_data" / "focus_no_share.csv").read_text().startswith("iso3,no_share")
    assert (out / "profiles" / "CHN_data" / "alignment.csv").exists()
    assert (out / "profiles" / "BLR_data" / "alignment.csv").exists()
    assert (out / "_notebooks" / "isolation_report.ipynb").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["reports"]) == {"isolation_report", "profile_CHN", "profile_BLR"}
    assert manifest["reports"]["isolation_report"]["csv"] == ["datapackage.json", "focus_no_share.csv"]  # with its data dictionary
    assert not (out / "_failed").exists()
    assert hidden_leftovers(out) == []


@pytest.mark.e2e
def test_show_code(tmp_path):
    out = tmp_path / "r"
    code, stdout, stderr = run_build(out, "--profiles", "none", "--format", "html", "--show-code")
    assert code == 0, stdout + stderr
    html = (out / "isolation_report.html").read_text()
    assert "plt" in html and "subplots" in html  # code cells are there (highlighted)
    assert "class=\"jp-InputPrompt" in html
    assert "# Parameters" not in html and "condemning_yes_share = 1.0" not in html  # parameter cells still removed
    assert not (out / "isolation_report.pdf").exists()
    assert not (out / "profiles").exists()


@pytest.mark.e2e
def test_failure_keeps_previous_report_and_builds_the_others(tmp_path):
    out = tmp_path / "r"
    code, stdout, stderr = run_build(out, "--profiles", "none")
    assert code == 0, stdout + stderr
    kept = {name: digest(out / name) for name in ("isolation_report.html", "isolation_report.pdf",
                                                 "isolation_report_data")}

    code, stdout, stderr = run_build(out, "--profiles", "CHN", "-p", "fail=True")
    assert code == 1, stdout + stderr
    # the message names the notebook, the cell (1-based, in the source notebook) and the exception
    assert re.search(r"isolation_report\.ipynb: cell 4 \(counted from 1 .*\) raised ValueError: "
                     r"forced failure requested by the fail parameter", stderr), stderr
    assert re.search(r"^\[\d/2\] report\s+FAILED", stdout, re.M), stdout
    assert "built 1 of 2 report(s), 1 failed" in stdout
    failed = out / "_failed" / "isolation_report.ipynb"
    assert failed.exists() and "_failed/isolation_report.ipynb" in stderr.replace(os.sep, "/")
    assert "forced failure" in failed.read_text()
    # the other report was built, the previous good one is intact, byte for byte
    assert (out / "profiles" / "CHN.html").exists()
    assert {name: digest(out / name) for name in kept} == kept
    index = (out / "index.html").read_text()
    assert "Failed in this build" in index and 'href="isolation_report.html"' in index
    assert 'href="profiles/CHN.html"' in index
    assert hidden_leftovers(out) == []


@pytest.mark.e2e
def test_cell_timeout_names_the_cell(tmp_path):
    out = tmp_path / "r"
    code, stdout, stderr = run_build(out, "--profiles", "none", "--timeout", "1", "-p", "sleep=30")
    assert code == 1
    assert re.search(r"isolation_report\.ipynb: cell 4 .* raised CellTimeoutError", stderr), stderr
    assert (out / "_failed" / "isolation_report.ipynb").exists()
    assert not (out / "isolation_report.html").exists()


@pytest.mark.e2e
def test_ctrl_c_stops_running_kernels_and_writes_nothing(tmp_path):
    """SIGINT while a cell runs (sleep=30): the kernel is interrupted, nothing is committed, the
    previous report stays, no temporary file is left, exit status 130 -- within seconds."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "r"
    out.mkdir()
    (out / "isolation_report.html").write_text("previous good report")
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "build", "--notebooks-dir", str(FIXTURES),
                             "--output", str(out), "--profiles", "none", "-p", "sleep=30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".staging-*/isolation_report/isolation_report.ipynb")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(1.5)  # into the sleeping cell
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stderr
    assert (out / "isolation_report.html").read_text() == "previous good report"
    assert not (out / "isolation_report.pdf").exists() and not (out / "_failed").exists()
    assert hidden_leftovers(out) == []


@pytest.mark.e2e
def test_a_dying_kernel_fails_only_its_report_and_is_replaced(tmp_path):
    """One warm worker (--jobs 1): the report's cell 4 ends the worker process; the report fails
    with a clear message, the worker is replaced and both profiles after it are built."""
    import shutil

    nbs = tmp_path / "notebooks"  # the fixtures plus a cell that ends the worker process
    shutil.copytree(FIXTURES, nbs)
    nb = nbformat.read(nbs / "isolation_report.ipynb", as_version=4)
    nb.cells[1].source += "\nexit_kernel = False"
    nb.cells[3].source += "\nif exit_kernel:\n    import os\n    os._exit(1)"
    nbformat.write(nb, nbs / "isolation_report.ipynb")
    out = tmp_path / "r"
    code, stdout, stderr = run_build(out, "--notebooks-dir", str(nbs), "--profiles", "CHN,BLR", "--jobs", "1",
                                     "--format", "html", "-p", "exit_kernel=True")
    assert code == 1, stdout + stderr
    assert re.search(r"isolation_report\.ipynb: cell 4 \(.*\) raised KernelDiedError: the worker process \d+ "
                     r"\(exit code 1\) died; it was replaced", stderr), stderr
    assert re.search(r"^\[\d/3\] report\s+FAILED", stdout, re.M), stdout
    assert "built 2 of 3 report(s), 0 failed" not in stdout and "built 2 of 3 report(s)" in stdout
    for iso3 in ("CHN", "BLR"):
        assert "Profile of " + iso3 in (out / "profiles" / f"{iso3}.html").read_text()
    assert (out / "_failed" / "isolation_report.ipynb").exists()
    assert not (out / "isolation_report.html").exists()
    assert hidden_leftovers(out) == []


@pytest.mark.e2e
def test_execution_counts_start_at_1_in_every_report(built):
    out = built[0]
    for name in ("isolation_report", "profile_CHN", "profile_BLR"):
        nb = nbformat.read(out / "_notebooks" / f"{name}.ipynb", as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), (name, counts)
