"""Reading and writing curated tables: deterministic writes, strict reads that report problems
with file, line, column and value."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd

from analysis.datasets.schemas import Table
from analysis.errors import Problem
from analysis.files import atomic_write


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``keys.map(table)`` (missing keys -> NA) as one hash lookup: ``map`` on a text column of
    pandas 3 goes back over every element to infer the result's type (0.2 s per million votes)."""
    return pd.Series(table.reindex(keys.to_numpy()).array, index=keys.index, name=keys.name)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV text: UTF-8, LF line ends, ISO dates, floats in their shortest exact form."""
    return df.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d").encode("utf-8")


def write_table(df: pd.DataFrame, path: Path, text: bytes | None = None) -> None:
    """Write ``df`` to ``path`` (gzip when it ends in .gz, with a fixed header so the bytes are
    reproducible; level 6: 1 % larger than level 9 and 3x faster), through a temporary file and an
    atomic rename. ``text``: ``to_csv_bytes(df)``
    when the caller has it already."""
    data = to_csv_bytes(df) if text is None else text
    if str(path).endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
            gz.write(data)
        data = buf.getvalue()
    atomic_write(Path(path), data)


def _decode(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:  # EOFError: a truncated file
            return None, [Problem(label, None, None, None, f"a gzip-compressed CSV ({exc})")]
    if not raw.strip():
        return None, [Problem(label, 1, None, None, "a CSV file with a header row and data (the file is empty)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start: exc.start + 4]
        return None, [Problem(label, line, None, bad, "UTF-8 text (the file has another encoding; re-save it as UTF-8)")]
    return text.lstrip("\ufeff"), []


def read_text_table(path: Path, label: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV as text columns (empty cells -> NA). Returns (frame or None, problems)."""
    path = Path(path)
    label = label or path.name
    if not path.exists():
        return None, [Problem(label, None, None, None, "the file to exist (run `python -m analysis curate`)")]
    text, problems = _decode(path, label)
    if text is None:
        return None, problems
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.ParserError as exc:
        return None, [Problem(label, None, None, None, f"well-formed CSV ({exc})")]
    df = df.replace("", pd.NA)
    return df, []


def check_table(df: pd.DataFrame, table: Table, label: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate a text frame against the table's schema and key; return the coerced frame."""
    missing = [c for c in table.required_columns() if c not in df.columns]
    if missing:
        return None, [Problem(label, 1, c, None, f"a column named '{c}' in the header (has: {', '.join(map(str, df.columns))})")
                      for c in missing]
    if df.empty:
        return None, [Problem(label, 2, None, None, "at least one data row")]
    import pandera.errors  # here, not at the top: reading raw files (importers, the report's sources) needs no pandera

    problems: list[Problem] = []
    typed = None
    try:
        typed = table.schema.validate(df.copy(), lazy=True)
    except pandera.errors.SchemaErrors as exc:
        seen = set()
        fc = exc.failure_cases
        for rec in fc.itertuples(index=False):
            idx = rec.index
            col = rec.column
            check = str(rec.check)
            value = rec.failure_case
            line = int(idx) + 2 if idx is not None and not pd.isna(idx) else None
            if line is not None:
                value = df.at[int(idx), col] if col in df.columns else value
            key = (line, col)
            if key in seen:  # a coercion failure is also reported as a dtype failure: say it once
                continue
            seen.add(key)
            problems.append(Problem(label, line, col, None if pd.isna(value) else value, _expected(check, col, table)))
    dup = df.duplicated(list(table.key), keep="first")
    for idx in df.index[dup]:
        first = df.index[(df[list(table.key)] == df.loc[idx, list(table.key)]).all(axis=1)][0]
        problems.append(Problem(label, int(idx) + 2, ", ".join(table.key),
                                tuple(df.loc[idx, list(table.key)]),
                                f"a unique key ({', '.join(table.key)}); the same key is on line {int(first) + 2}"))
    if problems:
        return None, sorted(problems, key=lambda p: (p.line or 0, p.column or ""))
    return typed, []


def _expected(check: str, col: str, table: Table) -> str:
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        kind = check.split("'")[1] if "'" in check else check
        return {"datetime64[ns]": "a date written YYYY-MM-DD", "Int64": "a whole number",
                "float64": "a number"}.get(kind, f"type {kind}")
    if check.startswith("not_nullable"):
        return "a value (the cell is empty)"
    if check.startswith("isin"):
        return "one of " + check[len("isin("):].rstrip(")")
    if check.startswith("str_matches"):
        if "A-Z" in check:
            return "a three-letter ISO 3166-1 alpha-3 code"
        return "a URL starting with http:// or https://"
    return check


def read_table(path: Path, table: Table, label: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    label = label or Path(path).name
    df, problems = read_text_table(path, label)
    if df is None:
        return None, problems
    return check_table(df, table, label)
