"""Every accepted date builds (issue 12): the report and a profile run for one date per year from
the first accepted date to today, and a date before it is refused with the reason.

The sweep executes the code cells of the real notebooks in process (the same calls the build
makes, minus the kernel) on the tiny fixture world, so it stays fast."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from analysis import config
from analysis.datasets import asof
from analysis.errors import ParameterError

matplotlib.use("Agg")
NOTEBOOKS = config.NOTEBOOK_DIR
# one date per year from the first accepted date to today; where issue 12 saw a crash, that date
_CRASHED = {2014: "2014-03-27", 2016: "2016-01-01", 2022: "2022-06-01"}
SWEEP = [_CRASHED.get(y, f"{y}-06-01") for y in range(2014, pd.Timestamp.today().year + 1)
         if pd.Timestamp(_CRASHED.get(y, f"{y}-06-01")) <= pd.Timestamp.today()]


def _code_cells(name: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]


def _run_notebook(name: str, parameters: dict) -> None:
    """Run a notebook's cells in process: its parameters cell, then ours, then every other cell."""
    import matplotlib.pyplot as plt

    cells = _code_cells(name)
    ns: dict = {}
    exec(cells[0], ns)  # noqa: S102 - the project's own notebook
    ns.update(parameters)
    for k, source in enumerate(cells[1:], start=2):
        try:
            exec(source, ns)  # noqa: S102
        except Exception as exc:  # noqa: BLE001 - name the cell and the date
            raise AssertionError(f"{name} code cell {k} failed for {parameters}: {type(exc).__name__}: {exc}") from exc
        finally:
            plt.close("all")


def test_dates_before_the_first_ukraine_vote_are_refused_with_the_reason(tiny_data):
    from analysis.metrics import stances

    for date in ("1990-01-01", "2014-01-01", "2014-03-26"):
        with pytest.raises(ParameterError, match=r"before 2014-03-27.*A/RES/68/262.*between 2014-03-27 and today"):
            asof.resolve_report(date)
        with pytest.raises(ParameterError, match="before 2014-03-27"):
            stances.stance(as_of=date)  # was: 193 'neutral' states
    assert asof.resolve_report("2014-03-27") == pd.Timestamp("2014-03-27")


def test_the_range_messages_agree_and_a_time_zone_is_refused(tiny_data):
    for bad in ("2024-06-20T00:00+05:00", "not-a-date", "3000-01-01", "1900-01-01"):
        with pytest.raises(ParameterError) as info:
            asof.resolve_report(bad)
        assert "and today (" in str(info.value), str(info.value)
    with pytest.raises(ParameterError, match="time zone"):
        asof.resolve("2024-06-20T00:00+05:00")


def _sections(name: str) -> list:
    """The section functions a notebook calls, in order (read from the notebook's cells; the alias
    before the dot is the module the notebook imported under that name)."""
    import re

    from analysis.report import profile_sections, sections, story_sections

    modules = {"report": sections, "story": story_sections, "profile": profile_sections}
    calls = [m.groups() for c in _code_cells(name)[2:] for m in [re.match(r"\s*(\w+)\.(\w+)\(ctx\)", c)] if m]
    return [getattr(modules[alias], fn) for alias, fn in calls]


# profiles of a state without trade (BLR), with trade (CHN) and with a partial trade year (USA)
STATES = ("BLR", "CHN", "USA")


def _failures(date: str, funcs: list, iso: list[str]) -> dict:
    import matplotlib.pyplot as plt

    from analysis.report import display, sections

    display.configure("")
    ctx = sections.context(date, iso)
    out = {}
    for f in funcs:
        try:
            f(ctx)
        except Exception as exc:  # noqa: BLE001
            out[f.__name__] = f"{type(exc).__name__}: {exc}"
        finally:
            plt.close("all")
    return out


def _latest() -> str:
    return str(asof.resolve(None).date())


_ON_LATEST: dict[tuple, bool] = {}


def _fails_on_latest(func, iso: list[str]) -> bool:
    """Whether a section fails on the tiny world's latest date; worked out once per section and test
    process (the tiny world is the same hand-made data set in every test)."""
    key = (func.__module__, func.__qualname__, tuple(iso))
    if key not in _ON_LATEST:
        _ON_LATEST[key] = bool(_failures(_latest(), [func], iso))
    return _ON_LATEST[key]


def test_the_sweep_leaves_out_only_what_the_tiny_world_lacks(tiny_data):
    """The sweep below excuses a section that fails on a date only when it also fails on the tiny
    world's latest date: the tiny world lacks what it needs at any date (map shapes, DPRK for the
    claims, data/manual); those sections are run on the real data below. They must stay few."""
    report, prof = _sections("isolation_report.ipynb"), _sections("country_profile.ipynb")
    assert len(report) >= 20 and len(prof) >= 5
    limited = {f.__name__ for f in report if _fails_on_latest(f, ["BLR", "CHN"])} | {
        f"profile.{f.__name__}" for i in STATES for f in prof if _fails_on_latest(f, [i])}
    assert len(limited) <= 8, limited  # the sweep must cover most sections
    assert {"profile.trade", "profile.what_changed"}.isdisjoint(limited)  # the new sections are swept
    assert {"trade", "what_changed"} <= {f.__name__ for f in prof}
    assert {STATES[n % len(STATES)] for n in range(len(SWEEP))} == set(STATES)  # each state is swept


@pytest.mark.long
@pytest.mark.parametrize("n, date", list(enumerate(SWEEP)), ids=SWEEP)
def test_every_section_that_runs_on_the_tiny_world_runs_on_every_accepted_date(tiny_data, n, date):
    """One date per year from 2014 to today (and the dates issue 12 saw crash), in process on the
    tiny world: every section of the report, and of the profile of one of the three states, in turn
    (so each state is swept over every era -- before 2022, the invasion, the ICC warrant, today --
    at a third of the cost). One test per date, so that the test workers share them out. A section
    that fails is excused only if it fails on the latest date too (see the test above)."""
    report, prof = _sections("isolation_report.ipynb"), _sections("country_profile.ipynb")
    i = STATES[n % len(STATES)]
    bad = {f"report.{k}": v for k, v in _failures(date, report, ["BLR", "CHN"]).items()}
    bad |= {f"profile.{k} ({i})": v for k, v in _failures(date, prof, [i]).items()}
    if bad:  # run the failing sections again on the latest date: the ones that fail there too are excused
        latest = {f.__name__ for f in report if f"report.{f.__name__}" in bad and _fails_on_latest(f, ["BLR", "CHN"])}
        latest_p = {f.__name__ for f in prof if f"profile.{f.__name__} ({i})" in bad and _fails_on_latest(f, [i])}
        bad = {k: v for k, v in bad.items()
               if not (k.startswith("report.") and k[7:] in latest)
               and not (k.startswith("profile.") and k[8:].split(" ")[0] in latest_p)}
    assert not bad, (date, bad)


@pytest.mark.parametrize("date", ["2014-03-27", "2016-01-01", "2022-03-03"])
def test_report_and_profile_run_on_early_dates_with_the_real_data(date):
    """Every cell of both notebooks, in process, on the real data, on the dates before the
    invasion (no visits, no arms or trade year known yet) and right after it."""
    from analysis.report import display

    display.configure("")
    _run_notebook("isolation_report.ipynb", {"as_of": date})
    _run_notebook("country_profile.ipynb", {"as_of": date, "iso3": "BLR"})


def test_the_sweep_covers_every_year_to_today():
    years = {int(d[:4]) for d in SWEEP}
    assert years == set(range(2014, pd.Timestamp.today().year + 1))
    assert Path(NOTEBOOKS / "isolation_report.ipynb").exists()
