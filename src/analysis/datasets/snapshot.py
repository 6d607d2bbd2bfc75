"""Raw snapshots: copy a public data file into data/raw/<source>/ unchanged, record its provenance
(origin, licence, attribution, retrieval date, sha256 of every file) in PROVENANCE.json, and verify
those checksums later. Raw files are never edited; a newer release is a new snapshot."""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

from analysis import config
from analysis.errors import DataValidationError, ParameterError, Problem
from analysis.files import atomic_write, sha256, token

PROVENANCE = "PROVENANCE.json"
REQUIRED_FIELDS = ("source", "title", "publisher", "origin", "licence", "attribution", "retrieved", "files")
#: Files a snapshot folder may hold besides those PROVENANCE.json lists (documentation).
UNLISTED_OK = re.compile(r"^(PROVENANCE\.json|[A-Za-z0-9_.-]+\.md)$")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def check_name(name: str, what: str = "snapshot name") -> str:
    """A snapshot or release name must be a safe slug: letters, digits, '.', '_', '-', at most 80
    characters, no '..' -- one folder under data/raw/, never a path. Raises ParameterError."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name:
        shown = repr(name) if len(str(name)) <= 80 else repr(str(name)[:80]) + "..."
        raise ParameterError(f"{what} {shown}: expected a short name of letters, digits, '.', '_' or '-' "
                             "(e.g. 2025-12), not a path")
    return name


def check_retrieved(value: str | None) -> str | None:
    """A retrieval date is YYYY-MM-DD and not in the future (None: today). Raises ParameterError."""
    if value is None:
        return None
    try:
        day = _dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)) else None
    except ValueError:
        day = None
    if day is None or day > _dt.date.today():
        raise ParameterError(f"--retrieved {str(value)[:40]!r}: expected a date YYYY-MM-DD, not in the future")
    return value


def take(source_dir: Path, name: str, files: list[str], meta: dict, raw_root: Path | None = None,
         retrieved: str | None = None) -> Path:
    """Copy ``files`` from ``source_dir`` into ``raw/<name>/`` and write PROVENANCE.json.

    ``meta`` holds title, publisher, origin, licence, attribution, coverage (free text).
    Refuses to overwrite a snapshot whose files differ: raw data is immutable. Taking more files
    into an existing snapshot adds them to its PROVENANCE.json (files already listed stay listed);
    the record is written atomically after every file is in place.
    """
    check_name(name)
    check_retrieved(retrieved)
    raw_root = Path(raw_root or config.raw_dir())
    dest = raw_root / name
    for fname in files:  # every check before anything is written
        src, target = Path(source_dir) / fname, dest / Path(fname).name
        if target.exists() and sha256(target) != sha256(src):
            raise FileExistsError(f"{target} exists with other content; raw snapshots are immutable — "
                                  f"take the new release as a new source folder")
    previous: dict = {}
    if (dest / PROVENANCE).exists():
        previous = json.loads((dest / PROVENANCE).read_text(encoding="utf-8"))
    record = {"source": name, **meta, "retrieved": retrieved or _dt.date.today().isoformat(),
              "files": dict(previous.get("files", {}))}
    dest.mkdir(parents=True, exist_ok=True)
    for fname in files:
        src = Path(source_dir) / fname
        target = dest / Path(fname).name
        if not target.exists():
            atomic_write(target, src.read_bytes())
        record["files"][target.name] = {"sha256": sha256(target), "bytes": target.stat().st_size,
                                        **({"origin": meta["origin"]} if meta.get("origin") else {}),
                                        "retrieved": record["retrieved"]}
    missing = [f for f in REQUIRED_FIELDS if f not in record]
    if missing:
        raise ValueError(f"provenance of {name} lacks {missing}")
    atomic_write(dest / PROVENANCE, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return dest


def load_provenance(raw_root: Path | None = None) -> dict[str, dict]:
    raw_root = Path(raw_root or config.raw_dir())
    out = {}
    for p in sorted(raw_root.glob(f"*/{PROVENANCE}")):
        if p.parent.name.startswith("."):  # a snapshot being written (see write_new), not yet a snapshot
            continue
        out[p.parent.name] = json.loads(p.read_text(encoding="utf-8"))
    return out


def verify(raw_root: Path | None = None) -> list[Problem]:
    """Every file listed in every PROVENANCE.json exists and has the recorded sha256 and size."""
    raw_root = Path(raw_root or config.raw_dir())
    problems: list[Problem] = []
    provs = load_provenance(raw_root)
    if not provs:
        problems.append(Problem(str(raw_root), None, None, None, "at least one raw/<source>/PROVENANCE.json"))
    for name, rec in provs.items():
        problems += _verify_record(raw_root / name, rec)
    return problems


def verify_folder(folder: Path) -> list[Problem]:
    """:func:`verify` for one snapshot folder (which must hold a PROVENANCE.json)."""
    path = Path(folder) / PROVENANCE
    if not path.exists():
        return [Problem(f"raw/{Path(folder).name}", None, None, None, f"a {PROVENANCE}")]
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem(f"raw/{Path(folder).name}/{PROVENANCE}", None, None, None, f"valid JSON ({exc})")]
    return _verify_record(Path(folder), rec)


def _verify_record(folder: Path, rec: dict) -> list[Problem]:
    name = folder.name
    problems: list[Problem] = []
    listed = set(rec.get("files", {}))
    for path in sorted(folder.iterdir()):
        if path.name not in listed and not UNLISTED_OK.match(path.name):
            problems.append(Problem(f"raw/{name}/{path.name}", None, None, None,
                                    f"only files listed in raw/{name}/{PROVENANCE} (this one is not: "
                                    "it is unchecked and may be curated; list it with snapshot.take() or remove it)"))
    for field in REQUIRED_FIELDS:
        if not rec.get(field):
            problems.append(Problem(f"raw/{name}/{PROVENANCE}", None, field, None, "a non-empty value"))
    for fname, info in rec.get("files", {}).items():
        path = folder / fname
        if not path.exists():
            problems.append(Problem(f"raw/{name}/{fname}", None, None, None, "the file listed in PROVENANCE.json"))
            continue
        size = path.stat().st_size
        if info.get("bytes") is not None and size != info["bytes"]:
            problems.append(Problem(f"raw/{name}/{fname}", None, "bytes", size,
                                    f"{info['bytes']} bytes (recorded in PROVENANCE.json): raw files are immutable"))
        digest = sha256(path)
        if digest != info.get("sha256"):
            problems.append(Problem(f"raw/{name}/{fname}", None, "sha256", digest,
                                    f"{info.get('sha256')} (recorded in PROVENANCE.json): raw files are immutable"))
    return problems


def verify_or_raise(raw_root: Path | None = None) -> None:
    problems = verify(raw_root)
    if problems:
        raise DataValidationError(problems)


def free_name(raw_root: Path, stem: str) -> str:
    """``stem`` if ``raw/<stem>`` does not exist, else ``stem.2``, ``stem.3``, ... (these sort after
    ``stem``): a second snapshot taken on the same day never replaces the first."""
    name, n = stem, 1
    while (Path(raw_root) / name).exists():
        n += 1
        name = f"{stem}.{n}"
    return name


def write_new(name: str, files: dict[str, bytes], meta: dict, raw_root: Path | None = None,
              retrieved: str | None = None, check: Callable[[Path], None] | None = None) -> Path:
    """Write a new snapshot ``raw/<name>/`` from bytes in memory, all or nothing.

    The files and PROVENANCE.json (``meta`` plus ``retrieved`` and the sha256 and size of every
    file) are written into a hidden staging folder next to it; ``check(staging_folder)`` may raise
    to refuse them; then the folder is renamed into place in one step. Readers never see a
    half-written snapshot, and an existing snapshot is never replaced (FileExistsError)."""
    raw_root = Path(raw_root or config.raw_dir())
    dest = raw_root / name
    if dest.exists():
        raise FileExistsError(f"{dest} exists; raw snapshots are immutable — choose a new name")
    staging = raw_root / f".{name}.tmp-{token()}"
    staging.mkdir(parents=True)
    try:
        record = {"source": name, **meta, "retrieved": retrieved or _dt.date.today().isoformat(), "files": {}}
        for fname, data in files.items():
            atomic_write(staging / fname, data)
            record["files"][fname] = {"sha256": sha256(staging / fname), "bytes": (staging / fname).stat().st_size}
        missing = [f for f in REQUIRED_FIELDS if not record.get(f)]
        if missing:
            raise ValueError(f"provenance of {name} lacks {missing}")
        atomic_write(staging / PROVENANCE, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        if check is not None:
            check(staging)
        if dest.exists():
            raise FileExistsError(f"{dest} exists; raw snapshots are immutable — choose a new name")
        os.rename(staging, dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return dest
