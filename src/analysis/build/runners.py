"""The runners of :func:`analysis.build.runner.execute_job`: each turns (job, parameters, staged
notebook path, options) into an executed notebook -- :func:`papermill_runner` (a fresh Jupyter kernel
per report) or :class:`PoolRunner` (warm worker processes that run notebooks in-process) -- and
:func:`interrupt_kernel`, Ctrl-C for either."""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Iterable

from analysis.build.jobs import BuildOptions, ReportJob
from analysis.errors import BuildCancelled


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


def interrupt_kernel(km) -> None:
    """Ctrl-C for what runs a notebook: a pool worker (its ``interrupt()``) or a kernel manager
    (SIGINT to the kernel's process group: the running cell raises KeyboardInterrupt)."""
    if hasattr(km, "interrupt") and not hasattr(km, "provisioner"):
        km.interrupt()
        return
    proc = getattr(getattr(km, "provisioner", None), "process", None)
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except (OSError, AttributeError):
        try:
            proc.send_signal(signal.SIGINT)
        except OSError:
            pass


def _prewarm_export(pdf: bool) -> None:
    from analysis.build.export import prewarm  # imported here, in the warm-up thread: nbconvert is slow to import

    prewarm(pdf)


class PoolRunner:
    """A :data:`Runner` that executes notebooks in a :class:`analysis.build.procpool.ProcessPool`:
    ``size`` warm worker processes reused across reports, each reset to a fresh state before every
    run. The pool starts on the first call (a fully cached build starts no worker), after importing
    the modules the build's notebooks import (and reading the curated tables when they import
    ``analysis``). Call :meth:`close` when the build is done."""

    def __init__(self, size: int, notebooks: Iterable[Path], options: BuildOptions, pdf: bool = False,
                 split: bool = False, prepare: Iterable[tuple[str, dict]] = ()):
        self.size = max(1, size)
        self.split = split  # a free worker per report: its sections run in two halves (analysis.build.split)
        #: the child calling each ("module:function", parameters) of ``prepare`` -- each notebook's
        #: prepare function, with its first report's parameters -- while the pool warms up
        #: (analysis.build.prepare); started now, for a head start
        from analysis.build import prepare as _prepare

        self.child = _prepare.start(list(prepare))
        self.notebooks = sorted({Path(p) for p in notebooks})
        self.options = options
        self.pdf = pdf  # some report is exported as PDF: the export warm-up imports WeasyPrint too
        self.pool = None
        self._lock = threading.Lock()
        #: per job name: the data files its run read (execute_job moves it onto the JobResult)
        self.reads: dict[str, set] = {}

    def _get_pool(self):
        with self._lock:
            if self.pool is None:
                from analysis.build.inprocess import notebook_imports
                from analysis.build.procpool import ProcessPool

                imports = notebook_imports(self.notebooks)
                # the prepare child runs on: the workers' first reports wait for the results it is
                # computing (memostore claims) instead of each computing them again
                self.pool = ProcessPool(self.size, self.options.notebooks_dir, warm_imports=imports,
                                        load_data=any(m.split(".")[0] == "analysis" for m in imports))
                # while the first notebooks run in the workers, this process gets ready to export them
                threading.Thread(target=_prewarm_export, args=(self.pdf,), name="export-warm-up", daemon=True).start()
            return self.pool

    def _on_worker(self, worker) -> None:
        self.options.kernels.add(worker)
        if self.options.cancel.is_set():
            worker.interrupt()

    def _run(self, notebook: Path, output: Path, parameters: dict, seen: set, **part):
        options = self.options
        return self._get_pool().run(notebook, output, parameters, timeout=options.timeout,
                                    report_mode=not options.show_code, on_worker=self._on_worker,
                                    off_worker=options.kernels.discard, cancelled=options.cancel.is_set,
                                    reads_out=seen, **part)

    def __call__(self, job: ReportJob, parameters: dict, staged_notebook: Path, options: BuildOptions):
        seen: set = set()
        nb = self._run_halves(job, parameters, staged_notebook, seen) if self.split else None
        if nb is None:
            seen = set()
            nb = self._run(job.notebook, staged_notebook, parameters, seen)
        with self._lock:
            self.reads[job.name] = seen
        return nb

    def _run_halves(self, job: ReportJob, parameters: dict, staged_notebook: Path, seen: set):
        """The report's sections in two halves on two workers at once, merged; None when the
        notebook has no setup cell or the halves cannot stand for one run (a cell failed, a
        deferred mention outside Markdown): the caller then runs it from the top."""
        import nbformat
        from papermill.exceptions import PapermillExecutionError

        from analysis.build import split
        from analysis.build.jobs import DATA_PARAMETER, NOTEBOOKS_DIR

        if not split.splittable(job.notebook):
            return None
        source = nbformat.read(str(job.notebook), as_version=4)
        # the previous run's time per cell balances the halves
        at = split.split_at(source, split.durations(self.options.output / NOTEBOOKS_DIR / f"{job.name}.ipynb"))
        if at is None:
            return None
        paths = {}
        for name, half_nb in zip(("first", "later"), split.halves(source, at)):
            src = staged_notebook.with_name(f".{job.name}.{name}.in.ipynb")
            src.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(half_nb, str(src))
            paths[name] = (src, staged_notebook.with_name(f".{job.name}.{name}.ipynb"))
        carried: list = []
        results: dict = {}

        def later():
            try:
                results["later"] = self._run(*paths["later"], parameters, seen, half="later")
            except BaseException as exc:  # noqa: BLE001 - looked at once both halves are done
                results["later"] = exc

        thread = threading.Thread(target=later, name=f"{job.name}-later-half", daemon=True)
        thread.start()
        try:
            results["first"] = self._run(*paths["first"], parameters, seen, half="first", carried_out=carried)
        except BaseException as exc:  # noqa: BLE001
            results["first"] = exc
        thread.join()
        try:
            if self.options.cancel.is_set():
                raise BuildCancelled("build interrupted")
            for exc in results.values():
                if isinstance(exc, PapermillExecutionError):
                    return None  # run from the top: the failure is then reported as in one run
            for exc in results.values():
                if isinstance(exc, BaseException):
                    raise exc
            merged = split.merge(results["first"], results["later"], carried)
            split.check_files(parameters.get(DATA_PARAMETER))
        except split.SplitRejected:
            return None
        finally:
            for src, out in paths.values():
                src.unlink(missing_ok=True)
                out.unlink(missing_ok=True)
        nbformat.write(merged, str(staged_notebook))
        return merged

    def stop(self) -> None:
        """Ctrl-C: broken workers are not replaced."""
        if self.pool is not None:
            self.pool.stopping = True

    def close(self) -> None:
        if self.child is not None:
            self.child.stop()
        if self.pool is not None:
            self.pool.close()
