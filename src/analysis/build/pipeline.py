"""`python -m analysis build`: plan, serve unchanged reports from the cache, run the rest, write
the index. The pipeline of one build, in order:

1. :func:`analysis.build.jobs.plan` validates every parameter (exit 2 on a problem, nothing written);
2. :mod:`analysis.build.cache` serves the reports whose inputs did not change;
3. :func:`analysis.build.runner.run_jobs` runs the others (warm worker processes by default) and commits
   each report atomically;
4. :mod:`analysis.build.site` updates ``manifest.json`` and ``index.html``.

See ARCHITECTURE.md for the outputs and the flow of one report.
"""
from __future__ import annotations

import errno
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from analysis.build import cache as cache_mod
from analysis.build import options as build_options
from analysis.build import prepare, split
from analysis.build.datapackage import effective_parameters
from analysis.build.jobs import FORMATS, BuildOptions, JobResult, Runner, parse_shard, plan, select_shard
from analysis.build.runner import no_space, run_jobs
from analysis.build.runners import PoolRunner, papermill_runner
from analysis.build.site import write_index
from analysis.errors import BuildInterrupted, ParameterError
from analysis.files import recover
from analysis.files import relative as _rel


def _progress_line(res: JobResult, k: int, n: int) -> str:
    width = len(str(n))
    status = ("cached" if res.cached else ",".join(res.job.formats)) if res.ok else "FAILED"
    detail = f"  (run {res.run_seconds:.1f} s, export {res.export_seconds:.1f} s)" if res.ok and not res.cached else ""
    return f"[{k:>{width}}/{n}] {res.job.label:<12} {status:<8} {res.seconds:5.1f} s{detail}"


def remove_stale_formats(output: Path, results: list[JobResult]) -> list[Path]:
    """After a report is built, remove its outputs in the formats this build did not make (an
    older PDF beside a new HTML of another date). Failed reports keep everything."""
    removed = []
    for res in results:
        made = [getattr(res.job, f) for f in FORMATS if getattr(res.job, f) is not None]
        if not res.ok or not made:
            continue
        for fmt in FORMATS:
            if getattr(res.job, fmt) is None:
                stale = output / made[0].with_suffix(f".{fmt}")
                if stale.is_file():
                    stale.unlink()
                    removed.append(stale)
    return removed


def build(*, output: Path, notebooks_dir: Path, as_of: str | None = None, profiles: str | None = None,
          formats: Iterable[str] = FORMATS, profile_formats: Iterable[str] = ("html",),
          extra: Iterable[str] = (), jobs: int | None = None, show_code: bool = False,
          timeout: float | None = 600, runner: Runner | None = None, pool: bool = True,
          cache: bool = True, cache_dir: Path | None = None, force: bool = False, shard: str | None = None,
          report: bool = True, base_url: str | None = None, out=None, err=None) -> int:
    """Plan, run and index a build. Returns the exit status: 0 all built, 1 some report failed,
    130 interrupted (Ctrl-C). Raises ParameterError (before anything runs or is written) for invalid parameters.

    ``runner`` (default: a warm :class:`PoolRunner` of ``jobs`` worker processes, or :func:`papermill_runner`
    -- a fresh kernel per report -- with ``pool=False``). ``cache``: serve unchanged reports from
    ``cache_dir`` (default ``<output>/_cache``); ``force`` rebuilds them all (and refreshes the
    cache). ``shard`` ``"i/n"``: build only the i-th of n deterministic parts of the reports.
    ``report=False``: profiles only."""
    out = out or sys.stdout
    err = err or sys.stderr
    t0 = time.perf_counter()
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise ParameterError(f"--jobs {jobs}: expected 1 or more")
    timeout = build_options.check_timeout(timeout)
    output = build_options.check_folder(output, "--output")
    if cache and cache_dir is not None:
        cache_dir = build_options.check_folder(cache_dir, "--cache-dir")
    the_shard = parse_shard(shard)
    the_plan = plan(notebooks_dir=notebooks_dir, as_of=as_of, profiles=profiles, formats=formats,
                    profile_formats=profile_formats, extra=extra)
    selected = [j for j in the_plan.jobs if report or j.kind != "report"]
    selected = select_shard(selected, the_shard)
    if runner is None:  # real workers or kernels: as many as the cores and the memory hold
        workers, note = build_options.cap_workers(jobs, 2 * len(selected))  # a report may run in two halves
        if note:
            print(f"note: {note}", file=err, flush=True)

    output.mkdir(parents=True, exist_ok=True)
    recover(output)
    built_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = BuildOptions(output=output, notebooks_dir=Path(notebooks_dir).resolve(), show_code=show_code,
                           timeout=timeout or None, built_at=built_at, base_url=base_url or None)
    n = len(selected)
    where = f", shard {the_shard[0]}/{the_shard[1]}" if the_shard else ""
    print(f"building {n} report(s) into {_rel(output)} (as of {the_plan.as_of}, {min(workers, n) or 1} at a time"
          f"{where})", file=out, flush=True)
    done = [0]
    disk_full: list[JobResult] = []  # the first report that found the disk full

    def on_done(res: JobResult, k: int, total: int) -> None:
        done[0] += 1
        print(_progress_line(res, done[0], n), file=out, flush=True)
        if res.ok:
            return
        if no_space(res.error) and not disk_full:
            # a full disk: said once; the jobs not started are cancelled (they would fail the same way)
            disk_full.append(res)
            options.cancel.set()
            print(f"error: {getattr(res.error, 'evalue', res.error)} ({res.job.name} was not written; "
                  "its previous version is kept)", file=err, flush=True)
        elif not (disk_full and options.cancel.is_set()):
            print(f"error: {res.error}", file=err, flush=True)

    # ---- cache: serve what has not changed
    the_cache, keys, inputs = None, {}, {}
    cached: list[JobResult] = []
    to_run = list(selected)
    if cache:
        the_cache = cache_mod.Cache(Path(cache_dir).resolve() if cache_dir else output / "_cache")
        the_cache.clean_temporary()
        inputs = cache_mod.inputs_digest()
        common = inputs["digest"]
        nb_digests: dict[Path, str] = {}
        for job in selected:
            if job.notebook not in nb_digests:
                nb_digests[job.notebook] = cache_mod.file_digest(job.notebook)
            keys[job.name] = cache_mod.job_key(common, nb_digests[job.notebook], cache_mod.job_spec(job, options))
        if not force:
            to_run = []
            for job in selected:
                entry = the_cache.lookup(keys[job.name])
                if entry is not None and not cache_mod.data_unchanged(entry, inputs):
                    entry = None  # a data file it read changed: rebuild (the new entry replaces it)
                res = cache_mod.serve_from_cache(the_cache, entry, job, options) if entry is not None else None
                if res is None:
                    to_run.append(job)
                else:
                    cached.append(res)
                    on_done(res, 0, n)

    # ---- run the rest
    options.one_report = len(to_run) == 1
    own_runner = None
    if runner is None and pool:
        # fewer reports than workers: each report's sections run in two halves (analysis.build.split)
        halves = 2 if to_run and workers >= 2 * len(to_run) and any(split.splittable(j.notebook) for j in to_run) else 1
        firsts: dict = {}  # the first report of each notebook that names a prepare function
        for j in to_run:
            if j.notebook not in firsts and prepare.hook(j.notebook):
                firsts[j.notebook] = j
        runner = own_runner = PoolRunner(min(workers, halves * len(to_run) or 1), {j.notebook for j in to_run},
                                         options, pdf=any(j.pdf is not None for j in to_run), split=halves > 1,
                                         prepare=[(prepare.hook(nb), effective_parameters(nb, j.parameters))
                                                  for nb, j in firsts.items()])
    elif runner is None:
        runner = papermill_runner

    not_cached: list[str] = []

    def on_built(res: JobResult, k: int, total: int) -> None:
        if res.ok and the_cache is not None and not cache_mod.store_in_cache(the_cache, keys[res.job.name], res,
                                                                             options, inputs):
            not_cached.append(res.job.name)
            if len(not_cached) == 1:  # once per build: the report was built, only the cache lacks it
                exc = the_cache.error
                why = "no space left" if getattr(exc, "errno", None) == errno.ENOSPC else \
                    (getattr(exc, "strerror", None) or str(exc))
                print(f"warning: could not store {res.job.name} in the build cache ({why} on "
                      f"{_rel(the_cache.root)}); the report was built and will be rebuilt next time",
                      file=err, flush=True)
        on_done(res, k, total)

    results: list[JobResult] = list(cached)
    try:
        if to_run:
            # two reports in flight per warm worker: while this process exports and commits one, the
            # worker already runs the next (it would otherwise wait ~10 % of a country profile's time)
            in_flight = 2 * own_runner.size if own_runner is not None else workers
            results += run_jobs(to_run, options, workers=workers, on_done=on_built, runner=runner,
                                in_flight=in_flight)
    except BuildInterrupted as exc:
        if own_runner is not None:
            own_runner.stop()
        done_results = cached + exc.results
        if done_results:
            write_index(output, done_results, built_at, the_plan.as_of, the_plan.members)
        print(f"interrupted after {time.perf_counter() - t0:.1f} s: {len(done_results)} report(s) were built; "
              "the others were not written and their previous versions are untouched", file=err, flush=True)
        return 130
    finally:
        if own_runner is not None:
            own_runner.close()
    order = {j.name: i for i, j in enumerate(selected)}
    results.sort(key=lambda r: order[r.job.name])
    for path in remove_stale_formats(output, results):
        print(f"removed {_rel(path)}: not a format of this build", file=out, flush=True)
    try:
        index = write_index(output, results, built_at, the_plan.as_of, the_plan.members)
    except OSError as exc:
        if disk_full and no_space(exc):  # already said; index and manifest stay as they were, together
            return 1
        raise
    failed = [r for r in results if not r.ok]
    total = time.perf_counter() - t0
    n_cached = sum(r.cached for r in results)
    cached_note = f" ({n_cached} unchanged, from the cache)" if n_cached else ""
    print(f"built {n - len(failed)} of {n} report(s){cached_note}, {len(failed)} failed, in {total:.1f} s; "
          f"index: {_rel(index)}", file=out, flush=True)
    if failed and disk_full:  # said in one line already
        return 1
    if failed:
        print(f"error: {len(failed)} report(s) failed (previous versions, if any, were kept):", file=err)
        for r in failed:
            print(f"  - {r.error}", file=err)
        err.flush()
        return 1
    return 0
