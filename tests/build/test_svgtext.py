"""SVG text drawn a string at a time (analysis.build.svgtext): the same glyphs at the same places
as WeasyPrint's letter-by-letter drawer, one text operation per label, and WeasyPrint's own drawer
for everything that needs per-letter positions."""
from __future__ import annotations

import base64
import re

import pytest
import weasyprint

from analysis.build import svgtext

# matplotlib's kinds of label (a transform, an x/y with an anchor), then two text nodes that need
# WeasyPrint's per-letter drawer: a tspan shifted by dy, and one x per letter
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt" viewBox="0 0 200 100">
<text style="font-size: 8px; font-family: 'DejaVu Sans'" transform="translate(10 20) rotate(-45)">2016</text>
<text style="font-size: 8px; font-family: 'DejaVu Sans'; text-anchor: middle" x="100" y="50">12 345</text>
<text style="font-size: 8px; font-family: 'DejaVu Sans'; text-anchor: end" x="190" y="80">100%</text>
<text style="font-size: 8px" x="10" y="90">a<tspan dy="2">b</tspan></text>
<text style="font-size: 8px" x="10 20 30" y="95">xyz</text>
</svg>"""

_OP = re.compile(rb"(?:[-\d.]+ ){6}(?:Tm|cm)|\bDo\b|\bBT\b|\bET\b|\[[^\]]*\] ?TJ")
_GLYPH = re.compile(rb"<([0-9a-f]+)>")
SPACE = b"0003"  # DejaVu Sans' space: the per-letter drawer skips it, its advance is kept


@pytest.fixture()
def drawer():
    """Render SVG with WeasyPrint's own drawer (False) or this module's (True); restored after."""
    was = bool(svgtext._installed)

    def ops(fast: bool) -> list[bytes]:
        svgtext.uninstall()
        if fast:
            assert svgtext.install()
        page = f'<img src="data:image/svg+xml;base64,{base64.b64encode(SVG.encode()).decode()}">'
        return _OP.findall(weasyprint.HTML(string=page).write_pdf(uncompressed_pdf=True))

    yield ops
    svgtext.uninstall()
    if was:
        svgtext.install()


def _blocks(ops: list[bytes]) -> list[list[bytes]]:
    blocks, current = [], None
    for op in ops:
        if op == b"BT":
            current = []
        elif op == b"ET":
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(op)
    return blocks


def _glyphs(block: list[bytes]) -> list[bytes]:
    return [g for op in block if op.endswith(b"TJ") for g in _GLYPH.findall(op) if g != SPACE]


def test_the_pinned_weasyprint_is_one_the_drawer_was_checked_against():
    # an upgrade lands here first: compare the drawers again (this file), then add the version
    assert weasyprint.__version__ in svgtext.CHECKED_VERSIONS


def test_same_glyphs_at_the_same_places_one_operation_per_label(drawer):
    stock, fast = drawer(False), drawer(True)
    # the transforms, and the text-anchor shifts (the string's width), are the same
    assert [op for op in fast if op.endswith(b"cm")] == [op for op in stock if op.endswith(b"cm")]
    stock_blocks, fast_blocks = _blocks(stock), _blocks(fast)
    assert len(stock_blocks) == len(fast_blocks) == 6  # the tspan makes two text objects
    for s, f in zip(stock_blocks, fast_blocks):
        assert f[0] == s[0]  # the first letter's text matrix: the same start
        assert _glyphs(f) == _glyphs(s)
    # in file order: the rotated year, the three fallbacks, then the two anchored labels (drawn in
    # groups of their own, which the file holds after the page's stream)
    for i in (0, 4, 5):
        assert len(fast_blocks[i]) == 2  # one text matrix, one show-text operation
        assert sum(op.endswith(b"TJ") for op in stock_blocks[i]) == len(_glyphs(stock_blocks[i])) > 1


def test_text_needing_per_letter_positions_is_left_to_weasyprint(drawer):
    stock, fast = _blocks(drawer(False)), _blocks(drawer(True))
    for i in (1, 2, 3):  # "a", the dy-shifted "b", and x="10 20 30"
        assert fast[i] == stock[i]
    assert len(fast[3]) == 6  # three letters, three positions


def test_install_is_idempotent_and_uninstall_restores_weasyprints_drawer():
    import weasyprint.svg as svg_module

    was = bool(svgtext._installed)
    svgtext.uninstall()
    stock = svg_module.TAGS["text"]
    try:
        assert svgtext.install() and svgtext.install()
        assert svg_module.TAGS["text"] is svg_module.text is not stock
        assert svg_module.TAGS["tspan"] is svg_module.text
        svgtext.uninstall()
        assert svg_module.TAGS["text"] is svg_module.text is stock
    finally:
        if was:
            svgtext.install()
