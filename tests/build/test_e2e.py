"""End to end on the real data and the real notebooks: what a reader gets.

Builds the main report (HTML + PDF) and one profile once per test session, then checks the HTML
sections and embedded charts, the PDF's page numbers and the key numbers computed from the data,
and that a failing notebook leaves the other outputs and the previous report intact. Then the builds
of their own: a past as-of date, the notebooks as an analyst opens them, --base-url in a PDF, a bad
ISO3 refused before any kernel starts.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import io
import os
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from analysis import config
from analysis.build import cli
from analysis.metrics import votes

pytestmark = pytest.mark.e2e

SECTIONS = ["What the data show", "Isolation over time", "The UN votes on Ukraine", "Alignment with Russia over time",
            "Where the world stands", "Who stands with Russia: votes and ties", "The article's claims: a scorecard",
            "The ICC and Putin's travel", "Arms and trade", "Methods", "Sources"]
N_FIGURES = 9  # charts in the main report


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["build", *args])
    return code, out.getvalue(), err.getvalue()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory):
    """The main report (HTML + PDF) and the VNM profile, built once per test run. Under `make test`'s
    workers (pytest-xdist) the first worker that needs it builds it into a folder of the run; the
    others wait on a lock and read it."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return _build_reports(tmp_path_factory.mktemp("e2e") / "reports")
    root = tmp_path_factory.getbasetemp().parent / f"e2e-{run}"
    root.mkdir(exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            _build_reports(root / "reports")
            (root / "done").write_text("ok")
    return root / "reports"


def _build_reports(out: Path) -> Path:
    # two reports on two workers: each runs from the top (no worker to spare for halves; see test_split)
    code, stdout, stderr = _run("--output", str(out), "--profiles", "VNM", "--jobs", "2")
    assert code == 0, stdout + stderr
    return out


def test_html_has_every_section_and_every_chart_embedded(shared_build):
    html = (shared_build / "isolation_report.html").read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert re.search(rf"<h2[^>]*>{re.escape(heading)}", html.replace("&#39;", "'")), heading
    divs = re.findall(r'<div ([^>]*jp-RenderedSVG[^>]*)>\s*<svg', html)
    figures = [d for d in divs if "report-figure" in d and 'role="img"' in d and re.search(r'aria-label="[^"]+"', d)]
    assert len(figures) >= N_FIGURES  # SVG on screen, with the finding as the accessible name
    assert "<text" in html  # the figures' words are text, not pixels
    assert not re.search(r'<img[^>]+src="(?!data:)', html)  # nothing to fetch: one file can be mailed
    assert "import analysis" not in html and "report.tallies(" not in html  # code hidden by default
    assert "injected-parameters" not in html


@functools.lru_cache(maxsize=2)
def _pdf_text(path: Path) -> str:
    """The text of every page (pypdf takes ~4 s for the report: read once per test process)."""
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def test_pdf_has_page_numbers_and_the_computed_numbers(shared_build):
    reader = PdfReader(shared_build / "isolation_report.pdf")
    n = len(reader.pages)
    assert n >= 8
    # pypdf decodes some subset fonts' text as UTF-16 code units (a NUL before each character)
    text = _pdf_text(shared_build / "isolation_report.pdf").replace("\x00", "")
    assert f"page 1 of {n}" in text.lower() or f"1 of {n}" in text
    t = votes.tallies().set_index("label")
    es1 = t.loc["ES-11/1"]
    assert str(es1["yes"]) == "141"  # from the data, not typed here
    assert f"{es1['yes']} of the {es1['members']} UN members" in text.replace("\n", " ")
    assert f"only {t.loc['ES-11/7', 'yes']} voted yes on ES-11/7" in text.replace("\n", " ")
    w, h = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(w - 595.3) < 1 and abs(h - 841.9) < 1  # A4


def test_profile_and_index_and_figure_data(shared_build):
    prof = (shared_build / "profiles" / "VNM.html").read_text(encoding="utf-8")
    assert "Vietnam and Russia" in prof and 'class="jp-RenderedSVG' in prof
    index = (shared_build / "index.html").read_text(encoding="utf-8")
    assert "isolation_report.html" in index and "profiles/VNM.html" in index
    csvs = {p.name for p in (shared_build / "isolation_report_data").glob("*.csv")}
    assert {"ukraine-vote-tallies.csv", "stance-by-state.csv", "claims-scorecard.csv"} <= csvs
    assert list((shared_build / "profiles" / "VNM_data").glob("*.csv"))


def test_a_failing_notebook_keeps_the_previous_report_and_the_others(shared_build, tmp_path):
    """The profile notebook fails for VNM only: VNM's previous profile stays byte for byte, PRK is
    built, the executed VNM notebook is kept in _failed/, and no temporary file is left."""
    out = tmp_path / "reports"
    shutil.copytree(shared_build, out)
    before_profile = _digest(out / "profiles" / "VNM.html")
    before_data = sorted(p.name for p in (out / "profiles" / "VNM_data").iterdir())
    nbdir = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOK_DIR, nbdir)
    nb = nbformat.read(nbdir / "country_profile.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        "if iso3 == 'VNM':\n    raise RuntimeError('forced failure for the test')"))
    nbformat.write(nb, nbdir / "country_profile.ipynb")
    code, stdout, stderr = _run("--output", str(out), "--notebooks-dir", str(nbdir), "--profiles", "VNM,PRK",
                                "--no-report")
    msg = stdout + stderr
    assert code == 1
    assert "country_profile" in msg and "RuntimeError" in msg and "forced failure" in msg
    assert re.search(r"cell 4 ", msg)
    assert _digest(out / "profiles" / "VNM.html") == before_profile  # the previous good profile is intact
    assert sorted(p.name for p in (out / "profiles" / "VNM_data").iterdir()) == before_data
    assert "North Korea and Russia" in (out / "profiles" / "PRK.html").read_text(encoding="utf-8")  # the other one
    assert (out / "_failed" / "profile_VNM.ipynb").exists()
    leftovers = [p for p in out.rglob("*") if re.search(r"\.(tmp|old)-\d+-|^\.staging-", p.name)]
    assert not leftovers


def _outputs(path: Path) -> list:
    """Each cell's source and outputs, without what differs between two builds: the output folder
    (the injected parameters), the time in the header."""
    nb = nbformat.read(path, as_version=4)
    built = re.compile(r"Report built [0-9-]+ [0-9:]+ UTC")
    return [(c.cell_type, c.get("execution_count"), c.source,
             [built.sub("", str(o.get("data", o.get("text", "")))) for o in c.get("outputs", [])]) for c in nb.cells
            if "injected-parameters" not in c.metadata.get("tags", [])]


@pytest.mark.long
def test_a_report_run_in_two_halves_makes_what_a_run_from_the_top_makes(shared_build, tmp_path, monkeypatch):
    """The main report alone on two workers runs in two halves (analysis.build.split); its notebook
    and data files equal the shared build's, where it ran from the top."""
    from analysis.build import split

    merges: list = []
    real_merge = split.merge
    monkeypatch.setattr(split, "merge", lambda *a, **k: merges.append(1) or real_merge(*a, **k))
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # two workers even on a one-core machine
    out = tmp_path / "r"
    code, stdout, stderr = _run("--output", str(out), "--profiles", "none", "--format", "html", "--no-cache")
    assert code == 0, stdout + stderr
    assert merges == [1]
    name = "isolation_report"
    split_nb, one_nb = _outputs(out / "_notebooks" / f"{name}.ipynb"), _outputs(shared_build / "_notebooks" / f"{name}.ipynb")
    assert split_nb == one_nb
    assert re.search(r"ES-11/\d+ \\*\(", str(split_nb))  # first mentions, described, are part of what is compared
    files = sorted(p.relative_to(out) for p in (out / f"{name}_data").rglob("*") if p.name != "datapackage.json")
    assert len(files) > 10
    assert [(out / p).read_bytes() for p in files] == [(shared_build / p).read_bytes() for p in files]


# ------------------------------------------------------------------ what a journalist can share
RAW_IDENTIFIERS = ["file://", "absence_rate", "gdp_share", "mean_share_yes", "with_russia", "russia_leaning",
                   "source_url", "time(s)", "verdict(s)", "python -m analysis", "TODO", "to-do"]


def test_pdf_links_bookmarks_metadata_and_words(shared_build):
    reader = PdfReader(shared_build / "isolation_report.pdf")
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if "/URI" in action:
                links.append(str(action["/URI"]))
    assert not [u for u in links if u.startswith("file:")], links[:5]
    assert len(reader.outline) >= 1

    def count(items):
        return sum(count(i) if isinstance(i, list) else 1 for i in items)
    assert count(reader.outline) >= 8
    meta = reader.metadata
    assert meta.title and "isolation" in meta.title.lower()
    assert meta.author
    text = _pdf_text(shared_build / "isolation_report.pdf")
    found = [w for w in RAW_IDENTIFIERS if w in text]
    assert not found, found
    assert "Contents" in text
    assert "isolation_report_data/" in text  # the data files are named and said to be beside the PDF


def test_every_data_folder_is_a_valid_data_package(shared_build):
    from analysis.build import datapackage

    packages = sorted(shared_build.rglob("*_data/datapackage.json"))
    assert len(packages) >= 2
    for path in packages:
        assert datapackage.check(path) == [], path
    import json

    pkg = json.loads((shared_build / "isolation_report_data" / "datapackage.json").read_text())
    assert pkg["as_of"] and "allied_no_share" in pkg["parameters"]
    manifest = json.loads((shared_build / "manifest.json").read_text())
    assert "allied_no_share" in manifest["reports"]["isolation_report"]["parameters"]


def test_index_is_a_landing_page(shared_build):
    index = (shared_build / "index.html").read_text(encoding="utf-8")
    assert "Read the report" in index and "isolation_report.pdf" in index
    assert "datapackage.json" in index and "Data as of" in index
    assert "Key numbers" in index  # the numbers, or "Key numbers not available"
    assert re.search(r'<img src="isolation_report_data/[a-z-]+\.svg"', index)


@pytest.mark.long
def test_html_fits_a_phone_in_chromium(shared_build, tmp_path):
    """Headless Chromium: the report and the index on a phone (390 px) are never wider than the
    window (a page that fits 390 px fits any wider window: the layout is fluid; `make browser-check`
    also looks at 1280 px). Skipped only when Chromium is missing and cannot be installed
    (scripts/browser_check.sh installs it)."""
    import shutil as _sh
    import subprocess

    script = Path(__file__).resolve().parents[2] / "scripts" / "browser_check.sh"
    if not _sh.which("chromium") and not _sh.which("apt-get"):
        pytest.skip("no chromium and no apt-get")
    shots = Path(__file__).resolve().parents[2] / "tests" / "output"
    for page, width in (("isolation_report.html", 390), ("index.html", 390)):
        png = shots / f"{page[:-5]}-{width}.png"
        r = subprocess.run(["bash", str(script), str(shared_build / page), str(png), str(width)],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        assert png.is_file()


# ------------------------------------------------------------------ builds of their own
def test_bad_profile_code_exits_2_before_any_kernel(tmp_path, monkeypatch):
    from analysis.build import pipeline

    monkeypatch.setattr(pipeline, "run_jobs", lambda *a, **k: pytest.fail("a kernel would have started"))
    code, stdout, stderr = _run("--output", str(tmp_path / "r"), "--profiles", "XYZ")
    assert code == 2
    assert "XYZ" in stderr and "closest" in stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.long
def test_as_of_the_article_shows_the_world_of_june_2024(tmp_path):
    out = tmp_path / "r"
    code, stdout, stderr = _run("--output", str(out), "--as-of", "2024-06-20", "--profiles", "none",
                                "--format", "html")
    assert code == 0, stdout + stderr
    html = (out / "isolation_report.html").read_text(encoding="utf-8")
    assert "As of 20 June 2024" in html
    assert "ES-11/7" not in html and "78/316" not in html  # no later votes
    assert "Hanoi" in html and "Ulaanbaatar" not in html  # trips up to Vietnam, not Mongolia (Sept 2024)
    assert "changed from <em>supported</em> to <em>partly supported</em>" in html  # verdicts changed since


@pytest.mark.parametrize("name", ["country_profile.ipynb", "isolation_report.ipynb"])
def test_notebooks_run_top_to_bottom_with_their_defaults(name):
    """As an analyst would in JupyterLab: no injected parameters, working directory notebooks/."""
    from nbclient import NotebookClient
    nb = nbformat.read(config.NOTEBOOK_DIR / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(config.NOTEBOOK_DIR)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any(o.get("data", {}).get("image/svg+xml") for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))


def test_pdf_links_data_to_base_url(tmp_path):
    """--base-url reaches the PDF's links (a profile's PDF: its data folder is one level down)."""
    out = tmp_path / "site"
    code, stdout, stderr = _run("--output", str(out), "--profiles", "VNM", "--no-report", "--profile-format", "pdf",
                                "--jobs", "1", "--no-cache", "--base-url", "https://example.org/isolation/")
    assert code == 0, stdout + stderr
    reader = PdfReader(out / "profiles" / "VNM.pdf")
    uris = [str((a.get_object().get("/A") or {}).get("/URI")) for p in reader.pages for a in p.get("/Annots") or []]
    assert any(u.startswith("https://example.org/isolation/profiles/VNM_data/") for u in uris), uris
    assert not [u for u in uris if u.startswith("file:")]


