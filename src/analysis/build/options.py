"""Checks of the build's own options (not notebook parameters), before any kernel starts: the cell
timeout, the output and cache folders, and how many kernels may run at once. Each problem is a
:class:`ParameterError` (exit 2) with one clear line; values echoed back are clipped."""
from __future__ import annotations

import math
import os
from pathlib import Path

from analysis import config
from analysis.errors import ParameterError

#: Longest value echoed back in a message.
MAX_ECHO = 120
#: Resident memory of one warm report worker (a kernel was measured at ~270 MiB: 24 took 6.4 GiB).
KERNEL_BYTES = 300 * 2**20


def clip(value, limit: int = MAX_ECHO) -> str:
    """``repr`` of a value, cut to ``limit`` characters (a 10 KB option is not echoed in full)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value)):,} characters)"


def clip_lines(text: str, limit: int = 500) -> str:
    """Every line of a message cut to ``limit`` characters."""
    return "\n".join(line if len(line) <= limit else line[:limit] + f"... ({len(line):,} characters)"
                     for line in str(text).splitlines())


def check_timeout(timeout) -> int | None:
    """Seconds per cell: a whole number >= 0 (0 or None = no limit). nbclient wants an integer."""
    if timeout is None:
        return None
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ParameterError(f"--timeout {clip(timeout)}: expected whole seconds >= 0 (0 = no limit), e.g. 600")
    return int(value) or None


def _protected() -> list[Path]:
    return [config.data_dir().resolve(), (config.PROJECT_ROOT / "src").resolve(), config.NOTEBOOK_DIR.resolve()]


def check_folder(path, option: str) -> Path:
    """An output or cache folder: not a file, not a device, not inside data/, src/ or notebooks/,
    and writable (it, or the nearest folder that exists above it). Returns the resolved path."""
    try:
        folder = Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise ParameterError(f"{option} {clip(str(path))}: not a usable path ({exc})") from exc
    shown = clip(str(path))
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{option} {shown}: is a file, not a folder")
    for protected in _protected():
        if folder == protected or protected in folder.parents:
            raise ParameterError(f"{option} {shown}: is inside {protected.name}/, which the build reads "
                                 "(its files are part of every cache key); choose a folder outside it, e.g. reports/")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{option} {shown}: {existing} is not a writable folder")
    return folder


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux /proc/meminfo), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cap_workers(requested: int | None, n_jobs: int) -> tuple[int, str | None]:
    """How many workers to run at once: the request (default: the cores), at most the cores, the
    reports to run and what the available memory holds. Returns (workers, note or None)."""
    cores = os.cpu_count() or 1
    if requested is not None and requested < 1:
        raise ParameterError(f"--jobs {clip(requested)}: expected 1 or more")
    wanted = requested if requested is not None else cores
    workers, reasons = wanted, []
    if workers > cores:
        workers = cores
        reasons.append(f"{cores} CPU core(s)")
    mem = available_memory()
    if mem is not None and workers > max(1, mem // KERNEL_BYTES):
        workers = int(max(1, mem // KERNEL_BYTES))
        reasons.append(f"{mem / 2**30:.1f} GiB of available memory at ~{KERNEL_BYTES / 2**30:.1f} GiB per worker")
    workers = max(1, min(workers, max(n_jobs, 1)))
    note = None
    if requested is not None and workers < requested and reasons:
        note = f"--jobs {requested} capped to {workers} (limited by {'; '.join(reasons)})"
    return workers, note
