"""Benchmark: the build at every size, each row against its naive baseline, in one run.

    .venv/bin/python bench/bench_profiles.py                       # every row, 193 profiles (~45 min)
    .venv/bin/python bench/bench_profiles.py --large 24 --results /tmp/r.md   # a quicker look

Rows (each on a scratch copy of data/, ``ISOLATION_DATA_DIR``; "cold" = an empty memo store,
``ISOLATION_MEMO_DIR``, and an empty output folder; "warm" = the memo store a previous build on the
same data left, as in a project that builds every day):

1. one profile from a fresh process -- naive: ``papermill`` CLI then ``jupyter nbconvert --to html``
   CLI; build: ``python -m analysis build --profiles X --no-report --force``, cold and warm; the
   median of three runs of each (as in row 4), all runs listed;
2. 12 profiles -- naive: the same two CLIs per profile, one after the other; build: cold;
3. ``--large`` profiles (default all 193) -- the same, with the build's peak RSS (process tree);
4. the main report, HTML + PDF, forced -- naive: ``papermill`` CLI, ``jupyter nbconvert --to html``
   and ``jupyter nbconvert --to weasypdf`` (the project's PDF exporter); build: ``--profiles none
   --force``, cold and warm, median of three runs each;
5. no-op rebuild of the default build (report + default profiles), nothing changed;
6. one-table change: a line added to ``data/manual/README.md`` (read by no report: nothing is
   rebuilt), then one curated table changed (``leader_visits.csv``: every report reads it).

The table is printed and written to ``--results`` (default bench/RESULTS.md) with the machine, the
commit and the command line.
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
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PROFILE_NB = ROOT / "notebooks" / "country_profile.ipynb"
REPORT_NB = ROOT / "notebooks" / "isolation_report.ipynb"
TWELVE = ["CHN", "PRK", "BLR", "IRN", "SYR", "VNM", "IND", "BRA", "ZAF", "TUR", "SAU", "EGY"]


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


class Bench:
    def __init__(self, scratch: Path, log):
        self.scratch, self.log = scratch, log
        self.data = scratch / "data"
        self.n_memo = 0

    def env(self, memo: Path | None = None) -> dict:
        return dict(os.environ, ISOLATION_DATA_DIR=str(self.data), PYTHONWARNINGS="ignore",
                    ISOLATION_MEMO_DIR=str(memo or self.new_memo()))

    def new_memo(self) -> Path:
        self.n_memo += 1
        return self.scratch / f"memo-{self.n_memo}"

    def run(self, cmd: list, env: dict, measure_rss: bool = False) -> tuple[float, int]:
        self.log.write(f"\n### {' '.join(map(str, cmd))}\n")
        self.log.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        sampler = PeakRSS(proc.pid) if measure_rss else None
        if sampler:
            sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - t0
        if sampler:
            sampler.stop()
        if code != 0:
            raise SystemExit(f"failed ({code}): {' '.join(map(str, cmd))} -- see {self.log.name}")
        return seconds, (sampler.peak_kb if sampler else 0)

    def naive_profiles(self, codes: list[str], out: Path) -> float:
        out.mkdir(parents=True, exist_ok=True)
        env = self.env()
        t0 = time.perf_counter()
        for k, code in enumerate(codes, 1):
            nb = out / f"{code}.ipynb"
            self.run([VENV_BIN / "papermill", PROFILE_NB, nb, "-p", "iso3", code, "-p", "output_data_dir",
                      out / f"{code}_data", "--cwd", PROFILE_NB.parent, "--no-progress-bar"], env)
            self.run([VENV_BIN / "jupyter", "nbconvert", "--to", "html", nb], env)
            if k % 20 == 0:
                print(f"    naive {k}/{len(codes)} in {time.perf_counter() - t0:.0f} s", flush=True)
        missing = [c for c in codes if not (out / f"{c}.html").exists()]
        if missing:
            raise SystemExit(f"naive: no HTML for {missing}")
        return time.perf_counter() - t0

    def naive_report(self, out: Path) -> float:
        out.mkdir(parents=True, exist_ok=True)
        env = self.env()
        nb = out / "isolation_report.ipynb"
        t0 = time.perf_counter()
        self.run([VENV_BIN / "papermill", REPORT_NB, nb, "-p", "output_data_dir", out / "isolation_report_data",
                  "--cwd", REPORT_NB.parent, "--no-progress-bar"], env)
        self.run([VENV_BIN / "jupyter", "nbconvert", "--to", "html", nb], env)
        self.run([VENV_BIN / "jupyter", "nbconvert", "--to", "weasypdf", nb], env)
        if not (out / "isolation_report.pdf").exists():
            raise SystemExit("naive: no PDF")
        return time.perf_counter() - t0

    def build(self, args: list[str], out: Path, memo: Path | None = None, measure_rss: bool = False):
        return self.run([sys.executable, "-m", "analysis", "build", "--output", out, *args], self.env(memo),
                        measure_rss=measure_rss)


#: Runs of each small row (one profile, the main report); the median is reported.
REPEAT = 3


def _runs(seconds: list[float]) -> str:
    return "runs " + ", ".join(f"{x:.2f}" for x in seconds) + " s"


def _ratio(naive: float | None, ours: float) -> str:
    return f"{naive / ours:.1f}x" if naive else "n/a"


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


def cpu_probe() -> float:
    """Seconds for a fixed pure-Python loop (20 million additions) in a fresh interpreter: this VM's
    speed varies by up to 1.6x over a day, so the results record it at the start and end of the run."""
    cmd = [sys.executable, "-c", "import time\nt = time.perf_counter()\ns = 0\nfor i in range(20_000_000):\n"
           "    s += i\nprint(time.perf_counter() - t)"]
    return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", type=int, default=193, help="profiles of the large row (default 193: every UN member)")
    ap.add_argument("--output", default=None, help="scratch folder (default: a new folder under /tmp)")
    ap.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"),
                    help="Markdown file for the results (default bench/RESULTS.md); 'none' to skip")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from analysis.datasets import members as members_mod

    all_codes = sorted(members_mod.un_members())
    if not 1 <= args.large <= len(all_codes):
        raise SystemExit(f"--large: 1..{len(all_codes)}")
    step = len(all_codes) / args.large  # a spread over the alphabet rather than the first N
    large = [all_codes[int(i * step)] for i in range(args.large)]
    large_spec = "all" if len(large) == len(all_codes) else ",".join(large)
    scratch = Path(args.output) if args.output else Path(tempfile.mkdtemp(prefix="bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    probe_start = cpu_probe()
    with open(scratch / "bench.log", "w") as log:
        b = Bench(scratch, log)
        if b.data.exists():
            shutil.rmtree(b.data)
        shutil.copytree(ROOT / "data", b.data)
        print(f"scratch {scratch}; log {log.name}", flush=True)
        rows = []

        def row(work, naive, ours, how, rss=""):
            rows.append((work, f"{naive:.1f}" if naive else "—", f"{ours:.2f}" if ours < 10 else f"{ours:.1f}",
                         _ratio(naive, ours), rss, how))
            print(f"  {work}: naive {naive or 0:.1f} s, build {ours:.2f} s ({_ratio(naive, ours)}) {rss}", flush=True)

        print("1. one profile, fresh process", flush=True)
        # Small rows are run REPEAT times and their median is reported (all runs in the "how"
        # column): one run of a few seconds on a shared VM is too noisy to compare with a target.
        n1s = [b.naive_profiles(["CHN"], scratch / f"naive-1-{k}") for k in range(REPEAT)]
        colds, warms = [], []
        for k in range(REPEAT):
            memo = b.new_memo()
            colds.append(b.build(["--profiles", "CHN", "--no-report", "--force"], scratch / f"one-{k}", memo)[0])
            warms.append(b.build(["--profiles", "CHN", "--no-report", "--force"], scratch / f"one-{k}", memo)[0])
        n1 = median(n1s)
        row("1 profile, fresh process, cold memo", n1, median(colds),
            f"`--profiles CHN --no-report --force`, empty memo store; {_runs(colds)} (naive {_runs(n1s)})")
        row("1 profile, fresh process, warm memo", n1, median(warms),
            f"the same again on the memo store of the run before; {_runs(warms)}")

        print("2. 12 profiles", flush=True)
        n12 = b.naive_profiles(TWELVE, scratch / "naive-12")
        t12, rss12 = b.build(["--profiles", ",".join(TWELVE), "--no-report"], scratch / "twelve", measure_rss=True)
        row("12 profiles, cold", n12, t12, "`--profiles CHN,…(12) --no-report`, empty output", f"{rss12 / 1024:.0f}")

        print(f"3. {len(large)} profiles", flush=True)
        nl = b.naive_profiles(large, scratch / "naive-large")
        tl, rssl = b.build(["--profiles", large_spec, "--no-report"], scratch / "large", measure_rss=True)
        row(f"{len(large)} profiles, cold", nl, tl, f"`--profiles {'all' if large_spec == 'all' else '…'} --no-report`",
            f"{rssl / 1024:.0f}")

        print("4. main report, HTML + PDF", flush=True)
        nrs = [b.naive_report(scratch / f"naive-report-{k}") for k in range(REPEAT)]
        rcs, rws, rssr = [], [], 0
        for k in range(REPEAT):
            memo = b.new_memo()
            rc, rss = b.build(["--profiles", "none", "--force"], scratch / f"report-{k}", memo, measure_rss=True)
            rcs.append(rc)
            rssr = max(rssr, rss)
            rws.append(b.build(["--profiles", "none", "--force"], scratch / f"report-{k}", memo)[0])
        nr = median(nrs)
        row("main report HTML+PDF, forced, cold memo", nr, median(rcs),
            f"`--profiles none --force`, empty memo store; {_runs(rcs)} (naive {_runs(nrs)})", f"{rssr / 1024:.0f}")
        row("main report HTML+PDF, forced, warm memo", nr, median(rws),
            f"the same again on the memo store of the run before; {_runs(rws)}")

        print("5. no-op rebuild", flush=True)
        memo = b.new_memo()
        full, _ = b.build([], scratch / "default", memo)
        noop, _ = b.build([], scratch / "default", memo)
        row("default build (report + profiles), cold", None, full, "no options")
        row("no-op rebuild of the default build", None, noop, "the same again, nothing changed")

        print("6. one-table change", flush=True)
        with open(b.data / "manual" / "README.md", "a", encoding="utf-8") as f:
            f.write("\n<!-- benchmark: one changed line -->\n")
        readme, _ = b.build([], scratch / "default", memo)
        row("after editing data/manual/README.md (read by no report)", None, readme, "nothing rebuilt")
        with open(b.data / "curated" / "leader_visits.csv", "a", encoding="utf-8") as f:
            f.write("\n")
        table, _ = b.build([], scratch / "default", memo)
        row("after changing data/curated/leader_visits.csv (read by every report)", None, table,
            "every report rebuilt")

    probe_end = cpu_probe()
    table_md = ["| work | naive s | `analysis build` s | ratio | peak RSS MB | how |", "|---|---:|---:|---:|---:|---|"]
    table_md += [f"| {a} | {b_} | {c} | {d} | {e} | {f} |" for a, b_, c, d, e, f in rows]
    print("\n".join(table_md))
    if args.results.lower() != "none":
        command = "python bench/bench_profiles.py " + " ".join(argv if argv is not None else sys.argv[1:])
        text = ["# Benchmark: the build at every size", "",
                f"Run {started.strftime('%Y-%m-%d %H:%M UTC')} at commit `{commit}`"
                f"{' (with uncommitted changes)' if dirty else ''} with:", "", "```", command.strip(), "```", "",
                "Machine:", "", *machine(),
                f"- CPU speed probe (a fixed pure-Python loop, lower is faster): {probe_start:.2f} s at the start, "
                f"{probe_end:.2f} s at the end", "", *table_md, "",
                "Naive = the papermill CLI and the `jupyter nbconvert` CLI, one report after the other (a fresh "
                "kernel and a fresh Python per step). Cold = empty memo store and empty output folder; warm = the "
                "memo store of a previous build on the same data. Peak RSS is the build's whole process tree, "
                "sampled every 0.1 s.", ""]
        Path(args.results).write_text("\n".join(text), encoding="utf-8")
        print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
