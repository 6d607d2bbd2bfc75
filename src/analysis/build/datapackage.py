"""``datapackage.json`` for each report's data folder: a Frictionless Data Package
(https://specs.frictionlessdata.io/data-package/) with name, title, licences, sources, the
build's parameters and as-of date, and one resource per CSV with its Table Schema -- every
column's type, human title, description and unit from :mod:`analysis.report.labels`.

Types are inferred from the CSV itself (integer, number, boolean, date, string), so the schema
says what the file holds. :func:`check` validates a package against its CSVs (the test suite runs
it on every built folder; ``frictionless validate datapackage.json`` does the same where installed).
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from analysis.files import atomic_write
from analysis.report import labels

NAME = "datapackage.json"
PROFILE = "tabular-data-package"

LICENSES = [
    {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 (own calculations; World Bank data)",
     "path": "https://creativecommons.org/licenses/by/4.0/"},
]
SOURCES = [
    {"title": "United Nations Digital Library, General Assembly voting records (non-commercial use with "
              "attribution)", "path": "https://digitallibrary.un.org"},
    {"title": "World Bank, World Development Indicators (CC BY 4.0)", "path": "https://data.worldbank.org"},
    {"title": "Bailey, Strezhnev & Voeten (2017), UN General Assembly voting data, Harvard Dataverse",
     "path": "https://hdl.handle.net/1902.1/12379"},
    {"title": "SIPRI Arms Transfers Database (© SIPRI, use with attribution)",
     "path": "https://www.sipri.org/databases/armstransfers"},
    {"title": "IMF International Trade in Goods (IMTS), reuse with attribution", "path": "https://data.imf.org"},
    {"title": "Memberships, treaties, visits: hand-curated with a source per row (see source_url columns)"},
    {"title": "Natural Earth (public domain), via world-atlas 2.0.2", "path": "https://www.naturalearthdata.com"},
]

_INT = re.compile(r"^-?\d+$")
_NUM = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOL = {"True", "False", "true", "false"}


def _infer(values: list[str]) -> str:
    vals = [v for v in values if v != ""]
    if not vals:
        return "string"
    if all(v in _BOOL for v in vals):
        return "boolean"
    if all(_INT.match(v) for v in vals):
        return "integer"
    if all(_NUM.match(v) or v.lower() in ("nan", "inf", "-inf") for v in vals):
        return "number"
    if all(_DATE.match(v) for v in vals):
        return "date"
    return "string"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return (rows[0] if rows else []), rows[1:]


def schema_for(path: Path) -> dict:
    """The Table Schema of one CSV: a field per column (type inferred, title/description/unit)."""
    header, rows = _read(path)
    fields = []
    for i, name in enumerate(header):
        col = labels.column(name)
        field = {"name": name, "type": _infer([r[i] if i < len(r) else "" for r in rows]), "title": col.header}
        if field["type"] == "boolean":
            field["trueValues"], field["falseValues"] = ["True", "true"], ["False", "false"]
        if col.description:
            field["description"] = col.description
        if col.unit and col.unit not in ("date", "year"):
            field["unit"] = col.unit
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def _resource_name(stem: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-") or "data"


def build_package(folder: Path, *, name: str, title: str, as_of: str | None, built_at: str | None,
                  parameters: dict | None = None, descriptions: dict[str, str] | None = None) -> dict:
    """The package descriptor of ``folder`` (every ``*.csv`` in it, sorted)."""
    resources = []
    for path in sorted(Path(folder).rglob("*.csv")):
        rel = path.relative_to(folder).as_posix()
        res = {"name": _resource_name(rel[:-4]), "path": rel, "profile": "tabular-data-resource",
               "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema_for(path)}
        if descriptions and rel[:-4] in descriptions:
            res["description"] = descriptions[rel[:-4]]
        resources.append(res)
    return {
        "profile": PROFILE, "name": _resource_name(name), "title": title,
        "description": f"The data behind each figure and table of \"{title}\", one tidy CSV per figure or table.",
        "licenses": LICENSES, "sources": SOURCES, "created": built_at or None,
        "version": as_of or "", "keywords": ["Russia", "Ukraine", "United Nations", "ICC", "sanctions"],
        "as_of": as_of, "parameters": _jsonable(parameters or {}), "resources": resources,
    }


def effective_parameters(notebook: Path, given: dict) -> dict:
    """Every parameter the report was built with: the notebook's declared defaults, overridden by
    the values given to the build (the output folder left out)."""
    from analysis.build import params

    try:
        declared = {name: d.default for name, d in params.notebook_parameters(notebook).items()}
    except Exception:  # noqa: BLE001 - the record is best effort; the build already validated
        declared = {}
    values = {**declared, **given}
    values.pop("output_data_dir", None)
    return _jsonable(values)


def _jsonable(values: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v))
            for k, v in values.items()}


def write(folder: Path, **kw) -> Path:
    """Write ``<folder>/datapackage.json`` (see :func:`build_package`)."""
    package = build_package(folder, **kw)
    path = Path(folder) / NAME
    atomic_write(path, json.dumps(package, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def _valid(value: str, ftype: str) -> bool:
    if value == "":
        return True
    if ftype == "integer":
        return bool(_INT.match(value))
    if ftype == "number":
        return bool(_NUM.match(value)) or value.lower() in ("nan", "inf", "-inf")
    if ftype == "boolean":
        return value in _BOOL
    if ftype == "date":
        return bool(_DATE.match(value))
    return True


def check(path: Path) -> list[str]:
    """Problems of a ``datapackage.json`` against the Data Package and Table Schema specs and its
    CSVs (empty list: valid): required properties, unique resource names, every file present,
    header = schema field names, every value of its field's type."""
    path = Path(path)
    problems = []
    pkg = json.loads(path.read_text(encoding="utf-8"))
    for key in ("name", "title", "licenses", "sources", "resources"):
        if not pkg.get(key):
            problems.append(f"{path.name}: no {key}")
    if not re.fullmatch(r"[a-z0-9._-]+", str(pkg.get("name", ""))):
        problems.append(f"{path.name}: name {pkg.get('name')!r} is not lower-case alphanumeric with .-_")
    names = [r.get("name") for r in pkg.get("resources", [])]
    if len(set(names)) != len(names):
        problems.append(f"{path.name}: duplicate resource names")
    for res in pkg.get("resources", []):
        csv_path = path.parent / res.get("path", "")
        if not csv_path.is_file():
            problems.append(f"{res.get('path')}: missing")
            continue
        fields = res.get("schema", {}).get("fields", [])
        header, rows = _read(csv_path)
        if header != [f["name"] for f in fields]:
            problems.append(f"{res['path']}: header {header} does not match the schema")
            continue
        for f in fields:
            if not f.get("title"):
                problems.append(f"{res['path']}: field {f['name']} has no title")
        for n, row in enumerate(rows, start=2):
            if len(row) != len(header):
                problems.append(f"{res['path']} line {n}: {len(row)} cells, expected {len(header)}")
                continue
            for value, f in zip(row, fields):
                if not _valid(value, f["type"]):
                    problems.append(f"{res['path']} line {n}: {f['name']}={value!r} is not {f['type']}")
    return problems
