"""analysis.report.markercopy: tick marker styles copied plainly instead of deep-copied. The charts
are byte for byte the same, and a copy never shares what one style could change."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.markers import MarkerStyle
from matplotlib.transforms import Affine2D

from analysis.report import charts, display, markercopy, profile_charts, style

#: the report's charts and the four charts of two profiles (CHN has arms and trade, FRA little)
MAKERS = [charts.tallies_chart, charts.stance_shares_chart, charts.visits_timeline] + [
    lambda fn=fn, iso3=iso3: fn(iso3) for iso3 in ("CHN", "FRA")
    for fn in (profile_charts.profile_votes_chart, profile_charts.profile_agreement_chart,
               profile_charts.profile_arms_chart, profile_charts.profile_trade_chart)]


def test_the_charts_are_the_same_with_matplotlibs_own_copy(monkeypatch, chart_svgs):
    style.apply()
    assert MarkerStyle._set_marker is markercopy._set_marker
    fast = chart_svgs(MAKERS)
    markercopy.uninstall()
    monkeypatch.setattr(markercopy, "install", lambda: False)  # style.apply() would put it back
    try:
        own = chart_svgs(MAKERS)
        assert MarkerStyle._set_marker is not markercopy._set_marker
    finally:
        monkeypatch.undo()
        style.apply()
    assert MarkerStyle._set_marker is markercopy._set_marker
    assert own == fast


def test_the_ticks_take_the_plain_copy(monkeypatch):
    style.apply()
    deep: list = []
    original = markercopy._STATE.original
    monkeypatch.setattr(markercopy._STATE, "original", lambda self, m: deep.append(m) or original(self, m))
    fig, _ = profile_charts.profile_trade_chart("CHN")
    display.figure_svg(fig)
    plt.close(fig)
    assert not [m for m in deep if isinstance(m, MarkerStyle)]  # no tick marker went to the deep copy


def test_a_copy_shares_nothing_that_can_change():
    style.apply()
    m = MarkerStyle(">", transform=Affine2D().scale(2))
    c = MarkerStyle(m)
    assert c._transform is not m._transform and c._user_transform is not m._user_transform
    assert c._marker_function.__self__ is c  # bound to the copy, not to the original
    np.testing.assert_array_equal(c.get_transform().get_matrix(), m.get_transform().get_matrix())
    before = m.get_transform().get_matrix().copy()
    r = m.rotated(deg=30)  # rotates its own copy's transform in place
    np.testing.assert_array_equal(m.get_transform().get_matrix(), before)
    assert not np.allclose(r.get_transform().get_matrix(), before)
    c._transform.translate(1, 1)  # changing the copy never reaches the original
    np.testing.assert_array_equal(m.get_transform().get_matrix(), before)


def test_other_contents_go_to_matplotlibs_deep_copy(monkeypatch):
    style.apply()
    deep: list = []
    original = markercopy._STATE.original
    monkeypatch.setattr(markercopy._STATE, "original", lambda self, m: deep.append(m) or original(self, m))
    m = MarkerStyle("o", transform=Affine2D().scale(2)).transformed(Affine2D().rotate_deg(10))  # composite
    deep.clear()
    c = MarkerStyle(m)
    assert deep == [m]
    np.testing.assert_allclose(c.get_transform().get_matrix(), m.get_transform().get_matrix())
    vertices = MarkerStyle(np.array([[0, 0], [1, 0], [0, 1]]))
    deep.clear()
    MarkerStyle(vertices)
    assert deep == [vertices]  # an array of vertices is not shared


def test_only_the_checked_matplotlib_gets_it():
    assert matplotlib.__version__ in markercopy.CHECKED_VERSIONS  # an upgrade fails here first
