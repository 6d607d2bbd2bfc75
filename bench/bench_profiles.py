"""Benchmark: N country profiles to HTML, naively vs with `python -m analysis build`.

    .venv/bin/python bench/bench_profiles.py                 # all 193 profiles (~30 min, mostly (a))
    .venv/bin/python bench/bench_profiles.py --n 10 --results /tmp/r.md   # a quick look

In one run, on this machine, sequentially:

(a) naive -- for each profile: ``papermill notebooks/country_profile.ipynb OUT.ipynb -p iso3 XXX
    -p output_data_dir DIR`` (CLI), then ``jupyter nbconvert --to html OUT.ipynb`` (CLI), one after
    the other;
(b) ``python -m analysis build --profiles <the same codes> --no-report`` (warm worker processes,
    ``--jobs`` = cores, in-process export, cache) into an empty output folder; peak resident memory
    of its whole process tree (the build and every worker) is sampled from /proc every 0.1 s;
(c) (b) again with nothing changed (no-op rebuild: everything from the cache);
(d) (b) again after changing one data file's content (a line appended to data/manual/README.md:
    every report depends on the data, so every report is rebuilt).

Both (a) and (b) read a scratch copy of data/ (``ISOLATION_DATA_DIR``), so that (d) does not touch
the repository's data. The table is printed and written to ``--results`` (default
bench/RESULTS.md) with the machine's description and the command line.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "country_profile.ipynb"


# --------------------------------------------------------------------------- memory


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    kids = _children()
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        stack.extend(kids.get(p, []))
    return total


class PeakRSS(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join()


# --------------------------------------------------------------------------- runs


def run(cmd: list[str], env: dict, log, measure_rss: bool = False) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    sampler = PeakRSS(proc.pid) if measure_rss else None
    if sampler:
        sampler.start()
    code = proc.wait()
    seconds = time.perf_counter() - t0
    if sampler:
        sampler.stop()
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(map(str, cmd))} -- see the log")
    return seconds, (sampler.peak_kb if sampler else 0)


def naive(codes: list[str], out: Path, env: dict, log) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for k, code in enumerate(codes, 1):
        nb = out / f"{code}.ipynb"
        run([str(VENV_BIN / "papermill"), str(NOTEBOOK), str(nb), "-p", "iso3", code,
             "-p", "output_data_dir", str(out / f"{code}_data"), "--cwd", str(NOTEBOOK.parent),
             "--no-progress-bar"], env, log)
        run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", str(nb)], env, log)
        if k % 10 == 0 or k == len(codes):
            print(f"  naive: {k}/{len(codes)} in {time.perf_counter() - t0:.0f} s", flush=True)
    missing = [c for c in codes if not (out / f"{c}.html").exists()]
    if missing:
        raise SystemExit(f"naive: no HTML for {missing}")
    return time.perf_counter() - t0


def build_cmd(codes: list[str], all_codes: list[str], out: Path) -> list[str]:
    spec = "all" if sorted(codes) == sorted(all_codes) else ",".join(codes)
    return [sys.executable, "-m", "analysis", "build", "--profiles", spec, "--no-report", "--output", str(out)]


def machine() -> list[str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    from importlib import metadata

    versions = []
    for name in ("pandas", "numpy", "matplotlib", "papermill", "nbclient", "nbconvert", "jupyter_client",
                 "ipykernel", "weasyprint"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return [f"- CPU: {os.cpu_count()} logical cores ({model or platform.processor() or 'unknown'})",
            f"- RAM: {mem}", f"- OS: {platform.platform()}",
            f"- Python {platform.python_version()}; {', '.join(versions)}"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=193, help="number of profiles (default 193: every UN member)")
    ap.add_argument("--output", default=None, help="scratch folder (default: a new folder under /tmp)")
    ap.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"),
                    help="Markdown file for the results (default bench/RESULTS.md); 'none' to skip")
    ap.add_argument("--skip-naive", action="store_true", help="only (b)-(d) (quick checks; no ratio)")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from analysis.datasets import members as members_mod

    all_codes = sorted(members_mod.un_members())
    if not 1 <= args.n <= len(all_codes):
        raise SystemExit(f"--n: 1..{len(all_codes)}")
    # a spread over the alphabet rather than the first N
    step = len(all_codes) / args.n
    codes = [all_codes[int(i * step)] for i in range(args.n)]
    scratch = Path(args.output) if args.output else Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    scratch.mkdir(parents=True, exist_ok=True)
    data = scratch / "data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(ROOT / "data", data)
    env = dict(os.environ, ISOLATION_DATA_DIR=str(data), PYTHONWARNINGS="ignore")
    log_path = scratch / "bench.log"
    started = datetime.now(timezone.utc)
    print(f"{len(codes)} profiles; scratch {scratch}; log {log_path}", flush=True)

    with open(log_path, "w") as log:
        t_naive = None
        if not args.skip_naive:
            print("(a) naive: papermill CLI + jupyter nbconvert --to html CLI, sequentially", flush=True)
            t_naive = naive(codes, scratch / "naive", env, log)
            print(f"  {t_naive:.1f} s", flush=True)
        out = scratch / "build"
        shutil.rmtree(out, ignore_errors=True)
        cmd = build_cmd(codes, all_codes, out)
        print(f"(b) {' '.join(cmd[1:])}", flush=True)
        log.write(f"\n### (b) {' '.join(cmd)}\n")
        log.flush()
        t_build, peak_kb = run(cmd, env, log, measure_rss=True)
        n_html = len(list((out / "profiles").glob("*.html")))
        if n_html != len(codes):
            raise SystemExit(f"(b) wrote {n_html} HTML files, expected {len(codes)}")
        print(f"  {t_build:.1f} s, peak RSS {peak_kb / 1024:.0f} MB", flush=True)
        print("(c) no-op rebuild", flush=True)
        log.write("\n### (c) no-op\n")
        log.flush()
        t_noop, _ = run(cmd, env, log)
        print(f"  {t_noop:.2f} s", flush=True)
        print("(d) rebuild after changing data/manual/README.md", flush=True)
        with open(data / "manual" / "README.md", "a", encoding="utf-8") as f:
            f.write("\n<!-- benchmark: one changed line -->\n")
        log.write("\n### (d) after a data change\n")
        log.flush()
        t_data, peak_d = run(cmd, env, log, measure_rss=True)
        print(f"  {t_data:.1f} s", flush=True)

    n = len(codes)
    rows = [("(a) naive: papermill CLI + nbconvert CLI, sequential",
             f"{t_naive:.1f}" if t_naive else "skipped", f"{t_naive / n:.2f}" if t_naive else "", "")]
    rows.append(("(b) `python -m analysis build` (warm pool, empty cache)", f"{t_build:.1f}", f"{t_build / n:.2f}",
                 f"{peak_kb / 1024:.0f}"))
    rows.append(("(c) no-op rebuild (nothing changed)", f"{t_noop:.2f}", f"{t_noop / n:.3f}", ""))
    rows.append(("(d) rebuild after one data file changed (every report depends on it)", f"{t_data:.1f}",
                 f"{t_data / n:.2f}", f"{peak_d / 1024:.0f}"))
    ratio = f"{t_naive / t_build:.1f}x" if t_naive else "n/a"
    table = ["| run | total s | per profile s | peak RSS MB (process tree) |", "|---|---:|---:|---:|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    table += ["", f"**Ratio (a)/(b): {ratio}** ({n} profiles)"]
    print("\n".join(table))
    if args.results.lower() != "none":
        command = "/work/main/.venv/bin/python bench/bench_profiles.py " + " ".join(argv if argv is not None
                                                                                  else sys.argv[1:])
        text = ["# Benchmark: country profiles to HTML", "",
                f"Run {started.strftime('%Y-%m-%d %H:%M UTC')} with:", "", "```", command.strip(), "```", "",
                "Machine:", "", *machine(), "", *table, "",
                f"(b), (c) and (d) ran `{' '.join(['python', *cmd[1:]]).replace(str(out), 'OUT')}`; "
                "(a) and (b) read the same scratch copy of data/.", ""]
        Path(args.results).write_text("\n".join(text), encoding="utf-8")
        print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
