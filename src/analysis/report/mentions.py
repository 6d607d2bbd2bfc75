"""First mentions of a resolution decided after the fact, for a report whose later sections run
in a second worker (:mod:`analysis.build.split`).

A resolution is described the first time the report names it and only coded afterwards
(:func:`analysis.report.labels.first_mention`), which makes every section depend on the ones
before it. When a build runs the later sections in parallel with the earlier ones, those later
sections cannot know what was named before them. With :func:`deferring` on, ``first_mention``
writes a *marker* instead of deciding; once both halves are done, the build calls
:func:`resolve` on their Markdown, in document order, starting from what the earlier half named:
the same decisions, in the same order, as one run from the top.

A marker is private-use characters around a hex payload, so no escaping (Markdown, HTML, CSV)
alters it; ``M`` markers stand for Markdown-escaped text (:func:`escaped`), ``R`` for raw text.
A marker anywhere else than a Markdown output (a table, a CSV) is found by :func:`contains` and
the build then runs the report again from the top instead.
"""
from __future__ import annotations

import json
import re
from typing import Callable

_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{_OPEN}([RM])([0-9a-f]*){_CLOSE}")
_STATE: dict = {"defer": False, "seen": None}


def defer(on: bool) -> None:
    """Turn deferred first mentions on or off (the worker of a later half turns them on)."""
    _STATE["defer"] = bool(on)


def deferring() -> bool:
    return _STATE["defer"]


def new_seen() -> set:
    """A report's set of named resolutions (``Context.mentioned``); the latest one made is what
    :func:`carried` reports."""
    seen: set = set()
    _STATE["seen"] = seen
    return seen


def carried() -> list[str]:
    """What the report run in this process has named so far (sorted)."""
    return sorted(_STATE["seen"] or ())


def marker(symbol: str, label: str | None) -> str:
    """A deferred mention of ``symbol`` (shown as ``label``), raw text."""
    payload = json.dumps([symbol, label], ensure_ascii=True).encode("ascii").hex()
    return f"{_OPEN}R{payload}{_CLOSE}"


def escaped(text: str, escape: Callable[[str], str]) -> str:
    """``escape(text)``, or for a deferred mention the marker of its escaped text."""
    if text.startswith(_OPEN + "R") and _MARKER.fullmatch(text):
        return _OPEN + "M" + text[2:]
    return escape(text)


def contains(text: str) -> bool:
    return _OPEN in text


def contains_bytes(data: bytes) -> bool:
    """:func:`contains` for a file's UTF-8 bytes."""
    return _OPEN.encode("utf-8") in data


def resolve(text: str, seen: set, first_mention: Callable, escape: Callable[[str], str]) -> str:
    """``text`` with each marker replaced, in order, by ``first_mention(symbol, seen, label)``
    (escaped for ``M`` markers); ``seen`` is updated as in a run from the top."""
    def one(m: re.Match) -> str:
        symbol, label = json.loads(bytes.fromhex(m.group(2)).decode("ascii"))
        named = first_mention(symbol, seen, label)
        return escape(named) if m.group(1) == "M" else named

    return _MARKER.sub(one, text)
