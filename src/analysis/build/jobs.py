"""The build's unit of work and its plan: :class:`ReportJob` (one notebook run and the files it
produces), the options shared by a build's jobs, and :func:`plan`, which validates every parameter
and returns the jobs before any kernel starts or anything is written. Also ``--format`` and
``--shard`` parsing."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from analysis import config
from analysis.build import params
from analysis.datasets import members as members_mod
from analysis.errors import NotebookExecutionError, ParameterError

REPORT_NOTEBOOK = "isolation_report.ipynb"


PROFILE_NOTEBOOK = "country_profile.ipynb"


REPORT_NAME = "isolation_report"


REPORT_TITLE = "Russia's international isolation"




FORMATS = ("html", "pdf")


DATA_PARAMETER = "output_data_dir"


PROFILE_PARAMETER = "iso3"


FAILED_DIR = "_failed"


NOTEBOOKS_DIR = "_notebooks"


MANIFEST = "manifest.json"


INDEX = "index.html"


@dataclass(frozen=True)
class ReportJob:
    """One notebook run and the files it produces. Output paths are relative to the output folder;
    ``None`` means that output is not wanted (or, for ``data_dir``, that the notebook has no
    ``output_data_dir`` parameter)."""

    name: str  # unique; file stem under _failed/ and _notebooks/: "isolation_report", "profile_CHN"
    kind: str  # "report" or "profile"
    label: str  # for progress lines: "report", "profile CHN"
    title: str
    notebook: Path  # absolute path of the source notebook
    parameters: dict[str, Any] = field(default_factory=dict)  # validated; output_data_dir is added at run time
    html: Path | None = None
    pdf: Path | None = None
    data_dir: Path | None = None
    iso3: str | None = None
    as_of: str | None = None

    @property
    def formats(self) -> list[str]:
        return [f for f in FORMATS if getattr(self, f) is not None]


@dataclass
class BuildOptions:
    """How jobs run (shared by every job of a build)."""

    output: Path
    notebooks_dir: Path
    show_code: bool = False
    timeout: float | None = 600  # per cell, seconds; None = no limit
    start_timeout: float = 60  # kernel start-up, seconds
    kernel_name: str = "python3"
    keep_notebooks: bool = True  # executed notebooks of good builds in _notebooks/
    built_at: str = ""  # UTC, e.g. "2026-11-29T16:40:00Z"
    cancel: threading.Event = field(default_factory=threading.Event)  # set: stop, commit nothing more
    staging: Path | None = None  # set by run_jobs
    kernels: set = field(default_factory=set)  # kernel managers running now (to interrupt on Ctrl-C)
    base_url: str | None = None  # where the output folder is published (the PDF links its data there)
    author: str = "Isolation report project"  # PDF/HTML metadata
    #: the build runs one report: the garbage of its PDF render is not collected right after it
    #: (export.html_to_pdf ``collect``), as the build ends soon after (~0.3 s less)
    one_report: bool = False


@dataclass
class JobResult:
    """What happened to one job."""

    job: ReportJob
    ok: bool
    seconds: float
    run_seconds: float = 0.0
    export_seconds: float = 0.0
    written: list[str] = field(default_factory=list)  # paths relative to the output folder
    csv: list[str] = field(default_factory=list)  # CSV files in the data folder (relative to it)
    error: NotebookExecutionError | None = None
    cached: bool = False  # served from the build cache (not run)
    built_at: str | None = None  # when a cached report was built (None: in this build)
    build_seconds: float | None = None  # how long that build took
    #: The data files the run read (absolute paths; analysis.datasets.reads), or None when the
    #: runner cannot tell (then the report depends on every data file).
    data_reads: set | None = None


@dataclass
class BuildPlan:
    """The validated build: its jobs and what the index needs to say about it."""

    jobs: list[ReportJob]
    as_of: str | None
    profiles: list[str]
    members: dict[str, str]


Runner = Callable[[ReportJob, dict, Path, BuildOptions], Any]


def parse_formats(text: str, option: str = "--format") -> list[str]:
    """'html,pdf' -> ['html', 'pdf'] (validated)."""
    items = [t.strip().lower() for t in re.split(r"[,\s]+", text or "") if t.strip()]
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        raise ParameterError(f"{option} {text!r}: expected a comma list of {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in items]


def plan(*, notebooks_dir: Path, as_of: str | None = None, profiles: str | None = None,
         formats: Iterable[str] = FORMATS, profile_formats: Iterable[str] = ("html",),
         extra: Iterable[str] = ()) -> BuildPlan:
    """Validate every parameter and return the jobs. Starts no kernel, writes nothing.

    ``extra`` are the ``-p NAME=VALUE`` strings for the main report. ``profiles`` is the
    ``--profiles`` spec (None = the report's ``focus`` states). Raises ParameterError."""
    notebooks_dir = Path(notebooks_dir).resolve()
    if not notebooks_dir.is_dir():
        raise ParameterError(f"--notebooks-dir {notebooks_dir}: no such folder")
    report_nb = notebooks_dir / REPORT_NOTEBOOK
    declared = params.notebook_parameters(report_nb)
    members = members_mod.un_members()

    values: dict[str, Any] = {}
    for text in extra:
        name, value = params.parse_assignment(text)
        if name in values:
            raise ParameterError(f"-p {name} given twice")
        values[name] = value
    if as_of is not None:
        if "as_of" in values:
            raise ParameterError("give the date once: --as-of or -p as_of, not both")
        if "as_of" not in declared:
            raise ParameterError(f"--as-of: {report_nb.name} declares no as_of parameter")
        values["as_of"] = as_of
    elif "as_of" in declared and "as_of" not in values:
        values["as_of"] = None  # -> the latest data date, written out explicitly
    report_values = params.validate(report_nb, values, declared=declared, members=members)
    date = report_values.get("as_of")
    if date is None and as_of is None:
        date = params.validate_as_of(None)

    focus = report_values.get("focus")
    if focus is None:
        d = declared.get("focus")
        focus = list(d.default) if d is not None and isinstance(d.default, (list, tuple)) else list(config.FOCUS)
    default = default_profiles(focus, date, members) if profiles is None else focus
    codes = params.parse_profiles(profiles, default=default, members=members)

    formats, profile_formats = list(formats), list(profile_formats)
    jobs = [ReportJob(
        name=REPORT_NAME, kind="report", label="report", title=REPORT_TITLE, notebook=report_nb,
        parameters=report_values,
        html=Path(f"{REPORT_NAME}.html") if "html" in formats else None,
        pdf=Path(f"{REPORT_NAME}.pdf") if "pdf" in formats else None,
        data_dir=Path(f"{REPORT_NAME}_data") if DATA_PARAMETER in declared else None,
        as_of=date,
    )]
    if codes:
        profile_nb = notebooks_dir / PROFILE_NOTEBOOK
        p_declared = params.notebook_parameters(profile_nb)
        if PROFILE_PARAMETER not in p_declared:
            raise ParameterError(f"{profile_nb.name} declares no {PROFILE_PARAMETER} parameter; "
                                 f"it declares: {', '.join(p_declared)}")
        for code in codes:
            values = {PROFILE_PARAMETER: code}
            if "as_of" in p_declared:
                values["as_of"] = date
            values = params.validate(profile_nb, values, declared=p_declared, members=members)
            jobs.append(ReportJob(
                name=f"profile_{code}", kind="profile", label=f"profile {code}",
                title=f"Country profile: {members[code]} ({code})", notebook=profile_nb, parameters=values,
                html=Path("profiles", f"{code}.html") if "html" in profile_formats else None,
                pdf=Path("profiles", f"{code}.pdf") if "pdf" in profile_formats else None,
                data_dir=Path("profiles", f"{code}_data") if DATA_PARAMETER in p_declared else None,
                iso3=code, as_of=date,
            ))
    return BuildPlan(jobs=jobs, as_of=date, profiles=codes, members=members)


def default_profiles(focus: list[str], as_of: str | None, members: dict[str, str]) -> list[str]:
    """The profiles built by default: the report's focus states, then every state the report names
    on Russia's side (``analysis.metrics.allies.named``, when that exists), in alphabetical order."""
    try:
        from analysis.metrics import allies

        named = allies.named(as_of)
    except (ImportError, AttributeError):
        return list(focus)
    return list(focus) + sorted(c for c in set(named) if c in members and c not in focus)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'2/4' -> (2, 4): the second of four shards (1-based). Raises ParameterError."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise ParameterError(f"--shard {text!r}: expected I/N, e.g. 1/4 (the first of four shards)")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ParameterError(f"--shard {text!r}: expected 1 <= I <= N")
    return i, n


def select_shard(jobs: list[ReportJob], shard: tuple[int, int] | None) -> list[ReportJob]:
    """The jobs of shard ``(i, n)``: round robin over the jobs sorted by name (the k-th name, from
    0, goes to shard k % n + 1). Deterministic; the shards of one request are disjoint and cover
    every job. Keeps the jobs' order."""
    if shard is None:
        return list(jobs)
    i, n = shard
    names = sorted(j.name for j in jobs)
    mine = {name for k, name in enumerate(names) if k % n == i - 1}
    return [j for j in jobs if j.name in mine]
