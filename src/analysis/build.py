"""`python -m analysis build`: run the report notebooks with papermill, export HTML and PDF.

Everything runs in this process through the libraries' Python APIs (papermill, nbconvert,
WeasyPrint); only the Jupyter kernels are separate processes. By default ``--jobs`` warm kernels
(:mod:`analysis.kernelpool`) are reused from report to report -- each reset to a fresh state before
every run -- and reports whose inputs did not change are served from a cache (:mod:`analysis.cache`).

Pipeline
--------
1. **Plan and validate** (:func:`plan`) -- before any kernel starts. Parameter names come from
   each notebook's ``parameters`` cell (:mod:`analysis.params`); ISO3 codes, dates, thresholds and
   ``-p`` values are checked there. Any problem raises :class:`ParameterError` (exit status 2) and
   nothing is written.
   ``--no-report`` drops the main report; ``--shard I/N`` keeps a deterministic I-th of N of the
   reports (round robin over their sorted names), so CI runners can split a build.
2. **Cache** -- each job's key hashes the notebook, its parameters and options, every data file
   (raw, manual, curated), the analysis package's source and the key packages' versions. A job
   whose entry exists and verifies is not run: if its outputs already are the entry's files nothing
   is written (a no-op build of all 193 profiles takes about a second), else the entry is copied
   into place. A corrupted entry is discarded and the report rebuilt. ``--force`` rebuilds all,
   ``--no-cache`` bypasses it, ``--cache-dir`` moves it (default ``<output>/_cache``).
3. **Run jobs** (:func:`run_jobs`) -- one :class:`ReportJob` per output (the main report, one per
   country profile), ``--jobs`` at a time in worker threads, each handing its notebook to a warm
   kernel of the :class:`PoolRunner` (``--no-pool``: a fresh kernel per report, :func:`papermill_runner`).
   A kernel that dies or times out is replaced; only its report fails. Threads are enough: the work happens
   in the kernels (separate processes); the GIL-bound parts (nbconvert, WeasyPrint) are small next
   to it. Each job (:func:`execute_job`) executes its notebook into a private staging folder
   (``<output>/.staging-*``), exports it, then *commits*.
4. **Commit** -- HTML/PDF are written to a temporary file in the target folder and ``os.replace``d;
   the CSV folder the notebook wrote (``output_data_dir``) is swapped in with two renames (the old
   folder is restored if the second fails; an interrupted swap is repaired by the next build). A
   job that fails commits nothing, so the previous good report stays in place byte for byte; its
   executed notebook is kept as ``<output>/_failed/<name>.ipynb``.
5. **Index** -- ``index.html`` and ``manifest.json`` list every report present in the output
   folder, with the as-of date and build time (UTC) of each.

Outputs (default folder ``reports/``)::

    index.html                         links, as-of date, build time, profiles
    manifest.json                      the same as data (kept across builds)
    isolation_report.html / .pdf       the main report (formats from --format, default html,pdf)
    isolation_report_data/*.csv        the tables behind its figures
    profiles/<ISO3>.html               one per country profile (formats from --profile-format,
    profiles/<ISO3>_data/*.csv          default html only: 193 PDFs are rarely wanted)
    _notebooks/<name>.ipynb            executed notebooks of the last good build
    _failed/<name>.ipynb               executed notebook of a failed job (removed once it builds)
    _cache/<key[:2]>/<key>/            cache entries: the files above (hard links) + entry.json

Swapping the executor
---------------------
The unit of work is :class:`ReportJob` (plain data). :func:`run_jobs` takes the list, a number of
workers and a ``runner`` -- the callable that turns (job, parameters, staged notebook path) into
an executed notebook (:class:`PoolRunner` by default, or :func:`papermill_runner`). The cache and
sharding sit around :func:`run_jobs` in :func:`build`; planning, export and the atomic commit are
the same for every runner.

Notebook conventions the build relies on: a code cell tagged ``parameters``; cells tagged
``parameters`` / ``injected-parameters`` / ``remove-cell`` are left out of the export,
``remove-input`` / ``hide-input`` drop a cell's code even with ``--show-code``, ``remove-output``
its outputs, and a markdown cell tagged ``caption`` is styled as a figure caption.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from . import config, params
from .cache import pid_alive  # stdlib-only module: cheap to import
from .kernelpool import interrupt_kernel  # stdlib-only at import time
from .errors import NotebookExecutionError, ParameterError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REPORT_NOTEBOOK = "isolation_report.ipynb"
PROFILE_NOTEBOOK = "country_profile.ipynb"
REPORT_NAME = "isolation_report"
REPORT_TITLE = "Russia's international isolation"
#: Profiles built by default when the main report declares no ``focus`` parameter.
DEFAULT_FOCUS = ("CHN", "PRK", "BLR", "IRN", "SYR", "VNM")
FORMATS = ("html", "pdf")
DATA_PARAMETER = "output_data_dir"
PROFILE_PARAMETER = "iso3"
FAILED_DIR = "_failed"
NOTEBOOKS_DIR = "_notebooks"
MANIFEST = "manifest.json"
INDEX = "index.html"


# =========================================================================== jobs


@dataclass(frozen=True)
class ReportJob:
    """One notebook run and the files it produces. Output paths are relative to the output folder;
    ``None`` means that output is not wanted (or, for ``data_dir``, that the notebook has no
    ``output_data_dir`` parameter)."""

    name: str  # unique; file stem under _failed/ and _notebooks/: "isolation_report", "profile_CHN"
    kind: str  # "report" or "profile"
    label: str  # for progress lines: "report", "profile CHN"
    title: str
    notebook: Path  # absolute path of the source notebook
    parameters: dict[str, Any] = field(default_factory=dict)  # validated; output_data_dir is added at run time
    html: Path | None = None
    pdf: Path | None = None
    data_dir: Path | None = None
    iso3: str | None = None
    as_of: str | None = None

    @property
    def formats(self) -> list[str]:
        return [f for f in FORMATS if getattr(self, f) is not None]


@dataclass
class BuildOptions:
    """How jobs run (shared by every job of a build)."""

    output: Path
    notebooks_dir: Path
    show_code: bool = False
    timeout: float | None = 600  # per cell, seconds; None = no limit
    start_timeout: float = 60  # kernel start-up, seconds
    kernel_name: str = "python3"
    keep_notebooks: bool = True  # executed notebooks of good builds in _notebooks/
    built_at: str = ""  # UTC, e.g. "2026-11-29T16:40:00Z"
    cancel: threading.Event = field(default_factory=threading.Event)  # set: stop, commit nothing more
    staging: Path | None = None  # set by run_jobs
    kernels: set = field(default_factory=set)  # kernel managers running now (to interrupt on Ctrl-C)


@dataclass
class JobResult:
    """What happened to one job."""

    job: ReportJob
    ok: bool
    seconds: float
    run_seconds: float = 0.0
    export_seconds: float = 0.0
    written: list[str] = field(default_factory=list)  # paths relative to the output folder
    csv: list[str] = field(default_factory=list)  # CSV files in the data folder (relative to it)
    error: NotebookExecutionError | None = None
    cached: bool = False  # served from the build cache (not run)
    built_at: str | None = None  # when a cached report was built (None: in this build)
    build_seconds: float | None = None  # how long that build took


@dataclass
class BuildPlan:
    """The validated build: its jobs and what the index needs to say about it."""

    jobs: list[ReportJob]
    as_of: str | None
    profiles: list[str]
    members: dict[str, str]


class ReportNotebookError(NotebookExecutionError):
    """A report notebook failed. ``cell`` is the failing cell's position in the *source* notebook,
    counted from 1 over every cell (markdown included) -- what you see when you open it;
    ``exec_count`` is its ``In [n]`` in the executed notebook."""

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str, kept: str | None = None,
                 exec_count: int | None = None, note: str | None = None):
        super().__init__(notebook, cell, ename, evalue, kept)
        self.exec_count, self.note = exec_count, note
        if cell is not None:
            where = f"cell {cell} (counted from 1 over all cells of the notebook"
            where += f"; In [{exec_count}])" if exec_count is not None else ")"
        else:
            where = note or "(cell unknown)"
        value = evalue.strip().splitlines()[0] if evalue and evalue.strip() else ""
        #: the message without where the executed notebook was kept
        self.summary = f"{notebook}: {where} raised {ename}" + (f": {value}" if value else "")
        msg = self.summary + (f"; executed notebook kept at {kept}" if kept else "")
        Exception.__init__(self, msg)


class BuildCancelled(Exception):
    """Raised inside a job when the build was interrupted: it stops before its next cell."""


class BuildInterrupted(Exception):
    """Ctrl-C during :func:`run_jobs`; ``results`` holds the jobs that finished (and committed)
    before it. Running jobs were stopped and committed nothing."""

    def __init__(self, results: list[JobResult]):
        super().__init__("build interrupted")
        self.results = results


Runner = Callable[[ReportJob, dict, Path, BuildOptions], Any]


# =========================================================================== planning


def parse_formats(text: str, option: str = "--format") -> list[str]:
    """'html,pdf' -> ['html', 'pdf'] (validated)."""
    items = [t.strip().lower() for t in re.split(r"[,\s]+", text or "") if t.strip()]
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        raise ParameterError(f"{option} {text!r}: expected a comma list of {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in items]


def plan(*, notebooks_dir: Path, as_of: str | None = None, profiles: str | None = None,
         formats: Iterable[str] = FORMATS, profile_formats: Iterable[str] = ("html",),
         extra: Iterable[str] = ()) -> BuildPlan:
    """Validate every parameter and return the jobs. Starts no kernel, writes nothing.

    ``extra`` are the ``-p NAME=VALUE`` strings for the main report. ``profiles`` is the
    ``--profiles`` spec (None = the report's ``focus`` states). Raises ParameterError."""
    notebooks_dir = Path(notebooks_dir).resolve()
    if not notebooks_dir.is_dir():
        raise ParameterError(f"--notebooks-dir {notebooks_dir}: no such folder")
    report_nb = notebooks_dir / REPORT_NOTEBOOK
    declared = params.notebook_parameters(report_nb)
    members = params.un_members()

    values: dict[str, Any] = {}
    for text in extra:
        name, value = params.parse_assignment(text)
        if name in values:
            raise ParameterError(f"-p {name} given twice")
        values[name] = value
    if as_of is not None:
        if "as_of" in values:
            raise ParameterError("give the date once: --as-of or -p as_of, not both")
        if "as_of" not in declared:
            raise ParameterError(f"--as-of: {report_nb.name} declares no as_of parameter")
        values["as_of"] = as_of
    elif "as_of" in declared and "as_of" not in values:
        values["as_of"] = None  # -> the latest data date, written out explicitly
    report_values = params.validate(report_nb, values, declared=declared, members=members)
    date = report_values.get("as_of")
    if date is None and as_of is None:
        date = params.validate_as_of(None)

    focus = report_values.get("focus")
    if focus is None:
        d = declared.get("focus")
        focus = list(d.default) if d is not None and isinstance(d.default, (list, tuple)) else list(DEFAULT_FOCUS)
    codes = params.parse_profiles(profiles, default=focus, members=members)

    formats, profile_formats = list(formats), list(profile_formats)
    jobs = [ReportJob(
        name=REPORT_NAME, kind="report", label="report", title=REPORT_TITLE, notebook=report_nb,
        parameters=report_values,
        html=Path(f"{REPORT_NAME}.html") if "html" in formats else None,
        pdf=Path(f"{REPORT_NAME}.pdf") if "pdf" in formats else None,
        data_dir=Path(f"{REPORT_NAME}_data") if DATA_PARAMETER in declared else None,
        as_of=date,
    )]
    if codes:
        profile_nb = notebooks_dir / PROFILE_NOTEBOOK
        p_declared = params.notebook_parameters(profile_nb)
        if PROFILE_PARAMETER not in p_declared:
            raise ParameterError(f"{profile_nb.name} declares no {PROFILE_PARAMETER} parameter; "
                                 f"it declares: {', '.join(p_declared)}")
        for code in codes:
            values = {PROFILE_PARAMETER: code}
            if "as_of" in p_declared:
                values["as_of"] = date
            values = params.validate(profile_nb, values, declared=p_declared, members=members)
            jobs.append(ReportJob(
                name=f"profile_{code}", kind="profile", label=f"profile {code}",
                title=f"Country profile: {members[code]} ({code})", notebook=profile_nb, parameters=values,
                html=Path("profiles", f"{code}.html") if "html" in profile_formats else None,
                pdf=Path("profiles", f"{code}.pdf") if "pdf" in profile_formats else None,
                data_dir=Path("profiles", f"{code}_data") if DATA_PARAMETER in p_declared else None,
                iso3=code, as_of=date,
            ))
    return BuildPlan(jobs=jobs, as_of=date, profiles=codes, members=members)


# =========================================================================== files, atomically


def _token() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync it, then ``os.replace`` it:
    readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{_token()}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def swap_dir(staged: Path, target: Path) -> None:
    """Put the folder ``staged`` in place of ``target`` (same file system).

    The old folder is first renamed aside (``.<name>.old-*``), then ``staged`` is renamed in, then
    the old one is removed. If the second rename fails the old folder is put back; if the process
    dies between the two renames, :func:`recover` (run at the start of every build) restores it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(staged, target)
        return
    backup = target.with_name(f".{target.name}.old-{_token()}")
    os.rename(target, backup)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def recover(output: Path) -> None:
    """Repair what an interrupted build may have left in ``output``: restore a folder whose swap
    was cut between its two renames, drop stale temporary files and staging folders of builds
    that are no longer running."""
    for folder in (output, output / "profiles"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            m = re.match(r"^\.(.+)\.(old|tmp)-(\d+)-[0-9a-f]+$", entry.name)
            if m and not pid_alive(int(m.group(3))):
                original = folder / m.group(1)
                if m.group(2) == "old" and entry.is_dir() and not original.exists():
                    os.rename(entry, original)
                elif entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            m = re.match(r"^\.staging-(\d+)-[0-9a-f]+$", entry.name)
            if m and not pid_alive(int(m.group(1))):
                shutil.rmtree(entry, ignore_errors=True)


def _rel(path: Path, start: Path | None = None) -> str:
    try:
        return os.path.relpath(path, start or Path.cwd())
    except ValueError:
        return str(path)


# =========================================================================== running one job


def papermill_runner(job: ReportJob, parameters: dict, staged_notebook: Path, options: BuildOptions):
    """Execute ``job.notebook`` with papermill (in this process; the kernel is a child process)
    and return the executed NotebookNode. The executed notebook is also written to
    ``staged_notebook`` (after each cell, and with papermill's error banner on failure).

    The kernel's working directory is the notebooks folder. It is set through nbclient's
    ``resources["metadata"]["path"]`` rather than papermill's ``cwd=``, which calls
    ``os.chdir`` -- process-wide, so unsafe with several worker threads.

    For Ctrl-C: the kernel manager registers itself in ``options.kernels`` (so the build can
    interrupt the running cell; kernels run in their own session and do not see the terminal's
    SIGINT), and a cell-start hook stops the notebook once ``options.cancel`` is set."""
    import logging

    import papermill
    from jupyter_client.manager import AsyncKernelManager

    logging.getLogger("papermill").setLevel(logging.ERROR)  # unknown-parameter warnings: we validate
    started: list = []

    class TrackedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            await super().start_kernel(**kw)
            started.append(self)
            options.kernels.add(self)
            if options.cancel.is_set():
                interrupt_kernel(self)

    def stop_if_cancelled(**_):
        if options.cancel.is_set():
            raise BuildCancelled("build interrupted")

    try:
        return papermill.execute_notebook(
            str(job.notebook), str(staged_notebook), parameters=parameters,
            kernel_name=options.kernel_name, progress_bar=False, log_output=False,
            report_mode=not options.show_code,
            start_timeout=options.start_timeout,
            execution_timeout=options.timeout or None,
            resources={"metadata": {"path": str(options.notebooks_dir)}},
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # kernel log noise (TCP warning, shutdown SIGINT)
            kernel_manager_class=TrackedKernelManager,
            on_cell_start=stop_if_cancelled,
        )
    finally:
        for km in started:
            options.kernels.discard(km)


def _read_notebook(path: Path):
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - best effort, only used to describe a failure
        return None


def _source_position(source_nb, executed_cells: list, index: int) -> int | None:
    """1-based position in the source notebook of ``executed_cells[index]`` (by cell id, else by
    counting the cells papermill did not add). None for the injected-parameters cell."""
    cell = executed_cells[index]
    if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
        return None
    if source_nb is not None:
        ids = {c.get("id"): i for i, c in enumerate(source_nb.cells) if c.get("id")}
        if cell.get("id") in ids:
            return ids[cell.get("id")] + 1
    added = sum(1 for c in executed_cells[:index] if "injected-parameters" in c.get("metadata", {}).get("tags", []))
    return index - added + 1


def _describe_failure(job: ReportJob, exc: BaseException, staged_nb: Path, kept: str | None) -> ReportNotebookError:
    """Turn papermill's / nbclient's exception into a ReportNotebookError naming the cell."""
    from papermill.exceptions import PapermillExecutionError

    name = _rel(job.notebook)
    executed = _read_notebook(staged_nb) if staged_nb.exists() else None
    source = _read_notebook(job.notebook)
    cells = [c for c in executed.cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])] \
        if executed is not None else []
    if isinstance(exc, PapermillExecutionError):
        index, ename, evalue, count = exc.cell_index, exc.ename, exc.evalue, exc.exec_count
    else:  # timeout, dead kernel...: the last cell that started
        index = None
        for i, c in enumerate(cells):
            if c.get("metadata", {}).get("papermill", {}).get("start_time"):
                index = i
        ename, evalue = type(exc).__name__, str(exc)
        if "timed out" in evalue.lower() or ename == "CellTimeoutError":
            evalue = evalue.strip().splitlines()[0] if evalue.strip() else "cell timed out"
        count = cells[index].get("execution_count") if index is not None and index < len(cells) else None
    cell = note = None
    if index is not None and index < len(cells):
        cell = _source_position(source, cells, index)
        if cell is None:
            note = "the injected-parameters cell"
    elif executed is None:
        note = "before any cell ran (kernel did not start?)"
    return ReportNotebookError(name, cell, ename, evalue, kept=kept, exec_count=count, note=note)


def _report_info(job: ReportJob, options: BuildOptions) -> dict:
    return {"as_of": job.as_of, "built_at": _human_time(options.built_at),
            "source": f"{job.notebook.parent.name}/{job.notebook.name}"}


def commit(job: ReportJob, out: Path, *, html: str | None, pdf: bytes | None, staged_data: Path,
           result: JobResult) -> None:
    """Move a job's outputs into place: the CSV folder (swapped in), then HTML and PDF (each
    written to a temporary file and renamed). Records what was written in ``result``."""
    if job.data_dir is not None:
        result.csv = sorted(p.relative_to(staged_data).as_posix() for p in staged_data.rglob("*") if p.is_file())
        swap_dir(staged_data, out / job.data_dir)
        result.written.append(job.data_dir.as_posix() + "/")
    if job.html is not None and html is not None:
        atomic_write(out / job.html, html)
        result.written.append(job.html.as_posix())
    if job.pdf is not None and pdf is not None:
        atomic_write(out / job.pdf, pdf)
        result.written.append(job.pdf.as_posix())


def _cancelled(job: ReportJob) -> ReportNotebookError:
    return ReportNotebookError(_rel(job.notebook), None, "KeyboardInterrupt", "build interrupted",
                               note="nothing written")


def execute_job(job: ReportJob, options: BuildOptions, runner: Runner = papermill_runner) -> JobResult:
    """Run, export and commit one job. Never raises for a notebook failure: returns a JobResult
    whose ``error`` names the notebook and cell; the failed executed notebook is kept in
    ``<output>/_failed/`` and no other file is touched."""
    t0 = time.perf_counter()
    out = options.output
    if options.cancel.is_set():
        return JobResult(job=job, ok=False, seconds=0.0, error=_cancelled(job))
    staging = Path(options.staging or out) / job.name
    staged_nb = staging / f"{job.name}.ipynb"
    staged_data = staging / "data"
    result = JobResult(job=job, ok=False, seconds=0.0)
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        values = dict(job.parameters)
        if job.data_dir is not None:
            staged_data.mkdir()
            values[DATA_PARAMETER] = str(staged_data)
        try:
            nb = runner(job, values, staged_nb, options)
        except Exception as exc:  # noqa: BLE001 - any failure of one notebook is reported, not fatal
            result.run_seconds = time.perf_counter() - t0
            if options.cancel.is_set():
                result.error = _cancelled(job)
                return result
            kept = None
            if staged_nb.exists():
                dest = out / FAILED_DIR / f"{job.name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_nb, dest)
                kept = _rel(dest)
            result.error = _describe_failure(job, exc, dest if kept else staged_nb, kept)
            return result
        t1 = time.perf_counter()
        result.run_seconds = t1 - t0

        # Export everything in memory first: a failure here commits nothing.
        try:
            from .pdf import export_html, html_to_pdf

            html = export_html(nb, title=job.title, show_code=options.show_code,
                               report_info=_report_info(job, options), path=options.notebooks_dir)
            pdf_bytes = None
            if job.pdf is not None:
                pdf_bytes = html_to_pdf(html, base_url=options.notebooks_dir)
        except Exception as exc:  # noqa: BLE001
            result.export_seconds = time.perf_counter() - t1
            result.error = ReportNotebookError(_rel(job.notebook), None, type(exc).__name__, str(exc),
                                               note="export (the notebook ran)")
            return result
        result.export_seconds = time.perf_counter() - t1

        if options.cancel.is_set():
            result.error = _cancelled(job)
            return result
        # Commit: each step atomic; the data folder first so a report never links missing CSVs.
        try:
            commit(job, out, html=html, pdf=pdf_bytes, staged_data=staged_data, result=result)
            if options.keep_notebooks and staged_nb.exists():
                dest = out / NOTEBOOKS_DIR / f"{job.name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_nb, dest)
            (out / FAILED_DIR / f"{job.name}.ipynb").unlink(missing_ok=True)
            try:
                (out / FAILED_DIR).rmdir()
            except OSError:
                pass
        except OSError as exc:
            written = ", ".join(result.written) or "nothing"
            result.error = ReportNotebookError(_rel(job.notebook), None, type(exc).__name__, str(exc),
                                               note=f"writing the outputs (written before the error: {written})")
            return result
        result.ok = True
        return result
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the others
        result.error = ReportNotebookError(_rel(job.notebook), None, type(exc).__name__, str(exc),
                                           note="the build (not the notebook)")
        return result
    finally:
        result.seconds = time.perf_counter() - t0
        shutil.rmtree(staging, ignore_errors=True)


# =========================================================================== running many jobs


def run_jobs(jobs: list[ReportJob], options: BuildOptions, workers: int = 1,
             on_done: Callable[[JobResult, int, int], None] | None = None,
             runner: Runner = papermill_runner, interrupt_wait: float = 60) -> list[JobResult]:
    """Run ``jobs`` with ``workers`` threads; call ``on_done(result, k, n)`` as each finishes.
    Returns the results in job order.

    Ctrl-C: jobs not started are cancelled, running kernels are interrupted and their jobs commit
    nothing (previous reports stay), then :class:`BuildInterrupted` is raised with the results of
    the jobs that had finished. A second Ctrl-C stops waiting."""
    out = options.output
    out.mkdir(parents=True, exist_ok=True)
    options.staging = out / f".staging-{_token()}"
    options.staging.mkdir()
    results: dict[int, JobResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs) or 1)), thread_name_prefix="report")
    futures: dict = {}
    try:
        futures = {pool.submit(execute_job, job, options, runner): i for i, job in enumerate(jobs)}
        for k, fut in enumerate(as_completed(futures), start=1):
            res = fut.result()
            results[futures[fut]] = res
            if on_done:
                on_done(res, k, len(jobs))
    except KeyboardInterrupt:
        options.cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
        for km in options.kernels.copy():
            interrupt_kernel(km)
        from concurrent.futures import wait

        wait([f for f in futures if not f.done()], timeout=interrupt_wait)
        raise BuildInterrupted([r for r in results.values() if r.ok]) from None
    else:
        pool.shutdown(wait=True)
    finally:
        try:
            options.staging.rmdir()  # empty once every job cleaned up after itself
        except OSError:
            pass
    return [results[i] for i in range(len(jobs))]


# =========================================================================== warm kernel pool


class PoolRunner:
    """A :data:`Runner` that executes notebooks in a :class:`analysis.kernelpool.KernelPool`: ``size``
    warm kernels reused across reports, each reset to a fresh state before every run. The pool
    starts on the first call (a fully cached build starts no kernel) and warms each kernel with the
    modules the build's notebooks import (and the curated tables when they import ``analysis``).
    Call :meth:`close` when the build is done."""

    def __init__(self, size: int, notebooks: Iterable[Path], options: BuildOptions):
        self.size = max(1, size)
        self.notebooks = sorted({Path(p) for p in notebooks})
        self.options = options
        self.pool = None
        self._lock = threading.Lock()

    def _get_pool(self):
        with self._lock:
            if self.pool is None:
                from .kernelpool import KernelPool, notebook_imports

                imports = notebook_imports(self.notebooks)
                self.pool = KernelPool(
                    self.size, self.options.notebooks_dir, kernel_name=self.options.kernel_name,
                    warm_imports=imports, load_data=any(m.split(".")[0] == "analysis" for m in imports),
                    start_timeout=self.options.start_timeout)
            return self.pool

    def __call__(self, job: ReportJob, parameters: dict, staged_notebook: Path, options: BuildOptions):
        from nbclient.exceptions import DeadKernelError

        from .kernelpool import KernelBroken

        pool = self._get_pool()

        def stop_if_cancelled(**_):
            if options.cancel.is_set():
                raise BuildCancelled("build interrupted")

        def on_kernel(km):
            options.kernels.add(km)
            if options.cancel.is_set():
                interrupt_kernel(km)

        try:
            return pool.run(job.notebook, staged_notebook, parameters, timeout=options.timeout,
                            report_mode=not options.show_code, on_cell_start=stop_if_cancelled,
                            on_kernel=on_kernel, off_kernel=options.kernels.discard)
        except DeadKernelError as exc:
            raise KernelDiedError(f"the kernel died ({exc}); it was replaced, the other reports "
                                  "run in a fresh kernel") from exc
        except KernelBroken as exc:
            raise KernelDiedError(f"no working kernel: {exc}") from exc

    def stop(self) -> None:
        """Ctrl-C: broken kernels are killed, not replaced."""
        if self.pool is not None:
            self.pool.stopping = True

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


class KernelDiedError(RuntimeError):
    """The kernel running a report died (or none could be started)."""


# =========================================================================== cache


def _cache_targets(job: ReportJob, out: Path, names: Iterable[str]) -> dict[str, Path]:
    """Stored name in a cache entry -> the output file it stands for."""
    targets = {}
    for name in names:
        if name == "report.html" and job.html is not None:
            targets[name] = out / job.html
        elif name == "report.pdf" and job.pdf is not None:
            targets[name] = out / job.pdf
        elif name.startswith("data/") and job.data_dir is not None:
            targets[name] = out / job.data_dir / name[len("data/"):]
        elif name == "notebook.ipynb":
            targets[name] = out / NOTEBOOKS_DIR / f"{job.name}.ipynb"
    return targets


def _job_outputs(job: ReportJob, out: Path, csv: Iterable[str], keep_notebooks: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if job.html is not None:
        files["report.html"] = out / job.html
    if job.pdf is not None:
        files["report.pdf"] = out / job.pdf
    if job.data_dir is not None:
        for rel in csv:
            files[f"data/{rel}"] = out / job.data_dir / rel
    nb = out / NOTEBOOKS_DIR / f"{job.name}.ipynb"
    if keep_notebooks and nb.exists():
        files["notebook.ipynb"] = nb
    return files


def job_spec(job: ReportJob, options: BuildOptions) -> dict:
    """What of a job goes into its cache key (besides the notebook's bytes and the build-wide inputs)."""
    return {"name": job.name, "kind": job.kind, "title": job.title, "parameters": job.parameters,
            "notebook": f"{job.notebook.parent.name}/{job.notebook.name}",
            "html": job.html and job.html.as_posix(), "pdf": job.pdf and job.pdf.as_posix(),
            "data_dir": job.data_dir and job.data_dir.as_posix(), "as_of": job.as_of, "iso3": job.iso3,
            "show_code": options.show_code, "kernel": options.kernel_name}


def serve_from_cache(cache, entry, job: ReportJob, options: BuildOptions) -> JobResult | None:
    """A cache hit: leave the outputs alone if they already are the entry's files, else verify the
    entry and copy it into place (atomically, like a build). Returns None when the entry is
    corrupted (it is discarded: the report must be rebuilt)."""
    from . import cache as cache_mod

    t0 = time.perf_counter()
    out = options.output
    meta = entry.meta
    csv = sorted(n[len("data/"):] for n in entry.files if n.startswith("data/"))
    expected = set(entry.files)
    if ("report.html" in expected) != (job.html is not None) or ("report.pdf" in expected) != (job.pdf is not None):
        cache.discard(entry.key)
        return None
    targets = _cache_targets(job, out, entry.files)
    if len(targets) != len(entry.files):
        cache.discard(entry.key)
        return None
    extra_csv = False
    if job.data_dir is not None:
        folder = out / job.data_dir
        present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) \
            if folder.is_dir() else None
        extra_csv = present != csv
    if not extra_csv and cache_mod.outputs_match(entry, targets):
        written: list[str] = []
    else:
        if not cache.verify(entry):
            cache.discard(entry.key)
            return None
        written = []
        if job.data_dir is not None:
            target_dir = out / job.data_dir
            staged = target_dir.with_name(f".{target_dir.name}.tmp-{_token()}")  # recover() cleans it up
            staged.mkdir(parents=True)
            for rel in csv:
                dest = staged / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(entry.path / f"data/{rel}", dest)
            swap_dir(staged, out / job.data_dir)
            written.append(job.data_dir.as_posix() + "/")
        for name in ("report.html", "report.pdf", "notebook.ipynb"):
            if name in entry.files:
                target = targets[name]
                atomic_write(target, (entry.path / name).read_bytes())
                if name != "notebook.ipynb":
                    written.append(target.relative_to(out).as_posix())
    (out / FAILED_DIR / f"{job.name}.ipynb").unlink(missing_ok=True)
    try:
        (out / FAILED_DIR).rmdir()
    except OSError:
        pass
    return JobResult(job=job, ok=True, seconds=time.perf_counter() - t0, written=written, csv=csv, cached=True,
                     built_at=meta.get("built_at"), build_seconds=meta.get("seconds"))


def store_in_cache(cache, key: str, result: JobResult, options: BuildOptions) -> None:
    job = result.job
    files = _job_outputs(job, options.output, result.csv, options.keep_notebooks)
    cache.store(key, files, {"name": job.name, "built_at": options.built_at, "seconds": round(result.seconds, 2)})


# =========================================================================== sharding


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'2/4' -> (2, 4): the second of four shards (1-based). Raises ParameterError."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise ParameterError(f"--shard {text!r}: expected I/N, e.g. 1/4 (the first of four shards)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ParameterError(f"--shard {text!r}: expected 1 <= I <= N")
    return i, n


def select_shard(jobs: list[ReportJob], shard: tuple[int, int] | None) -> list[ReportJob]:
    """The jobs of shard ``(i, n)``: round robin over the jobs sorted by name (the k-th name, from
    0, goes to shard k % n + 1). Deterministic; the shards of one request are disjoint and cover
    every job. Keeps the jobs' order."""
    if shard is None:
        return list(jobs)
    i, n = shard
    names = sorted(j.name for j in jobs)
    mine = {name for k, name in enumerate(names) if k % n == i - 1}
    return [j for j in jobs if j.name in mine]


# =========================================================================== index


def _human_time(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else ""


def _load_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("reports"), dict) else {"reports": {}}
    except (OSError, ValueError):
        return {"reports": {}}


def update_manifest(output: Path, results: list[JobResult], built_at: str, as_of: str | None) -> dict:
    """Merge this build's results into ``manifest.json``: a built report replaces its entry; a
    failed one keeps its previous entry (its files are still there) and gains ``last_failure``.
    Entries whose files are gone are dropped."""
    path = output / MANIFEST
    manifest = _load_manifest(path)
    reports = manifest["reports"]
    for r in results:
        job = r.job
        if r.ok:
            files = {}
            for kind in ("html", "pdf", "data_dir"):
                p = getattr(job, kind)
                if p is not None:
                    files["data" if kind == "data_dir" else kind] = p.as_posix()
            # a cached report: when and how fast it was really built
            seconds = r.build_seconds if r.cached and r.build_seconds is not None else r.seconds
            reports[job.name] = {
                "kind": job.kind, "title": job.title, "iso3": job.iso3, "as_of": job.as_of,
                "built_at": r.built_at or built_at, "seconds": round(seconds, 2), "files": files, "csv": r.csv,
                "notebook": job.notebook.name, "last_failure": None, "cached": r.cached,
            }
        else:
            entry = reports.get(job.name) or {"kind": job.kind, "title": job.title, "iso3": job.iso3,
                                              "as_of": None, "built_at": None, "files": {}, "csv": [],
                                              "notebook": job.notebook.name}
            kept = output / FAILED_DIR / f"{job.name}.ipynb"
            entry["last_failure"] = {"at": built_at, "message": getattr(r.error, "summary", str(r.error)),
                                     "notebook": kept.relative_to(output).as_posix() if kept.exists() else None}
            reports[job.name] = entry
    for name, entry in list(reports.items()):
        files = {k: v for k, v in entry.get("files", {}).items() if (output / v).exists()}
        entry["files"] = files
        if not files and not entry.get("last_failure"):
            del reports[name]
    manifest.update({"built_at": built_at, "as_of": as_of, "reports": dict(sorted(reports.items()))})
    atomic_write(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def render_index(manifest: dict, results: list[JobResult], members: dict[str, str]) -> str:
    """The HTML of ``index.html`` (template ``templates/site/index.html.j2``)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "site")),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    entries = manifest["reports"]
    this_build = {r.job.name for r in results}
    reports = [dict(e, name=n) for n, e in entries.items() if e.get("kind") == "report"]
    profiles = sorted((dict(e, name=n, country=members.get(e.get("iso3") or "", e.get("iso3")))
                       for n, e in entries.items() if e.get("kind") == "profile"),
                      key=lambda e: e["country"] or "")
    failed = [dict(entries[r.job.name], name=r.job.name) for r in results if not r.ok]
    return env.get_template("index.html.j2").render(
        title=REPORT_TITLE, built_at=_human_time(manifest.get("built_at", "")), as_of=manifest.get("as_of"),
        reports=reports, profiles=profiles, failed=failed, this_build=this_build,
        n_built=sum(r.ok for r in results), n_jobs=len(results))


def write_index(output: Path, results: list[JobResult], built_at: str, as_of: str | None,
                members: dict[str, str]) -> Path:
    """Update ``manifest.json`` and (atomically) ``index.html``."""
    manifest = update_manifest(output, results, built_at, as_of)
    path = output / INDEX
    atomic_write(path, render_index(manifest, results, members))
    return path


# =========================================================================== command


def _progress_line(res: JobResult, k: int, n: int) -> str:
    width = len(str(n))
    status = ("cached" if res.cached else ",".join(res.job.formats)) if res.ok else "FAILED"
    detail = f"  (run {res.run_seconds:.1f} s, export {res.export_seconds:.1f} s)" if res.ok and not res.cached else ""
    return f"[{k:>{width}}/{n}] {res.job.label:<12} {status:<8} {res.seconds:5.1f} s{detail}"


def build(*, output: Path, notebooks_dir: Path, as_of: str | None = None, profiles: str | None = None,
          formats: Iterable[str] = FORMATS, profile_formats: Iterable[str] = ("html",),
          extra: Iterable[str] = (), jobs: int | None = None, show_code: bool = False,
          timeout: float | None = 600, runner: Runner | None = None, pool: bool = True,
          cache: bool = True, cache_dir: Path | None = None, force: bool = False, shard: str | None = None,
          report: bool = True, out=None, err=None) -> int:
    """Plan, run and index a build. Returns the exit status: 0 all built, 1 some report failed,
    130 interrupted (Ctrl-C). Raises ParameterError (before anything runs or is written) for invalid parameters.

    ``runner`` (default: a warm :class:`PoolRunner` of ``jobs`` kernels, or :func:`papermill_runner`
    -- a fresh kernel per report -- with ``pool=False``). ``cache``: serve unchanged reports from
    ``cache_dir`` (default ``<output>/_cache``); ``force`` rebuilds them all (and refreshes the
    cache). ``shard`` ``"i/n"``: build only the i-th of n deterministic parts of the reports.
    ``report=False``: profiles only."""
    out = out or sys.stdout
    err = err or sys.stderr
    t0 = time.perf_counter()
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise ParameterError(f"--jobs {jobs}: expected 1 or more")
    if timeout is not None and timeout < 0:
        raise ParameterError(f"--timeout {timeout}: expected seconds >= 0 (0 = no limit)")
    the_shard = parse_shard(shard)
    the_plan = plan(notebooks_dir=notebooks_dir, as_of=as_of, profiles=profiles, formats=formats,
                    profile_formats=profile_formats, extra=extra)
    selected = [j for j in the_plan.jobs if report or j.kind != "report"]
    selected = select_shard(selected, the_shard)

    output = Path(output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    recover(output)
    built_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = BuildOptions(output=output, notebooks_dir=Path(notebooks_dir).resolve(), show_code=show_code,
                           timeout=timeout or None, built_at=built_at)
    n = len(selected)
    where = f", shard {the_shard[0]}/{the_shard[1]}" if the_shard else ""
    print(f"building {n} report(s) into {_rel(output)} (as of {the_plan.as_of}, {min(workers, n) or 1} at a time"
          f"{where})", file=out, flush=True)
    done = [0]

    def on_done(res: JobResult, k: int, total: int) -> None:
        done[0] += 1
        print(_progress_line(res, done[0], n), file=out, flush=True)
        if not res.ok:
            print(f"error: {res.error}", file=err, flush=True)

    # ---- cache: serve what has not changed
    the_cache, keys = None, {}
    cached: list[JobResult] = []
    to_run = list(selected)
    if cache:
        from . import cache as cache_mod

        the_cache = cache_mod.Cache(Path(cache_dir).resolve() if cache_dir else output / "_cache")
        the_cache.clean_temporary()
        common = cache_mod.inputs_digest()["digest"]
        nb_digests: dict[Path, str] = {}
        for job in selected:
            if job.notebook not in nb_digests:
                nb_digests[job.notebook] = cache_mod.file_digest(job.notebook)
            keys[job.name] = cache_mod.job_key(common, nb_digests[job.notebook], job_spec(job, options))
        if not force:
            to_run = []
            for job in selected:
                entry = the_cache.lookup(keys[job.name])
                res = serve_from_cache(the_cache, entry, job, options) if entry is not None else None
                if res is None:
                    to_run.append(job)
                else:
                    cached.append(res)
                    on_done(res, 0, n)

    # ---- run the rest
    own_runner = None
    if runner is None and pool:
        runner = own_runner = PoolRunner(min(workers, len(to_run) or 1), {j.notebook for j in to_run}, options)
    elif runner is None:
        runner = papermill_runner

    def on_built(res: JobResult, k: int, total: int) -> None:
        if res.ok and the_cache is not None:
            store_in_cache(the_cache, keys[res.job.name], res, options)
        on_done(res, k, total)

    results: list[JobResult] = list(cached)
    try:
        if to_run:
            results += run_jobs(to_run, options, workers=workers, on_done=on_built, runner=runner)
    except BuildInterrupted as exc:
        if own_runner is not None:
            own_runner.stop()
        done_results = cached + exc.results
        if done_results:
            write_index(output, done_results, built_at, the_plan.as_of, the_plan.members)
        print(f"interrupted after {time.perf_counter() - t0:.1f} s: {len(done_results)} report(s) were built; "
              "the others were not written and their previous versions are untouched", file=err, flush=True)
        return 130
    finally:
        if own_runner is not None:
            own_runner.close()
    order = {j.name: i for i, j in enumerate(selected)}
    results.sort(key=lambda r: order[r.job.name])
    index = write_index(output, results, built_at, the_plan.as_of, the_plan.members)
    failed = [r for r in results if not r.ok]
    total = time.perf_counter() - t0
    n_cached = sum(r.cached for r in results)
    cached_note = f" ({n_cached} unchanged, from the cache)" if n_cached else ""
    print(f"built {n - len(failed)} of {n} report(s){cached_note}, {len(failed)} failed, in {total:.1f} s; "
          f"index: {_rel(index)}", file=out, flush=True)
    if failed:
        print(f"error: {len(failed)} report(s) failed (previous versions, if any, were kept):", file=err)
        for r in failed:
            print(f"  - {r.error}", file=err)
        err.flush()
        return 1
    return 0


def _command(args) -> int:
    return build(
        output=Path(args.output) if args.output else config.REPORTS_DIR,
        notebooks_dir=Path(args.notebooks_dir) if args.notebooks_dir else config.NOTEBOOK_DIR,
        as_of=args.as_of, profiles=args.profiles,
        formats=parse_formats(args.formats, "--format"),
        profile_formats=parse_formats(args.profile_formats, "--profile-format"),
        extra=args.parameters, jobs=args.jobs, show_code=args.show_code, timeout=args.timeout,
        pool=not args.no_pool, cache=not args.no_cache, cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        force=args.force, shard=args.shard, report=not args.no_report,
    )


def add_command(sub) -> None:
    """Register ``build`` on the CLI's subparsers (called by analysis.cli.main)."""
    p = sub.add_parser(
        "build", help="run the report notebooks (papermill) and export HTML/PDF into reports/",
        description="Run notebooks/isolation_report.ipynb and one notebooks/country_profile.ipynb per "
                    "profile with papermill, export them with nbconvert (HTML) and WeasyPrint (PDF), and "
                    "write an index. Parameters are validated before any kernel starts (exit 2); a "
                    "failing notebook keeps the previous report and makes the command exit 1.")
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="data date YYYY-MM-DD (default: the latest date in the data)")
    p.add_argument("--profiles", metavar="SPEC", default=None,
                   help="country profiles: comma list of ISO3 codes (CHN,IND), 'all' (every UN member) or "
                        "'none' (default: the report's focus states, CHN,PRK,BLR,IRN,SYR,VNM)")
    p.add_argument("--format", dest="formats", metavar="FORMATS", default="html,pdf",
                   help="formats of the main report: html, pdf or html,pdf (default html,pdf)")
    p.add_argument("--profile-format", dest="profile_formats", metavar="FORMATS", default="html",
                   help="formats of the country profiles (default html; html,pdf adds a PDF per profile)")
    p.add_argument("--output", "-o", metavar="DIR", default=None, help="output folder (default reports/)")
    p.add_argument("--jobs", "-j", metavar="N", type=int, default=None,
                   help=f"notebooks run at the same time, each worker reusing one warm kernel (default: "
                        f"number of CPU cores, {os.cpu_count()})")
    p.add_argument("--show-code", action="store_true", help="keep code cells in the HTML/PDF (default: hidden)")
    p.add_argument("-p", "--parameter", dest="parameters", metavar="NAME=VALUE", action="append", default=[],
                   help="extra parameter for the main report, e.g. -p allied_no_share=0.6 (repeatable; names "
                        "must be declared in the notebook's parameters cell)")
    p.add_argument("--timeout", metavar="SECONDS", type=float, default=600,
                   help="limit per cell in seconds (default 600; 0 = none)")
    p.add_argument("--notebooks-dir", metavar="DIR", default=None,
                   help="folder holding isolation_report.ipynb and country_profile.ipynb (default notebooks/)")
    p.add_argument("--no-report", action="store_true",
                   help="build the country profiles only, not the main report")
    p.add_argument("--shard", metavar="I/N", default=None,
                   help="build only the I-th of N deterministic parts of the requested reports (1-based, "
                        "e.g. 2/4), to spread a build over CI runners; the N shards cover every report once")
    p.add_argument("--force", action="store_true",
                   help="rebuild every report, even those unchanged since the cached build")
    p.add_argument("--no-cache", action="store_true",
                   help="neither use nor update the build cache")
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="build cache folder (default <output>/_cache); a report is rebuilt only when its "
                        "notebook, parameters, data files, the analysis package or key package versions changed")
    p.add_argument("--no-pool", action="store_true",
                   help="start a fresh kernel per report (papermill) instead of reusing warm kernels")
    p.set_defaults(func=_command)
