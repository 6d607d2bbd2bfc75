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

__version__ = "0.1.0"

_LAZY = {"metrics": "analysis.metrics", "claims": "analysis.metrics.claims"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return importlib.import_module(_LAZY[name])
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
