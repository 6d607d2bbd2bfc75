"""Showing results: a :class:`Section` is what every report section function returns -- its text,
tables and figures, in order. It displays itself in Jupyter (figures with a link to the CSV behind
them, readable tables, Markdown built from computed values), exposes its data as tidy DataFrames
(``.data``, ``.tables``) and its figure (``.figure``, still open, restylable with
:meth:`Section.restyle`). Nothing here computes a metric.

The CSV behind each figure and table is written when the section is built, into the folder set
by :func:`configure` (the build sets it; in JupyterLab it is empty and nothing is written).
"""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pandas as pd

_STATE = {"output_data_dir": "", "link_dir": ""}


def configure(output_data_dir: str = "", link_dir: str = "") -> None:
    """Where figure CSVs are written (empty: not written) and the folder name the report links to."""
    _STATE["output_data_dir"] = output_data_dir or ""
    _STATE["link_dir"] = link_dir or ""


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~])")


def md_escape(value) -> str:
    """A string from the data, made inert for Markdown and HTML: ``& < >`` become entities and
    Markdown punctuation is backslash-escaped, so a treaty title or a city such as
    ``Beijing [c](javascript:alert(1))`` shows as text and never becomes a link, an image or
    markup. Every data string that enters a section's Markdown goes through this."""
    text = html.escape("" if value is None else str(value), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


#: Cells starting with these are read as formulas by spreadsheets (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every *text* cell that a spreadsheet would run as a formula prefixed with ``'``
    (OWASP CSV-injection guidance); numbers, dates and booleans stay as they are."""
    out = None
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        values = df[col]
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
        if risky.any():
            out = df.copy() if out is None else out
            out[col] = values.where(~risky, "'" + values.astype(str))
    return df if out is None else out


def save_data(df: pd.DataFrame, slug: str) -> str | None:
    """Write ``df`` as ``<output_data_dir>/<slug>.csv`` (text cells neutralised by :func:`csv_safe`);
    return the link the report uses."""
    out = _STATE["output_data_dir"]
    if not out:
        return None
    path = Path(out) / f"{slug}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_safe(df).to_csv(path, index=False, date_format="%Y-%m-%d")
    return f"{_STATE['link_dir']}/{slug}.csv" if _STATE["link_dir"] else path.name


def save_figure(svg: str, slug: str) -> None:
    """Write the figure as ``<output_data_dir>/<slug>.svg`` (reusable; the index shows it as a
    thumbnail). Nothing is written outside a build."""
    out = _STATE["output_data_dir"]
    if out:
        path = Path(out) / f"{slug}.svg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")


def _link(url) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return "" if url is None or (not isinstance(url, str) and pd.isna(url)) else html.escape(str(url))
    site = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(site)}</a>'


def table_html(df: pd.DataFrame, caption: str | None = None, formats: dict | None = None,
               max_rows: int = 60, link: str | None = None, slug: str | None = None) -> str:
    """A compact HTML table (no index), every cell escaped, URL columns as short links."""
    shown = df.head(max_rows).copy()
    for col, fmt in (formats or {}).items():
        if col in shown:
            shown[col] = shown[col].map(lambda v, f=fmt: "" if pd.isna(v) else f(v) if callable(f) else f.format(v))
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d").fillna("")
    from analysis.report import labels

    for col in shown.columns:
        if col not in (formats or {}):
            shown[col] = shown[col].map(lambda v, c=col: labels.value(c, v))
    for col in shown.columns:
        if str(col).endswith("url"):
            shown[col] = shown[col].map(_link)
        else:
            shown[col] = shown[col].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                                        else html.escape(str(v)))
    shown.columns = [html.escape(labels.header(c)) for c in shown.columns]
    classes = "report-table" + (" short-table" if len(shown) <= 25 else "")
    shown.columns.name = None
    body = shown.to_html(index=False, escape=False, na_rep="", classes=classes, border=0, justify="left")
    if caption:  # a <caption> stays with its table when the PDF breaks pages
        body = body.replace(">\n  <thead>", f">\n  <caption>{html.escape(caption)}</caption>\n  <thead>", 1)
    more = f"<p class='table-note'>First {max_rows} of {len(df)} rows.</p>" if len(df) > max_rows else ""
    dl = f"<p class='figure-data'>Data: <a href='{html.escape(link)}'>{html.escape(slug)}.csv</a></p>" if link else ""
    return body + more + dl


def figure_svg(fig) -> str:
    """The figure as SVG with its text as text (selectable, crisp at any size), reproducible (fixed
    ids, no date). Map layers are rasterised by :mod:`analysis.report.maps`, so the file stays small."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "isolation-report"}):
        fig.savefig(buf, format="svg", dpi=fig.dpi,
                    metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # no XML prolog or DOCTYPE: the SVG is inlined into HTML
    # width/height in pt fix the size; the viewBox stays, so CSS can scale the figure to its box
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)


def figure_bundle(fig, alt: str) -> tuple[dict, dict]:
    """(data, metadata) of a figure output: SVG, for screens and for print (the PDF export draws the
    same SVG as vector graphics), with the figure's finding as alternative text. One drawing per
    figure: a PNG as well cost ~0.25 s per figure, ~3 s per report."""
    data = {"image/svg+xml": figure_svg(fig), "text/plain": alt}
    meta = {"image/svg+xml": {"alt": alt}}
    return data, meta


class Figure:
    """A rendered figure for Jupyter: SVG with alternative text (``_repr_mimebundle_``)."""

    def __init__(self, data: dict, metadata: dict) -> None:
        self.data, self.metadata = data, metadata

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.data, self.metadata


class Section:
    """The result of a report section: blocks of text, tables and figures, in display order.

    - ``section.data``: the section's main tidy DataFrame (the first figure's or table's data);
      ``section.tables``: every DataFrame by its name (the CSV name without ``.csv``).
    - ``section.figure``: the first figure, still open (``section.figures`` for all).
    - ``section.text``: the Markdown of the section.
    - Displayed by Jupyter as the last expression of a cell; after display the figure is
      detached from pyplot (so the inline backend does not show it twice) but stays usable.
    """

    def __init__(self) -> None:
        self.blocks: list[tuple] = []
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: list = []
        self._data: pd.DataFrame | None = None

    # ------------------------------------------------------------------ building
    def md(self, text: str) -> Section:
        self.blocks.append(("md", text))
        return self

    def bullets(self, lines: list[str]) -> Section:
        return self.md("\n".join(f"- {line}" for line in lines)) if lines else self

    def table(self, df: pd.DataFrame, caption: str | None = None, formats: dict | None = None,
              slug: str | None = None, max_rows: int = 60, hide: tuple = ()) -> Section:
        """A table shown to readers and, with ``slug``, published as CSV; ``hide`` names columns the CSV
        keeps but the reader does not need (ISO3 codes beside the names)."""
        link = None
        if slug:
            link = save_data(df, slug)
            self._remember(slug, df)
        self.blocks.append(("table", df.drop(columns=list(hide)), caption, formats, max_rows, link, slug))
        return self

    def chart(self, result, slug: str) -> Section:
        """Add a chart function's (Figure, DataFrame) and write the DataFrame as ``<slug>.csv``."""
        fig, df = result
        link = save_data(df, slug)
        self._remember(slug, df)
        self.figures.append(fig)
        self.blocks.append(("figure", fig, slug, link))
        return self

    def save(self, df: pd.DataFrame, slug: str) -> Section:
        """Data that is published as CSV without being shown."""
        save_data(df, slug)
        self._remember(slug, df)
        return self

    def _remember(self, slug: str, df: pd.DataFrame) -> None:
        self.tables[slug] = df
        if self._data is None:
            self._data = df

    # ------------------------------------------------------------------ reading
    @property
    def data(self) -> pd.DataFrame:
        return self._data if self._data is not None else pd.DataFrame()

    @property
    def figure(self):
        return self.figures[0] if self.figures else None

    @property
    def text(self) -> str:
        return "\n\n".join(b[1] for b in self.blocks if b[0] == "md")

    def restyle(self, title: str | None = None, subtitle: str | None = None,
                legend_labels: dict[str, str] | None = None, index: int = 0) -> Section:
        """Change a figure's title, subtitle or legend labels (old label -> new label)."""
        from analysis.report import style

        style.restyle(self.figures[index], title=title, subtitle=subtitle, legend_labels=legend_labels)
        return self

    def __repr__(self) -> str:
        kinds = [b[0] for b in self.blocks]
        return (f"<Section: {kinds.count('md')} text, {kinds.count('table')} table(s), "
                f"{kinds.count('figure')} figure(s); data: {', '.join(self.tables) or 'none'}>")

    # ------------------------------------------------------------------ display
    def _ipython_display_(self) -> None:
        from IPython.display import HTML, Markdown, display

        for block in self.blocks:
            if block[0] == "md":
                display(Markdown(block[1]))
            elif block[0] == "table":
                _, df, caption, formats, max_rows, link, slug = block
                display(HTML(table_html(df, caption, formats, max_rows, link, slug)))
            else:
                _, fig, slug, link = block
                # rendered here (not by the inline backend) so the image is the same in every kernel,
                # with the figure's finding as alternative text for screen readers
                bundle, meta = figure_bundle(fig, getattr(fig, "_title", slug))
                display(Figure(bundle, meta))
                if link:
                    display(HTML(f'<p class="figure-data">Data behind this figure: <a href="{html.escape(link)}">'
                                 f'{html.escape(slug)}.csv</a></p>'))
                save_figure(bundle["image/svg+xml"], slug)
                _detach(fig)


def _detach(fig) -> None:
    """Remove a figure from pyplot's registry (the object stays usable)."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(fig.number):
        plt.close(fig)
