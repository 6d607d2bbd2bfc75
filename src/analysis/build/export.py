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

import base64
import contextlib
import copy
import functools
import gc
import html as _html
import logging
import re
import threading
from pathlib import Path

from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import default

from analysis.build import cssprune, svgtext
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
_HTML_LOCK = threading.Lock()


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

    def _validate_preprocessor(self, nbc, preprocessor):
        # nbconvert validates the whole notebook after each of its ~10 preprocessors (a third of a
        # profile's export); here once, after the last one, so an invalid result still stops it
        if self._preprocessors and preprocessor is self._preprocessors[-1]:
            super()._validate_preprocessor(nbc, preprocessor)

    def from_notebook_node(self, nb, resources=None, **kw):
        """As HTMLExporter's, without its last step: it parses the whole page again with
        BeautifulSoup (pure Python; a third of an export) to give images without alternative text a
        generic one and to make input and output areas focusable. :func:`_focusable` makes the same
        two edits on the template's own markup."""
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _focusable(html), resources


_FOCUSABLE = re.compile(r'<div class="((?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?)"'
                        r'(?![^>]*\btabindex=)')
_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)")
NO_ALT = "No description has been provided for this image"


def _focusable(html: str) -> str:
    """Input and output areas focusable (``tabindex="0"``: a keyboard can scroll a wide table)
    and a generic alternative text on images that have none, as nbconvert's HTMLExporter does.
    The markup is the template's: data strings inside it are escaped, so none can match."""
    html = _FOCUSABLE.sub(lambda m: f'<div class="{m.group(1)}" tabindex="0"', html)
    return _IMG_NO_ALT.sub(f'<img alt="{NO_ALT}"', html)


@functools.lru_cache(maxsize=2)
def _html_exporter(show_code: bool) -> ReportHTMLExporter:
    """One exporter per setting, reused: a new one compiles its ten Jinja templates again (~60 ms).
    Exports are serialised (``_HTML_LOCK``), so one instance is never used by two threads at once."""
    exporter = ReportHTMLExporter()
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = not show_code
    return exporter


def print_version(nb):
    """A copy of ``nb`` for paper: each SVG figure becomes an image of the same SVG (a ``data:`` URI,
    its size in points restored), which WeasyPrint draws as vector graphics with its text as text.
    (WeasyPrint does not draw the screen version's inline ``<svg>``: parsed as HTML, its ``viewBox``
    loses its case.)"""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            svg = data.get("image/svg+xml")
            if svg is None:
                continue
            svg = "".join(svg) if isinstance(svg, list) else svg
            alt = ((out.get("metadata") or {}).get("image/svg+xml") or {}).get("alt") or data.get("text/plain") or ""
            out["data"] = {"text/html": svg_image(svg, "".join(alt) if isinstance(alt, list) else alt)}
            out["metadata"] = {}
    return nb


_VIEWBOX = re.compile(r'<svg\b([^>]*?)\bviewBox="0 0 ([\d.]+) ([\d.]+)"')


def svg_image(svg: str, alt: str) -> str:
    """An SVG figure as ``<img src="data:image/svg+xml;base64,...">`` with its alternative text; the
    width and height (in points, from the viewBox) are put back so that the image has a size."""
    if not re.search(r'<svg\b[^>]*\bwidth=', svg):
        svg = _VIEWBOX.sub(lambda m: f'<svg{m.group(1)}width="{m.group(2)}pt" height="{m.group(3)}pt" '
                                     f'viewBox="0 0 {m.group(2)} {m.group(3)}"', svg, count=1)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<div class="jp-RenderedImage jp-OutputArea-output report-figure"><img src="{uri}" '
            f'alt="{_html.escape(alt, quote=True)}"></div>')


def export_html(nb, *, title: str | None = None, show_code: bool = False, report_info: dict | None = None,
                path: str | Path | None = None, for_print: bool = False) -> str:
    """An executed notebook -> one self-contained HTML page, with a table of contents.

    Code cells and prompts are left out unless ``show_code``. ``title`` is the page title;
    ``report_info`` (``as_of``, ``built_at``, ``source``, and ``author``, ``created``,
    ``description`` for the document metadata) is printed in the page footer; ``path`` is the
    folder relative image links are resolved from. ``for_print``: the version the PDF is made from
    (:func:`print_version`)."""
    if for_print:
        nb = print_version(nb)
    resources = {"metadata": {"name": title or "report", "path": str(path) if path else ""},
                 "report": report_info or {}}
    with _HTML_LOCK:  # CPython 3.11: compiling ASTs (jinja2 templates) in two threads at once can
        html, _ = _html_exporter(bool(show_code)).from_notebook_node(nb, resources=resources)  # raise SystemError (gh-106905)
    return add_toc(html)


def prewarm(pdf: bool = False) -> None:
    """Import and set up what exporting needs (nbconvert, its templates; WeasyPrint with ``pdf``)
    before the first report is exported: ~2 s in a fresh process. The build does it in a thread of
    its own while the first notebooks run in the worker processes, so it costs no wall time. Never
    raises: it is only a head start, and the export itself reports any problem."""
    try:
        import nbformat

        v4 = nbformat.v4
        code = v4.new_code_cell("x", outputs=[  # each kind of output a report has: its templates compile now
            v4.new_output("display_data", {"text/html": "<p>x</p>", "text/markdown": "x", "text/plain": "x",
                                           "image/svg+xml": "<svg></svg>"}),
            v4.new_output("execute_result", {"text/plain": "x"}, execution_count=1),
            v4.new_output("stream", name="stdout", text="x")])
        page = export_html(v4.new_notebook(cells=[v4.new_markdown_cell("# warm-up"), code]), title="warm-up")
        if pdf:
            svgtext.install()  # imports WeasyPrint
            cssprune.prune_html(page)  # parses the template's stylesheet once, now
    except Exception:  # noqa: BLE001
        pass


_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def add_toc(html: str, min_entries: int = 4) -> str:
    """Insert a table of contents (the h2 headings, with their h3 below) before the first h2. In
    print, ``print.css`` adds each heading's page number (``target-counter``)."""
    entries = [(int(lvl), hid, _html.escape(_html.unescape(re.sub(r"<[^>]+>", "", text)).replace("¶", "").strip(),
                                            quote=False))
               for lvl, hid, text in _HEADING.findall(html)]
    if sum(lvl == 2 for lvl, _, _ in entries) < min_entries:
        return html
    items, open_sub = [], False
    for lvl, hid, text in entries:
        if lvl == 3 and items:
            if not open_sub:
                items.append("<ol>")
                open_sub = True
        elif open_sub:
            items.append("</ol></li>")
            open_sub = False
        elif items:
            items.append("</li>")
        items.append(f'<li class="toc-h{lvl}"><a href="#{hid}">{text}</a>' + ("</li>" if lvl == 3 else ""))
    items.append("</ol></li>" if open_sub else "</li>")
    nav = ('<nav class="toc" aria-label="Contents"><p class="toc-title">Contents</p><ol>'
           + "".join(items) + "</ol></nav>\n")
    first = _HEADING.search(html)
    return html[:first.start()] + nav + html[first.start():]


_REL_LINK = re.compile(r"""<a href=(["'])(?!https?:|mailto:|#|data:|file:)([^"']+)\1>(.*?)</a>""", re.S)


def pdf_links(html: str, base_url: str | None = None) -> str:
    """Links to files beside the report (the figures' CSVs) made to work on paper: with
    ``base_url`` (where the output folder is published, e.g. ``https://example.org/reports/``
    plus the report's subfolder) they point there; without it the file is named, not linked, and
    one note says the files are published beside the PDF. No link ever names the build machine."""
    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
        return _REL_LINK.sub(lambda m: f'<a href="{_html.escape(base + _html.unescape(m.group(2)), quote=True)}">'
                                       f"{m.group(3)}</a>", html)
    folders: list[str] = []

    def named(m):
        path = _html.unescape(m.group(2))
        folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        if folder and folder not in folders:
            folders.append(folder)
        return f'<span class="local-file">{_html.escape(path)}</span>'

    html = _REL_LINK.sub(named, html)
    if folders:
        note = ('<p class="data-note">The data behind each figure and table is published beside this PDF, '
                f'in the folder {", ".join(_html.escape(f) for f in folders)} (one CSV file each, named '
                'under the figure, with a data dictionary in datapackage.json).</p>')
        anchor = '<nav class="toc"' if '<nav class="toc"' in html else "</h1>"
        at = html.find(anchor)
        if anchor == "</h1>" and at >= 0:
            at += len(anchor)
        html = html[:at] + note + html[at:] if at >= 0 else note + html
    return html


# --------------------------------------------------------------------------- PDF


def print_css() -> str:
    """The print stylesheet's text."""
    return PRINT_CSS.read_text(encoding="utf-8")


def html_to_pdf(html: str, base_url: str | Path | None = None, extra_css: str | None = None,
                data_base_url: str | None = None, collect: bool = True) -> bytes:
    """Render an HTML document to PDF bytes (A4, "page X of Y", bookmarks from the headings,
    metadata from the page's head, tagged where WeasyPrint supports it) with WeasyPrint.

    Relative links (the CSVs beside the report) go through :func:`pdf_links` with
    ``data_base_url`` first, so none resolves against ``base_url`` to a ``file://`` path.
    ``base_url`` (a folder) resolves relative images; the exported reports have none.
    WeasyPrint's warnings about CSS it does not support (JupyterLab's stylesheet has many) are
    silenced; errors are not. ``collect=False``: the render's garbage is left to the next full
    collection (see :func:`_no_gc`), for a process that ends soon after."""
    html = cssprune.prune_html(pdf_links(html, data_base_url))  # the same PDF, ~7 % less work
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    if base_url is not None:
        base = Path(base_url)
        base_url = base.resolve().as_uri() + "/" if base.is_dir() else str(base_url)
    sheets = [weasyprint.CSS(string=print_css())]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css))
    options = {"stylesheets": sheets}
    if _supports_tags(weasyprint):
        options["pdf_tags"] = True
    svgtext.install()  # the figures' labels laid out a string at a time (~10 % of the render)
    with _RENDER_LOCK, _no_gc(collect):
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf(**options)


@contextlib.contextmanager
def _no_gc(collect: bool = True):
    """The cycle collector off while WeasyPrint lays out and draws: it makes hundreds of thousands
    of objects (boxes, styles) and the collections they trigger cost ~10 % of the render. The
    garbage (~240,000 objects for the main report) is collected by the first collection after it,
    which then walks every object the render made (~0.3 s). With ``collect=False`` the render's
    objects join the oldest generation instead (``gc.freeze`` + ``gc.unfreeze``): the garbage is
    freed by the next full collection, or with the process if it ends first."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not collect:
            gc.freeze()
            gc.unfreeze()
        if was:
            gc.enable()


def _supports_tags(weasyprint) -> bool:
    """Tagged PDF (structure for screen readers) is an option of WeasyPrint 63 and later."""
    try:
        return int(weasyprint.__version__.split(".")[0]) >= 63
    except (AttributeError, ValueError):
        return False


def export_pdf(nb, *, title: str | None = None, show_code: bool = False, report_info: dict | None = None,
               path: str | Path | None = None, data_base_url: str | None = None, collect: bool = True) -> bytes:
    """An executed notebook -> PDF bytes (the print version of the HTML: vector figures, data links
    for paper). ``collect``: see :func:`html_to_pdf`."""
    html = export_html(nb, title=title, show_code=show_code, report_info=report_info, path=path, for_print=True)
    return html_to_pdf(html, base_url=path, data_base_url=data_base_url, collect=collect)


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
        nb = print_version(nb)
        html, resources = super().from_notebook_node(nb, resources=resources, **kw)
        path = (resources.get("metadata") or {}).get("path") or None
        pdf = html_to_pdf(html, base_url=path)
        resources["output_extension"] = ".pdf"
        return pdf, resources
