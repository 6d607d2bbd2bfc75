"""Text hygiene of hand-curated and curated CSV files: no bidirectional controls (U+202E...), no
zero-width or other invisible format characters, no control characters. Such characters can
reverse or hide text in the report and the PDF; `validate` refuses them, naming file, line and
column. Standard library only."""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from analysis.errors import Problem

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def bad_characters(text: str) -> list[str]:
    """The invisible, bidirectional or control characters in ``text``, as 'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if (cat == "Cf" and ch != "\ufeff") or (cat == "Cc" and ch not in _ALLOWED_CONTROLS) or cat in ("Co", "Cs"):
            out.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}")
    return list(dict.fromkeys(out))


def file_problems(path: Path, label: str | None = None) -> list[Problem]:
    """Problems of one CSV file (first 50), each with its line (header = 1) and column."""
    label = label or path.name
    try:
        text = path.read_text(encoding="utf-8").lstrip("\ufeff")
    except (OSError, UnicodeDecodeError):
        return []  # unreadable files are reported by the table checks
    if not bad_characters(text):
        return []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    start = 1
    for row in reader:
        if not header:
            header = row
        for i, cell in enumerate(row):
            bad = bad_characters(cell)
            if bad:
                column = header[i] if i < len(header) else f"#{i + 1}"
                problems.append(Problem(label, start, column, cell[:60],
                                        "text without invisible or bidirectional control characters "
                                        f"(found {', '.join(bad)})"))
        start = reader.line_num + 1
        if len(problems) >= 50:
            break
    return problems


def folder_problems(*folders: Path) -> list[Problem]:
    """Problems of every ``*.csv`` in the folders (plain CSV; gzip tables are machine-written)."""
    problems: list[Problem] = []
    for folder in folders:
        folder = Path(folder)
        if folder.is_dir():
            for path in sorted(folder.glob("*.csv")):
                problems += file_problems(path, f"{folder.name}/{path.name}")
    return problems
