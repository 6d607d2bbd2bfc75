"""The 193 UN member states as codes: the one home of ISO3 validation for parameters, notebooks
and the public API (closest matches by code and by name when a code is unknown)."""
from __future__ import annotations

import difflib
from typing import Any

from analysis.errors import ParameterError


def un_members() -> dict[str, str]:
    """ISO3 code -> name of the 193 UN members (from the curated countries table)."""
    from analysis.datasets import data

    try:
        c = data.countries()
    except FileNotFoundError as exc:
        raise ParameterError(f"cannot check country codes: {exc}") from exc
    return dict(zip(c["iso3"].astype(str), c["name"].astype(str), strict=True))


def closest_countries(value: str, members: dict[str, str] | None = None, n: int = 5) -> list[str]:
    """The UN members closest to ``value`` as 'ISO3 (Name)', by code and by name (difflib)."""
    members = un_members() if members is None else members
    text = str(value).strip()
    by_name = {name.lower(): code for code, name in members.items()}
    picks: list[str] = []
    for cutoff in (0.6, 0.3):
        picks += difflib.get_close_matches(text.upper(), list(members), n=n, cutoff=cutoff)
        picks += [by_name[m] for m in difflib.get_close_matches(text.lower(), list(by_name), n=n, cutoff=cutoff)]
        # a name that contains the text ('korea' -> KOR, PRK)
        if len(text) >= 3:
            picks += [code for name, code in by_name.items() if text.lower() in name]
        if picks:
            break
    unique = list(dict.fromkeys(picks))[:n]
    return [f"{code} ({members[code]})" for code in unique]


def check_iso3(value: Any, members: dict[str, str] | None = None, what: str = "ISO3 code") -> str:
    """A UN member's ISO3 code (case-insensitive) -> the upper-case code.

    Raises ParameterError naming the closest valid codes."""
    members = un_members() if members is None else members
    code = str(value).strip().upper()
    if code in members:
        return code
    close = closest_countries(str(value), members)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise ParameterError(f"unknown {what} {value!r}: not one of the {len(members)} UN member codes{hint}")
