"""The prepare child (analysis.build.prepare): the results a notebook reads first are computed in a
process of their own while the workers start, and reach the notebook through the memo store.
The notebooks' prepare functions make the very entries their sections read; the child never
fails a build, and stopping it leaves no partial entry or claim behind."""
from __future__ import annotations

import json
import time

import pytest

from analysis import config
from analysis.build import prepare
from analysis.datasets import data, memostore
from analysis.metrics import allies, stances
from analysis.report import profile_sections
from analysis.report import sections as report
from analysis.report import story_sections as story

NOTEBOOKS = config.PROJECT_ROOT / "notebooks"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "idle_core", lambda: True)  # the suite keeps every core busy
    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(tmp_path / "memo"))
    data.clear_cache()
    yield tmp_path / "memo"
    data.clear_cache()


def _puts(monkeypatch) -> list:
    """Entries written to the memo store from now on (a write = a result computed here)."""
    written: list = []
    real = memostore.put
    monkeypatch.setattr(memostore, "put", lambda entry, value: written.append(entry) or real(entry, value))
    return written


def _prepared(spec: str, parameters: dict) -> None:
    child = prepare.start([(spec, parameters)])
    assert child is not None and child.wait() == 0  # every call completed
    data.clear_cache()  # this process then starts as a worker does: nothing memoised in memory


def test_each_report_notebook_names_a_prepare_function_that_exists():
    for name in ("isolation_report.ipynb", "country_profile.ipynb"):
        spec = prepare.hook(NOTEBOOKS / name)
        assert spec, name
        module, _, function = spec.partition(":")
        assert callable(getattr(__import__(module, fromlist=[function]), function))


def test_a_notebook_without_one_has_none(tmp_path):
    path = tmp_path / "plain.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {"kernelspec": {}}}))
    assert prepare.hook(path) is None
    assert prepare.hook(tmp_path / "missing.ipynb") is None
    path.write_text("not json")
    assert prepare.hook(path) is None


def test_a_profile_finds_in_the_store_everything_its_first_sections_read(tiny_data, store, monkeypatch):
    iso3 = sorted(data.countries()["iso3"])[0]
    _prepared(prepare.hook(NOTEBOOKS / "country_profile.ipynb"), {"iso3": iso3, "as_of": None})
    written = _puts(monkeypatch)
    ctx = report.context(None, [iso3])  # as the notebook's setup cell makes it
    profile_sections.header(ctx)
    profile_sections.what_changed(ctx)
    assert written == []  # nothing computed again: every entry was the prepare child's


def test_the_main_report_finds_its_shared_results_in_the_store(store, monkeypatch):
    """On the real data (the thesis needs the article's states), on a date of its own."""
    parameters = {"as_of": "2025-06-30", "focus": None, "allied_no_share": 0.5, "leaning_no_share": 0.2,
                  "west_yes_share": 0.7, "condemning_yes_share": 1.0, "use_treaties": True, "window": 6}
    _prepared(prepare.hook(NOTEBOOKS / "isolation_report.ipynb"), parameters)
    written = _puts(monkeypatch)
    ctx = report.context("2025-06-30", None, **{k: v for k, v in parameters.items() if k not in ("as_of", "focus")})
    story.thesis_section(ctx)
    from analysis.report import maps

    maps.projected()  # the geometry of the two maps
    maps.world(maps.FINEST)
    stances.sensitivity(ctx.as_of, **ctx.thresholds)  # the stance tables' sensitivity table
    allies.sensitivity(ctx.as_of, **ctx.thresholds)  # the methods' one
    assert written == []


def _sleepy(seconds: float):
    """A memoised computation that takes ``seconds`` (what the child is doing when it is stopped)."""
    @data.memo
    def sleepy_result(s: float) -> int:
        time.sleep(s)
        return 1

    return sleepy_result(seconds)


def slow_hook(seconds: float = 30.0) -> None:
    _sleepy(seconds)


def failing_hook(**_) -> None:
    raise ValueError("a bad parameter: the notebook reports it, not the prepare child")


def test_stopping_the_child_leaves_no_claim_and_no_partial_entry(tiny_data, store):
    child = prepare.start([(f"{__name__}:slow_hook", {"seconds": 30.0})])
    deadline = time.monotonic() + 10
    while not list(store.glob("*/*.lock")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(store.glob("*/*.lock"))  # the child claimed what it computes...
    t0 = time.monotonic()
    assert child.stop() == 3  # ...and, stopped, unwound at once
    assert time.monotonic() - t0 < 2
    assert not [p for p in store.rglob("*") if p.is_file() and not p.name.endswith(".pkl")]  # no claim, no temp file


def test_a_failing_prepare_function_fails_nothing_and_the_memo_off_means_no_child(tiny_data, store, monkeypatch):
    child = prepare.start([(f"{__name__}:failing_hook", {}), (f"{__name__}:slow_hook", {"seconds": 0.0})])
    assert child.wait() == 1  # the failure is the child's exit code only; the next call still ran
    data.clear_cache()
    written = _puts(monkeypatch)
    _sleepy(0.0)
    assert written == []  # computed by the child after the failing call
    monkeypatch.setenv("ISOLATION_MEMO_DIR", "off")
    assert prepare.start([(f"{__name__}:slow_hook", {})]) is None
    assert prepare.start([]) is None


def test_no_child_when_every_core_is_busy(store, monkeypatch, tmp_path):
    monkeypatch.setattr(prepare, "idle_core", lambda: False)
    assert prepare.start([(f"{__name__}:slow_hook", {})]) is None
    monkeypatch.undo()
    loadavg = tmp_path / "loadavg"
    real_open = open

    def fake(text):
        loadavg.write_text(text)
        monkeypatch.setattr("builtins.open", lambda p, *a, **k: real_open(loadavg if p == "/proc/loadavg" else p, *a, **k))

    cores = prepare.os.cpu_count()
    fake(f"2.00 1.50 1.00 {cores + 1}/300 123\n")  # this process and one per core
    assert prepare.idle_core() is False
    fake("0.10 0.20 0.30 1/300 123\n")  # only this process
    assert prepare.idle_core() is True


def test_the_build_hands_each_notebook_its_first_reports_parameters(tmp_path, monkeypatch):
    from analysis.build import pipeline, runners

    seen = {}

    class Recorder(runners.PoolRunner):
        def __init__(self, *a, prepare=(), **k):
            seen["prepare"] = list(prepare)
            raise SystemExit(0)  # stop before any worker starts

    monkeypatch.setattr(pipeline, "PoolRunner", Recorder)
    with pytest.raises(SystemExit):
        pipeline.build(output=tmp_path / "out", notebooks_dir=NOTEBOOKS, profiles="PRK,CHN", as_of="2025-06-30",
                       cache=False)
    calls = dict(seen["prepare"])
    profile, report = "analysis.report.prepare:country_profile", "analysis.report.prepare:main_report"
    assert set(calls) == {profile, report} and len(seen["prepare"]) == 2  # one call per notebook
    assert calls[profile]["iso3"] == "PRK"  # the first profile
    assert calls[profile]["as_of"] == calls[report]["as_of"] == "2025-06-30"
    assert calls[report]["window"] == 6  # the notebook's defaults are filled in
