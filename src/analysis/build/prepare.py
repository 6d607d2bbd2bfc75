"""The results every report reads, computed once per build while the worker pool starts.

Before its workers fork, the build spends about a second in one process importing the notebooks'
modules and reading the tables (:func:`analysis.build.inprocess.warm`); the machine's other cores
are idle meanwhile. A notebook can use them: its metadata names a *prepare* function
(``{"analysis": {"prepare": "module:function"}}``) that takes the notebook's parameters and computes
the memoised all-member results its cells read first (the stance of every member, agreement with
Russia...). The build forks one child that calls it for the first report of each such notebook;
what the child computes reaches the workers through the memo store on disk
(:mod:`analysis.datasets.memostore`), so a worker's first report starts warm.

The child is only an optimisation and is treated as one: it writes nothing but memo entries (the
same entries a worker would write), its output and errors are discarded (a bad parameter fails the
notebook, where it is reported). A worker that needs an entry the child is computing waits for it
(:mod:`analysis.datasets.memostore` claims) rather than computing it a second time; the child ends
with its list, or is stopped when the build ends. With the memo store off, or when no core is idle
at the start (a machine already busy on every core), there is no child.
"""
from __future__ import annotations

import functools
import importlib
import os
import signal
import time
from pathlib import Path

from analysis.build import nbjson, procpool

METADATA_KEY = "analysis"


@functools.lru_cache(maxsize=64)
def _hook(path: str, mtime_ns: int) -> str | None:
    meta = nbjson.read(path).get("metadata")
    ours = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    value = ours.get("prepare") if isinstance(ours, dict) else None
    return value if isinstance(value, str) and ":" in value else None


def hook(notebook: str | Path) -> str | None:
    """The ``"module:function"`` a notebook names as its prepare function, or None."""
    try:
        return _hook(str(notebook), Path(notebook).stat().st_mtime_ns)
    except OSError:
        return None


class _Stop(BaseException):
    """Raised in the child by SIGTERM: unwinds through the memo store's atomic writes (which remove
    their temporary file), so a stopped child leaves no partial entry."""


def _stop(signum, frame):
    raise _Stop()


def _call(spec: str, parameters: dict) -> None:
    module, _, name = spec.partition(":")
    getattr(importlib.import_module(module), name)(**parameters)


def _child(calls: list[tuple[str, dict]]) -> int:
    from analysis.datasets import memostore

    memostore.claim_entries()  # a worker that needs an entry this child is computing waits for it
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's: it stops this child
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    failed = 0
    for spec, parameters in calls:
        try:
            _call(spec, parameters)
        except _Stop:
            return 3
        except Exception:  # noqa: BLE001 - the notebook reports its own errors
            failed = 1
    return failed


class Prepared:
    """The build's handle on the prepare child."""

    def __init__(self, pid: int):
        self.pid = pid
        self.exitcode: int | None = None

    def done(self) -> bool:
        if self.exitcode is None:
            self.exitcode = procpool.reap(self.pid)
        return self.exitcode is not None

    def wait(self) -> int:
        """Wait for the child to finish; its exit code (0: every call completed)."""
        if self.exitcode is None:
            self.exitcode = procpool.reap(self.pid, block=True)
        return self.exitcode

    def stop(self, grace: float = 0.5) -> int:
        """Stop the child now (it unwinds; killed if it has not within ``grace`` seconds) and reap it.
        Returns its exit code: 0 when it had finished, 3 when it was stopped."""
        if self.done():
            return self.exitcode
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while not self.done():
            if time.monotonic() > deadline:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return self.wait()
            time.sleep(0.005)
        return self.exitcode


def idle_core() -> bool:
    """Whether a core is idle right now: fewer runnable processes than cores besides this one
    (``/proc/loadavg``'s running count, which includes the reader). True where it cannot be read."""
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            running = int(fh.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return True
    return running - 1 < (os.cpu_count() or 1)


def start(calls: list[tuple[str, dict]]) -> Prepared | None:
    """Fork a child that calls each ``(spec, parameters)`` in order; None when there is nothing to
    call, when the memo store (the only way its results reach the workers) is off, or when no core
    is idle: on a machine already busy on every core (a test suite, another build) the child would
    only take time from the processes that compute the same results anyway."""
    from analysis.datasets import memostore

    calls = [(spec, dict(params)) for spec, params in calls if spec]
    if not calls or memostore.directory() is None or not idle_core():
        return None
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setpgid(0, 0)  # Ctrl-C at the terminal goes to the build, which stops this child
            code = _child(calls)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    return Prepared(pid)
