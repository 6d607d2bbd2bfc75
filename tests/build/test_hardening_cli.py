"""Issue 12, 'a user's mistakes get one clear line and exit 2, before any kernel starts'
(items 9-13) and the footer path (item 4)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from analysis import config
from analysis.build import cli, options, pipeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


@pytest.fixture
def no_kernel(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a kernel would have started")
    monkeypatch.setattr(pipeline, "run_jobs", refuse)
    monkeypatch.setattr(pipeline, "PoolRunner", refuse)


def run(*args: str) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = cli.main(["build", "--notebooks-dir", str(FIXTURES), *args])
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, stderr.getvalue()


def one_clear_line(err: str) -> None:
    assert err.startswith("error: ") or "error:" in err, err
    assert "Traceback" not in err
    assert all(len(line) <= 700 for line in err.splitlines()), max(map(len, err.splitlines()))


@pytest.mark.parametrize("value", ["1.5", "nan", "inf", "-1", "ten", "1e400"])
def test_timeout_must_be_whole_seconds(tmp_path, no_kernel, value):
    code, err = run("--output", str(tmp_path / "r"), "--timeout", value)
    assert code == 2 and "--timeout" in err and "whole seconds" in err
    one_clear_line(err)
    assert not (tmp_path / "r").exists()


def test_timeout_values_that_are_accepted():
    assert options.check_timeout("600") == 600 and options.check_timeout(0) is None
    assert options.check_timeout(None) is None and options.check_timeout(30.0) == 30


def test_as_of_with_a_time_zone_is_one_line(tmp_path, no_kernel):
    code, err = run("--output", str(tmp_path / "r"), "--as-of", "2024-06-20T00:00+05:00")
    assert code == 2 and "time zone" in err and "between 2014-03-27 and today (" in err
    one_clear_line(err)


def test_bad_output_folders_are_refused(tmp_path, no_kernel):
    a_file = tmp_path / "README.md"
    a_file.write_text("x")
    for target, words in [(a_file, "is a file"), ("/dev/null", "is a file"),
                          (config.curated_dir(), "inside"), (config.PROJECT_ROOT / "src" / "out", "inside src/"),
                          (config.NOTEBOOK_DIR, "inside notebooks/")]:
        code, err = run("--output", str(target))
        assert code == 2 and words in err, (target, err)
        one_clear_line(err)
    code, err = run("--output", str(tmp_path / "r"), "--cache-dir", str(a_file))
    assert code == 2 and "--cache-dir" in err and "is a file" in err


@contextmanager
def read_only(folder: Path, monkeypatch):
    """Make ``folder`` read-only for this process, whoever it runs as: permissions for a normal
    user; for root (whom permissions do not stop) a read-only bind mount, as a read-only disk; if
    mounting is impossible, os.access answers as it would on one."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "permissions"
        finally:
            folder.chmod(0o755)
        return
    mounted = bool(shutil.which("mount")) and \
        subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
    if mounted and subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True).returncode:
        subprocess.run(["umount", str(folder)], check=False)
        mounted = False
    if not mounted:
        real = os.access

        def access(path, mode, *a, **kw):
            inside = Path(path).resolve().is_relative_to(folder.resolve())
            return False if inside and mode & os.W_OK else real(path, mode, *a, **kw)
        monkeypatch.setattr(options.os, "access", access)
    try:
        yield "read-only mount" if mounted else "os.access"
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.parametrize("existing", [False, True])
def test_read_only_output_folder_is_refused(tmp_path, no_kernel, monkeypatch, existing):
    ro = tmp_path / "ro"
    target = ro / "reports"
    if existing:  # previous reports in a folder that has become read-only
        target.mkdir(parents=True)
        (target / "index.html").write_text("previous")
    else:
        ro.mkdir()
    with read_only(target if existing else ro, monkeypatch):
        code, err = run("--output", str(target))
    assert code == 2 and "not a writable folder" in err, err
    one_clear_line(err)
    assert sorted(p.name for p in ro.rglob("*")) == (["index.html", "reports"] if existing else [])


@pytest.mark.parametrize("args", [["--as-of", "9" * 10_000], ["-p", "x" * 10_000 + "=1"],
                                  ["--profiles", "Q" * 10_000], ["--jobs", "j" * 10_000],
                                  ["--format", "f" * 10_000]])
def test_long_values_are_cut_in_messages(tmp_path, no_kernel, args):
    code, err = run("--output", str(tmp_path / "r"), *args)
    assert code == 2
    one_clear_line(err)
    assert len(err) < 3000


def test_jobs_are_capped_by_cores_and_memory(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(options, "available_memory", lambda: 24 * 2**30)
    workers, note = options.cap_workers(1000, 193)
    assert workers == 2 and re.search(r"--jobs 1000 capped to 2 \(limited by 2 CPU core", note)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(options, "available_memory", lambda: 1 * 2**30)
    workers, note = options.cap_workers(1000, 193)
    assert workers == 1 * 2**30 // options.KERNEL_BYTES and "available memory" in note
    assert options.cap_workers(None, 3) == (3, None)  # default: cores, no more than the reports
    assert options.cap_workers(4, 1)[0] == 1


def test_footer_escapes_the_notebooks_path():
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    from analysis.build.export import export_html

    nb = new_notebook(cells=[new_markdown_cell("hello")])
    nbformat.validate(nb)
    evil = "/tmp/x<img src=x onerror=alert(9)>/isolation_report.ipynb"
    html = export_html(nb, title="t", report_info={"as_of": "<b>", "built_at": "now", "source": evil})
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(9)&gt;" in html
