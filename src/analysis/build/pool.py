"""A pool of warm Jupyter kernels that run many parameterized notebooks, each as if in a fresh kernel.

Starting a kernel, importing pandas/matplotlib/the analysis package and loading the curated tables
costs about a second per notebook; the notebooks themselves often take less. The pool keeps ``size``
kernels running (one per worker thread), warms each once -- the modules the notebooks import, and
the curated tables when they import :mod:`analysis` -- and then runs notebook after notebook in it
with papermill (``execute_notebook(..., km=...)``, so the kernel is not shut down after a run).

Isolation. Before every run the worker resets the kernel silently (nothing enters the history):

- the user namespace (``%reset -f``: variables, ``In``/``Out``, ``_``...);
- every matplotlib figure is closed, ``rcParams`` are restored to their post-warm-up values, and
  the inline backend's pending figures, its configuration and IPython's display formatters are
  restored (``%config InlineBackend...`` does not leak);
- the working directory (the notebooks folder), ``sys.argv``, ``sys.path``, ``os.environ``, the
  ``warnings`` filters, numpy's error/print options, pandas options, and the module-level state of
  the warmed project modules (e.g. :func:`analysis.report.display.configure`'s settings);
- the random generators are reseeded from entropy (as in a fresh process);
- IPython's execution counter is set back to 1, so each output notebook counts from ``In [1]``.

Modules stay imported (that is the point) and ``functools.lru_cache`` caches keyed by their inputs
stay warm. What a run imports for the first time stays imported too.

Failures. A cell error fails that report only; the kernel is fine and is reused. A cell that
exceeds the timeout, a kernel that dies (``os._exit``, a segfault, the OOM killer) or a reset that
does not answer makes the worker *replace* its kernel (kill, start, re-warm): only that report
fails, the next ones on that worker run in the new kernel.

Each worker is a thread that owns its kernel and its asyncio loop for the kernel's whole life
(jupyter_client's async objects are bound to one loop); :meth:`KernelPool.run` hands a notebook
to whichever worker is free and waits for it.
"""
from __future__ import annotations

import ast
import logging
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from analysis.errors import KernelBroken

log = logging.getLogger(__name__)

#: Always imported by the warm-up when installed (the notebooks' plotting stack).
BASE_IMPORTS = ("matplotlib", "matplotlib.pyplot")
#: Project modules whose module-level state is snapshotted after warm-up and restored before each run.
STATE_PREFIXES = ("analysis",)
#: Control-code timeout (reset, warm-up), seconds.
CONTROL_TIMEOUT = 120

# The kernel-side code (snapshot and reset) is the module analysis.build.kernel_reset, which each
# kernel imports; %reset -f does not touch sys.modules.


def warm_code(modules: Iterable[str], load_data: bool) -> str:
    """Kernel code that imports ``modules`` (each in a try: a module a notebook imports may be
    missing; the notebook then fails as it would in a fresh kernel) and, with ``load_data``, reads
    every curated table into analysis.data's per-process cache."""
    lines = ["import importlib", "for __m in %r:" % (list(modules),),
             "    try:", "        importlib.import_module(__m)", "    except Exception:", "        pass"]
    if load_data:
        lines += ["try:", "    from analysis.datasets import data as __d", "    from analysis.datasets.schemas import TABLES as __t",
                  "    for __n in __t:", "        try:", "            __d.load(__n)",
                  "        except Exception:", "            pass", "except Exception:", "    pass"]
    # Activate the matplotlib backend now, as a fresh kernel does at its first figure (after the
    # notebook's imports): the inline backend registers its PNG formatter and flush hook, which the
    # snapshot taken next then keeps (a reset restores the display formatters to it).
    lines += ["try:", "    import matplotlib.pyplot as __plt", "    __plt.close(__plt.figure())", "    del __plt",
              "except Exception:", "    pass"]
    return "\n".join(lines) + "\n"


def notebook_imports(paths: Iterable[Path]) -> list[str]:
    """Modules the notebooks import (``import a.b`` -> a, a.b; ``from a import b`` -> a, a.b),
    in first-seen order. Cells that do not parse (magics) are skipped line by line."""
    import nbformat

    seen: dict[str, None] = {}
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            src = "\n".join(line for line in cell.source.splitlines()
                            if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        parts = a.name.split(".")
                        for i in range(1, len(parts) + 1):
                            seen[".".join(parts[:i])] = None
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    parts = node.module.split(".")
                    for i in range(1, len(parts) + 1):
                        seen[".".join(parts[:i])] = None
                    for a in node.names:
                        if a.name != "*":
                            seen[f"{node.module}.{a.name}"] = None  # a submodule, or an attribute (skipped)
    return list(seen)


@dataclass
class _Task:
    fn: Callable[["Worker"], Any]
    future: Future


class Worker(threading.Thread):
    """One thread, one kernel (started in this thread, used only from it)."""

    def __init__(self, pool: "KernelPool", index: int):
        super().__init__(name=f"kernelpool-{index}", daemon=True)
        self.pool, self.index = pool, index
        self.km = None
        self.kc = None  # control client (reset), blocking

    # ----------------------------------------------------------------- kernel life
    def start_kernel(self) -> None:
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        pool = self.pool
        clients = []

        class PoolKernelManager(AsyncKernelManager):
            """Remembers the clients nbclient creates so their channels can be closed after a run."""

            def client(self, **kw):
                c = super().client(**kw)
                clients.append(c)
                return c

        km = PoolKernelManager(kernel_name=pool.kernel_name)
        km._pool_clients = clients
        run_sync(km.start_kernel)(cwd=str(pool.cwd), extra_arguments=list(pool.extra_arguments))
        self.km = km
        # The control client only talks on the shell channel: without an iopub subscription it
        # does not buffer every output of every run.
        kc = BlockingKernelClient()
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.kc = kc
        try:
            self.control("import analysis.build.kernel_reset", timeout=pool.start_timeout + CONTROL_TIMEOUT)  # waits for the kernel too
            if pool.warm:
                self.control(pool.warm, timeout=pool.warm_timeout)
            self.control(f"from analysis.build import kernel_reset as __k; __k.snapshot({tuple(pool.state_prefixes)!r}); "
                         "del __k", timeout=CONTROL_TIMEOUT)
        except BaseException:
            self.kill_kernel()
            raise

    def kill_kernel(self) -> None:
        from jupyter_core.utils import run_sync

        km, kc = self.km, self.kc
        self.km = self.kc = None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        if km is None:
            return
        for c in getattr(km, "_pool_clients", []):
            try:
                c.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - make sure the process is gone
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()

    def replace_kernel(self) -> None:
        self.pool.replaced += 1
        self.kill_kernel()
        self.start_kernel()

    def alive(self) -> bool:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None) if self.km else None
        return proc is not None and proc.poll() is None

    def control(self, code: str, timeout: float) -> None:
        """Run ``code`` silently (no history, no outputs, counter unchanged); raise KernelBroken on
        error, timeout or death."""
        kc = self.kc
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelBroken(f"kernel did not answer within {timeout:.0f} s")
            if not self.alive():
                raise KernelBroken("kernel died")
            try:
                reply = kc.get_shell_msg(timeout=min(1.0, remaining))
            except queue.Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") != "ok":
                raise KernelBroken(f"{content.get('ename')}: {content.get('evalue')}")
            return

    def reset(self) -> None:
        # __k is bound before the call and cleared by the %reset -f inside it
        self.control(f"from analysis.build import kernel_reset as __k; __k.reset({str(self.pool.cwd)!r})",
                     timeout=CONTROL_TIMEOUT)

    def after_run(self) -> None:
        for c in getattr(self.km, "_pool_clients", []):
            try:
                c.stop_channels()
            except Exception:  # noqa: BLE001
                pass
        if self.km is not None:
            self.km._pool_clients.clear()

    # ----------------------------------------------------------------- thread
    def run(self) -> None:
        from jupyter_core.utils import ensure_event_loop

        ensure_event_loop()
        try:
            self.start_kernel()
        except BaseException:  # noqa: BLE001 - retried (and reported) by the first task
            pass
        try:
            while True:
                task = self.pool._tasks.get()
                if task is None:
                    break
                if not task.future.set_running_or_notify_cancel():
                    continue
                try:
                    if self.km is None:  # start failed earlier: try again for this task
                        self.start_kernel()
                    task.future.set_result(task.fn(self))
                except BaseException as exc:  # noqa: BLE001
                    task.future.set_exception(exc)
        finally:
            self.kill_kernel()


class KernelPool:
    """``size`` warm kernels in ``cwd``. :meth:`run` executes one notebook with papermill in a free
    kernel. Use as a context manager or call :meth:`close`."""

    def __init__(self, size: int, cwd: Path, *, kernel_name: str = "python3", warm_imports: Iterable[str] = (),
                 load_data: bool = False, start_timeout: float = 60, warm_timeout: float = 300,
                 extra_arguments: Iterable[str] = ("--IPKernelApp.log_level=CRITICAL",),
                 state_prefixes: Iterable[str] = STATE_PREFIXES):
        self.size = max(1, int(size))
        self.cwd = Path(cwd).resolve()
        self.kernel_name = kernel_name
        modules = list(dict.fromkeys([*BASE_IMPORTS, *warm_imports]))
        self.warm = warm_code(modules, load_data)
        self.start_timeout, self.warm_timeout = start_timeout, warm_timeout
        self.extra_arguments = tuple(extra_arguments)
        self.state_prefixes = tuple(state_prefixes)
        self.replaced = 0
        self.stopping = False  # set on Ctrl-C / close: a broken kernel is killed, not replaced
        self._tasks: queue.Queue = queue.Queue()
        self._closed = False
        self.workers = [Worker(self, i) for i in range(self.size)]
        for w in self.workers:
            w.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def submit(self, fn: Callable[[Worker], Any]) -> Future:
        if self._closed:
            raise RuntimeError("kernel pool is closed")
        fut: Future = Future()
        self._tasks.put(_Task(fn, fut))
        return fut

    def run(self, notebook: Path, output: Path, parameters: dict, *, timeout: float | None = None,
            report_mode: bool = False, on_cell_start: Callable | None = None,
            on_kernel: Callable | None = None, off_kernel: Callable | None = None):
        """Execute ``notebook`` with ``parameters`` into ``output`` (papermill) in a free, freshly
        reset kernel; return the executed NotebookNode. Raises papermill's / nbclient's exceptions
        (PapermillExecutionError, CellTimeoutError, DeadKernelError...) -- after replacing the kernel
        when it timed out or died. ``on_kernel(km)`` / ``off_kernel(km)`` bracket the execution (to
        let a caller interrupt it)."""

        def task(worker: Worker):
            return _run_in_worker(worker, notebook, output, parameters, timeout=timeout, report_mode=report_mode,
                                  on_cell_start=on_cell_start, on_kernel=on_kernel, off_kernel=off_kernel)

        return self.submit(task).result()

    def close(self, wait: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        self.stopping = True
        for _ in self.workers:
            self._tasks.put(None)
        if wait:
            for w in self.workers:
                w.join(timeout=30)


def interrupt_kernel(km) -> None:
    """Send SIGINT to a kernel's process group (the running cell raises KeyboardInterrupt)."""
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


def _run_in_worker(worker: Worker, notebook: Path, output: Path, parameters: dict, *, timeout, report_mode,
                   on_cell_start, on_kernel, off_kernel):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.ERROR)
    try:
        worker.reset()
    except KernelBroken:
        worker.replace_kernel()
        worker.reset()
    km = worker.km
    if on_kernel:
        on_kernel(km)
    ok = False
    try:
        nb = papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name=worker.pool.kernel_name,
            progress_bar=False, log_output=False, report_mode=report_mode,
            start_timeout=worker.pool.start_timeout, execution_timeout=timeout or None,
            resources={"metadata": {"path": str(worker.pool.cwd)}},
            km=km, on_cell_start=on_cell_start,
        )
        ok = True
        return nb
    except PapermillExecutionError:
        ok = worker.alive()  # an exception in a cell: the kernel is fine
        raise
    finally:
        if off_kernel:
            off_kernel(km)
        worker.after_run()
        if (not ok or not worker.alive()) and worker.pool.stopping:
            worker.kill_kernel()
        elif not ok or not worker.alive():
            # timed out (still busy), died, or interrupted: never reuse it
            try:
                worker.replace_kernel()
            except BaseException as exc:  # noqa: BLE001 - the next task retries the start
                log.warning("could not restart kernel: %s", exc)
                worker.kill_kernel()
