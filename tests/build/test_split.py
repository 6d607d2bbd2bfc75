"""One report on two workers (analysis.build.split): where the notebook is cut, first mentions
decided after the fact, the merge, and a failing cell in the later half. The split build of the
real report is compared with a run from the top in test_e2e.py."""
from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import config
from analysis.build import cli, split
from analysis.report import labels, mentions
from analysis.report.display import md_escape


def _nb(*sources, setup_at=1):
    cells = []
    for i, s in enumerate(sources):
        cell = new_markdown_cell(s[2:]) if s.startswith("# ") else new_code_cell(s)
        if i == setup_at:
            cell.metadata["tags"] = ["setup"]
        cells.append(cell)
    return new_notebook(cells=cells)


def test_the_cut_halves_the_time_and_headings_go_with_their_section():
    nb = _nb("a = 1", "setup()", "# One", "one()", "# Two", "two()", "three()", "# Four", "four()")
    assert split.split_at(nb) == 6  # four cells of one unit each: two and two
    slow = {"one()": 6.0, "two()": 1.0, "three()": 1.0, "four()": 1.0}
    assert split.split_at(nb, slow) == 4  # one() alone is most of the time; "# Two" goes with two()
    assert split.split_at(nb, {"one()": 1, "two()": 1, "three()": 1, "four()": 5}) == 7
    first, later = split.halves(nb, 7)
    assert [c.source for c in first.cells] == [c.source for c in nb.cells[:7]]
    assert [c.source for c in later.cells] == ["a = 1", "setup()", "Four", "four()"]


def test_no_setup_cell_or_too_few_sections_means_no_split():
    assert split.split_at(_nb("a = 1", "b()", "c()", setup_at=-1)) is None
    assert split.split_at(_nb("a = 1", "setup()", "only()")) is None


RES = ["A/RES/ES-11/1", "A/RES/ES-11/4", "A/RES/ES-11/1", "A/RES/68/262", "A/RES/ES-11/4"]


def test_deferred_mentions_resolve_to_the_decisions_of_one_run():
    seen: set = set()
    one_run = [md_escape(labels.first_mention(s, seen)) for s in RES]
    assert one_run[0] != one_run[2] and one_run[0].startswith("ES-11/1 \\(")  # described once, then coded

    seen_first: set = set()
    head = [md_escape(labels.first_mention(s, seen_first)) for s in RES[:2]]  # the first half, as it runs
    mentions.defer(True)
    try:
        marked = [mentions.escaped(labels.first_mention(s, set()), md_escape) for s in RES[2:]]
    finally:
        mentions.defer(False)
    assert all(mentions.contains(m) for m in marked)
    text = " | ".join(marked)
    resolved = mentions.resolve(text, set(seen_first), labels.first_mention, md_escape)
    assert head + resolved.split(" | ") == one_run


def _executed(nb, counts):
    for cell, n in zip([c for c in nb.cells if c.cell_type == "code"], counts):
        cell.execution_count = n
    return nb


def test_merge_continues_the_counts_and_resolves_only_markdown():
    nb = _nb("p = 1", "setup()", "one()", "# Two", "two()")
    first, later = split.halves(nb, 3)
    _executed(first, [1, 2, 3])
    _executed(later, [1, 2, 3])  # the later half's own count: p, setup(), two()
    mentions.defer(True)
    try:
        mark = mentions.escaped(labels.first_mention("A/RES/ES-11/1", set()), md_escape)
    finally:
        mentions.defer(False)
    later.cells[-1].outputs = [new_output("display_data", {"text/markdown": f"On {mark}.", "text/plain": "x"})]
    merged = split.merge(first, later, carried=[])
    assert [c.source for c in merged.cells] == [c.source for c in nb.cells]
    assert [c.execution_count for c in merged.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    text = merged.cells[-1].outputs[0].data["text/markdown"]
    assert text.startswith("On ES-11/1 \\(") and not mentions.contains(text)
    later.cells[-1].outputs = [new_output("display_data", {"text/markdown": f"On {mark}.", "text/plain": "x"})]
    assert split.merge(first, later, carried=["ES-11/1"]).cells[-1].outputs[0].data["text/markdown"] == "On ES-11/1."

    later.cells[-1].outputs = [new_output("display_data", {"text/html": f"<td>{mark}</td>"})]
    with pytest.raises(split.SplitRejected, match="text/html"):
        split.merge(first, later, carried=[])


def test_a_marker_in_a_written_file_rejects_the_split(tmp_path):
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    split.check_files(tmp_path)
    mentions.defer(True)
    try:
        (tmp_path / "bad.csv").write_text(f"text\n{labels.first_mention('A/RES/ES-11/1', set())}\n", encoding="utf-8")
    finally:
        mentions.defer(False)
    with pytest.raises(split.SplitRejected, match="bad.csv"):
        split.check_files(tmp_path)


# ------------------------------------------------------------------ a failure in a half


@pytest.mark.long
def test_a_failing_cell_in_the_later_half_is_reported_as_in_one_run(tmp_path, monkeypatch):
    """The report's notebook, cut to a few quick sections and a failing one near its end: the split
    run fails, the report runs again from the top, and the error names the cell's place in the
    notebook, not in a half. (The split build compared with a run from the top: test_e2e.py.)"""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.read(config.NOTEBOOK_DIR / "isolation_report.ipynb", as_version=4)
    setup = split.setup_index(nb)
    keep = ("report.votes_intro(ctx)", "report.glossary(ctx)", "report.methods(ctx)")
    nb.cells = nb.cells[:setup + 1] + [c for c in nb.cells[setup + 1:] if c.source.strip() in keep]
    nb.cells.insert(len(nb.cells) - 1, new_code_cell("raise RuntimeError('forced failure late in the report')"))
    nbformat.write(nb, nbdir / "isolation_report.ipynb")
    merges: list = []
    real_merge = split.merge
    monkeypatch.setattr(split, "merge", lambda *a, **k: merges.append(1) or real_merge(*a, **k))
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # two workers even on a one-core machine
    o, e = io.StringIO(), io.StringIO()
    with redirect_stdout(o), redirect_stderr(e):
        code = cli.main(["build", "--output", str(tmp_path / "r"), "--notebooks-dir", str(nbdir), "--profiles", "none",
                         "--format", "html", "--no-cache"])
    msg = o.getvalue() + e.getvalue()
    assert code == 1
    assert "forced failure late in the report" in msg
    assert re.search(rf"cell {len(nb.cells) - 1} ", msg)
    assert not merges  # the halves were not merged
    assert not list((tmp_path / "r").glob(".staging-*"))
