"""The site around the reports: ``manifest.json`` (what is in the output folder, kept across
builds, with each report's parameters) and ``index.html``, the landing page rendered from it: the
thesis and key findings, three key numbers, thumbnails of the main figures, links to the HTML,
PDF, profiles and data, the as-of line and the build's parameters. Every link is relative, so the
output folder is a self-contained static site wherever it is copied."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from analysis.build.datapackage import effective_parameters
from analysis.build.jobs import FAILED_DIR, INDEX, MANIFEST, REPORT_TITLE, JobResult
from analysis.config import TEMPLATES_DIR
from analysis.files import publish


def human_time(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else ""


def _load_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("reports"), dict) else {"reports": {}}
    except (OSError, ValueError):
        return {"reports": {}}


def merge_manifest(output: Path, results: list[JobResult], built_at: str, as_of: str | None) -> dict:
    """``manifest.json`` with this build's results merged in (not written): a built report replaces
    its entry; a failed one keeps its previous entry (its files are still there) and gains
    ``last_failure``. Entries whose files are gone are dropped."""
    manifest = _load_manifest(output / MANIFEST)
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
                "parameters": effective_parameters(job.notebook, job.parameters),
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
    return manifest


def _manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


#: The figures shown as thumbnails on the landing page, in this order (those that exist).
MAIN_FIGURES = ("ukraine-vote-tallies", "stance-by-state", "agreement-with-russia", "visits-since-warrant-map",
                "stance-population-gdp", "trade-top-partners")


def _read_csv(path: Path) -> list[dict]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


def _number(row: dict) -> str:
    """A key number for people: "52 of 193", "37%", "1,234"."""
    value, unit, denom = (row.get("value") or "").strip(), (row.get("unit") or "").strip(), \
        (row.get("denominator") or "").strip()
    try:
        num = float(value)
    except ValueError:
        num = None
    if num is None:
        text = value
    elif unit == "share":
        text = f"{num:.0%}"
    elif unit in ("%", "percent"):
        text = f"{num:.0f}%"
    else:
        text = f"{num:,.0f}" if num == int(num) else f"{num:,.1f}"
    if denom and unit not in ("%", "percent", "share"):
        try:
            denom = f"{float(denom):,.0f}"
        except ValueError:
            pass
        text = f"{text} of {denom}"
    return text


def landing(output: Path, entry: dict | None) -> dict:
    """What the landing page says about the main report: thesis, findings, key numbers and
    thumbnails, from the files in its data folder (``thesis.csv``, ``key-numbers.csv``,
    ``<figure>.svg``); each part empty when its file is absent."""
    if not entry or not entry.get("files", {}).get("data"):
        return {"thesis": None, "findings": [], "numbers": [], "figures": []}
    folder = entry["files"]["data"]
    data = output / folder
    rows = sorted(_read_csv(data / "thesis.csv"), key=lambda r: float(r.get("order") or 0))
    html = entry["files"].get("html", "")
    thesis = next((r for r in rows if r.get("kind") == "thesis"), None)
    findings = [dict(r, href=f"{html}#{r['anchor']}" if r.get("anchor") and html else html)
                for r in rows if r.get("kind") == "finding"]
    numbers = [{"label": r.get("label") or r.get("name", ""), "text": _number(r)}
               for r in _read_csv(data / "key-numbers.csv")[:3]]
    figures = [f"{folder}/{slug}.svg" for slug in MAIN_FIGURES if (data / f"{slug}.svg").is_file()][:4]
    return {"thesis": thesis and thesis.get("text"), "findings": findings, "numbers": numbers, "figures": figures}


def render_index(manifest: dict, results: list[JobResult], members: dict[str, str],
                 output: Path | None = None) -> str:
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
    main = next((e for e in reports if e["name"] == "isolation_report"), reports[0] if reports else None)
    page = landing(output, main) if output is not None else landing(Path("."), None)
    params = {k: v for k, v in ((main or {}).get("parameters") or {}).items() if k != "output_data_dir"}
    return env.get_template("index.html.j2").render(
        title=REPORT_TITLE, built_at=human_time(manifest.get("built_at", "")), as_of=manifest.get("as_of"),
        reports=reports, profiles=profiles, failed=failed, this_build=this_build, main=main, page=page,
        parameters=params, n_built=sum(r.ok for r in results), n_jobs=len(results))


def write_index(output: Path, results: list[JobResult], built_at: str, as_of: str | None,
                members: dict[str, str]) -> Path:
    """Update ``manifest.json`` and ``index.html`` together: both are rendered, both written to
    temporary files, and only then both renamed into place (:func:`analysis.files.publish`). If
    either cannot be written (a full disk), neither changes: the manifest never describes a state
    the index does not show. The reports committed by this build are in place either way; the
    next build writes both."""
    manifest = merge_manifest(output, results, built_at, as_of)
    path = output / INDEX
    publish({output / MANIFEST: _manifest_text(manifest), path: render_index(manifest, results, members, output)})
    return path
