"""Issue 12, 'faults' (items 14, 16, 17): a full disk is one clear line and leaves no half file,
outputs of formats this build did not make are removed, cache entries are copies."""
from __future__ import annotations

import errno
import io
import json
import os
from contextlib import redirect_stderr
from pathlib import Path

from analysis.build import cli, pipeline
from analysis.build.cache import Cache
from analysis.build.jobs import BuildOptions, JobResult, ReportJob
from analysis.build.runner import execute_job, no_space

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


def _job(**kw) -> ReportJob:
    return ReportJob(name="isolation_report", kind="report", label="report", title="t",
                     notebook=FIXTURES / "isolation_report.ipynb",
                     **{"html": Path("isolation_report.html"), "pdf": None, **kw})


def test_full_disk_while_the_notebook_is_written_keeps_no_half_file(tmp_path):
    def full_disk_runner(job, values, staged_nb, options):
        staged_nb.write_text('{"cells": [')  # half a notebook
        raise OSError(errno.ENOSPC, "No space left on device", str(staged_nb))

    out = tmp_path / "r"
    out.mkdir()
    (out / "isolation_report.html").write_text("previous")
    res = execute_job(_job(), BuildOptions(output=out, notebooks_dir=FIXTURES), runner=full_disk_runner)
    assert not res.ok and "no space left on" in str(res.error) and "did not start" not in str(res.error)
    assert not (out / "_failed").exists() or not any((out / "_failed").iterdir())
    assert (out / "isolation_report.html").read_text() == "previous"
    assert [p for p in out.rglob("*") if p.name.startswith(".")] == []


def test_a_full_disk_outside_a_notebook_is_one_line_and_exit_1(monkeypatch, tmp_path):
    def full(**kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "r" / "index.html"))
    monkeypatch.setattr(pipeline, "build", full)
    err = io.StringIO()
    with redirect_stderr(err):
        code = cli.main(["build", "--output", str(tmp_path / "r")])
    assert code == 1 and err.getvalue() == f"error: no space left on {tmp_path / 'r' / 'index.html'}\n"
    assert no_space(RuntimeError("x")) is False


def test_outputs_of_formats_not_built_are_removed(tmp_path):
    (tmp_path / "isolation_report.pdf").write_bytes(b"%PDF old, another as-of")
    (tmp_path / "isolation_report.html").write_text("new")
    ok = JobResult(job=_job(), ok=True, seconds=1.0)
    removed = pipeline.remove_stale_formats(tmp_path, [ok])
    assert removed == [tmp_path / "isolation_report.pdf"] and not (tmp_path / "isolation_report.pdf").exists()
    # a failed build keeps what it had
    (tmp_path / "isolation_report.pdf").write_bytes(b"%PDF")
    assert pipeline.remove_stale_formats(tmp_path, [JobResult(job=_job(), ok=False, seconds=1.0)]) == []


def test_cache_entries_are_read_only_copies_not_links(tmp_path):
    live = tmp_path / "isolation_report.html"
    live.write_text("report")
    cache = Cache(tmp_path / "_cache")
    entry = cache.store("k" * 64, {"report.html": live}, {"name": "x"})
    stored = entry.path / "report.html"
    assert not os.path.samefile(stored, live) and stored.read_text() == "report"
    assert not os.stat(stored).st_mode & 0o222
    json.loads((entry.path / "entry.json").read_text())
