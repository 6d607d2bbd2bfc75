"""PDF export with WeasyPrint: the report's HTML, printed to A4.

No LaTeX and no Chromium: WeasyPrint (pure Python + Pango) lays out the same self-contained HTML
the build writes, with a print stylesheet (``templates/pdf/print.css``) that adds

- A4 pages with margins, the report title in the header and "page X of Y" in the footer
  (``@page`` margin boxes with ``counter(page)`` / ``counter(pages)``);
- ``break-inside: avoid`` for images, figures, tables and captions; ``break-after: avoid`` for
  headings; small (9 pt) tables whose long cells wrap;
- no JupyterLab UI chrome (prompts, collapsers, anchor links).

Two ways in:

- :func:`html_to_pdf` -- used by ``python -m analysis build`` on the HTML it has just exported;
- :class:`WeasyPDFExporter` -- an nbconvert exporter, registered in pyproject.toml as
  ``weasypdf``, so ``jupyter nbconvert --to weasypdf notebook.ipynb`` works after
  ``pip install -e .``.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from traitlets import default

from .build import TEMPLATES_DIR, ReportHTMLExporter

PRINT_CSS = TEMPLATES_DIR / "pdf" / "print.css"

# WeasyPrint is pure Python but uses Pango/fontconfig through cffi; rendering is CPU-bound (the GIL
# serialises it anyway) and not documented as thread-safe, so renders are serialised.
_RENDER_LOCK = threading.Lock()


def print_css() -> str:
    """The print stylesheet's text."""
    return PRINT_CSS.read_text(encoding="utf-8")


def html_to_pdf(html: str, base_url: str | Path | None = None, extra_css: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes (A4, page numbers) with WeasyPrint.

    ``base_url`` resolves relative links and images (the exported reports have none: images are
    embedded). WeasyPrint's warnings about the CSS properties it does not support (JupyterLab's
    stylesheet has many) are silenced; errors are not."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    sheets = [weasyprint.CSS(string=print_css())]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css))
    with _RENDER_LOCK:
        document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None)
        return document.write_pdf(stylesheets=sheets)


class WeasyPDFExporter(ReportHTMLExporter):
    """nbconvert exporter: notebook -> the report's HTML -> PDF bytes via WeasyPrint.

    A subclass of nbconvert's HTMLExporter (through :class:`analysis.build.ReportHTMLExporter`,
    which uses the "report" template = "lab" plus the report stylesheet, and drops the
    ``parameters`` / ``injected-parameters`` cells). The usual nbconvert switches apply, e.g.
    ``jupyter nbconvert --to weasypdf --no-input nb.ipynb`` hides the code.
    """

    export_from_notebook = "PDF via WeasyPrint"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"

    def from_notebook_node(self, nb, resources=None, **kw):
        """Export ``nb`` to HTML with the report template, then render it; returns (pdf bytes, resources)."""
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        base_url = (resources.get("metadata") or {}).get("path") or None
        pdf = html_to_pdf(html, base_url=base_url)
        resources["output_extension"] = ".pdf"
        return pdf, resources
