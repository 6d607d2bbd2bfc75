"""Warm worker processes that run report notebooks in-process (:mod:`analysis.build.inprocess`):
the default executor of the build.

The build process first imports the modules the notebooks import and reads the curated tables
(:func:`analysis.build.inprocess.warm`), then forks ``size`` workers from itself: each starts warm,
sharing those pages, and builds its IPython shell once. A worker runs one notebook at a time in
the notebooks folder and is reset before each run (:mod:`analysis.build.kernel_reset`), so a run
behaves like one in a fresh kernel. Parent and worker talk over a pipe: the task, a message as
each cell starts, then the executed notebook or the error.

Faults: a failing cell is papermill's ``PapermillExecutionError`` (raised here again, the worker is
fine); ``--timeout`` is enforced in the worker per cell (``CellTimeoutError`` inside the cell) and,
should the cell not stop, here: the worker is killed. A worker that dies (``os._exit``, a
segfault) or is killed fails only its report (:class:`KernelDiedError`) and is replaced by a new
fork. :meth:`Worker.interrupt` sends SIGINT (Ctrl-C: the running cell raises KeyboardInterrupt;
workers run in their own process group, so the terminal's Ctrl-C reaches only the build, which
interrupts them). A worker is also replaced after :data:`MAX_RUNS` runs or when it has grown past
:data:`MAX_RSS`, which bounds the memory of long builds. :meth:`ProcessPool.close` ends them all.
"""
from __future__ import annotations

import gc
import os
import queue
import signal
import threading
import time
from multiprocessing import Pipe
from pathlib import Path
from typing import Callable, Iterable

from analysis.errors import BuildCancelled, CellTimeoutError, KernelDiedError

#: Runs after which a worker is replaced by a fresh fork (its caches and memos start again).
MAX_RUNS = 60
#: Resident memory (bytes) past which a worker is replaced after its run.
MAX_RSS = 600 * 2**20
#: Seconds a worker may overrun a cell's timeout (or ignore an interrupt) before it is killed.
GRACE = 10
#: Seconds to wait for a worker to exit when the pool closes.
CLOSE_WAIT = 5


def _rss() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _serve(conn) -> None:
    """The worker's loop (in the child): run tasks until the pipe closes or None arrives."""
    from papermill.exceptions import PapermillExecutionError

    from analysis.build import inprocess
    from analysis.datasets import reads

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only a running cell is interrupted
    inprocess.start()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        notebook, output, parameters, cwd, timeout, report_mode, half = task
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            carried: list = []
            with reads.recording() as seen:  # the data files this report read (the build cache's keys)
                nb = inprocess.execute(Path(notebook), Path(output), parameters, cwd=Path(cwd),
                                       report_mode=report_mode, timeout=timeout,
                                       on_cell=lambda index: conn.send(("cell", index)),
                                       half=half, carried_out=carried)
            reply = ("ok", (nb, sorted(map(str, seen)), carried))
        except PapermillExecutionError as exc:
            reply = ("cell-error", (exc.cell_index, exc.exec_count, exc.source, exc.ename, exc.evalue, exc.traceback))
        except BaseException as exc:  # noqa: BLE001 - reported to the build, the worker is replaced
            reply = ("error", (type(exc).__name__, str(exc)))
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        conn.send((*reply, _rss()))


def reap(pid: int, block: bool = False) -> int | None:
    """The exit code of the child process ``pid`` once it has exited (it is reaped then), -1 when it
    is no child of ours; None while it runs (``block``: wait for it to exit)."""
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status) if done else None


class Worker:
    """The build's handle on one worker process (forked from the build process)."""

    def __init__(self, close_in_child: Iterable = ()):
        parent_end, child_end = Pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                import faulthandler

                faulthandler.disable()  # a crash in a cell is reported by the build, not dumped on its terminal
                os.setpgid(0, 0)
                gc.enable()
                parent_end.close()
                for conn in close_in_child:
                    try:
                        conn.close()
                    except OSError:
                        pass
                _serve(child_end)
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        child_end.close()
        self.pid, self.conn = pid, parent_end
        self.runs = 0
        self.exitcode: int | None = None
        self.retire = False  # replace after this run

    def alive(self) -> bool:
        if self.exitcode is None:
            self.exitcode = reap(self.pid)
        return self.exitcode is None

    def _signal(self, sig: int) -> None:
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass

    def interrupt(self) -> None:
        """Ctrl-C for the running cell (KeyboardInterrupt in the worker)."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.wait(CLOSE_WAIT)
        self.conn.close()

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        if not self.wait(CLOSE_WAIT):
            self.kill()
        self.conn.close()

    def died(self) -> str:
        self.wait(1)
        code = self.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}" if code is not None else "no answer"
        return f"worker process {self.pid} ({how})"


class ProcessPool:
    """``size`` warm worker processes running notebooks in ``cwd``. :meth:`run` executes one
    notebook in a free worker. Use as a context manager or call :meth:`close`."""

    def __init__(self, size: int, cwd: Path, *, warm_imports: Iterable[str] = (), load_data: bool = False,
                 max_runs: int = MAX_RUNS, max_rss: int = MAX_RSS):
        from analysis.build import inprocess

        self.size = max(1, int(size))
        self.cwd = Path(cwd).resolve()
        self.max_runs, self.max_rss = max_runs, max_rss
        self.replaced = 0
        self.stopping = False  # set on Ctrl-C / close: a broken worker is not replaced
        self._lock = threading.Lock()
        self._idle: queue.Queue = queue.Queue()
        self.workers: list[Worker] = []
        self._closed = False
        inprocess.warm(warm_imports, load_data)
        for _ in range(self.size):
            self._idle.put(self._fork())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fork(self) -> Worker:
        with self._lock:
            if self._closed:
                raise KernelDiedError("the worker pool is closed")
            gc.freeze()  # the warm objects stay shared: the worker's collector does not touch them
            try:
                worker = Worker([w.conn for w in self.workers])
            finally:
                gc.unfreeze()
            self.workers.append(worker)
            return worker

    def _discard(self, worker: Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self.workers:
                self.workers.remove(worker)

    def _take(self) -> Worker:
        worker = self._idle.get()
        if worker is None or not worker.alive():
            if worker is not None:
                self._discard(worker)
            self.replaced += worker is not None
            worker = self._fork()
        return worker

    def run(self, notebook: Path, output: Path, parameters: dict, *, timeout: float | None = None,
            report_mode: bool = False, on_worker: Callable | None = None, off_worker: Callable | None = None,
            cancelled: Callable[[], bool] = lambda: False, reads_out: set | None = None,
            half: str | None = None, carried_out: list | None = None):
        """Execute ``notebook`` with ``parameters`` into ``output`` in a free worker; return the
        executed NotebookNode. Raises ``PapermillExecutionError`` (a cell failed or timed out),
        :class:`CellTimeoutError` (a cell overran and its worker was killed), :class:`KernelDiedError`
        (the worker died) or :class:`BuildCancelled`. ``on_worker(w)`` / ``off_worker(w)`` bracket
        the run (so that the build can interrupt it). ``half``, ``carried_out``: one half of a
        split report (:func:`analysis.build.inprocess.execute`)."""
        from papermill.exceptions import PapermillExecutionError

        worker = self._take()
        if cancelled():  # the build was stopped while this report waited for a free worker
            self._idle.put(worker)
            raise BuildCancelled("build interrupted")
        if on_worker:
            on_worker(worker)
        ok = False
        try:
            reply = self._exchange(worker, (str(notebook), str(output), parameters, str(self.cwd), timeout or None,
                                            report_mode, half), timeout, cancelled)
            kind, payload, rss = reply
            worker.runs += 1
            if worker.runs >= self.max_runs or rss > self.max_rss:
                worker.retire = True
            ok = kind in ("ok", "cell-error")
            if kind == "ok":
                nb, seen, carried = payload
                if reads_out is not None:
                    reads_out.update(Path(p) for p in seen)
                if carried_out is not None:
                    carried_out.extend(carried)
                return nb
            if kind == "cell-error":
                raise PapermillExecutionError(*payload)
            raise RuntimeError(f"{payload[0]}: {payload[1]}") if payload[0] != "KeyboardInterrupt" \
                else BuildCancelled("build interrupted")
        finally:
            if off_worker:
                off_worker(worker)
            if ok and not worker.retire and worker.alive():
                self._idle.put(worker)
            else:
                if worker.retire and ok:
                    worker.stop()
                else:
                    worker.kill()
                with self._lock:
                    if worker in self.workers:
                        self.workers.remove(worker)
                self.replaced += 1
                self._idle.put(None)  # forked again when next needed

    def _exchange(self, worker: Worker, task: tuple, timeout: float | None, cancelled: Callable[[], bool]):
        try:
            worker.conn.send(task)
        except OSError:
            raise KernelDiedError(f"the {worker.died()} died before the notebook started") from None
        last = time.monotonic()
        interrupted_at = None
        while True:
            if worker.conn.poll(0.2):
                try:
                    msg = worker.conn.recv()
                except (EOFError, OSError):
                    raise KernelDiedError(f"the {worker.died()} died; it was replaced, the other reports "
                                          "run in a fresh one") from None
                if msg[0] == "cell":
                    last = time.monotonic()
                    continue
                return msg
            now = time.monotonic()
            if not worker.alive():
                raise KernelDiedError(f"the {worker.died()} died; it was replaced, the other reports run in a fresh one")
            if timeout and now - last > timeout + GRACE:
                raise CellTimeoutError(f"Cell execution timed out after {timeout:g} s (the cell did not stop: "
                                       "its worker was killed and replaced)")
            if cancelled() and interrupted_at is None:
                worker.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now - interrupted_at > GRACE:
                raise BuildCancelled("build interrupted (the worker did not stop: it was killed)")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.stopping = True
            workers = list(self.workers)
            self.workers.clear()
        for worker in workers:
            worker.stop()
