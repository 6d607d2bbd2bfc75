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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("curate", help="derive data/curated/ from data/raw/ and data/manual/")
    p.set_defaults(func=_curate)
    p = sub.add_parser("validate", help="check every curated table and the raw checksums")
    p.add_argument("--dir", default=None, help="folder of curated tables (default data/curated)")
    p.set_defaults(func=_validate)
    try:
        from . import importers
        importers.add_commands(sub)
    except ImportError:
        pass
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
