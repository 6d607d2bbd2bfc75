"""The colour classes stay distinguishable under the common colour-vision deficiencies: each
palette is simulated for protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes
2009, severity 1) and every pair of classes must stay apart in CIELAB."""
import itertools

import numpy as np
import pytest

from analysis.report import style

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
    "normal": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
}


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(lin: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ np.clip(lin, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate(hex_colour: str, kind: str) -> np.ndarray:
    """CIELAB of the colour as seen with the deficiency."""
    return _lab(np.array(MACHADO[kind]) @ _linear(hex_colour))


def min_distance(colours: dict, kind: str) -> tuple[float, tuple]:
    labs = {k: simulate(v, kind) for k, v in colours.items()}
    return min((float(np.linalg.norm(labs[a] - labs[b])), (a, b)) for a, b in itertools.combinations(labs, 2))


@pytest.mark.parametrize("kind", ["normal", "protanopia", "deuteranopia", "tritanopia"])
@pytest.mark.parametrize("palette", ["STANCE_COLORS", "VOTE_COLORS", "ICC_COLORS"])
def test_classes_stay_apart(palette, kind):
    colours = dict(getattr(style, palette))
    if palette == "STANCE_COLORS":
        colours["missing"] = style.LIGHT_GREY  # a map also shows territories without data
    dist, pair = min_distance(colours, kind)
    assert dist >= 12, f"{palette} under {kind}: {pair} only {dist:.1f} apart (CIELAB)"


def test_simulation_confuses_red_and_green_for_deuteranopes():
    """The check can fail: pure red and green collapse under deuteranopia."""
    assert min_distance({"a": "#D62728", "b": "#2CA02C"}, "deuteranopia")[0] < \
        min_distance({"a": "#D62728", "b": "#2CA02C"}, "normal")[0] / 2
