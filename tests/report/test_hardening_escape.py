"""Issue 12, 'injection from data' (items 1 and 2): strings from the data never become live
Markdown/HTML in the report, and no CSV cell the build writes starts a spreadsheet formula."""
from __future__ import annotations

import pandas as pd
import pytest
from nbconvert.filters.markdown import markdown2html

from analysis.datasets import data
from analysis.datasets.schemas import TABLES
from analysis.datasets.tableio import write_table
from analysis.report import display, profile
from analysis.report.display import csv_safe, md_escape

HOSTILE = ["Beijing [c](javascript:alert(1))", "<script>alert(1)</script>", "![x](javascript:alert(2))",
           "<javascript:alert(3)>", "**bold** _it_ `code` # h | t", "a\\](javascript:alert(4))"]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_makes_data_inert(text):
    html = markdown2html(f"Visited {md_escape(text)} today.")
    assert "javascript:" not in html.split("Visited", 1)[0]
    assert "<a " not in html and "<script" not in html and "<img" not in html and "<strong>" not in html
    assert "Visited" in html


def test_the_dossier_escapes_treaty_titles_and_cities(tiny_data):
    folder = tiny_data / "curated"
    visits = pd.read_csv(folder / TABLES["leader_visits"].filename, dtype=str, keep_default_na=False)
    visits["city"] = "Minsk [c](javascript:alert(1))"
    write_table(visits, folder / TABLES["leader_visits"].filename)
    treaties = pd.read_csv(folder / TABLES["treaties"].filename, dtype=str, keep_default_na=False)
    treaties["title"] = "Treaty <img src=x onerror=alert(9)>"
    write_table(treaties, folder / TABLES["treaties"].filename)
    data.clear_cache()
    html = markdown2html(profile.dossier_text("BLR"))
    assert 'href="javascript' not in html and "<img" not in html
    assert "Minsk" in html and "Treaty" in html


def test_csv_cells_that_start_a_formula_are_neutralised_and_numbers_stay_numbers(tmp_path):
    df = pd.DataFrame({"purpose": ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "talks"],
                       "n": [-1, 2, 3, 4, 5, 6, 7], "share": [-0.5] * 7,
                       "date": pd.to_datetime(["2024-01-01"] * 7)})
    safe = csv_safe(df)
    assert safe["purpose"].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "talks"]
    assert safe["n"].tolist() == df["n"].tolist() and safe["share"].dtype == float
    assert df["purpose"].iloc[0].startswith("=")  # the caller's frame is not changed
    display.configure(str(tmp_path))
    try:
        display.save_data(df.iloc[:5], "visits")
    finally:
        display.configure("")
    back = pd.read_csv(tmp_path / "visits.csv", keep_default_na=False)
    assert not any(str(v).startswith(("=", "+", "@")) for v in back["purpose"])
    assert back["n"].tolist()[0] == -1
