"""Snapshot and reset of an IPython shell (``get_ipython()``: a worker's in-process shell, see
:mod:`analysis.build.inprocess`, or a Jupyter kernel). After the warm-up :func:`snapshot` is called
once; before every notebook run :func:`reset` puts the shell back into that state so the run
behaves like one in a fresh kernel:

- the user namespace (``%reset -f``), every matplotlib figure, the matplotlib backend, the inline
  backend's pending figures and its configuration, IPython's display formatters;
- the working directory, ``sys.argv``, ``sys.path``, ``os.environ``, the ``warnings`` filters,
  ``rcParams``, numpy's error/print options, pandas options;
- the module-level state of the snapshotted project modules (their globals, and a deep copy of
  their dict/list/set globals, e.g. :func:`analysis.report.display.configure`'s settings, put back
  when a run added, removed or replaced anything in them at any depth; an object inside such a
  container is, like any other module-level object, not copied back when a run changed its
  attributes);
- the random generators (reseeded from entropy) and the execution counter (back to 1).

This module keeps its own state out of the snapshot (it is not restored by itself).
"""
from __future__ import annotations

import copy
import gc
import os
import random
import sys
import warnings

_STATE: dict = {}


def _ipython():
    from IPython import get_ipython

    return get_ipython()


def _container_copy(value):
    if type(value) in (dict, list, set):
        try:
            return copy.deepcopy(value)
        except Exception:  # noqa: BLE001 - not copyable: leave it as the run left it
            return None
    return None


def _structure(value):
    """The nesting of dicts, lists, tuples and sets in ``value``, rebuilt, with every other object
    (its leaves) held by reference: what :func:`_same` compares a container with later."""
    t = type(value)
    if t is dict:
        return {k: _structure(v) for k, v in value.items()}
    if t in (list, tuple):
        return t(_structure(v) for v in value)
    if t is set:
        return set(value)
    return value


def _same(value, structure) -> bool:
    """True when ``value`` has the nesting and the very objects :func:`_structure` recorded: no key,
    item or member was added, removed or replaced at any depth."""
    t = type(value)
    if t is not type(structure):
        return False
    if t is dict:
        return value.keys() == structure.keys() and all(_same(value[k], structure[k]) for k in value)
    if t in (list, tuple):
        return len(value) == len(structure) and all(map(_same, value, structure))
    if t is set:
        return value == structure
    return value is structure


def _module_state(prefixes) -> dict:
    mods = {}
    for name, m in list(sys.modules.items()):
        if m is None or name == __name__ or name.split(".")[0] not in prefixes:
            continue
        d = vars(m)
        containers = {}
        for k, v in d.items():
            if not k.startswith("__") and type(v) in (dict, list, set):
                c = _container_copy(v)
                containers[k] = None if c is None else (c, _structure(v))
        mods[name] = (dict(d), containers)
    return mods


def _display_state(ip) -> tuple[dict, dict | None]:
    fmt = {key: (dict(f.type_printers), dict(f.deferred_printers), f.enabled)
           for key, f in ip.display_formatter.formatters.items()}
    try:
        from matplotlib_inline.config import InlineBackend
        cfg = InlineBackend.instance()
        inline = {k: copy.copy(v) for k, v in cfg.trait_values().items() if k not in ("parent", "config", "log")}
    except Exception:  # noqa: BLE001 - no inline backend
        inline = None
    return fmt, inline


def snapshot(prefixes) -> None:
    """Record the warm state (called once, after the warm-up)."""
    ip = _ipython()
    st = {"argv": list(sys.argv), "path": list(sys.path), "environ": dict(os.environ),
          "warnings": list(warnings.filters)}
    mpl = sys.modules.get("matplotlib")
    st["rc"] = dict(mpl.rcParams) if mpl is not None else None
    plt = sys.modules.get("matplotlib.pyplot")
    st["backend"] = plt.get_backend() if plt is not None else None
    np = sys.modules.get("numpy")
    st["np"] = (np.geterr(), np.get_printoptions()) if np is not None else None
    pdc = sys.modules.get("pandas._config.config")
    st["pd"] = copy.deepcopy(pdc._global_config) if pdc is not None else None
    st["modules"] = _module_state(prefixes)
    st["formatters"], st["inline"] = _display_state(ip)
    _STATE.clear()
    _STATE.update(st)


def _restore_modules(saved_modules: dict) -> None:
    for name, (saved, containers) in saved_modules.items():
        m = sys.modules.get(name)
        if m is None:
            continue
        d = vars(m)
        for k in [k for k in d if k not in saved]:
            del d[k]
        for k, v in saved.items():
            if d.get(k, v) is not v or k not in d:
                d[k] = v
            c = containers.get(k)
            if c is not None and not _same(v, c[1]):  # copied back only when the run changed it
                fresh = copy.deepcopy(c[0])
                if type(v) is list:
                    v[:] = fresh
                else:
                    v.clear()
                    v.update(fresh)


def _restore_libraries(st: dict) -> None:
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and st["rc"] is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dict.update(mpl.rcParams, st["rc"])
    np = sys.modules.get("numpy")
    if np is not None:
        if st["np"] is not None:
            np.seterr(**st["np"][0])
            np.set_printoptions(**st["np"][1])
        np.random.seed()
    random.seed()
    pdc = sys.modules.get("pandas._config.config")
    if pdc is not None and st["pd"] is not None:
        pdc._global_config.clear()
        pdc._global_config.update(copy.deepcopy(st["pd"]))


def _restore_display(ip, st: dict) -> None:
    for key, f in ip.display_formatter.formatters.items():
        saved = st["formatters"].get(key)
        if saved is not None:
            f.type_printers.clear()
            f.type_printers.update(saved[0])
            f.deferred_printers.clear()
            f.deferred_printers.update(saved[1])
            f.enabled = saved[2]
    if st["inline"] is not None:
        from matplotlib_inline.config import InlineBackend
        cfg = InlineBackend.instance()
        for k, v in st["inline"].items():
            if getattr(cfg, k) != v:
                cfg.set_trait(k, v)


def _close_figures(backend: str | None) -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
        if backend is not None and plt.get_backend() != backend:  # a notebook switched it (matplotlib.use)
            plt.switch_backend(backend)
    try:
        from matplotlib_inline import backend_inline as bi
        bi.show._to_draw = []
        bi.show._draw_called = False
    except Exception:  # noqa: BLE001 - no inline backend
        pass


def reset(cwd: str) -> None:
    """Put the kernel back into the snapshotted state, working directory ``cwd``."""
    ip = _ipython()
    st = _STATE
    _close_figures(st.get("backend"))
    ip.run_line_magic("reset", "-f")  # collects the last run's garbage (twice, as IPython does)
    # What survived those collections is kept state (memoised results, measured texts): moved out of
    # the collector's reach, so the next run's collections walk only that run's objects, not the
    # growing sum of every run before (about 15 ms per run after 60 profiles, 40 ms after 190).
    gc.freeze()
    os.chdir(cwd)
    sys.argv[:] = st["argv"]
    sys.path[:] = st["path"]
    if dict(os.environ) != st["environ"]:
        os.environ.clear()
        os.environ.update(st["environ"])
    warnings.filters[:] = st["warnings"]
    warnings._filters_mutated()
    _restore_modules(st["modules"])
    _restore_libraries(st)
    _restore_display(ip, st)
    try:  # a new history session, so that line numbers counted again from 1 stay unique
        ip.history_manager.reset(new_session=True)
    except Exception:  # noqa: BLE001
        pass
    ip.execution_count = 1
