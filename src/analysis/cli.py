"""Command line: `python -m analysis {curate,validate,build,import-undl}`.

Errors of the project's own types become one clear message on stderr and an exit status:
1 for data or build failures, 2 for bad parameters.
"""
from __future__ import annotations

import argparse
import sys
import time

from .errors import AnalysisError, DataValidationError, ParameterError


def _curate(args) -> int:
    from . import curate
    t0 = time.perf_counter()
    written = curate.curate()
    for name, path in written.items():
        print(f"wrote {path}")
    print(f"curated {len(written)} tables in {time.perf_counter() - t0:.1f} s")
    return 0


def _validate(args) -> int:
    from . import validate
    t0 = time.perf_counter()
    frames = validate.validate_dir(args.dir)
    rows = sum(len(f) for f in frames.values())
    print(f"OK: {len(frames)} curated tables, {rows:,} rows, raw checksums and cross-table rules "
          f"pass ({time.perf_counter() - t0:.1f} s)")
    return 0


def _import_undl(args) -> int:
    from pathlib import Path

    from . import importers  # imported here: pandas and pandera are not needed by other commands
    dest = importers.import_release(Path(args.path), args.name, {"origin": args.origin}, retrieved=args.retrieved)
    print(f"took {args.path} as {dest}; now run `python -m analysis curate` and `python -m analysis validate`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
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
    try:
        from . import build
        build.add_command(sub)
    except ImportError:
        pass
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DataValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
