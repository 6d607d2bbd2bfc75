"""Validate report parameters before any kernel starts.

Papermill injects whatever it is given and only *warns* about names the notebook does not declare;
a typo then silently falls back to the notebook's default. This module refuses such builds up
front, with a message that says what would have been accepted:

- parameter names are read from the notebook itself (the cell tagged ``parameters``), never
  hard-coded; a name the notebook does not declare is refused, with the closest declared names;
- ``as_of`` goes through :func:`analysis.asof.resolve`, whose error names the accepted date range;
- ISO3 codes (``iso3``, ``focus``, ``--profiles``) must be one of the 193 UN members of
  :func:`analysis.data.countries`; an unknown code gets the closest codes and country names
  (difflib);
- the stance thresholds are checked by :func:`analysis.metrics.stances.check_threshold` (a share in
  [0, 1], or a boolean for ``use_treaties``);
- other values must match the type of the notebook's default (bool, number, text, list).

Every problem raises :class:`analysis.errors.ParameterError` (exit status 2 in the CLI).
The heavy data layer (pandas) is imported lazily, so importing this module stays cheap.
"""
from __future__ import annotations

import ast
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.datasets.members import check_iso3, un_members
from analysis.errors import ParameterError

PARAMETERS_TAG = "parameters"
#: Parameters the build sets itself; a user may not pass them with ``-p``.
RESERVED = frozenset({"output_data_dir"})
#: Parameter names that hold one ISO3 code, or a list of them.
ISO3_PARAMETERS = frozenset({"iso3"})
ISO3_LIST_PARAMETERS = frozenset({"focus"})
DATE_PARAMETERS = frozenset({"as_of"})

_MISSING = object()


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a notebook's ``parameters`` cell."""

    name: str
    default: Any  # the literal value, or the source text when it is not a literal
    source: str  # the right-hand side as written
    literal: bool  # whether ``default`` could be evaluated as a Python literal


# --------------------------------------------------------------------------- notebook parameters


def notebook_parameters(path: str | Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares in its cell tagged ``parameters``, in order.

    The cell is parsed with :mod:`ast` (top-level ``name = value`` / ``name: type = value``);
    if the cell does not parse as plain Python (magics...), papermill's own inspection is used.
    Raises ParameterError when the notebook is missing, unreadable or has no such cell."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"notebook not found: {path}")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read notebook {path}: {exc}") from exc
    cell = next((c for c in nb.get("cells", [])
                 if c.get("cell_type") == "code" and PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])),
                None)
    if cell is None:
        raise ParameterError(f"{path} has no code cell tagged '{PARAMETERS_TAG}'; "
                             "the build cannot tell which parameters it accepts")
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    try:
        return _parse_parameters_source(source)
    except SyntaxError:
        return _papermill_parameters(path)


def _parse_parameters_source(source: str) -> dict[str, NotebookParameter]:
    tree = ast.parse(source)
    found: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        text = ast.get_source_segment(source, value) or ""
        try:
            default, literal = ast.literal_eval(value), True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            default, literal = text, False
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = NotebookParameter(target.id, default, text, literal)
    return found


def _papermill_parameters(path: Path) -> dict[str, NotebookParameter]:
    import papermill

    found = {}
    for name, info in papermill.inspect_notebook(str(path)).items():
        text = str(info.get("default", ""))
        try:
            default, literal = ast.literal_eval(text), True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            default, literal = text, False
        found[name] = NotebookParameter(name, default, text, literal)
    return found


# --------------------------------------------------------------------------- countries and dates


def parse_profiles(spec: str | None, default: list[str], members: dict[str, str] | None = None) -> list[str]:
    """The ``--profiles`` option -> a list of ISO3 codes.

    ``None`` -> ``default``; ``all`` -> every UN member; ``none`` (or empty) -> no profile;
    otherwise a comma-separated list of ISO3 codes (each validated; duplicates dropped)."""
    members = un_members() if members is None else members
    if spec is None:
        codes = list(default)
    else:
        text = spec.strip()
        if text.lower() == "all":
            return sorted(members)
        if text.lower() in ("none", ""):
            return []
        codes = [part for part in re.split(r"[,\s]+", text) if part]
    bad = []
    out = []
    for code in codes:
        try:
            out.append(check_iso3(code, members))
        except ParameterError as exc:
            bad.append(str(exc))
    if bad:
        raise ParameterError("--profiles: " + "; ".join(bad) if len(bad) == 1
                             else "--profiles:\n  " + "\n  ".join(bad))
    return list(dict.fromkeys(out))


def validate_as_of(value: Any) -> str:
    """A date parameter -> 'YYYY-MM-DD' (None or 'latest' -> the latest data date).

    Uses :func:`analysis.asof.resolve`, whose ParameterError names the accepted range."""
    from analysis.datasets import asof

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # -p as_of=2023 is a year, not nanoseconds since 1970
    try:
        return asof.resolve(value).strftime("%Y-%m-%d")
    except FileNotFoundError as exc:
        raise ParameterError(f"cannot check as_of: {exc}") from exc
    except ParameterError as exc:
        if "between" in str(exc):
            raise
        from analysis.datasets import data  # a message without the range (e.g. 'NaT'): add it

        raise ParameterError(f"{exc} between {data.earliest_date().date()} and {data.latest_date().date()}") from exc


# --------------------------------------------------------------------------- values


def parse_assignment(text: str) -> tuple[str, Any]:
    """``'NAME=VALUE'`` (the ``-p`` option) -> ``(name, value)``.

    VALUE is read as a Python literal when it is one (``0.6``, ``True``, ``None``, ``['CHN']``,
    ``'text'``); otherwise it stays text (``2023-01-01``, ``CHN,IND``, ``false``) and is converted
    against the notebook's default later (see :func:`coerce`)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ParameterError(f"-p {text!r}: expected NAME=VALUE, e.g. -p allied_no_share=0.6")
    raw = raw.strip()
    try:
        value = ast.literal_eval(raw)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = raw
    return name, value


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParameterError(f"{name}={value!r}: expected true or false")


def coerce(name: str, value: Any, default: Any, members: dict[str, str] | None = None) -> Any:
    """Check one value against the parameter's meaning and its default's type; return it cleaned.

    Raises ParameterError saying what was expected."""
    if name in DATE_PARAMETERS:
        return validate_as_of(value)
    if name in ISO3_PARAMETERS:
        return check_iso3(value, members, what=f"{name}")
    if name in ISO3_LIST_PARAMETERS:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ParameterError(f"{name}={value!r}: expected a list of ISO3 codes, e.g. CHN,IND")
        return list(dict.fromkeys(check_iso3(v, members, what=f"ISO3 code in {name}")
                                  for v in items if str(v).strip()))
    from analysis.metrics import stances  # lazy: pandas

    if name in stances.DEFAULTS:
        if isinstance(default, bool):
            value = _boolean(name, value)
        return stances.check_threshold(name, value)
    if isinstance(default, bool):
        return _boolean(name, value)
    if _is_number(default):
        if _is_number(value):
            return value
        raise ParameterError(f"{name}={value!r}: expected a number (default {default!r})")
    if isinstance(default, (list, tuple)):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, (list, tuple)):
            return list(value)
        raise ParameterError(f"{name}={value!r}: expected a list, e.g. A,B or ['A', 'B']")
    if isinstance(default, str) and not isinstance(value, str):
        raise ParameterError(f"{name}={value!r}: expected text (default {default!r})")
    return value


def validate(notebook: str | Path, values: dict[str, Any], *, declared: dict[str, NotebookParameter] | None = None,
             allow_reserved: bool = False, members: dict[str, str] | None = None) -> dict[str, Any]:
    """Validate parameters for one notebook: known names, then each value. Returns cleaned values.

    ``declared`` is the notebook's parameters (read from ``notebook`` when not given).
    Reserved names (``output_data_dir``) are refused unless ``allow_reserved`` (the build itself)."""
    declared = notebook_parameters(notebook) if declared is None else declared
    name = Path(notebook).name
    unknown = [k for k in values if k not in declared]
    if unknown:
        parts = []
        for k in unknown:
            close = difflib.get_close_matches(k, list(declared), n=3, cutoff=0.5)
            parts.append(f"{k!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise ParameterError(f"unknown parameter(s) for {name}: {', '.join(parts)}; "
                             f"{name} declares: {', '.join(declared)}")
    if not allow_reserved:
        reserved = sorted(set(values) & RESERVED)
        if reserved:
            raise ParameterError(f"parameter(s) {', '.join(reserved)} are set by the build and cannot be passed")
    return {k: coerce(k, v, declared[k].default, members) for k, v in values.items()}
