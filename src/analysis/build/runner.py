"""Running jobs: one notebook (:func:`execute_job`: run, export in memory, then commit atomically)
and many (:func:`run_jobs`: worker threads, Ctrl-C). The executor is swappable: a runner turns
(job, parameters, staged notebook path, options) into an executed notebook: see
:mod:`analysis.build.runners`."""
from __future__ import annotations

import errno
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from analysis.build.jobs import DATA_PARAMETER, FAILED_DIR, NOTEBOOKS_DIR, BuildOptions, JobResult, ReportJob, Runner
from analysis.build.runners import interrupt_kernel, papermill_runner
from analysis.build.site import human_time
from analysis.errors import BuildInterrupted, ReportNotebookError
from analysis.files import publish, token
from analysis.files import relative as _rel


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
    if no_space(exc):  # named by the output folder, not the hidden staging folder removed afterwards
        where = next((p.parent for p in staged_nb.parents if p.name.startswith(".staging-") or p.name == FAILED_DIR),
                     staged_nb.parent)
        ename, evalue, note = "OSError", f"no space left on {_rel(where)}", "writing the executed notebook"
    return ReportNotebookError(name, cell, ename, evalue, kept=kept, exec_count=count, note=note)


def no_space(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a full disk."""
    seen = 0
    while exc is not None and seen < 10:
        if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "no space left on" in str(exc).lower():
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _report_info(job: ReportJob, options: BuildOptions) -> dict:
    return {"as_of": job.as_of, "built_at": human_time(options.built_at),
            "source": f"{job.notebook.parent.name}/{job.notebook.name}",
            "created": options.built_at or None, "author": options.author,
            "description": f"{job.title}: data as of {job.as_of}" if job.as_of else job.title}


def pdf_data_url(job: ReportJob, options: BuildOptions) -> str | None:
    """Where the PDF's data links point: ``--base-url`` plus the PDF's folder (None: no base URL,
    the PDF names the files and says they are published beside it)."""
    if not options.base_url or job.pdf is None:
        return None
    folder = job.pdf.parent.as_posix()
    base = options.base_url.rstrip("/") + "/"
    return base + (folder.strip("./") + "/" if folder not in ("", ".") else "")


def commit(job: ReportJob, out: Path, *, html: str | None, pdf: bytes | None, staged_data: Path,
           result: JobResult, built_at: str | None = None) -> None:
    """Move a job's outputs into place, all or nothing (:func:`analysis.files.publish`): the CSV
    folder gets its ``datapackage.json``, HTML and PDF are written to temporary files, and only
    then are the folder swapped in and the files renamed (the data folder first, so a report never
    links missing CSVs). A full disk at any step leaves the previous report as it was. Records what
    was written in ``result``."""
    files: dict[Path, bytes | str] = {}
    folders: dict[Path, Path] = {}
    written: list[str] = []
    if job.data_dir is not None:
        if any(staged_data.rglob("*.csv")):
            from analysis.build import datapackage

            datapackage.write(staged_data, name=job.name, title=job.title, as_of=job.as_of, built_at=built_at,
                              parameters=datapackage.effective_parameters(job.notebook, job.parameters))
        result.csv = sorted(p.relative_to(staged_data).as_posix() for p in staged_data.rglob("*") if p.is_file())
        folders[staged_data] = out / job.data_dir
        written.append(job.data_dir.as_posix() + "/")
    for path, data in ((job.html, html), (job.pdf, pdf)):
        if path is not None and data is not None:
            files[out / path] = data
            written.append(path.as_posix())
    publish(files, folders)
    result.written += written


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
            if staged_nb.exists() and _read_notebook(staged_nb) is None:
                staged_nb.unlink()  # half-written (e.g. a full disk): keep no invalid notebook
            if staged_nb.exists():
                dest = out / FAILED_DIR / f"{job.name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_nb, dest)
                kept = _rel(dest)
            result.error = _describe_failure(job, exc, dest if kept else staged_nb, kept)
            return result
        t1 = time.perf_counter()
        result.run_seconds = t1 - t0
        result.data_reads = getattr(runner, "reads", {}).pop(job.name, None)

        # Export everything in memory first: a failure here commits nothing.
        try:
            from analysis.build.export import export_html, export_pdf

            info = _report_info(job, options)
            html = export_html(nb, title=job.title, show_code=options.show_code, report_info=info,
                               path=options.notebooks_dir)
            pdf_bytes = None
            if job.pdf is not None:
                pdf_bytes = export_pdf(nb, title=job.title, show_code=options.show_code, report_info=info,
                                       path=options.notebooks_dir, data_base_url=pdf_data_url(job, options),
                                       collect=not options.one_report)
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
            commit(job, out, html=html, pdf=pdf_bytes, staged_data=staged_data, result=result,
                   built_at=options.built_at)
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
            where = exc.filename if exc.filename and ".staging-" not in str(exc.filename) else out / (job.data_dir or "")
            evalue = f"no space left on {_rel(where)}" if no_space(exc) else str(exc)
            result.error = ReportNotebookError(_rel(job.notebook), None, type(exc).__name__, evalue,
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


def run_jobs(jobs: list[ReportJob], options: BuildOptions, workers: int = 1,
             on_done: Callable[[JobResult, int, int], None] | None = None,
             runner: Runner = papermill_runner, interrupt_wait: float = 60,
             in_flight: int | None = None) -> list[JobResult]:
    """Run ``jobs`` with ``workers`` threads (``in_flight`` when given: with warm worker processes,
    more threads than workers, so that a worker starts the next notebook while this process exports
    the one it just ran); call ``on_done(result, k, n)`` as each finishes. Returns the results in
    job order.

    Ctrl-C: jobs not started are cancelled, running kernels are interrupted and their jobs commit
    nothing (previous reports stay), then :class:`BuildInterrupted` is raised with the results of
    the jobs that had finished. A second Ctrl-C stops waiting."""
    out = options.output
    out.mkdir(parents=True, exist_ok=True)
    options.staging = out / f".staging-{token()}"
    options.staging.mkdir()
    results: dict[int, JobResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(in_flight or workers, len(jobs) or 1)), thread_name_prefix="report")
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
