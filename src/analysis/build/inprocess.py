"""Executing a notebook inside this process, in an IPython ``InteractiveShell`` (no kernel, no
messaging): the worker side of :mod:`analysis.build.procpool`.

:func:`execute` runs papermill itself (``papermill.execute_notebook``) with the engine defined
here, so parameters are injected, report mode is applied, metadata is recorded, the executed
notebook is saved after each cell and a failing cell raises ``PapermillExecutionError`` (after
papermill's error banner is written) exactly as with a kernel. Only the cells run differently:

- the shell's display publisher and display hook collect ``display_data`` (the full mime bundle
  from the shell's display formatter, so ``Section`` objects display themselves as in Jupyter) and
  ``execute_result`` (with its execution count); ``sys.stdout``/``sys.stderr`` become ``stream``
  outputs; an exception becomes an ``error`` output (ename, evalue, traceback);
- ``timeout`` (seconds per cell) is an interval timer: the cell is stopped with
  :class:`analysis.errors.CellTimeoutError`, which names the cell.

Matplotlib uses the Agg backend; the inline backend's figure formatter is registered (as a kernel
does), so a figure displayed explicitly is a PNG, and figures a ``Section`` displayed are closed
by it, so nothing is shown twice. :func:`start` prepares the shell once per process, then
:mod:`analysis.build.kernel_reset` snapshots and resets it between runs as in a kernel.
"""
from __future__ import annotations

import ast
import json
import os
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from analysis.build import nbjson
from analysis.errors import CellTimeoutError

ENGINE = "analysis-inprocess"
#: What ipykernel reports as the notebook's language (papermill stores it in the metadata).
LANGUAGE_INFO = {"name": "python", "version": sys.version.split()[0], "mimetype": "text/x-python",
                 "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
                 "nbconvert_exporter": "python", "file_extension": ".py"}


def notebook_imports(paths: Iterable[Path]) -> list[str]:
    """Modules the notebooks import (``import a.b`` -> a, a.b; ``from a import b`` -> a, a.b),
    in first-seen order. Cells that do not parse (magics) are skipped line by line."""
    seen: dict[str, None] = {}
    for path in paths:
        for cell in nbjson.cells(path):  # a notebook that cannot be read: its run reports it
            if cell.get("cell_type") != "code":
                continue
            src = "\n".join(line for line in nbjson.source(cell).splitlines()
                            if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
                for name in names:  # "from a import b": b may be a submodule or an attribute (skipped)
                    parts = name.split(".")
                    for i in range(1, len(parts) + 1):
                        seen[".".join(parts[:i])] = None
    return list(seen)


def warm(modules: Iterable[str], load_data: bool) -> None:
    """Import ``modules`` (a missing one is skipped: the notebook then fails as it would in a
    fresh kernel) and, with ``load_data``, read every curated table into the per-process cache.
    Meant to run before the worker processes fork, so that they share it."""
    import importlib

    os.environ.setdefault("MPLBACKEND", "agg")
    for name in ("matplotlib", "matplotlib.pyplot", "IPython.core.interactiveshell", "papermill", *modules):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            pass
    try:  # the notebook and output schemas compiled once here, not in each worker (~0.2 s each)
        import nbformat
        from nbformat.v4 import new_output

        nbformat.validate(nbformat.v4.new_notebook())
        new_output("stream", text="")
    except Exception:  # noqa: BLE001
        pass
    if load_data:
        try:
            from analysis.datasets import data
            from analysis.datasets.schemas import TABLES

            for name in TABLES:
                try:
                    data.load(name)
                except Exception:  # noqa: BLE001
                    pass
        except Exception:  # noqa: BLE001
            pass


# ---------------------------------------------------------------------------------------- the shell


class _Outputs:
    """The outputs of the cell running now (nbformat nodes)."""

    cell = None

    def add(self, output) -> None:
        if self.cell is None:
            return
        outs = self.cell.outputs
        if output.output_type == "stream" and outs and outs[-1].output_type == "stream" \
                and outs[-1].name == output.name:
            outs[-1].text += output.text  # one stream output per run of writes, as a kernel sends it
        else:
            outs.append(output)


OUTPUTS = _Outputs()


def _clean(data: dict) -> dict:
    """A mime bundle as it would arrive from a kernel (JSON values)."""
    if all(isinstance(v, str) for v in data.values()):
        return dict(data)
    return json.loads(json.dumps(data, default=str))


class _Stream:
    """``sys.stdout`` / ``sys.stderr`` during a cell."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, name: str):
        self.name = name

    def write(self, text) -> int:
        from nbformat.v4 import new_output

        if text:
            OUTPUTS.add(new_output("stream", name=self.name, text=str(text)))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _shell_classes():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from nbformat.v4 import new_output

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            OUTPUTS.add(new_output("display_data", data=_clean(data), metadata=_clean(metadata or {})))

        def clear_output(self, wait=False):
            if OUTPUTS.cell is not None:
                OUTPUTS.cell.outputs = []

    class Hook(DisplayHook):
        def start_displayhook(self):
            self._result = new_output("execute_result", data={}, metadata={}, execution_count=self.prompt_count)

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self._result.data = _clean(format_dict)
            self._result.metadata = _clean(md_dict or {})

        def finish_displayhook(self):
            if self._result.data:  # an object that displayed itself (_ipython_display_) has no result
                OUTPUTS.add(self._result)

    class Shell(InteractiveShell):
        collects_outputs = True
        display_pub_class = Publisher
        displayhook_class = Hook

        def _showtraceback(self, etype, evalue, stb):
            OUTPUTS.add(new_output("error", ename=etype.__name__ if isinstance(etype, type) else str(etype),
                                   evalue=str(evalue), traceback=list(stb)))

    return Shell


#: Project modules whose module-level state is snapshotted after warm-up and restored before each run.
STATE_PREFIXES = ("analysis",)


def start():
    """This process's shell (created once): outputs collected as above, no history file, the
    inline backend's figure formatter registered, Agg as the matplotlib backend; its state is then
    snapshotted (:func:`analysis.build.kernel_reset.snapshot`) for the resets before each run."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from analysis.build import kernel_reset

    if InteractiveShell.initialized():
        if getattr(InteractiveShell.instance(), "collects_outputs", False):
            return InteractiveShell.instance()
        InteractiveShell.clear_instance()  # forked from a process that had its own shell (e.g. a kernel)
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Context"
    shell = _shell_classes().instance(config=config)
    try:
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib_inline.backend_inline import configure_inline_support

        configure_inline_support(shell, "inline")  # PNG formatter for figures; flushes nothing under Agg
        matplotlib.use("agg")
        plt.close(plt.figure())
    except Exception:  # noqa: BLE001 - no matplotlib: notebooks that need it fail as in a kernel
        pass
    kernel_reset.snapshot(STATE_PREFIXES)
    import gc

    gc.freeze()  # the warm state is not scanned again by each run's collections (%reset -f collects twice)
    return shell


# ---------------------------------------------------------------------------------------- running


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def run_cell(shell, cell, timeout: float | None) -> bool:
    """Run one code cell into ``cell.outputs``; False when it raised."""
    cell.outputs = []
    cell.execution_count = shell.execution_count
    timing = {"iopub.status.busy": _now(), "iopub.execute_input": _now()}
    OUTPUTS.cell = cell
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")

    def expire(signum, frame):
        raise CellTimeoutError(f"Cell execution timed out after {timeout:g} s")

    old_handler = signal.signal(signal.SIGALRM, expire) if timeout else None
    try:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        result = shell.run_cell(cell.source, store_history=True, silent=False)
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
        sys.stdout, sys.stderr = saved
        OUTPUTS.cell = None
    timing["shell.execute_reply"] = timing["iopub.status.idle"] = _now()
    cell.metadata["execution"] = timing
    return result.success


def save_partial(nb, path: str) -> None:
    """Write the notebook as it stands while it runs: a valid notebook (nbformat reads it), as
    compact JSON from the C encoder. papermill's own save (``nbformat.writes``: a deep copy to
    split lines, validation, indented JSON from the pure-Python encoder) costs ~10x as much and
    runs as every cell starts, over a notebook that grows with each figure. The finished notebook
    is written by papermill as usual."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(nb, ensure_ascii=False, sort_keys=True))


def _engine():
    from papermill.engines import Engine, papermill_engines

    class InProcessEngine(Engine):
        """A papermill engine that runs the cells in this process's shell."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, shell=None, execution_timeout=None,
                                     on_cell: Callable | None = None, **kwargs):
            # papermill saves the notebook as every cell starts and ends (a kernel may die at any
            # time); here only as a code cell starts (the last cell started is what a dead worker's
            # report names), and as compact JSON (save_partial) -- the end is written by papermill
            path = nb_man.output_path
            nb_man.nb.metadata["language_info"] = dict(LANGUAGE_INFO)
            finished = False
            try:
                for index, cell in enumerate(nb_man.nb.cells):
                    if on_cell is not None:
                        on_cell(index)
                    runs = cell.cell_type == "code" and bool(cell.source.strip())
                    try:
                        nb_man.output_path = None
                        nb_man.cell_start(cell, index)
                        if runs and path:
                            save_partial(nb_man.nb, path)
                        if runs and not run_cell(shell, cell, execution_timeout):
                            nb_man.cell_exception(cell, cell_index=index)
                            break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
                finished = True
            finally:
                # A run that finished (a failing cell included) is written once, by papermill after
                # the engine (with its error banner if a cell failed); the manager's save as the run
                # completes would write it a second time. An interrupted run (Ctrl-C, timeout) is
                # saved by that completion save, as papermill does.
                nb_man.output_path = None if finished else path

    papermill_engines.register(ENGINE, InProcessEngine)


def execute(notebook: Path, output: Path, parameters: dict, *, cwd: Path, report_mode: bool = False,
            timeout: float | None = None, on_cell: Callable[[int], None] | None = None,
            half: str | None = None, carried_out: list | None = None):
    """Execute ``notebook`` with ``parameters`` into ``output`` in this process's (reset) shell,
    working directory ``cwd``; return the executed NotebookNode. Raises what papermill raises
    (``PapermillExecutionError`` for a failing cell, which includes a timed-out one).
    ``on_cell(index)`` is called as each cell starts.

    ``half`` (a report split over two workers, :mod:`analysis.build.split`): ``"later"`` runs with
    first mentions deferred; ``"first"`` puts what the run named into ``carried_out``."""
    import logging

    import papermill
    from papermill.engines import papermill_engines

    from analysis.build import kernel_reset

    logging.getLogger("papermill").setLevel(logging.ERROR)
    if ENGINE not in papermill_engines._engines:
        _engine()
    shell = start()
    kernel_reset.reset(str(cwd))
    if half:
        from analysis.report import mentions

        mentions.defer(half == "later")
    try:
        nb = papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, engine_name=ENGINE, kernel_name="python3",
            progress_bar=False, log_output=False, report_mode=report_mode,
            execution_timeout=timeout or None, shell=shell, on_cell=on_cell)
    finally:
        if half:
            mentions.defer(False)
    if half == "first" and carried_out is not None:
        carried_out.extend(mentions.carried())
    return nb
