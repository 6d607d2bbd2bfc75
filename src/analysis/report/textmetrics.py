"""One measure of each text per process, shared by every figure and renderer of the same kind.

matplotlib measures a text (width, height, descent) once per *renderer object*: its cache is keyed
by the renderer. Every figure gets an Agg renderer of its own for the tight layout, and every
``savefig`` a new SVG renderer, so the same tick labels, axis titles and legend entries were measured
again in every chart: a fifth of a country profile's time went to it.

The measure of a text depends only on the kind of renderer and its resolution, the text, the font
properties, math mode, the dpi asked for, and the rcParams that pick and shape fonts. :func:`install`
replaces matplotlib's per-renderer cache by one keyed on exactly those, so a text is measured once
per process. Drawing is unchanged, and the SVGs are byte-identical
(``tests/report/test_charts.py::test_shared_text_metrics_change_no_chart``).

``matplotlib.text._get_text_metrics_with_cache`` is internal to matplotlib (pinned in
requirements.lock); if it is missing, :func:`install` does nothing and matplotlib measures as before.
"""
from __future__ import annotations

import matplotlib
import matplotlib.text as mtext

#: Entries kept before the cache starts again (a country profile adds a few hundred).
MAX_ENTRIES = 50_000


class _State:
    """The cache and matplotlib's original function. An object, not module-level dicts: a build
    worker's kernel reset puts the package's module globals back as they were at its snapshot (and
    copies dicts), which would empty the cache before every report and lose the original."""

    def __init__(self):
        self.entries: dict = {}
        self.original = None
        self.rc_keys: tuple = ()
        self.rc_values: list | None = None
        self.rc_version = 0


_STATE = _State()


def _rc_version(rc) -> int:
    """A number that changes whenever an rcParam that picks or shapes fonts changes (compared by
    value on every call: a few microseconds)."""
    get = dict.__getitem__  # the stored values, without rcParams' lookup machinery
    values = [get(rc, k) for k in _STATE.rc_keys]
    if values != _STATE.rc_values:
        _STATE.rc_values = values
        _STATE.rc_version += 1
    return _STATE.rc_version


def _shared(renderer, text, fontprop, ismath, dpi):
    key = (type(renderer), getattr(renderer, "dpi", None), text, fontprop.copy(), ismath, dpi,
           _rc_version(matplotlib.rcParams))
    entries = _STATE.entries
    try:
        return entries[key]
    except KeyError:
        pass
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    value = entries[key] = _STATE.original(renderer, text, fontprop, ismath, dpi)
    return value


def install() -> bool:
    """Use the shared cache (idempotent). False when this matplotlib has no such internal."""
    current = getattr(mtext, "_get_text_metrics_with_cache", None)
    if current is None:
        return False
    if current is _shared:
        return True
    _STATE.rc_keys = tuple(sorted(k for k in matplotlib.rcParams
                                  if k.startswith(("font.", "mathtext.", "text.")) or k == "axes.unicode_minus"))
    _STATE.original = current
    mtext._get_text_metrics_with_cache = _shared
    return True


def uninstall() -> None:
    """matplotlib's own per-renderer cache again (for tests)."""
    if _STATE.original is not None and getattr(mtext, "_get_text_metrics_with_cache", None) is _shared:
        mtext._get_text_metrics_with_cache = _STATE.original
    _STATE.entries.clear()
