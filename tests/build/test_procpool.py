"""The warm worker pool (analysis.build.procpool, notebooks run in-process by
analysis.build.inprocess): every run behaves like one in a fresh kernel, and a worker that dies or
hangs is replaced with only its report failing. The last test compares a pool build with a
fresh-kernel-per-report build of real country profiles (same text, same figures)."""
from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from papermill.exceptions import PapermillExecutionError

from analysis import config
from analysis.build import cli
from analysis.build.inprocess import notebook_imports
from analysis.build.procpool import ProcessPool
from analysis.errors import BuildCancelled, CellTimeoutError, KernelDiedError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


def make_notebook(folder: Path, name: str, *sources: str) -> Path:
    """A notebook with a parameters cell (``n = 0``) followed by one code cell per source."""
    nb = new_notebook(cells=[new_code_cell("n = 0", metadata={"tags": ["parameters"]}),
                             *[new_code_cell(s) for s in sources]])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def stdout_of(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """One warm worker (warmed like a build of the real notebooks: analysis imported, tables loaded)."""
    folder = tmp_path_factory.mktemp("pool")
    with ProcessPool(1, folder, warm_imports=["analysis", "analysis.report.display", "analysis.report.style", "pandas", "numpy"],
                     load_data=True) as p:
        p.folder = folder
        yield p


def run(pool, name, *sources, timeout=None, **params):
    path = make_notebook(pool.folder, name, *sources)
    return pool.run(path, pool.folder / f"out-{name}", params or {"n": 1}, timeout=timeout)


def test_a_variable_of_a_previous_run_is_not_visible(pool):
    nb = run(pool, "set.ipynb", "x = 1\nimport json as j\nprint(x)")
    assert stdout_of(nb) == "1\n"
    with pytest.raises(PapermillExecutionError) as info:
        run(pool, "get.ipynb", "print(x)")
    assert info.value.ename == "NameError" and "'x'" in info.value.evalue
    with pytest.raises(PapermillExecutionError) as info:
        run(pool, "get2.ipynb", "print(j, _, In[1])")  # nor imports bound in the namespace, nor history
    assert info.value.ename in ("NameError", "IndexError")


def test_matplotlib_cwd_environment_and_module_state_are_reset(pool):
    run(pool, "dirty.ipynb",
        "import os, sys, warnings, matplotlib as mpl, matplotlib.pyplot as plt, numpy as np, pandas as pd\n"
        "from analysis.report import display as present\n"
        "mpl.rcParams['lines.linewidth'] = 9.5\nplt.figure(); plt.figure()\n"
        "os.chdir('/')\nos.environ['POOL_TEST'] = '1'\nsys.argv.append('--leak')\nsys.path.append('/leak')\n"
        "warnings.simplefilter('error')\nnp.set_printoptions(precision=2)\npd.set_option('display.max_rows', 3)\n"
        "present.configure('/tmp/leak', 'leak')\nnp.random.seed(0)")
    nb = run(pool, "check.ipynb",
             "import os, sys, warnings, matplotlib as mpl, matplotlib.pyplot as plt, numpy as np, pandas as pd\n"
             "from analysis.report import display as present\n"
             "print(mpl.rcParams['lines.linewidth'], len(plt.get_fignums()), os.getcwd())\n"
             "print('POOL_TEST' in os.environ, '--leak' in sys.argv, '/leak' in sys.path)\n"
             "print(np.get_printoptions()['precision'], pd.get_option('display.max_rows'), present._STATE)\n"
             "print(any(f[0] == 'error' and f[2] is Warning for f in warnings.filters))\n"
             "st = np.random.get_state()[1].copy(); np.random.seed(0)\n"
             "print((np.random.get_state()[1] == st).all())")
    lines = stdout_of(nb).splitlines()
    assert lines[0] == f"1.5 0 {pool.cwd}", lines
    assert lines[1] == "False False False"
    assert lines[2] == "8 60 {'output_data_dir': '', 'link_dir': ''}"
    assert lines[3] == "False"
    assert lines[4] == "False"  # numpy's generator was reseeded (not left at seed 0)


def test_a_change_deep_inside_a_module_level_container_is_undone(pool):
    run(pool, "nested.ipynb", "from analysis.report import style\n"
        "style.SEABORN_WHITE['font.sans-serif'].append('Leak')\nstyle.RC['leak'] = 1\n"
        "style.SOURCES['maps'] = 'leak'")
    nb = run(pool, "nested-check.ipynb", "from analysis.report import style\n"
             "print(style.SEABORN_WHITE['font.sans-serif'][-1], 'leak' in style.RC, style.SOURCES['maps'][:7])")
    assert stdout_of(nb).split() == ["sans-serif", "False", "Natural"]


def test_the_reset_frees_a_runs_garbage_and_sets_what_it_keeps_aside(pool):
    # run 1 leaves a cycle only a collection frees, and a list kept alive outside the namespace
    run(pool, "leave.ipynb", "import sys, weakref\nclass Node: pass\nn = Node(); n.me = n\n"
        "sys._pool_cycle = weakref.ref(n)\nsys._pool_kept = [[i] for i in range(3000)]")
    nb = run(pool, "look.ipynb", "import gc, sys\nprint(sys._pool_cycle() is None)\n"
             "kept = {id(o) for o in sys._pool_kept}\n"
             "print(sum(id(o) in kept or o is sys._pool_kept for o in gc.get_objects()))\n"
             "del sys._pool_cycle, sys._pool_kept")
    freed, still_walked = stdout_of(nb).split()
    assert freed == "True"  # the garbage was collected, not set aside
    assert still_walked == "0"  # what survived the reset is no longer walked by every collection


def test_a_report_cancelled_while_it_waited_for_a_worker_does_not_start(pool):
    path = make_notebook(pool.folder, "never.ipynb", "raise SystemExit('must not run')")
    with pytest.raises(BuildCancelled):
        pool.run(path, pool.folder / "out-never.ipynb", {"n": 1}, cancelled=lambda: True)
    assert not (pool.folder / "out-never.ipynb").exists()
    assert stdout_of(run(pool, "after.ipynb", "print('ran')")) == "ran\n"  # the worker is free again


def test_execution_counts_start_at_1_in_every_run(pool):
    for name in ("one.ipynb", "two.ipynb"):
        nb = run(pool, name, "a = 1", "b = 2", "print(a + b)")
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), counts  # parameters, injected, then 3 cells


@pytest.mark.parametrize("code", ["import os\nos._exit(1)", "import ctypes\nctypes.string_at(0)"])
def test_a_worker_that_dies_is_replaced_and_only_that_run_fails(pool, code):
    before = pool.replaced
    old = pool.workers[0].pid
    with pytest.raises(KernelDiedError, match="worker process .* died"):
        run(pool, "die.ipynb", code)
    assert pool.replaced == before + 1
    assert not any(w.pid == old for w in pool.workers)
    nb = run(pool, f"after-{len(code)}.ipynb", "from analysis.datasets import data\nprint(len(data.countries()) > 0)")
    assert stdout_of(nb) == "True\n"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3]


def test_a_hung_cell_times_out_naming_the_cell_and_the_worker_goes_on(pool):
    t0 = time.monotonic()
    with pytest.raises(PapermillExecutionError) as info:
        run(pool, "hang.ipynb", "x = 1", "import time\ntime.sleep(60)", timeout=2)
    assert info.value.ename == "CellTimeoutError" and "timed out after 2 s" in info.value.evalue
    assert info.value.cell_index == 3  # parameters, injected parameters, x = 1, the sleep
    assert time.monotonic() - t0 < 30
    nb = run(pool, "after-hang.ipynb", "print('fine')")
    assert stdout_of(nb) == "fine\n"


def test_a_cell_that_ignores_the_timeout_is_killed_with_its_worker(pool, monkeypatch):
    from analysis.build import procpool

    monkeypatch.setattr(procpool, "GRACE", 1)
    before = pool.replaced
    t0 = time.monotonic()
    with pytest.raises(CellTimeoutError, match="killed"):  # the worker's timer cannot stop this cell
        run(pool, "stuck.ipynb", "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "time.sleep(60)", timeout=1)
    assert time.monotonic() - t0 < 30 and pool.replaced == before + 1
    assert stdout_of(run(pool, "after-stuck.ipynb", "print('fine')")) == "fine\n"


def test_interrupt_stops_the_running_cell(pool, tmp_path):
    import threading

    worker = []
    timer = threading.Timer(2.0, lambda: worker[0].interrupt())
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(PapermillExecutionError) as info:
        path = make_notebook(pool.folder, "int.ipynb", "import time\ntime.sleep(60)")
        pool.run(path, pool.folder / "out-int", {"n": 1}, on_worker=worker.append)
    assert info.value.ename == "KeyboardInterrupt" and time.monotonic() - t0 < 30
    assert stdout_of(run(pool, "after-int.ipynb", "print('fine')")) == "fine\n"


def test_outputs_are_those_of_a_kernel(pool):
    with pytest.raises(PapermillExecutionError):
        run(pool, "outputs.ipynb", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('more')",
            "from IPython.display import HTML, display\ndisplay(HTML('<b>x</b>'))\n41 + 1",
            "from analysis.report.display import Section\nSection().md('**hi**')", "None", "1 / 0")
    nb = nbformat.read(pool.folder / "out-outputs.ipynb", as_version=4)  # written before the error is raised
    cells = [c for c in nb.cells if c.cell_type == "code"][2:]
    kinds = [[(o.output_type, o.get("name")) for o in c.outputs] for c in cells]
    assert kinds[0] == [("stream", "stdout"), ("stream", "stderr"), ("stream", "stdout")]
    assert cells[1].outputs[0].data == {"text/html": "<b>x</b>", "text/plain": "<IPython.core.display.HTML object>"}
    assert cells[1].outputs[1].output_type == "execute_result" and cells[1].outputs[1].data == {"text/plain": "42"}
    assert cells[1].outputs[1].execution_count == cells[1].execution_count == 4
    assert [o.output_type for o in cells[2].outputs] == ["display_data"]  # a Section displays itself, no result
    assert cells[2].outputs[0].data["text/markdown"] == "**hi**"
    assert cells[3].outputs == []
    error = cells[4].outputs[0]
    assert error.output_type == "error" and error.ename == "ZeroDivisionError" and error.traceback
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.tags  # papermill's error banner


def test_workers_are_recycled_after_max_runs_and_closed_with_the_pool(tmp_path):
    import os

    with ProcessPool(1, tmp_path, max_runs=2) as small:
        small.folder = tmp_path
        pids = []
        for i in range(3):
            nb = run(small, f"r{i}.ipynb", "import os\nprint(os.getpid())")
            pids.append(int(stdout_of(nb)))
        assert pids[0] == pids[1] != pids[2] and small.replaced == 1
        assert not os.path.exists(f"/proc/{pids[0]}")  # the retired worker exited (and was reaped)
    assert small.workers == []
    assert not os.path.exists(f"/proc/{pids[2]}")  # closing the pool ends its workers


def test_the_warm_up_compiles_the_notebook_schema_once_for_every_worker(monkeypatch):
    from nbformat import validator

    from analysis.build import inprocess

    monkeypatch.setattr(validator, "validators", {})
    inprocess.warm([], load_data=False)
    assert validator.validators  # compiled before the fork: no worker compiles it again


def test_notebook_imports_reads_import_statements():
    mods = notebook_imports([config.NOTEBOOK_DIR / "country_profile.ipynb", FIXTURES / "country_profile.ipynb"])
    assert "analysis" in mods and "analysis.report.profile_sections" in mods and "analysis.report.sections" in mods
    assert "matplotlib.pyplot" in mods and "csv" in mods


# =========================================================================== pool vs fresh kernels, real profiles


def _build(out: Path, *args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = cli.main(["build", "--output", str(out), "--no-report", "--no-cache", "--jobs", "2", *args])
    return code, stdout.getvalue(), stderr.getvalue()


def _normalise(html: str) -> tuple[str, list[str]]:
    """(text without the build time and with images replaced by their hash, image hashes)."""
    images = []

    def img(m):
        digest = hashlib.sha256(base64.b64decode(m.group(1))).hexdigest()
        images.append(digest)
        return f"data:image/png;base64,<{digest}>"

    def svg(m):
        digest = hashlib.sha256(m.group(0).encode()).hexdigest()
        images.append(digest)
        return f"<svg {digest}>"

    text = re.sub(r"<svg\b.*?</svg>", svg, html, flags=re.S)  # figures are inline SVG in the HTML
    text = re.sub(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)", img, text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "<built at>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<built at>", text)  # the build time in the metadata
    return text, images


@pytest.mark.e2e
@pytest.mark.long
def test_pool_outputs_equal_fresh_kernel_outputs(tmp_path):
    codes = "CHN,BLR"  # with and without trade data
    code, stdout, stderr = _build(tmp_path / "pool", "--profiles", codes)
    assert code == 0, stdout + stderr
    code, stdout, stderr = _build(tmp_path / "fresh", "--profiles", codes, "--no-pool")
    assert code == 0, stdout + stderr
    for iso3 in codes.split(","):
        a = (tmp_path / "pool" / "profiles" / f"{iso3}.html").read_text(encoding="utf-8")
        b = (tmp_path / "fresh" / "profiles" / f"{iso3}.html").read_text(encoding="utf-8")
        (ta, ia), (tb, ib) = _normalise(a), _normalise(b)
        assert len(ia) >= 3 and ia == ib, iso3  # the same figures, byte for byte
        assert ta == tb, iso3  # the same text
        da, db = tmp_path / "pool" / "profiles" / f"{iso3}_data", tmp_path / "fresh" / "profiles" / f"{iso3}_data"
        assert sorted(p.name for p in da.iterdir()) == sorted(p.name for p in db.iterdir())
        stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # the build time in datapackage.json
        for p in da.iterdir():
            assert stamp.sub(b"<t>", p.read_bytes()) == stamp.sub(b"<t>", (db / p.name).read_bytes()), p
