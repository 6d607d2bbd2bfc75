"""Issue 12, 'faults' (items 14, 16, 17): a full disk is one clear line and leaves no half file,
outputs of formats this build did not make are removed, cache entries are copies."""
from __future__ import annotations

import builtins
import errno
import io
import json
import os
import re
import shutil
import subprocess
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from analysis import files
from analysis.build import cache as cache_mod
from analysis.build import cli, pipeline
from analysis.build import runner as runner_mod
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


# =========================================================================== a full disk, stage by stage
#
# The output folder lives on a disk that really fills up: a 16 MiB tmpfs (root may mount one here),
# filled to the last page at the exact point under test by a filler file (and left full, as a full
# disk stays, unless a test says otherwise). The "injected" variant (always run, also where mounting is impossible) fills the
# disk by making every write under the folder raise ENOSPC (open(), io.open, shutil.copyfile).
# Reports are made by a stand-in runner (no kernel; the real nbconvert/WeasyPrint export runs);
# one test runs a real kernel that hits the full disk while writing its figure CSV.


def _mount_tmpfs(folder: Path, size: str = "16m") -> str | None:
    """Mount a tmpfs of ``size`` on ``folder``; None when done, else why it is impossible."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return "mounting a tmpfs needs root and mount(8)"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"mount -t tmpfs failed: {done.stderr.strip()}"


class Disk:
    """An output folder on a disk that can be made full (``fill``) and freed (``free``)."""

    def __init__(self, root: Path, real: bool, monkeypatch):
        self.root, self.real, self.mp = root, real, monkeypatch
        self.filler = root / "filler"  # a file on the same disk, not a hidden one (the tests look for those)
        self.full = False
        self.hooks: list[tuple[object, str, object]] = []

    def _under(self, path) -> bool:
        try:
            return Path(os.fspath(path)).resolve().is_relative_to(self.root.resolve())
        except TypeError:  # a file descriptor
            return False

    def fill(self) -> None:
        if self.full:
            return
        self.full = True
        if self.real:
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for chunk in (1 << 20, 1 << 12, 1):
                    try:
                        while True:
                            os.write(fd, b"\0" * chunk)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)
            return
        real_open, real_copy, disk = builtins.open, shutil.copyfile, self

        class FullFile:  # what a file on a full disk does: it opens, and every write fails
            def __init__(self, f):
                self._f = f

            def write(self, data):
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(self._f, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._f.close()

        def full_open(file, mode="r", *a, **kw):
            f = real_open(file, mode, *a, **kw)
            return FullFile(f) if disk.full and any(c in mode for c in "wax+") and disk._under(file) else f

        def full_copy(src, dst, *a, **kw):
            if disk.full and disk._under(dst):
                real_open(dst, "wb").close()
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_copy(src, dst, *a, **kw)

        self.mp.setattr(builtins, "open", full_open)
        self.mp.setattr(io, "open", full_open)
        self.mp.setattr(shutil, "copyfile", full_copy)

    def free(self) -> None:
        if not self.full:
            return
        self.full = False
        if self.real:
            self.filler.unlink()
        else:
            self.mp.undo()

    def at(self, owner, name: str, when=lambda *a, **kw: True, keep_full: bool = False) -> None:
        """Fill the disk just before ``owner.name`` runs (when ``when(*args)``) and free it just
        after (``keep_full``: leave it full)."""
        original = getattr(owner, name)

        def wrapped(*a, **kw):
            if not when(*a, **kw):
                return original(*a, **kw)
            self.fill()
            try:
                return original(*a, **kw)
            finally:
                if not keep_full:
                    self.free()
        self.hooks.append((owner, name, original))
        setattr(owner, name, wrapped)

    def unhook(self) -> None:
        while self.hooks:
            owner, name, original = self.hooks.pop()
            setattr(owner, name, original)


@pytest.fixture(params=["tmpfs", "injected"])
def disk(request, tmp_path, monkeypatch):
    root = tmp_path / "disk"
    real = request.param == "tmpfs"
    if real:
        why = _mount_tmpfs(root)
        if why:
            pytest.skip(f"no real small disk here ({why}); the 'injected' variant covers the same stages")
    else:
        root.mkdir()
    with monkeypatch.context() as mp:
        d = Disk(root, real, mp)
        try:
            yield d
        finally:
            d.free()
            d.unhook()
            if real:
                subprocess.run(["umount", "-l", str(root)], check=False)


class StandInRunner:
    """A notebook run without a kernel: writes the executed notebook and a figure CSV the way
    the fixture notebook does; ``fill_before_csv`` fills the disk just before the CSV."""

    def __init__(self, disk: Disk | None = None, fill_before_csv: bool = False):
        self.disk, self.fill_before_csv, self.runs = disk, fill_before_csv, 0

    def __call__(self, job, parameters, staged_notebook, options):
        self.runs += 1
        shown = {k: v for k, v in parameters.items() if k != "output_data_dir"}
        nb = new_notebook(cells=[new_markdown_cell(f"# {job.label}\n\n{json.dumps(shown, sort_keys=True)}")])
        nbformat.write(nb, staged_notebook)
        if parameters.get("output_data_dir"):
            if self.fill_before_csv:
                self.disk.fill()
            with open(Path(parameters["output_data_dir"], "focus_no_share.csv"), "w", encoding="utf-8") as f:
                f.write("iso3,no_share\n" + "".join(f"{c},0.{i}\n" for i, c in enumerate(shown.get("focus") or "AB")))
        return nb


@pytest.fixture(scope="session")
def previous_build(tmp_path_factory):
    """A finished build (report HTML and PDF with its data folder, index, manifest, cache): the
    'previous reports' every full-disk test starts from. Built once, copied onto each disk."""
    out = tmp_path_factory.mktemp("previous") / "reports"
    code, err = _build(out, StandInRunner(), "--format", "html,pdf")
    assert code == 0, err
    return out


def _build(out: Path, runner, *args: str) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    real = pipeline.papermill_runner
    pipeline.papermill_runner = runner
    try:
        with redirect_stderr(stderr), redirect_stdout(stdout):
            code = cli.main(["build", "--notebooks-dir", str(FIXTURES), "--output", str(out), "--no-pool",
                             "--profiles", "none", "--as-of", "2024-06-20", "--jobs", "1", *args])
    finally:
        pipeline.papermill_runner = real
    return code, stderr.getvalue()


def _state(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "filler"}


def _no_half_files(out: Path) -> None:
    hidden = [p for p in out.rglob("*") if p.name.startswith(".")]
    assert hidden == [], hidden  # no .tmp file, no staging folder, no swap backup, no half cache entry
    for nb in out.rglob("*.ipynb"):
        nbformat.read(str(nb), as_version=4)  # a kept notebook is a whole one
    for entry in (out / "_cache").glob("*/*"):
        assert (entry / "entry.json").is_file(), entry


def _one_line_no_space(err: str) -> None:
    """Exactly one line on stderr, naming where the disk is full (a path in the output folder)."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    where = re.match(r"^error: no space left on (\S*reports\b\S*)", err)
    assert where and not re.search(r"/\.[^./]|_failed|_cache", where.group(1)), err  # an output path, not a hidden one


@contextmanager
def _on(disk: Disk, previous: Path):
    out = disk.root / "reports"
    shutil.copytree(previous, out)
    yield out
    disk.free()


NEW = ("-p", "allied_no_share=0.6", "--format", "html")  # a build whose outputs differ from the previous


@pytest.mark.parametrize("stage", ["figure csv", "datapackage", "html", "pdf"])
def test_full_disk_while_a_report_is_written_keeps_the_previous_report(disk, previous_build, stage):
    with _on(disk, previous_build) as out:
        before = _state(out)
        runner = StandInRunner(disk, fill_before_csv=stage == "figure csv")
        # the disk fills at that point and stays full (as a full disk does)
        if stage == "datapackage":
            disk.at(runner_mod, "commit", keep_full=True)
        elif stage == "html":  # datapackage.json was written
            disk.at(runner_mod, "publish", keep_full=True)
        elif stage == "pdf":  # the HTML is already in its temporary file
            disk.at(files, "write_temp", when=lambda path, *a, **kw: Path(path).suffix == ".pdf", keep_full=True)
        code, err = _build(out, runner, *NEW, *(["--format", "html,pdf"] if stage == "pdf" else []))
        disk.free()
        assert code == 1, err
        _one_line_no_space(err)
        after = _state(out)
        kept = after.pop("_failed/isolation_report.ipynb", None)
        assert kept is None or stage == "figure csv"  # (a whole notebook; checked below)
        assert after.keys() == before.keys()  # HTML, PDF, data folder, cache: as they were
        assert [k for k in after if after[k] != before[k] and k not in ("index.html", "manifest.json")] == []
        # index and manifest: as they were, or (when removing the half-written files freed enough
        # space) both rewritten, together, to record the failure; the report's entry is unchanged
        old, new = (json.loads(x["manifest.json"]) for x in (before, after))
        if new != old:
            entry = new["reports"]["isolation_report"]
            assert "no space left on" in entry.pop("last_failure")["message"]
            assert entry == {k: v for k, v in old["reports"]["isolation_report"].items() if k != "last_failure"}
            assert after["index.html"] != before["index.html"] and b"no space left on" in after["index.html"]
        else:
            assert after["index.html"] == before["index.html"]
        _no_half_files(out)


@pytest.mark.parametrize("first", ["manifest.json", "index.html"])
def test_full_disk_while_the_index_is_written_keeps_index_and_manifest_together(disk, previous_build, first):
    """The reports of this build are complete and in place; index.html and manifest.json both stay
    those of the previous build (written together or not at all)."""
    with _on(disk, previous_build) as out:
        before = _state(out)
        disk.at(files, "write_temp", when=lambda path, *a, **kw: Path(path).name == first, keep_full=True)
        code, err = _build(out, StandInRunner(), *NEW)
        disk.free()
        assert code == 1 and err == f"error: no space left on {out / first}\n", err
        after = _state(out)
        assert after["index.html"] == before["index.html"] and after["manifest.json"] == before["manifest.json"]
        assert after["isolation_report.html"] != before["isolation_report.html"]  # built, whole
        assert b"0.6" in after["isolation_report.html"]
        _no_half_files(out)
        disk.unhook()
        code, err = _build(out, StandInRunner(), *NEW)  # space again: the next build writes both
        assert code == 0, err
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["reports"]["isolation_report"]["parameters"]["allied_no_share"] == 0.6


def _one_after_another(jobs, options, workers=1, on_done=None, runner=None, **kw):
    """run_jobs without worker threads: a job never writes while the main thread's cache store
    has the disk full (with threads the next report may well find the disk full too)."""
    results = []
    for k, job in enumerate(jobs, start=1):
        results.append(runner_mod.execute_job(job, options, runner))
        on_done(results[-1], k, len(jobs))
    return results


def test_full_disk_while_storing_in_the_cache_warns_once_and_keeps_no_half_entry(disk, previous_build, monkeypatch):
    monkeypatch.setattr(pipeline, "run_jobs", _one_after_another)
    with _on(disk, previous_build) as out:
        shutil.rmtree(out / "_cache")
        disk.at(cache_mod.Cache, "store")
        runner = StandInRunner()
        code, err = _build(out, runner, *NEW, "--profiles", "CHN,BLR")
        assert code == 0, err
        warnings = [ln for ln in err.splitlines() if ln.startswith("warning:")]
        assert len(warnings) == 1 and "no space left on" in warnings[0] and "_cache" in warnings[0], err
        assert runner.runs == 3 and b"0.6" in (out / "isolation_report.html").read_bytes()
        assert [p for p in (out / "_cache").rglob("*") if p.is_file()] == []
        _no_half_files(out)
        disk.unhook()
        code, err = _build(out, runner, *NEW, "--profiles", "CHN,BLR")  # nothing cached: all rebuilt
        assert code == 0 and runner.runs == 6, err


FILL_IN_KERNEL = '''import os
_fd = os.open(os.environ["FILL_DISK"], os.O_WRONLY | os.O_CREAT, 0o600)
for _chunk in (1 << 20, 1 << 12, 1):
    try:
        while True:
            os.write(_fd, b"\\0" * _chunk)
    except OSError:
        pass
os.close(_fd)
'''


def test_a_real_kernel_finds_the_disk_full_while_writing_its_figure_csv(tmp_path, previous_build, monkeypatch):
    """The fixture notebook, run by papermill in a real kernel, fills the (real, small) disk just
    before it writes its figure CSV; then papermill cannot save the executed notebook either."""
    root = tmp_path / "disk"
    why = _mount_tmpfs(root)
    if why:
        pytest.skip(f"no real small disk here ({why}); the 'injected' stage tests cover the figure CSV")
    try:
        nbs = tmp_path / "notebooks"
        shutil.copytree(FIXTURES, nbs)
        nb = nbformat.read(str(nbs / "isolation_report.ipynb"), as_version=4)
        cell = next(c for c in nb.cells if "focus_no_share.csv" in c.source)
        cell.source = FILL_IN_KERNEL + cell.source
        nbformat.write(nb, str(nbs / "isolation_report.ipynb"))
        out = root / "reports"
        shutil.copytree(previous_build, out)
        before = _state(out)
        monkeypatch.setenv("FILL_DISK", str(root / "filler"))
        stdout, stderr = io.StringIO(), io.StringIO()
        with redirect_stderr(stderr), redirect_stdout(stdout):
            code = cli.main(["build", "--notebooks-dir", str(nbs), "--output", str(out), "--no-pool", "--no-cache",
                             "--profiles", "none", "--format", "html", "--as-of", "2024-06-20", "--timeout", "60"])
        (root / "filler").unlink()
        err = stderr.getvalue()
        assert code == 1, err
        _one_line_no_space(err)
        after = _state(out)
        after.pop("_failed/isolation_report.ipynb", None)  # if kept, a whole notebook (below)
        changed = [k for k in after if after.get(k) != before.get(k)]
        assert set(changed) <= {"index.html", "manifest.json"} and after.keys() == before.keys(), changed
        if changed:  # space freed by the removed half notebook was enough to record the failure
            manifest = json.loads(after["manifest.json"])
            assert "no space left on" in manifest["reports"]["isolation_report"]["last_failure"]["message"]
        _no_half_files(out)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_a_half_or_corrupt_cache_entry_is_never_served(tmp_path, previous_build):
    """What a full disk (or a crash) may leave in the cache: a temporary entry of a dead build, an
    entry folder without entry.json, a stored file cut short. None is served; each is removed."""
    out = tmp_path / "reports"
    shutil.copytree(previous_build, out)
    entries = [p for p in (out / "_cache").glob("*/*") if (p / "entry.json").is_file()]
    assert len(entries) == 1
    entry = entries[0]
    half = entry.with_name(f".{entry.name}.tmp-999999999-0123abcd")  # a dead build's half entry
    shutil.copytree(entry, half)
    stored = entry / "report.html"
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes()[:100])  # cut short, as by a full disk
    (out / "isolation_report.html").unlink()  # so the entry would have to be served
    runner = StandInRunner()
    code, err = _build(out, runner, "--format", "html,pdf")
    assert code == 0 and runner.runs == 1, err  # rebuilt, not served
    assert len((out / "isolation_report.html").read_bytes()) > 1000 and not half.exists()
    shutil.rmtree(entry)
    entry.mkdir()  # an entry folder with no entry.json
    (entry / "report.html").write_text("half")
    (out / "isolation_report.html").unlink()
    code, err = _build(out, runner, "--format", "html,pdf")
    assert code == 0 and runner.runs == 2 and "half" not in (out / "isolation_report.html").read_text()
    _no_half_files(out)


@pytest.mark.parametrize("point", ["serve_from_cache", "publish"])
def test_full_disk_while_serving_from_the_cache_keeps_the_previous_report(disk, previous_build, point):
    """A cache hit copies the entry into place like a build commits: the data folder is staged
    (``serve_from_cache``), then HTML and PDF are written (``publish``); a full disk at either
    point leaves the output as it was."""
    with _on(disk, previous_build) as out:
        (out / "isolation_report_data" / "focus_no_share.csv").write_text("changed\n")  # must be restored
        before = _state(out)
        disk.at(cache_mod, point, keep_full=True)
        runner = StandInRunner()
        code, err = _build(out, runner, "--format", "html,pdf")
        disk.free()
        assert code == 1 and runner.runs == 0, err
        _one_line_no_space(err)
        assert _state(out) == before
        _no_half_files(out)
