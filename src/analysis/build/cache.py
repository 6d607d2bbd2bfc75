"""The build cache: a report is rebuilt only when something it depends on changed.

Key (sha256) of one report = the build-wide inputs (:func:`inputs_digest`: content hashes of every
file of the analysis package's source and templates, the versions of the key packages and of
Python) + the notebook file's bytes + the job (name, title, parameters as sorted JSON, output
paths and formats, ``--show-code``, kernel). The data are checked per report: an entry records the
data files the run read (:mod:`analysis.datasets.reads`) with their sha256, and is served only
while each of them still has that content; a runner that cannot tell what was read records every
file under the data folder. Modification times play no part: touching a file without changing it
rebuilds nothing; changing a data file rebuilds the reports that read it (editing
``data/manual/README.md`` rebuilds none).

An entry (``<cache dir>/<key[:2]>/<key>/``, default cache dir ``<output>/_cache``) holds the
report's files -- HTML, PDF, the CSV folder, the executed notebook, as read-only copies checked
against their sources -- assembled in a temporary folder renamed into place (no half entry) -- and
``entry.json``: the sha256 and size of every stored file plus what the manifest needs (build
time, seconds, CSV list). On a hit:

1. if the report's current outputs already have exactly those hashes, nothing is done (a no-op
   rebuild reads each output once and writes nothing but the index);
2. otherwise every stored file is verified against ``entry.json``; a corrupted or incomplete
   entry is deleted and the report rebuilt -- never served -- and a good one is copied into place
   with the same atomic commit as a build.

This module imports nothing heavy (no pandas, nbconvert or jupyter) so a fully cached build stays
fast.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from analysis import config
from analysis.build.jobs import FAILED_DIR, NOTEBOOKS_DIR, BuildOptions, JobResult, ReportJob
from analysis.files import pid_alive, publish, token
from analysis.files import sha256 as file_digest

#: Packages whose version is part of every key (a new pandas or matplotlib may change outputs).
KEY_PACKAGES = ("analysis", "pandas", "numpy", "matplotlib", "seaborn", "geopandas", "shapely", "nbconvert",
                "nbclient", "papermill", "weasyprint", "ipykernel", "jupyter_client", "nbformat", "jinja2",
                "matplotlib-inline")
DATA_SUBDIRS = ("raw", "manual", "curated")
ENTRY = "entry.json"
FORMAT_VERSION = 2  # 2: per-report data dependencies ("data" in entry.json)


def _tree_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            files.append(Path(dirpath, name))
    return files


def tree_digest(root: Path, h=None) -> str:
    """sha256 over the relative paths and contents of every file under ``root`` (sorted)."""
    h = h or hashlib.sha256()
    root = Path(root)
    for p in _tree_files(root):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(file_digest(p).encode() + b"\n")
    return h.hexdigest()


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str | None]:
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def inputs_digest(data_dir: Path | None = None, package_dir: Path | None = None) -> dict[str, Any]:
    """The build-wide inputs, computed once per build: {"package": sha256, "versions": {...},
    "python": "3.11.x", "digest": sha256 of these (the common part of every key), "data_files":
    {path relative to the data folder: sha256} of every data file}."""
    data_dir = Path(data_dir) if data_dir is not None else config.data_dir()
    package_dir = Path(package_dir) if package_dir is not None else config.PACKAGE_DIR
    parts = {"package": tree_digest(package_dir), "versions": package_versions(), "python": sys.version.split()[0]}
    parts["digest"] = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    parts["data_files"] = {p.relative_to(data_dir).as_posix(): file_digest(p) for p in _tree_files(data_dir)}
    parts["data_dir"] = str(data_dir)
    return parts


def data_dependencies(reads: Iterable | None, inputs: dict[str, Any]) -> dict[str, str | None]:
    """{data file (relative path): sha256 at the start of the build} for the files a run read --
    every data file when ``reads`` is None (unknown). A file read that is not in the data folder's
    listing (e.g. created during the build) maps to None, which never matches: not served later."""
    files = inputs["data_files"]
    if reads is None:
        return dict(files)
    root = os.path.realpath(inputs["data_dir"])
    out: dict[str, str | None] = {}
    for path in reads:
        rel = Path(os.path.relpath(os.path.realpath(path), root)).as_posix()
        if not rel.startswith("../"):
            out[rel] = files.get(rel)
    return out


def data_unchanged(entry: "Entry", inputs: dict[str, Any]) -> bool:
    """Whether every data file the entry's report read still has the content it had then."""
    recorded = entry.meta.get("data")
    if not isinstance(recorded, dict):
        return False  # an entry of an older format: rebuild
    files = inputs["data_files"]
    return all(sha is not None and files.get(rel) == sha for rel, sha in recorded.items())


def job_key(common: str, notebook_digest: str, job_spec: dict) -> str:
    """Key of one report: the build-wide digest, the notebook's sha256 and the job (parameters,
    outputs, options) as sorted JSON."""
    payload = json.dumps({"v": FORMAT_VERSION, "inputs": common, "notebook": notebook_digest, "job": job_spec},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --------------------------------------------------------------------------- entries


@dataclass
class Entry:
    key: str
    path: Path
    meta: dict  # entry.json: {"key", "name", "files": {stored name: {"sha256", "size", "target"}}, ...}

    @property
    def files(self) -> dict[str, dict]:
        return self.meta.get("files", {})


class Cache:
    """Entries under ``root``. Thread-safe enough for one build: entries are written to a
    temporary folder and renamed into place."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.error: OSError | None = None  # why the last store failed

    def entry_dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, key: str) -> Entry | None:
        """The entry of ``key`` if its entry.json is readable and consistent; else None (a broken
        entry.json is removed). Stored files are *not* verified here (see :meth:`verify`)."""
        path = self.entry_dir(key)
        meta_path = path / ENTRY
        if not meta_path.exists():
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("key") != key or not isinstance(meta.get("files"), dict):
                raise ValueError("entry.json does not match its key")
        except (OSError, ValueError):
            self.discard(key)
            return None
        return Entry(key, path, meta)

    def verify(self, entry: Entry) -> bool:
        """Every stored file exists with its recorded size and sha256, and nothing else claims to
        be part of it."""
        for name, info in entry.files.items():
            p = entry.path / name
            try:
                if p.stat().st_size != info["size"] or file_digest(p) != info["sha256"]:
                    return False
            except (OSError, KeyError, TypeError):
                return False
        return True

    def discard(self, key: str) -> None:
        shutil.rmtree(self.entry_dir(key), ignore_errors=True)

    def store(self, key: str, files: dict[str, Path], meta: dict) -> Entry | None:
        """Store ``files`` ({stored name: source path}) under ``key`` with ``meta`` (merged into
        entry.json). Files are copied and made read-only (never hard-linked: damaging a cache file must
        not alter the live report, nor the reverse), each copy checked against its source's sha256.
        The entry is assembled in a temporary folder renamed into place at the end, so a failure
        (a full disk) leaves no half entry. Returns None if it could not be stored (the build goes
        on: the cache is an optimisation); the OSError is kept in ``self.error``."""
        final = self.entry_dir(key)
        tmp = final.with_name(f".{key}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        made_parent = not final.parent.exists()
        try:
            tmp.mkdir(parents=True)
            recorded = {}
            for name, src in files.items():
                dest = tmp / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                os.chmod(dest, 0o444)
                digest = file_digest(src)
                if file_digest(dest) != digest:
                    raise OSError(errno.EIO, "the copy differs from its source", str(dest))
                recorded[name] = {"sha256": digest, "size": dest.stat().st_size}
            full = dict(meta, key=key, files=recorded, format=FORMAT_VERSION)
            with open(tmp / ENTRY, "w", encoding="utf-8") as f:
                f.write(json.dumps(full, indent=1, sort_keys=True))
                f.flush()
                os.fsync(f.fileno())
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
            return Entry(key, final, full)
        except OSError as exc:
            self.error = exc
            shutil.rmtree(tmp, ignore_errors=True)
            if made_parent:
                try:
                    final.parent.rmdir()
                except OSError:
                    pass
            return None

    def clean_temporary(self) -> None:
        """Remove half-written entries of builds that are no longer running."""
        if not self.root.is_dir():
            return
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            for p in sub.iterdir():
                if p.name.startswith(".") and ".tmp-" in p.name:
                    try:
                        pid = int(p.name.rsplit(".tmp-", 1)[1].split("-")[0])
                    except ValueError:
                        pid = -1
                    if pid != os.getpid() and not pid_alive(pid):
                        shutil.rmtree(p, ignore_errors=True)


def outputs_match(entry: Entry, targets: dict[str, Path]) -> bool:
    """True when every stored file's target (``targets``: stored name -> output path) exists with
    the recorded size and sha256, and the stored file is intact too: when the stored file is a hard
    link to the output (the usual case) hashing one checks both; otherwise the stored copy is
    hashed as well. Used for the no-op check: a corrupted entry never passes it."""
    if set(targets) != set(entry.files):
        return False
    for name, info in entry.files.items():
        p, stored = targets[name], entry.path / name
        try:
            if p.stat().st_size != info["size"] or file_digest(p) != info["sha256"]:
                return False
            if not os.path.samefile(p, stored) and (stored.stat().st_size != info["size"]
                                                    or file_digest(stored) != info["sha256"]):
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


# --------------------------------------------------------------------------- jobs and entries


def _cache_targets(job: ReportJob, out: Path, names: Iterable[str]) -> dict[str, Path]:
    """Stored name in a cache entry -> the output file it stands for."""
    targets = {}
    for name in names:
        if name == "report.html" and job.html is not None:
            targets[name] = out / job.html
        elif name == "report.pdf" and job.pdf is not None:
            targets[name] = out / job.pdf
        elif name.startswith("data/") and job.data_dir is not None:
            targets[name] = out / job.data_dir / name[len("data/"):]
        elif name == "notebook.ipynb":
            targets[name] = out / NOTEBOOKS_DIR / f"{job.name}.ipynb"
    return targets


def _job_outputs(job: ReportJob, out: Path, csv: Iterable[str], keep_notebooks: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if job.html is not None:
        files["report.html"] = out / job.html
    if job.pdf is not None:
        files["report.pdf"] = out / job.pdf
    if job.data_dir is not None:
        for rel in csv:
            files[f"data/{rel}"] = out / job.data_dir / rel
    nb = out / NOTEBOOKS_DIR / f"{job.name}.ipynb"
    if keep_notebooks and nb.exists():
        files["notebook.ipynb"] = nb
    return files


def job_spec(job: ReportJob, options: BuildOptions) -> dict:
    """What of a job goes into its cache key (besides the notebook's bytes and the build-wide inputs)."""
    return {"name": job.name, "kind": job.kind, "title": job.title, "parameters": job.parameters,
            "notebook": f"{job.notebook.parent.name}/{job.notebook.name}",
            "html": job.html and job.html.as_posix(), "pdf": job.pdf and job.pdf.as_posix(),
            "data_dir": job.data_dir and job.data_dir.as_posix(), "as_of": job.as_of, "iso3": job.iso3,
            "show_code": options.show_code, "kernel": options.kernel_name,
            "base_url": options.base_url if job.pdf is not None else None}


def serve_from_cache(cache, entry, job: ReportJob, options: BuildOptions) -> JobResult | None:
    """A cache hit: leave the outputs alone if they already are the entry's files, else verify the
    entry and copy it into place (atomically, like a build). Returns None when the entry is
    corrupted (it is discarded: the report must be rebuilt)."""
    t0 = time.perf_counter()
    out = options.output
    meta = entry.meta
    csv = sorted(n[len("data/"):] for n in entry.files if n.startswith("data/"))
    expected = set(entry.files)
    if ("report.html" in expected) != (job.html is not None) or ("report.pdf" in expected) != (job.pdf is not None):
        cache.discard(entry.key)
        return None
    targets = _cache_targets(job, out, entry.files)
    if len(targets) != len(entry.files):
        cache.discard(entry.key)
        return None
    extra_csv = False
    if job.data_dir is not None:
        folder = out / job.data_dir
        present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) \
            if folder.is_dir() else None
        extra_csv = present != csv
    if not extra_csv and outputs_match(entry, targets):
        written: list[str] = []
    else:
        if not cache.verify(entry):
            cache.discard(entry.key)
            return None
        written, files, folders = [], {}, {}
        staged, staged_all = None, False
        try:  # all or nothing, like a build's commit: a full disk leaves the previous report
            if job.data_dir is not None:
                target_dir = out / job.data_dir
                staged = target_dir.with_name(f".{target_dir.name}.tmp-{token()}")  # recover() cleans it up
                staged.mkdir(parents=True)
                for rel in csv:
                    dest = staged / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(entry.path / f"data/{rel}", dest)
                folders[staged] = target_dir
                written.append(job.data_dir.as_posix() + "/")
            for name in ("report.html", "report.pdf", "notebook.ipynb"):
                if name in entry.files:
                    target = targets[name]
                    files[target] = (entry.path / name).read_bytes()
                    if name != "notebook.ipynb":
                        written.append(target.relative_to(out).as_posix())
            staged_all = True
            publish(files, folders)  # (its errors name the output file)
        except BaseException as exc:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC and not staged_all:
                # (shutil names the cache file it copied from; the full disk is the output's)
                raise OSError(exc.errno, exc.strerror, str(out / (job.data_dir or ""))) from exc
            raise
    (out / FAILED_DIR / f"{job.name}.ipynb").unlink(missing_ok=True)
    try:
        (out / FAILED_DIR).rmdir()
    except OSError:
        pass
    return JobResult(job=job, ok=True, seconds=time.perf_counter() - t0, written=written, csv=csv, cached=True,
                     built_at=meta.get("built_at"), build_seconds=meta.get("seconds"))


def store_in_cache(cache, key: str, result: JobResult, options: BuildOptions, inputs: dict[str, Any]) -> bool:
    """Store a built report with the data files it read; False when it could not be stored
    (``cache.error`` says why)."""
    job = result.job
    files = _job_outputs(job, options.output, result.csv, options.keep_notebooks)
    meta = {"name": job.name, "built_at": options.built_at, "seconds": round(result.seconds, 2),
            "data": data_dependencies(result.data_reads, inputs)}
    return cache.store(key, files, meta) is not None
