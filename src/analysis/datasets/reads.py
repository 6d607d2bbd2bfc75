"""Which data files a computation read: the build's cache uses it so that a report is rebuilt only
when a file it actually read changed (editing ``data/manual/README.md``, or a table a profile never
opens, rebuilds nothing).

Reads are seen through Python's audit hook for ``open`` (pandas, gzip, json and csv readers all go
through it); readers that open files in C (the map's GeoJSON through pyogrio) call :func:`note`
themselves, and so does the memo's on-disk store when it serves a result computed from files.
Only files under the data folder (``ISOLATION_DATA_DIR``) are recorded.

    with reads.recording() as seen:
        ...                      # run a notebook
    seen                         # {Path('/…/data/curated/un_votes.csv.gz'), ...}
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from pathlib import Path

from analysis import config

_LOCAL = threading.local()
_HOOKED = [False]


def _stack() -> list[set]:
    stack = getattr(_LOCAL, "stack", None)
    if stack is None:
        stack = _LOCAL.stack = []
    return stack


@functools.lru_cache(maxsize=4096)
def _real(path: str) -> str:
    return os.path.realpath(path)


def _data_root() -> str:
    return _real(str(config.data_dir())) + os.sep


def note(*paths) -> None:
    """Record ``paths`` as read by every recording in progress (in this thread)."""
    stack = _stack()
    if not stack:
        return
    root = _data_root()
    for p in paths:
        real = _real(os.fspath(p))
        if real.startswith(root):
            for seen in stack:
                seen.add(Path(real))


def _hook(event: str, args) -> None:
    if event != "open" or not getattr(_LOCAL, "stack", None):
        return
    path, mode = args[0], args[1]
    if isinstance(path, int) or (mode and any(c in str(mode) for c in "wax+")):
        return
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if getattr(_LOCAL, "busy", False):
        return
    with ignoring():  # realpath opens no file, but be safe against re-entry
        note(path)


def _install() -> None:
    if not _HOOKED[0]:
        sys.addaudithook(_hook)
        _HOOKED[0] = True


@contextlib.contextmanager
def ignoring():
    """Opens inside the block are not reads of the data (e.g. hashing the files for a cache key)."""
    before = getattr(_LOCAL, "busy", False)
    _LOCAL.busy = True
    try:
        yield
    finally:
        _LOCAL.busy = before


@contextlib.contextmanager
def recording():
    """Collect the data files read inside the block into the yielded set (nested recordings each
    get every read)."""
    _install()
    seen: set[Path] = set()
    stack = _stack()
    stack.append(seen)
    try:
        yield seen
    finally:
        for i in range(len(stack) - 1, -1, -1):  # by identity: two sets of the same files are equal
            if stack[i] is seen:
                del stack[i]
                break
