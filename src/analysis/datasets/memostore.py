"""The on-disk second level of :func:`analysis.datasets.data.memo`: a memoised metric computed in
one process (a build worker, a notebook, a test) is stored as a pickle, so the next process that asks
for the same result with the same data and the same code reads it instead of recomputing it (the
stance of every member at every year end, the ties scores...).

The key of an entry is the function, its arguments and a *fingerprint* of everything else the
result depends on: the content of every file in the curated folder, the source of the ``analysis``
package, the versions of pandas and numpy, and the build date (``as_of=None`` means today). Any
change of these makes new keys; old entries are never read again and are pruned by size and age.

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


def put(entry: str, value) -> None:
    """Store ``value`` (atomically: a reader sees the whole entry or none); never raises."""
    folder = directory() / entry[:2]
    try:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / (entry + _SUFFIX), blob)
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
