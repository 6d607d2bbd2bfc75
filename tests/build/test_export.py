"""analysis.pdf: the report's HTML export and PDF rendering with WeasyPrint."""
from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from analysis.build import export as pdf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
A4 = (595.28, 841.89)



def _png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


PNG = _png()


def executed_notebook():
    """An 'executed' notebook without a kernel: parameters cells, a heading, a PNG output, a table."""
    params = new_code_cell("iso3 = 'CHN'", execution_count=1)
    params.metadata["tags"] = ["parameters"]
    injected = new_code_cell("# Parameters\niso3 = 'BLR'\n", execution_count=2)
    injected.metadata["tags"] = ["injected-parameters"]
    figure = new_code_cell("plt.show()", execution_count=3, outputs=[
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})])
    rows = "".join(f"<tr><td>{i}</td><td>{'long text ' * 20}</td></tr>" for i in range(60))
    table = new_code_cell("display(table)", execution_count=4, outputs=[
        new_output("display_data", data={"text/html": f"<table><thead><tr><th>n</th><th>text</th></tr></thead>"
                                                      f"<tbody>{rows}</tbody></table>"})])
    caption = new_markdown_cell("*Figure 1: a caption.*")
    caption.metadata["tags"] = ["caption"]
    return new_notebook(cells=[new_markdown_cell("# Profile heading"), params, injected, figure, caption, table],
                        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def pdf_pages(data: bytes):
    return PdfReader(io.BytesIO(data)).pages


def test_html_export_hides_code_and_parameter_cells():
    html = pdf.export_html(executed_notebook(), title="T", report_info={"as_of": "2024-01-01", "built_at": "now"})
    assert "Profile heading" in html
    assert f"data:image/png;base64,{PNG}" in html
    assert "plt.show()" not in html and "iso3 = " not in html
    assert "Data as of 2024-01-01" in html  # footer written from report_info
    assert "max-width: 1000px" in html  # the report stylesheet is inlined
    assert "require.js" not in html
    shown = pdf.export_html(executed_notebook(), title="T", show_code=True)
    assert "plt" in shown and "show" in shown
    assert "iso3 = " not in shown and "# Parameters" not in shown  # parameter cells never shown


def test_output_areas_are_focusable_and_images_have_alternative_text():
    """What nbconvert's HTMLExporter does with a second parse of the page, done on the template's
    markup: output areas take the keyboard focus (a wide table scrolls), an image without alt text
    gets a generic one. A data string that looks like such markup is escaped, so it is not touched."""
    nb = executed_notebook()
    nb.cells.append(new_code_cell("x", execution_count=5, outputs=[new_output("display_data", data={
        "text/html": '<p><img src="data:image/png;base64,' + PNG + '"></p>'})]))
    nb.cells.append(new_code_cell("y", execution_count=6, outputs=[new_output("stream", name="stdout",
                                  text='<div class="jp-OutputArea-output"><img src="x">')]))
    html = pdf.export_html(nb, title="T")
    outputs = re.findall(r'<div class="[^"]*\bjp-OutputArea-output\b[^"]*"[^>]*>', html)
    assert outputs and all('tabindex="0"' in tag for tag in outputs)
    assert f'<img alt="{pdf.NO_ALT}" src="data:image/png;base64,{PNG}"' in html
    assert '&lt;div class=&#34;jp-OutputArea-output&#34;&gt;&lt;img src=&#34;x&#34;&gt;' in html \
        or '&lt;div class=&quot;jp-OutputArea-output&quot;&gt;&lt;img src=&quot;x&quot;&gt;' in html
    assert pdf._focusable(html) == html  # nothing to add a second time


def test_html_to_pdf_is_a4_with_page_numbers():
    html = pdf.export_html(executed_notebook(), title="T")
    data = pdf.html_to_pdf(html)
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data)
    assert len(pages) >= 2  # 60 table rows do not fit one page
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=1)
    n = len(pages)
    texts = [p.extract_text() for p in pages]
    assert f"page 1 of {n}" in texts[0]
    assert f"page {n} of {n}" in texts[-1]
    assert "Profile heading" in texts[0]


def test_weasypdf_exporter_class():
    assert issubclass(pdf.WeasyPDFExporter, HTMLExporter)
    exporter = pdf.WeasyPDFExporter()
    assert exporter.output_mimetype == "application/pdf"
    assert exporter.file_extension == ".pdf"
    data, resources = exporter.from_notebook_node(executed_notebook())
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    assert resources["output_extension"] == ".pdf"


def test_weasypdf_entry_point_is_registered():
    from nbconvert.exporters import get_exporter

    assert get_exporter("weasypdf") is pdf.WeasyPDFExporter


@pytest.mark.e2e
def test_jupyter_nbconvert_to_weasypdf(tmp_path):
    """The CLI route: `jupyter nbconvert --to weasypdf` (the exporter registered by pyproject.toml)
    on an executed notebook: A4 pages numbered, neither code nor the parameter cells."""
    jupyter = Path(sys.executable).parent / "jupyter"
    src = tmp_path / "profile.ipynb"
    nbformat.write(executed_notebook(), src)
    proc = subprocess.run([str(jupyter), "nbconvert", "--to", "weasypdf", "--no-input", str(src)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = (tmp_path / "profile.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_pages(data)[0].extract_text()
    assert "Profile heading" in text and "page 1 of" in text
    assert "iso3" not in text and "plt.show" not in text  # neither the code nor the parameters cells


def test_the_parameter_cells_are_removed_after_execution():
    """`jupyter nbconvert --execute --to weasypdf` must run the parameters cell before it is left
    out: the report's cell filter is the exporter's last preprocessor, after ExecutePreprocessor."""
    names = [type(p).__name__ for p in pdf.WeasyPDFExporter()._preprocessors]
    assert "ExecutePreprocessor" in names and names[-1] == "ReportCellFilter", names
    assert names.index("ExecutePreprocessor") < names.index("ReportCellFilter")


def _svg_figure_notebook(alt: str):
    """A notebook whose one figure is an SVG drawn by matplotlib, shown as analysis.report.display shows it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.report import display

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.set_title("Zebra quokka finding")
    ax.plot([0, 1], [0, 1])
    data, meta = display.figure_bundle(fig, alt)
    plt.close(fig)
    cell = new_code_cell("report.chart(ctx)", execution_count=1,
                         outputs=[new_output("display_data", data=data, metadata=meta)])
    return new_notebook(cells=[new_markdown_cell("# Heading"), cell])


def test_the_pdf_draws_the_svg_figure_as_vector_graphics_with_its_text():
    alt = 'Finding <script>alert(1)</script> & "quotes"'
    nb = _svg_figure_notebook(alt)
    assert set(nb.cells[1].outputs[0]["data"]) == {"image/svg+xml", "text/plain"}  # drawn once: no PNG
    screen = pdf.export_html(nb, title="T")
    assert "<svg" in screen and "<img src=\"data:image/svg+xml" not in screen  # inline on screen: text is text
    printed = pdf.export_html(nb, title="T", for_print=True)
    imgs = re.findall(r"<img [^>]*>", printed)
    assert len(imgs) == 1 and "<svg" not in printed.split("<body", 1)[1]
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', imgs[0]).group(1)).decode()
    assert re.search(r'<svg[^>]*width="[\d.]+pt" height="[\d.]+pt"', svg)  # a size WeasyPrint can lay out
    assert "<script>" not in imgs[0] and "&lt;script&gt;" in imgs[0]  # the alt text is escaped
    text = "".join(p.extract_text() for p in pdf_pages(pdf.export_pdf(nb, title="T"))).replace("\x00", "")
    assert "Zebra quokka finding" in text  # the figure is drawn, its words as text (not pixels)


def test_a_render_left_to_a_later_collection_is_freed_by_it():
    """``collect=False``: no collection of the render's objects right after it, and nothing kept for good."""
    import gc

    html = "<html><body>" + "".join(f"<h2>Part {i}</h2><table><tr><td>{i}</td></tr></table>" for i in range(30)) + \
        "</body></html>"
    gc.collect()
    pdf.html_to_pdf(html, collect=False)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing frozen for good
    assert gc.get_count()[0] < 700  # the youngest generation does not hold the render's objects
    assert gc.collect() > 1000  # the next full collection frees the render's garbage
