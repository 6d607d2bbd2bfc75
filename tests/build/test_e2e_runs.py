"""End to end, builds of their own: a past as-of date, the notebooks as an analyst opens them,
--base-url in a PDF, a bad ISO3 refused before any kernel starts."""
from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import nbformat
import pytest
from pypdf import PdfReader

from analysis import config
from analysis.build import cli

pytestmark = pytest.mark.e2e


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["build", *args])
    return code, out.getvalue(), err.getvalue()


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


