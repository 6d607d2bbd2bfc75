"""One report on two workers: when a build has fewer reports than workers (the main report
alone), the report's sections are run in two halves at once, one per core, and the executed
halves are merged into the notebook a run from the top would have made.

A notebook opts in by tagging its setup cell ``setup``: every code cell after it may depend on the
cells up to the setup cell, and on no other. Each half is the notebook's cells up to the setup
cell plus its own sections (the first half simply the cells before the split). The one thing a
section takes from the sections before it -- whether a resolution was already named
(:mod:`analysis.report.mentions`) -- is decided after the fact: the later half writes markers, the
first half reports what it named, and :func:`merge` resolves the markers in document order.

Exactness is checked, not assumed: a marker anywhere but a Markdown output, or in a file the
half wrote, makes :func:`merge` raise :class:`SplitRejected`, and the build then runs the report
from the top (as it does when a cell of either half fails, so a failure is reported as in one run).
``tests/test_split.py`` compares a split build with a run from the top, output for output.
"""
from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from analysis.build import nbjson

SETUP_TAG = "setup"


class SplitRejected(Exception):
    """The halves cannot be merged into what one run would make: run the report from the top."""


def _is_setup(cell) -> bool:
    return isinstance(cell, dict) and SETUP_TAG in ((cell.get("metadata") or {}).get("tags") or [])


def setup_index(nb) -> int | None:
    """Index of the cell tagged ``setup`` (the last one when several are), or None."""
    found = [i for i, c in enumerate(nb.cells) if _is_setup(c)]
    return found[-1] if found else None


@functools.lru_cache(maxsize=64)
def _splittable(path: str, mtime_ns: int) -> bool:
    return any(_is_setup(c) for c in nbjson.cells(path))


def splittable(path: str | Path) -> bool:
    """Whether the notebook at ``path`` has a setup cell (so that it can run in two halves)."""
    try:
        return _splittable(str(path), Path(path).stat().st_mtime_ns)
    except OSError:
        return False


def durations(path: str | Path) -> dict[str, float]:
    """Seconds per code cell (keyed by its source) of an executed notebook file (papermill's
    metadata); empty when there is none. Read as plain JSON: no validation, it only balances halves."""
    out = {}
    for c in nbjson.cells(path):
        if c.get("cell_type") != "code":
            continue
        d = ((c.get("metadata") or {}).get("papermill") or {}).get("duration")
        if isinstance(d, (int, float)):
            out[nbjson.source(c)] = float(d)
    return out


def split_at(nb, seconds: dict[str, float] | None = None) -> int | None:
    """Index of the first cell of the later half: the code cells after the setup cell are cut where
    their time (``seconds`` per cell source, from the previous run; else one unit each) is halved,
    and the headings just before the cut go with the later half. None: no setup cell or fewer than
    two code cells after it."""
    setup = setup_index(nb)
    if setup is None:
        return None
    code = [i for i in range(setup + 1, len(nb.cells))
            if nb.cells[i].cell_type == "code" and nb.cells[i].source.strip()]
    if len(code) < 2:
        return None
    seconds = seconds or {}
    known = [seconds[nb.cells[i].source] for i in code if nb.cells[i].source in seconds]
    default = sum(known) / len(known) if known else 1.0
    cost = [max(seconds.get(nb.cells[i].source, default), 1e-3) for i in code]
    total, run, before = sum(cost), 0.0, []
    for c in cost:
        before.append(run)
        run += c
    k = min(range(1, len(cost)), key=lambda j: abs(before[j] - total / 2))
    at = code[k]
    while at - 1 > setup and nb.cells[at - 1].cell_type != "code":
        at -= 1
    return at


def halves(nb, at: int) -> tuple:
    """(first, later) notebooks: the cells before ``at``; the cells up to the setup cell, then ``at`` on."""
    setup = setup_index(nb)
    first, later = copy.deepcopy(nb), copy.deepcopy(nb)
    first.cells = first.cells[:at]
    later.cells = later.cells[:setup + 1] + later.cells[at:]
    return first, later


def _texts(output) -> list[tuple[str, str]]:
    """(mime type or 'stream', text) of one output."""
    if output.get("output_type") == "stream":
        return [("stream", "".join(output.get("text", "")))]
    data = output.get("data") or {}
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()]


def merge(first, later, carried: list[str] | None):
    """The executed halves as one executed notebook: the first half's cells, then the later half's
    cells after its setup cell, execution counts following on, first mentions resolved in order
    from ``carried`` (what the first half named). The halves are consumed (their cells are
    reused, not copied: a notebook of figures is large). Raises :class:`SplitRejected`."""
    from analysis.report import labels, mentions
    from analysis.report.display import md_escape

    setup = setup_index(later)
    if setup is None:
        raise SplitRejected("the later half has no setup cell")
    nb = copy.copy(first)
    tail = later.cells[setup + 1:]
    last = max((c.get("execution_count") or 0 for c in first.cells if c.cell_type == "code"), default=0)
    base = later.cells[setup].get("execution_count") or 0
    seen = set(carried or ())
    for cell in tail:
        if cell.cell_type != "code":
            if mentions.contains(cell.source):
                raise SplitRejected("a deferred mention in a Markdown cell's source")
            continue
        if cell.get("execution_count") is not None:
            cell.execution_count = cell.execution_count - base + last
        for out in cell.get("outputs", []):
            if out.get("execution_count") is not None:
                out.execution_count = out.execution_count - base + last
            for mime, text in _texts(out):
                if not mentions.contains(text):
                    continue
                if mime != "text/markdown":
                    raise SplitRejected(f"a deferred mention in a {mime} output")
                out.data[mime] = mentions.resolve(text, seen, labels.first_mention, md_escape)
    nb.cells = list(first.cells) + list(tail)
    pm_first, pm_later = nb.metadata.get("papermill"), later.metadata.get("papermill") or {}
    if isinstance(pm_first, dict) and pm_later.get("end_time"):
        pm = dict(pm_first)
        pm["end_time"] = max(str(pm_first.get("end_time") or ""), str(pm_later["end_time"]))
        if pm_later.get("duration") is not None and pm_first.get("duration") is not None:
            pm["duration"] = max(pm_first["duration"], pm_later["duration"])
        nb.metadata = copy.copy(nb.metadata)
        nb.metadata["papermill"] = pm
    return nb


def check_files(folder: str | Path | None) -> None:
    """Raise :class:`SplitRejected` if a file written by the run (the CSVs, the figures) holds a
    deferred mention: only Markdown outputs are resolved."""
    if not folder:
        return
    root = Path(folder)
    if not root.is_dir():
        return
    from analysis.report import mentions

    for path in root.rglob("*"):
        if path.is_file() and mentions.contains_bytes(path.read_bytes()):
            raise SplitRejected(f"a deferred mention in {path.name}")
