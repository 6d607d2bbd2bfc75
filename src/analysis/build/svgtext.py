"""SVG text in the PDF laid out a string at a time, not a letter at a time.

WeasyPrint draws an SVG ``<text>`` element by laying out and drawing each letter separately with
Pango, so that it can honour per-letter ``x``/``y``/``dx``/``dy``/``rotate`` lists. The report's
figures are matplotlib SVGs: 458 text elements and ~9,400 letters in the main report, each letter
its own Pango layout -- about 0.5 s of the PDF's ~5 s. Matplotlib positions every label with a
``transform`` and never uses those lists, so one layout of the whole string is the same text at
the same place (with the font's kerning, as a browser draws the same SVG in the HTML version).

:func:`install` replaces WeasyPrint's ``text`` drawer by one that takes that path for a plain
``<text>`` -- no child elements, at most one ``x`` and one ``y``, none of the per-letter or
baseline attributes -- and hands every other text node to WeasyPrint's own drawer unchanged.
It reaches into WeasyPrint's internals, so it is applied only to the versions it was checked
against (:data:`CHECKED_VERSIONS`; ``tests/build/test_svgtext.py`` compares the glyph positions
with WeasyPrint's own drawer); with any other version WeasyPrint draws as it always does.
"""
from __future__ import annotations

import threading
from math import inf

#: WeasyPrint versions whose SVG text drawer this replacement was compared against.
CHECKED_VERSIONS = frozenset({"70.0"})

#: Attributes that need WeasyPrint's letter-by-letter drawer (per-letter positions, rotations,
#: spacing, stretching, baselines).
_PER_LETTER = ("dx", "dy", "rotate", "textLength", "lengthAdjust", "letter-spacing",
               "display-anchor", "dominant-baseline", "alignment-baseline")

_lock = threading.Lock()
_installed: list = []  # [(the svg module, WeasyPrint's own drawer)] once installed


def _single(value) -> bool:
    return value is None or len(str(value).replace(",", " ").split()) <= 1


def plain(node) -> bool:
    """Whether one layout of ``node``'s whole string draws what WeasyPrint's per-letter drawer does."""
    attrib = node.attrib
    return (node.tag == "text" and bool(node.text) and next(iter(node), None) is None  # no tspan
            and _single(attrib.get("x")) and _single(attrib.get("y"))
            and node.get("direction", "ltr") == "ltr"
            and not any(node.get(name) for name in _PER_LETTER))


def _font_weight(value) -> int:
    if value == "bold":
        return 700
    try:
        return int(value)
    except (TypeError, ValueError):
        return 400


def _draw_plain(svg, node, font_size) -> None:
    """WeasyPrint's text drawer with the whole string as its one "letter"."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_weight"] = _font_weight(node.get("font-weight", 400))
    style["font_size"] = font_size
    if node.get("direction") == "ltr":
        style["direction"] = "ltr"
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)

    # the position rules of WeasyPrint's drawer for its first letter
    x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width) if "x" in node.attrib else None
    y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height) if "y" in node.attrib else None
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1]
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box,
        ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    if emojis:
        draw_emojis(svg.stream, style, x, y, emojis)


def install() -> bool:
    """Draw plain SVG text a string at a time from now on, in this process. Idempotent; returns
    whether the replacement is in place (False: a WeasyPrint version it was not checked against)."""
    with _lock:
        if _installed:
            return True
        import weasyprint
        import weasyprint.svg as svg_module

        if weasyprint.__version__ not in CHECKED_VERSIONS:
            return False
        stock = svg_module.TAGS["text"]

        def text(svg, node, font_size):
            if plain(node):
                return _draw_plain(svg, node, font_size)
            return stock(svg, node, font_size)

        # draw_node compares TAGS[tag] with the module's ``text`` to find text nodes: both change
        for tag, drawer in list(svg_module.TAGS.items()):
            if drawer is stock:
                svg_module.TAGS[tag] = text
        svg_module.text = text
        _installed.append((svg_module, stock))
        return True


def uninstall() -> None:
    """Back to WeasyPrint's own drawer (for comparisons in tests)."""
    with _lock:
        if not _installed:
            return
        svg_module, stock = _installed.pop()
        current = svg_module.text
        for tag, drawer in list(svg_module.TAGS.items()):
            if drawer is current:
                svg_module.TAGS[tag] = stock
        svg_module.text = stock
