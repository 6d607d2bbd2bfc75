"""Command line: `python -m analysis {fetch,curate,validate,build,import-undl}`.

Errors of the project's own types become one clear message on stderr and an exit status:
1 for data or build failures, 2 for bad parameters.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path

from analysis import config
from analysis.errors import AnalysisError, DataValidationError, ParameterError, SnapshotRejected

#: the sources `fetch` refreshes (analysis.datasets.fetchers.FETCHERS; listed here so that the CLI
#: starts without importing requests and pandas)
FETCH_SOURCES = ("worldbank", "undl", "sipri", "imf")


def _fetch(args) -> int:
    from urllib.parse import urlsplit

    names = list(dict.fromkeys(args.sources or FETCH_SOURCES))
    unknown = [n for n in names if n not in FETCH_SOURCES]
    if unknown:
        raise ParameterError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(FETCH_SOURCES)}")
    if args.base_url:
        parts = urlsplit(args.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ParameterError(f"--base-url {args.base_url!r}: expected an http:// or https:// URL")
    if args.timeout <= 0 or args.retries < 0 or args.backoff < 0:
        raise ParameterError("--timeout must be > 0, --retries and --backoff >= 0")
    from analysis.datasets import fetch  # imported here: requests and pandas are not needed by other commands
    if args.list:
        from analysis.datasets.fetchers import FETCHERS
        for name in names:
            f = FETCHERS[name]
            print(f"{name:10} {', '.join(f.sources):28} {f.default_base_url}  {f.description}")
        return 0
    if args.offline or fetch.offline_requested():
        print(f"offline: not fetching {', '.join(names)}; the data stay as they are")
        return 0
    policy = fetch.Policy(timeout=args.timeout, retries=args.retries, backoff=args.backoff)
    return fetch.run(names, args.base_url, policy, err=lambda msg: print(msg, file=sys.stderr))


def _curate(args) -> int:
    from analysis.datasets import curate
    t0 = time.perf_counter()
    try:
        written = curate.curate()
    except SnapshotRejected as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("curated tables written from the previous good snapshots; inspect the rejected folders, then delete "
              "them or fix the fetcher (see README, 'Refreshing the data')", file=sys.stderr)
        return 1
    for path in written.values():
        print(f"wrote {path}")
    print(f"curated {len(written)} tables in {time.perf_counter() - t0:.1f} s")
    return 0


def _validate(args) -> int:
    from analysis.datasets import validate
    t0 = time.perf_counter()
    frames = validate.validate_dir(args.dir)
    rows = sum(len(f) for f in frames.values())
    print(f"OK: {len(frames)} curated tables, {rows:,} rows, raw checksums and cross-table rules "
          f"pass ({time.perf_counter() - t0:.1f} s)")
    return 0


def _import_undl(args) -> int:
    from pathlib import Path

    from analysis.datasets import importers  # imported here: pandas and pandera are not needed by other commands
    dest = importers.import_release(Path(args.path), args.name, {"origin": args.origin}, retrieved=args.retrieved)
    print(f"took {args.path} as {dest}; now run `python -m analysis curate` and `python -m analysis validate`")
    return 0


def _build(args) -> int:
    from analysis.build import jobs, pipeline

    return pipeline.build(
        output=Path(args.output) if args.output else config.REPORTS_DIR,
        notebooks_dir=Path(args.notebooks_dir) if args.notebooks_dir else config.NOTEBOOK_DIR,
        as_of=args.as_of, profiles=args.profiles,
        formats=jobs.parse_formats(args.formats, "--format"),
        profile_formats=jobs.parse_formats(args.profile_formats, "--profile-format"),
        extra=args.parameters, jobs=args.jobs, show_code=args.show_code, timeout=args.timeout,
        pool=not args.no_pool, cache=not args.no_cache, cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        force=args.force, shard=args.shard, report=not args.no_report, base_url=args.base_url,
    )


def add_build_command(sub) -> None:
    """Register ``build`` on the CLI's subparsers."""
    p = sub.add_parser(
        "build", help="run the report notebooks (papermill) and export HTML/PDF into reports/",
        description="Run notebooks/isolation_report.ipynb and one notebooks/country_profile.ipynb per "
                    "profile with papermill, export them with nbconvert (HTML) and WeasyPrint (PDF), and "
                    "write an index. Parameters are validated before any kernel starts (exit 2); a "
                    "failing notebook keeps the previous report and makes the command exit 1.")
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="data date YYYY-MM-DD (default: today, the build date)")
    p.add_argument("--profiles", metavar="SPEC", default=None,
                   help="country profiles: comma list of ISO3 codes (CHN,IND), 'all' (every UN member) or "
                        "'none' (default: the report's focus states, CHN,PRK,BLR,IRN,SYR,VNM)")
    p.add_argument("--format", dest="formats", metavar="FORMATS", default="html,pdf",
                   help="formats of the main report: html, pdf or html,pdf (default html,pdf)")
    p.add_argument("--profile-format", dest="profile_formats", metavar="FORMATS", default="html",
                   help="formats of the country profiles (default html; html,pdf adds a PDF per profile)")
    p.add_argument("--output", "-o", metavar="DIR", default=None, help="output folder (default reports/)")
    p.add_argument("--jobs", "-j", metavar="N", type=int, default=None,
                   help=f"notebooks run at the same time, each in a warm worker process (default: "
                        f"number of CPU cores, {os.cpu_count()})")
    p.add_argument("--base-url", metavar="URL", default=None,
                   help="where the output folder will be published (e.g. https://example.org/reports/): "
                        "the PDF links its data files there; without it the PDF names them")
    p.add_argument("--show-code", action="store_true", help="keep code cells in the HTML/PDF (default: hidden)")
    p.add_argument("-p", "--parameter", dest="parameters", metavar="NAME=VALUE", action="append", default=[],
                   help="extra parameter for the main report, e.g. -p allied_no_share=0.6 (repeatable; names "
                        "must be declared in the notebook's parameters cell)")
    p.add_argument("--timeout", metavar="SECONDS", default=600,
                   help="limit per cell in seconds (default 600; 0 = none)")
    p.add_argument("--notebooks-dir", metavar="DIR", default=None,
                   help="folder holding isolation_report.ipynb and country_profile.ipynb (default notebooks/)")
    p.add_argument("--no-report", action="store_true",
                   help="build the country profiles only, not the main report")
    p.add_argument("--shard", metavar="I/N", default=None,
                   help="build only the I-th of N deterministic parts of the requested reports (1-based, "
                        "e.g. 2/4), to spread a build over CI runners; the N shards cover every report once")
    p.add_argument("--force", action="store_true",
                   help="rebuild every report, even those unchanged since the cached build")
    p.add_argument("--no-cache", action="store_true",
                   help="neither use nor update the build cache")
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="build cache folder (default <output>/_cache); a report is rebuilt only when its "
                        "notebook, parameters, data files, the analysis package or key package versions changed")
    p.add_argument("--no-pool", action="store_true",
                   help="start a fresh Jupyter kernel per report (papermill) instead of reusing warm worker processes")
    p.set_defaults(func=_build)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "fetch", help="refresh the raw data: a new dated snapshot per public source that has newer data",
        description="Ask each public source for its current data and write what is newer than the snapshot in "
                    "use as a new snapshot under data/raw/ with PROVENANCE.json; an earlier snapshot is never "
                    "overwritten, a source with nothing new writes nothing, a failing source writes nothing. "
                    "Exit status: 0 ok or nothing new, 1 a source failed, 2 bad parameters.")
    p.add_argument("sources", nargs="*", metavar="SOURCE",
                   help=f"sources to fetch: {', '.join(FETCH_SOURCES)} (default: all)")
    p.add_argument("--base-url", metavar="URL", default=None,
                   help="ask this server instead of the source's own (a mirror, or a test server), e.g. "
                        "http://127.0.0.1:8000; see --list for the defaults")
    p.add_argument("--offline", action="store_true",
                   help="do not touch the network (also ISOLATION_OFFLINE=1): report what would be fetched, change nothing")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="connect and read timeout per request (default 30)")
    p.add_argument("--retries", type=int, default=3, metavar="N",
                   help="further attempts after a timeout, connection error, truncated body or HTTP 429/5xx (default 3)")
    p.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="wait before the first retry, doubled for each further one (default 2)")
    p.add_argument("--list", action="store_true", help="list the sources, the raw folders they refresh and their URLs")
    p.set_defaults(func=_fetch)
    p = sub.add_parser("curate", help="derive data/curated/ from data/raw/ and data/manual/")
    p.set_defaults(func=_curate)
    p = sub.add_parser("validate", help="check every curated table and the raw checksums")
    p.add_argument("--dir", default=None, help="folder of curated tables (default data/curated)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("import-undl", help="take a UN Digital Library voting-data release CSV as a new raw snapshot")
    p.add_argument("path", help="the release CSV (UN Digital Library voting-data format)")
    p.add_argument("--name", required=True, help="snapshot name, e.g. 2025-12 (folder data/raw/undl-release-NAME)")
    p.add_argument("--origin", required=True, help="where the file came from (URL, release date)")
    p.add_argument("--retrieved", default=None, help="retrieval date YYYY-MM-DD (default today)")
    p.set_defaults(func=_import_undl)
    add_build_command(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"error: {_clip(exc)}", file=sys.stderr)
        return 2
    except DataValidationError as exc:
        print(f"error: {_clip(exc)}", file=sys.stderr)
        return 1
    except AnalysisError as exc:
        print(f"error: {_clip(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder...: one line, not a traceback
        where = f" on {exc.filename}" if exc.filename else ""
        reason = "no space left" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        print(f"error: {_clip(reason + where)}", file=sys.stderr)
        return 1


def _clip(exc) -> str:
    from analysis.build.options import clip_lines

    return clip_lines(str(exc))


class _Parser(argparse.ArgumentParser):
    """argparse, with over-long values cut in its error messages."""

    def error(self, message):
        from analysis.build.options import clip_lines

        super().error(clip_lines(message, 300))

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", _Parser)
        return super().add_subparsers(**kwargs)
