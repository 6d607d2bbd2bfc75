"""Notebook files read as plain JSON, for the build's quick looks at them (which modules they
import, their setup cell, their prepare function, the previous run's time per cell): no nbformat
import and no validation, ~0.2 s less before the warm-up starts. Never raises: a notebook that
cannot be read looks empty here, and its run reports the problem."""
from __future__ import annotations

import json
from pathlib import Path


def read(path: str | Path) -> dict:
    """The notebook's JSON object; empty when it cannot be read or is not an object."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return nb if isinstance(nb, dict) else {}


def cells(path: str | Path) -> list:
    """The notebook's cells (the dicts of the file)."""
    found = read(path).get("cells", [])
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def source(cell: dict) -> str:
    """A cell's source as one string (the file may store it as a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)
