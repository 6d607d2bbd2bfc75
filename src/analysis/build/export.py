"""Exporting executed notebooks: the report's HTML, and PDF from it with WeasyPrint.

No LaTeX and no Chromium: WeasyPrint (pure Python + Pango) lays out the same self-contained HTML
the build writes, with a print stylesheet (``templates/pdf/print.css``) that adds

- A4 pages with margins, the report title in the header and "page X of Y" in the footer
  (``@page`` margin boxes with ``counter(page)`` / ``counter(pages)``);
- ``break-inside: avoid`` for images, figures, tables and captions; ``break-after: avoid`` for
  headings; small (9 pt) tables whose long cells wrap;
- no JupyterLab UI chrome (prompts, collapsers, anchor links).

Entry points:

- :func:`export_html` -- executed notebook -> one self-contained HTML page
  (:class:`ReportHTMLExporter`: nbconvert's "lab" template + ``templates/report``);
- :func:`html_to_pdf` -- that HTML -> PDF bytes (used by ``python -m analysis build``, which
  exports the HTML once and prints it);
- :class:`WeasyPDFExporter` -- an nbconvert exporter, registered in pyproject.toml as
  ``weasypdf``, so ``jupyter nbconvert --to weasypdf notebook.ipynb`` works after
  ``pip install -e .``.

The HTML exporter lives here rather than in :mod:`analysis.build` because the PDF exporter
subclasses it, and so that the CLI does not import nbconvert unless it exports something.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import default

from analysis.config import TEMPLATES_DIR

PRINT_CSS = TEMPLATES_DIR / "pdf" / "print.css"

#: Cells left out of every export: papermill's parameter cells, its error banners, and cells the
#: author tagged for removal.
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag",
                              "remove-cell", "remove_cell"})
#: Cells whose code is dropped even with ``--show-code``; and cells whose outputs are dropped.
REMOVE_INPUT_TAGS = frozenset({"remove-input", "remove_input", "hide-input", "hide_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})

# WeasyPrint is pure Python but uses Pango/fontconfig through cffi; rendering is CPU-bound (the GIL
# serialises it anyway) and not documented as thread-safe, so renders are serialised.
_RENDER_LOCK = threading.Lock()


# --------------------------------------------------------------------------- HTML


class ReportCellFilter(TagRemovePreprocessor):
    """TagRemovePreprocessor that always removes the report's tags (REMOVE_*_TAGS), in addition to
    any configured for TagRemovePreprocessor. Runs last, after any execution."""

    def preprocess(self, nb, resources):
        self.remove_cell_tags = set(self.remove_cell_tags) | REMOVE_CELL_TAGS
        self.remove_input_tags = set(self.remove_input_tags) | REMOVE_INPUT_TAGS
        self.remove_all_outputs_tags = set(self.remove_all_outputs_tags) | REMOVE_OUTPUT_TAGS
        return super().preprocess(nb, resources)


class ReportHTMLExporter(HTMLExporter):
    """HTMLExporter with the report's template: JupyterLab's "lab" template plus a readability
    stylesheet (``templates/report``: max width ~1000 px, readable tables, captions), no
    require.js, parameter cells removed (:class:`ReportCellFilter`, a TagRemovePreprocessor) and
    images embedded.

    Code is shown unless ``exclude_input`` is set (the build sets it unless ``--show-code``).
    PNG outputs are inline already (``data:image/png;base64``); ``embed_images`` also inlines
    images referenced from markdown, so one HTML file is the whole report."""

    export_from_notebook = "HTML (isolation report)"

    @default("template_name")
    def _template_name_default(self):
        return "report"

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        return [str(TEMPLATES_DIR)]

    @default("embed_images")
    def _embed_images_default(self):
        return True

    def _init_preprocessors(self):
        # After nbconvert's defaults, so after ExecutePreprocessor: `jupyter nbconvert --execute`
        # must still see the parameters cell it runs.
        super()._init_preprocessors()
        self.register_preprocessor(ReportCellFilter, enabled=True)


def export_html(nb, *, title: str | None = None, show_code: bool = False, report_info: dict | None = None,
                path: str | Path | None = None) -> str:
    """An executed notebook -> one self-contained HTML page.

    Code cells and prompts are left out unless ``show_code``. ``title`` is the page title;
    ``report_info`` (``as_of``, ``built_at``, ``source``) is printed in the page footer; ``path``
    is the folder relative image links are resolved from."""
    exporter = ReportHTMLExporter()
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = not show_code
    resources = {"metadata": {"name": title or "report", "path": str(path) if path else ""},
                 "report": report_info or {}}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    return html


# --------------------------------------------------------------------------- PDF


def print_css() -> str:
    """The print stylesheet's text."""
    return PRINT_CSS.read_text(encoding="utf-8")


def html_to_pdf(html: str, base_url: str | Path | None = None, extra_css: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes (A4, "page X of Y") with WeasyPrint.

    ``base_url`` (a folder) resolves relative links and images; the exported reports have none.
    WeasyPrint's warnings about CSS it does not support (JupyterLab's stylesheet has many) are
    silenced; errors are not."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    if base_url is not None:
        base = Path(base_url)
        base_url = base.resolve().as_uri() + "/" if base.is_dir() else str(base_url)
    sheets = [weasyprint.CSS(string=print_css())]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css))
    with _RENDER_LOCK:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(stylesheets=sheets)


class WeasyPDFExporter(ReportHTMLExporter):
    """nbconvert exporter ``weasypdf``: notebook -> the report's HTML -> PDF bytes (WeasyPrint).

    A subclass of nbconvert's HTMLExporter (through :class:`ReportHTMLExporter`). The usual
    nbconvert switches apply: ``jupyter nbconvert --to weasypdf --no-input nb.ipynb`` hides code.
    """

    export_from_notebook = "PDF via WeasyPrint"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"  # the HTML template, not "*.pdf.j2"

    def from_notebook_node(self, nb, resources=None, **kw):
        """Export ``nb`` to HTML with the report template, then print it; returns (PDF bytes, resources)."""
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        path = (resources.get("metadata") or {}).get("path") or None
        pdf = html_to_pdf(html, base_url=path)
        resources["output_extension"] = ".pdf"
        return pdf, resources
