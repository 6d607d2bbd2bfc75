"""A marker style copied without ``copy.deepcopy``, for the tick lines of every chart.

Every tick of an axis copies the first tick's properties: three lines (two tick marks and the grid
line), and for each line matplotlib copies its marker style, ``MarkerStyle(other)``, which deep-copies
the style's attributes. A country profile's four charts create about 80 ticks, so about 240 deep
copies of a bound method, two transforms and a path. In a build that also records which data files
a report reads (:mod:`analysis.datasets.reads`, an audit hook), every ``id()`` those copies make calls
the hook: together about 6-8 % of a profile's time in a worker.

:func:`install` gives ``MarkerStyle(other)`` a plain copy when ``other`` holds nothing but what a
marker style is made of (the shapes matplotlib's own marker functions set):

- immutable values (strings, numbers, the cap and join styles, ``None``, tuples of numbers) are
  shared, as are the paths (matplotlib only reads a marker's path);
- the transforms (an ``Affine2D`` or the identity) are copied, so changing one style's transform (as
  ``MarkerStyle.rotated`` does to its copy) never changes the other's;
- the marker function, bound to ``other``, is bound to the copy.

Any other content (a composite transform, vertices in an array) goes to matplotlib's own deep copy.
The drawing is unchanged: ``tests/report/test_markercopy.py`` compares every chart's SVG with and
without it, and only the matplotlib version it was checked against (:data:`CHECKED_VERSIONS`) gets
it.
"""
from __future__ import annotations

import types

import matplotlib
from matplotlib._enums import CapStyle, JoinStyle
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, IdentityTransform

#: matplotlib versions whose ``MarkerStyle`` was read and compared (requirements.lock pins one).
CHECKED_VERSIONS = {"3.11.2"}

_SHARED = (str, int, float, bool, type(None), CapStyle, JoinStyle, Path)


class _State:
    original = None


_STATE = _State()


def _copy(value, source, target):
    """The value for the copy, or raise ``TypeError`` for anything not listed above."""
    if type(value) in _SHARED:
        return value
    if type(value) is tuple and all(type(v) in (int, float) for v in value):
        return value
    if type(value) is Affine2D:
        return Affine2D(value.get_matrix())  # Affine2D copies the matrix it is given
    if type(value) is IdentityTransform:
        return IdentityTransform()
    if type(value) is types.MethodType and value.__self__ is source:
        return value.__func__.__get__(target)
    raise TypeError(type(value).__name__)


def _set_marker(self, marker):
    if type(marker) is MarkerStyle:
        try:
            state = {k: _copy(v, marker, self) for k, v in vars(marker).items()}
        except TypeError:
            pass
        else:
            self.__dict__ = state
            return None
    return _STATE.original(self, marker)


def install() -> bool:
    """Use the plain copy (idempotent). False with a matplotlib version not checked against."""
    if MarkerStyle._set_marker is _set_marker:
        return True
    if matplotlib.__version__ not in CHECKED_VERSIONS:
        return False
    _STATE.original = MarkerStyle._set_marker
    MarkerStyle._set_marker = _set_marker
    return True


def uninstall() -> None:
    """matplotlib's own copy again (for tests)."""
    if MarkerStyle._set_marker is _set_marker:
        MarkerStyle._set_marker = _STATE.original
