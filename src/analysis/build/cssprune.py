"""A page's stylesheets cut to the rules that can match it, for the PDF.

The exported HTML embeds JupyterLab's stylesheet (~240 KB, ~2,000 rules for dialogs, file browsers,
menus...), of which a report uses a few dozen classes. WeasyPrint parses, validates and cascades
every rule for every page it lays out: about half a second of the main report's PDF. A rule whose
every selector requires a class or an id that no element of the document has cannot match
anything, so dropping it changes nothing in the cascade; :func:`prune_html` drops exactly those and
keeps everything else as written (at-rules, selectors on tags or attributes, classes inside
``:not()`` and the other functional pseudo-classes, which do not require them).

Parsing a stylesheet costs ~0.4 s; it is done once per stylesheet text and kept in the memo store
(the build's export warm-up reads it for the template's stylesheet while the notebooks run)."""
from __future__ import annotations

import html as _html
import re

from analysis.datasets import data

_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S | re.I)
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_ID_ATTR = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
MIN_CHARS = 20_000  # smaller stylesheets (the report's own) are kept whole: nothing to gain


def _requirements(prelude) -> list[tuple[frozenset, frozenset]] | None:
    """Per selector of a rule's prelude: (classes, ids) an element must have for it to match.
    None when the prelude cannot be read (the rule is then kept)."""
    selectors: list[tuple[set, set]] = [(set(), set())]
    tokens = list(prelude)
    for i, tok in enumerate(tokens):
        kind = getattr(tok, "type", None)
        if kind == "literal" and tok.value == ",":
            selectors.append((set(), set()))
        elif kind == "literal" and tok.value == "." and i + 1 < len(tokens) and \
                getattr(tokens[i + 1], "type", None) == "ident":
            selectors[-1][0].add(tokens[i + 1].value)
        elif kind == "hash":
            selectors[-1][1].add(tok.value)
        elif kind == "error":
            return None
        # blocks ([class~=x]) and functions (:not(.x), :is(...)) are skipped whole: a class inside
        # one is not required
    return [(frozenset(c), frozenset(i)) for c, i in selectors]


@data.memo  # kept in the memo store: the next build reads the template's stylesheet instead of parsing it
def _parsed(css: str) -> tuple:
    """The stylesheet as a tuple of (requirements or None, serialized text) per top-level rule;
    @media and @supports blocks as (None, (prefix, inner parse, suffix))."""
    return _parse(css)


def _parse(css: str) -> tuple:
    import tinycss2

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            out.append((_requirements(rule.prelude), rule.serialize()))
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
            inner = tinycss2.serialize(rule.content)
            head = "@" + rule.at_keyword + tinycss2.serialize(rule.prelude) + "{"
            out.append((None, (head, _parse(inner), "}")))
        else:  # @font-face, @keyframes, @page, @import, @charset...: kept as written
            out.append((None, rule.serialize()))
    return tuple(out)


def _can_match(requirements, classes: set, ids: set) -> bool:
    if requirements is None:
        return True
    return any(c <= classes and i <= ids for c, i in requirements)


def _emit(parsed: tuple, classes: set, ids: set) -> str:
    parts = []
    for requirements, text in parsed:
        if isinstance(text, tuple):
            head, inner, tail = text
            body = _emit(inner, classes, ids)
            if body:
                parts.append(head + body + tail)
        elif _can_match(requirements, classes, ids):
            parts.append(text)
    return "\n".join(parts)


def prune_css(css: str, classes: set, ids: set) -> str:
    """``css`` without the rules that need a class or id outside ``classes`` / ``ids``."""
    return _emit(_parsed(css), classes, ids)


def document_names(html: str) -> tuple[set, set]:
    """Every class and every id an element of ``html`` has."""
    classes: set = set()
    for a, b in _CLASS_ATTR.findall(html):
        classes.update(_html.unescape(a or b).split())
    ids = {_html.unescape(a or b).strip() for a, b in _ID_ATTR.findall(html)}
    return classes, ids


def prune_html(html: str) -> str:
    """``html`` with each large ``<style>`` cut to the rules that can match the document."""
    classes, ids = document_names(html)

    def cut(m):
        css = m.group(2)
        if len(css) < MIN_CHARS:
            return m.group(0)
        return m.group(1) + prune_css(css, classes, ids) + m.group(3)

    return _STYLE.sub(cut, html)
