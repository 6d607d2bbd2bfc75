"""The on-disk second level of :func:`analysis.datasets.data.memo`: a memoised metric computed in
one process (a build worker, a notebook, a test) is stored as a pickle, so the next process that asks
for the same result with the same data and the same code reads it instead of recomputing it (the
stance of every member at every year end, the ties scores...).

The key of an entry is the function, its arguments and a *fingerprint* of everything else the
result depends on: the content of every file in the curated folder, the source of the ``analysis``
package, the versions of pandas and numpy, and the build date (``as_of=None`` means today). Any
change of these makes new keys; old entries are never read again and are pruned by size and age.

The curated tables themselves are stored too, typed (:func:`analysis.datasets.data.load`): a
pickle of the votes loads in a fifth of the time of their CSV. A process computing results ahead
of others (a build's prepare child) *claims* what it computes, and a process that needs such an
entry waits for it rather than computing it twice (see "one computation per entry" below).

The folder is ``ISOLATION_MEMO_DIR`` when set (``off`` disables the store), else
``<project>/.cache/memo``. It holds pickles: only point it at a folder you trust, as you would
your ``src/``. Every failure of the store (unwritable folder, full disk, a corrupt entry) is a
cache miss, never an error: the result is then computed as without the store.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import time
from pathlib import Path

from analysis import config
from analysis.files import atomic_write

#: Pruning: the store is kept under this many bytes, and entries older than this many days go.
MAX_BYTES = 256 * 1024 * 1024
MAX_AGE_DAYS = 14
_SUFFIX = ".pkl"


def directory() -> Path | None:
    """The store's folder, or None when it is turned off."""
    value = os.environ.get("ISOLATION_MEMO_DIR")
    if value is not None and value.strip().lower() in ("", "off", "0", "none"):
        return None
    return Path(value) if value else config.PROJECT_ROOT / ".cache" / "memo"


def _digest_files(files) -> str:
    from analysis.datasets import reads

    h = hashlib.sha256()
    with reads.ignoring():  # hashing for the key is not a read of the data
        for path in files:
            h.update(str(path.name).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    import numpy
    import pandas

    files = sorted(config.PACKAGE_DIR.rglob("*.py"))
    return _digest_files(files) + f"|pandas {pandas.__version__}|numpy {numpy.__version__}"


@functools.lru_cache(maxsize=16)
def _data_digest(folder: str, stamp: tuple) -> str:
    return _digest_files(sorted(p for p in Path(folder).iterdir() if p.is_file()))


def fingerprint(folder: str) -> str:
    """What a memoised result depends on besides its arguments: the curated files (re-hashed only
    when one's size or mtime changed), the package's code and the build date."""
    try:
        files = sorted(p for p in Path(folder).iterdir() if p.is_file())
        stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
        data = _data_digest(folder, stamp)
    except OSError:
        return ""
    from analysis.datasets import asof

    return hashlib.sha256(f"{data}|{_code_digest()}|{asof.today().date()}".encode()).hexdigest()


def key(fn, folder: str, args: tuple) -> str | None:
    """The entry name of ``fn(*args)`` on the data in ``folder``, or None when the store is off or
    the arguments have no stable text form."""
    if directory() is None:
        return None
    text = repr(args)
    if " at 0x" in text:  # an object without a value-based repr: no stable key
        return None
    fp = fingerprint(folder)
    if not fp:
        return None
    name = f"{fn.__module__}.{fn.__qualname__}"
    return hashlib.sha256(f"{name}|{fp}|{text}".encode()).hexdigest()


MISSING = object()


def get(entry: str):
    """The stored value (the memo stores ``(result, data files read)``), or the module's
    ``MISSING`` marker (never raises)."""
    from analysis.datasets import reads

    path = directory() / entry[:2] / (entry + _SUFFIX)
    try:
        with reads.ignoring(), open(path, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        return MISSING
    except Exception:  # noqa: BLE001 - a corrupt or unreadable entry is a miss, and goes
        try:
            path.unlink()
        except OSError:
            pass
        return MISSING


# ---- one computation per entry across processes (a build's prepare child and its workers)
#
# A process that computes results ahead of others (analysis.build.prepare) *claims* each entry
# while it computes it: a ``<entry>.lock`` file holding its pid. Another process that misses the
# entry while a live claimer holds it waits for the entry instead of computing it a second time.
# Only claimers create locks and a claimer never waits, so no process waits on one that waits:
# a wait ends when the entry appears, the claim is released or its process is gone, or after
# ``WAIT_S`` at the latest (then the waiter computes the result itself, as without the store).

WAIT_S = 30.0
_CLAIMING = [False]


def claim_entries(on: bool = True) -> None:
    """Make this process claim the entries it computes (see above); for the build's prepare child."""
    _CLAIMING[0] = on


def _lock(entry: str) -> Path:
    return directory() / entry[:2] / (entry + ".lock")


class _Claim:
    def __init__(self, entry: str | None):
        self.path = None
        if entry is None or not _CLAIMING[0]:
            return
        from analysis.datasets import reads

        path = _lock(entry)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with reads.ignoring():  # the store's own files are not data the result was computed from
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError:  # claimed by another process, or no store: compute without a claim
            return
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def computing(entry: str | None) -> _Claim:
    """Context manager around computing ``entry``: holds its claim when this process claims entries."""
    return _Claim(entry)


def _claimer(entry: str) -> int | None:
    from analysis.datasets import reads

    try:
        with reads.ignoring():
            text = _lock(entry).read_text()
    except (OSError, ValueError):
        return None
    return int(text) if text.strip().isdigit() else None


def wait(entry: str, timeout: float = WAIT_S):
    """The entry, once the live process that claimed it has stored it; ``MISSING`` at once when no
    other process is computing it, or when the claimer stops or dies without storing it."""
    from analysis.files import pid_alive

    pid = _claimer(entry)
    if pid is None or pid == os.getpid():
        return MISSING
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        value = get(entry)
        if value is not MISSING:
            return value
        if _claimer(entry) != pid:  # released: stored just now, or stopped without storing
            return get(entry)
        time.sleep(0.005)
    return get(entry)


def put(entry: str, value) -> None:
    """Store ``value`` (atomically: a reader sees the whole entry or none); never raises."""
    folder = directory() / entry[:2]
    try:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / (entry + _SUFFIX), blob, sync=False)  # a cache: a torn entry is a miss
    except Exception:  # noqa: BLE001 - the store is an optimisation: a failure is a miss next time
        return
    _maybe_prune()


_LAST_PRUNE = [0.0]


def _maybe_prune(every_s: float = 300.0) -> None:
    now = time.monotonic()
    if now - _LAST_PRUNE[0] < every_s:
        return
    _LAST_PRUNE[0] = now
    prune()


def prune(max_bytes: int = MAX_BYTES, max_age_days: float = MAX_AGE_DAYS) -> int:
    """Delete entries older than ``max_age_days``, then the oldest until the store is under
    ``max_bytes``. Returns the number deleted."""
    root = directory()
    if root is None or not root.is_dir():
        return 0
    entries = []
    for path in root.glob(f"*/*{_SUFFIX}"):
        try:
            st = path.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, path))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    cutoff = time.time() - max_age_days * 86400
    deleted = 0
    for mtime, size, path in entries:
        if mtime >= cutoff and total <= max_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        deleted += 1
    return deleted
