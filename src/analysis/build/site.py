"""The site around the reports: ``manifest.json`` (what is in the output folder, kept across
builds) and ``index.html`` rendered from it."""
from __future__ import annotations

import json
from pathlib import Path

from analysis.build.jobs import FAILED_DIR, INDEX, MANIFEST, REPORT_TITLE, JobResult
from analysis.config import TEMPLATES_DIR
from analysis.files import atomic_write


def human_time(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else ""


def _load_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("reports"), dict) else {"reports": {}}
    except (OSError, ValueError):
        return {"reports": {}}


def update_manifest(output: Path, results: list[JobResult], built_at: str, as_of: str | None) -> dict:
    """Merge this build's results into ``manifest.json``: a built report replaces its entry; a
    failed one keeps its previous entry (its files are still there) and gains ``last_failure``.
    Entries whose files are gone are dropped."""
    path = output / MANIFEST
    manifest = _load_manifest(path)
    reports = manifest["reports"]
    for r in results:
        job = r.job
        if r.ok:
            files = {}
            for kind in ("html", "pdf", "data_dir"):
                p = getattr(job, kind)
                if p is not None:
                    files["data" if kind == "data_dir" else kind] = p.as_posix()
            # a cached report: when and how fast it was really built
            seconds = r.build_seconds if r.cached and r.build_seconds is not None else r.seconds
            reports[job.name] = {
                "kind": job.kind, "title": job.title, "iso3": job.iso3, "as_of": job.as_of,
                "built_at": r.built_at or built_at, "seconds": round(seconds, 2), "files": files, "csv": r.csv,
                "notebook": job.notebook.name, "last_failure": None, "cached": r.cached,
            }
        else:
            entry = reports.get(job.name) or {"kind": job.kind, "title": job.title, "iso3": job.iso3,
                                              "as_of": None, "built_at": None, "files": {}, "csv": [],
                                              "notebook": job.notebook.name}
            kept = output / FAILED_DIR / f"{job.name}.ipynb"
            entry["last_failure"] = {"at": built_at, "message": getattr(r.error, "summary", str(r.error)),
                                     "notebook": kept.relative_to(output).as_posix() if kept.exists() else None}
            reports[job.name] = entry
    for name, entry in list(reports.items()):
        files = {k: v for k, v in entry.get("files", {}).items() if (output / v).exists()}
        entry["files"] = files
        if not files and not entry.get("last_failure"):
            del reports[name]
    manifest.update({"built_at": built_at, "as_of": as_of, "reports": dict(sorted(reports.items()))})
    atomic_write(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def render_index(manifest: dict, results: list[JobResult], members: dict[str, str]) -> str:
    """The HTML of ``index.html`` (template ``templates/site/index.html.j2``)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "site")),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    entries = manifest["reports"]
    this_build = {r.job.name for r in results}
    reports = [dict(e, name=n) for n, e in entries.items() if e.get("kind") == "report"]
    profiles = sorted((dict(e, name=n, country=members.get(e.get("iso3") or "", e.get("iso3")))
                       for n, e in entries.items() if e.get("kind") == "profile"),
                      key=lambda e: e["country"] or "")
    failed = [dict(entries[r.job.name], name=r.job.name) for r in results if not r.ok]
    return env.get_template("index.html.j2").render(
        title=REPORT_TITLE, built_at=human_time(manifest.get("built_at", "")), as_of=manifest.get("as_of"),
        reports=reports, profiles=profiles, failed=failed, this_build=this_build,
        n_built=sum(r.ok for r in results), n_jobs=len(results))


def write_index(output: Path, results: list[JobResult], built_at: str, as_of: str | None,
                members: dict[str, str]) -> Path:
    """Update ``manifest.json`` and (atomically) ``index.html``."""
    manifest = update_manifest(output, results, built_at, as_of)
    path = output / INDEX
    atomic_write(path, render_index(manifest, results, members))
    return path
