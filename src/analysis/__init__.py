"""Russia's international isolation: curated data, metrics, charts and the report build.

Layers (imports point only down this list; see ARCHITECTURE.md):

    analysis.datasets   raw snapshots -> curate -> data/curated; loading, schemas, as-of
    analysis.metrics    pure functions of (tables, as_of, parameters)
    analysis.report     style, charts, maps, report sections and their display
    analysis.build      parameters, planning, kernels, cache, export, site index, CLI

``analysis.errors`` and ``analysis.config`` sit beneath all four.

The public API for analysts: ``analysis.metrics`` (agreement, stance, ...), ``analysis.claims``
(``check_all``) and ``analysis.reset()``. They are imported lazily, so that ``python -m analysis``
starts without pandas.
"""

import sys as _sys

__version__ = "0.1.0"

# nbformat (and with it papermill and nbconvert) imports jsonschema, which imports rfc3987_syntax when
# it is installed (jupyter-events pulls it in) only to offer an "iri" format check that no notebook
# schema uses and that nbformat never turns on; that import builds a Lark parser: 1.3-2 s in every
# build process, worker and test process. Unless something imported it already, it counts as absent.
_sys.modules.setdefault("rfc3987_syntax", None)

_LAZY = {"metrics": "analysis.metrics", "claims": "analysis.metrics.claims"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module(_LAZY[name])
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


_LAYERS = ("analysis.errors", "analysis.config", "analysis.files", "analysis.datasets", "analysis.metrics",
           "analysis.report", "analysis.build")


def reset(reload: bool = True) -> None:
    """Drop every memoised result and loaded table, e.g. after editing ``data/`` or ``src/`` in a
    running JupyterLab kernel. With ``reload`` (default) the package's loaded modules are reloaded
    too, lower layers first, so edited code takes effect; objects made before the call (figures,
    sections) keep the old code. Restart the kernel after renaming or moving modules."""
    import importlib
    import sys

    def loaded():
        names = [n for n in sys.modules if n.startswith("analysis.") and sys.modules[n] is not None]
        rank = {n: next((i for i, p in enumerate(_LAYERS) if n == p or n.startswith(p + ".")), len(_LAYERS))
                for n in names}
        # within a layer: modules before the packages that import them
        return sorted(names, key=lambda n: (rank[n], -n.count("."), n))

    if reload:
        for _ in range(2):  # a second pass refreshes names bound with `from x import y`
            for name in loaded():
                if name != "analysis.build.kernel_reset":
                    importlib.reload(sys.modules[name])
    for name in loaded():
        for value in list(vars(sys.modules[name]).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", "").startswith("analysis"):
                clear()
    if "analysis.datasets.data" in sys.modules:
        sys.modules["analysis.datasets.data"].clear_cache()
