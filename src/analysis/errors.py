"""The project's exception types. They carry where the problem is; the CLI turns them into one
clear message and an exit code."""
from __future__ import annotations

from dataclasses import dataclass


class AnalysisError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a data file: where it is and what was expected."""

    file: str
    line: int | None  # line number as a text editor shows it (header = line 1)
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" column '{self.column}'"
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{where}:{value} expected {self.expected}"


class DataValidationError(AnalysisError):
    """A table (or several) failed validation; holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:200])
        more = f"\n  ... and {len(self.problems) - 200} more" if len(self.problems) > 200 else ""
        super().__init__(f"{len(self.problems)} data problem(s):\n{shown}{more}")


class ParameterError(AnalysisError):
    """A build or notebook parameter is invalid (unknown ISO3, bad date, unknown name...)."""


class NotebookExecutionError(AnalysisError):
    """A notebook failed: names the notebook, the cell and the exception."""

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str, kept: str | None = None):
        self.notebook, self.cell, self.ename, self.evalue, self.kept = notebook, cell, ename, evalue, kept
        where = f"cell {cell}" if cell is not None else "(no cell)"
        msg = f"{notebook}: {where} raised {ename}: {evalue}"
        if kept:
            msg += f" (executed notebook kept at {kept})"
        super().__init__(msg)


class ReportNotebookError(NotebookExecutionError):
    """A report notebook failed. ``cell`` is the failing cell's position in the *source* notebook,
    counted from 1 over every cell (markdown included) -- what you see when you open it;
    ``exec_count`` is its ``In [n]`` in the executed notebook."""

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str, kept: str | None = None,
                 exec_count: int | None = None, note: str | None = None):
        super().__init__(notebook, cell, ename, evalue, kept)
        self.exec_count, self.note = exec_count, note
        if cell is not None:
            where = f"cell {cell} (counted from 1 over all cells of the notebook"
            where += f"; In [{exec_count}])" if exec_count is not None else ")"
        else:
            where = note or "(cell unknown)"
        value = evalue.strip().splitlines()[0] if evalue and evalue.strip() else ""
        #: the message without where the executed notebook was kept
        self.summary = f"{notebook}: {where} raised {ename}" + (f": {value}" if value else "")
        msg = self.summary + (f"; executed notebook kept at {kept}" if kept else "")
        Exception.__init__(self, msg)


class BuildCancelled(Exception):
    """Raised inside a job when the build was interrupted: it stops before its next cell."""


class BuildInterrupted(Exception):
    """Ctrl-C during :func:`run_jobs`; ``results`` holds the jobs that finished (and committed)
    before it. Running jobs were stopped and committed nothing."""

    def __init__(self, results: list):
        super().__init__("build interrupted")
        self.results = results


class KernelDiedError(RuntimeError):
    """The kernel or worker process running a report died (or none could be started)."""


class KernelBroken(RuntimeError):
    """A worker process did not start, warm up or answer."""


class CellTimeoutError(TimeoutError):
    """A notebook cell ran longer than the build's ``--timeout`` (raised inside the cell)."""


class FetchError(AnalysisError):
    """Fetching a public source failed (network, HTTP status, or a response that is not in the
    expected format). Names the source and the URL; nothing was written for that source."""

    def __init__(self, source: str, url: str, reason: str):
        self.source, self.url, self.reason = source, url, reason
        super().__init__(f"{source}: {url}: {reason}")


class SnapshotRejected(AnalysisError):
    """One or more newer raw snapshots failed validation: they are kept on disk for inspection but
    were not used; the curated tables were derived from the previous good snapshots.
    ``rejected`` maps each snapshot folder (``raw/<name>``) to its problems."""

    def __init__(self, rejected: dict[str, list[Problem]]):
        self.rejected = dict(rejected)
        lines = []
        for folder, problems in self.rejected.items():
            lines.append(f"  {folder}: rejected, not used ({len(problems)} problem(s)):")
            lines += [f"    - {p}" for p in problems[:50]]
            if len(problems) > 50:
                lines.append(f"    ... and {len(problems) - 50} more")
        super().__init__(f"{len(self.rejected)} new raw snapshot(s) failed validation and were not used "
                         f"(the curated tables come from the previous good snapshots):\n" + "\n".join(lines))
