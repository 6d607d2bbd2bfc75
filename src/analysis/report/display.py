"""Showing results in a notebook: figures with a link to the CSV behind them, readable tables,
and Markdown built from computed values. Notebooks call these; nothing here computes a metric."""
from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

_STATE = {"output_data_dir": "", "link_dir": ""}


def configure(output_data_dir: str = "", link_dir: str = "") -> None:
    """Where figure CSVs are written (empty: not written) and the folder name the report links to."""
    _STATE["output_data_dir"] = output_data_dir or ""
    _STATE["link_dir"] = link_dir or ""


def _display(obj) -> None:
    from IPython.display import display
    display(obj)


def md(text: str) -> None:
    from IPython.display import Markdown
    _display(Markdown(text))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def save_data(df: pd.DataFrame, slug: str) -> str | None:
    """Write ``df`` as ``<output_data_dir>/<slug>.csv``; return the link the report uses."""
    out = _STATE["output_data_dir"]
    if not out:
        return None
    path = Path(out) / f"{slug}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, date_format="%Y-%m-%d")
    return f"{_STATE['link_dir']}/{slug}.csv" if _STATE["link_dir"] else path.name


def figure(result, slug: str) -> pd.DataFrame:
    """Show a chart function's (Figure, DataFrame), write the DataFrame next to the report and
    link it under the figure. Returns the DataFrame."""
    fig, df = result
    import io

    from IPython.display import HTML, Image
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    # rendered here (not by the inline backend) so the image is the same in every kernel, with the
    # figure's finding as alternative text for screen readers
    _display(Image(data=buf.getvalue(), format="png", metadata={"alt": getattr(fig, "_title", slug)}))
    link = save_data(df, slug)
    if link:
        _display(HTML(f'<p class="figure-data">Data behind this figure: <a href="{html.escape(link)}">'
                      f'{html.escape(slug)}.csv</a></p>'))
    return df


def table(df: pd.DataFrame, caption: str | None = None, formats: dict | None = None, slug: str | None = None,
          max_rows: int = 60) -> None:
    """A compact HTML table (no index), with optional caption and per-column formats."""
    from IPython.display import HTML
    shown = df.head(max_rows).copy()
    for col, fmt in (formats or {}).items():
        if col in shown:
            shown[col] = shown[col].map(lambda v, f=fmt: "" if pd.isna(v) else f.format(v))
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d").fillna("")
    # escape every cell here; URL columns become short links (the site's name) instead of long text
    for col in shown.columns:
        if str(col).endswith("url"):
            shown[col] = shown[col].map(_link)
        else:
            shown[col] = shown[col].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                                        else html.escape(str(v)))
    shown.columns = [html.escape(str(c)) for c in shown.columns]
    classes = "report-table" + (" short-table" if len(shown) <= 25 else "")
    shown.columns.name = None
    body = shown.to_html(index=False, escape=False, na_rep="", classes=classes, border=0, justify="left")
    if caption:  # a <caption> stays with its table when the PDF breaks pages
        body = body.replace(">\n  <thead>", f">\n  <caption>{html.escape(caption)}</caption>\n  <thead>", 1)
    more = (f"<p class='table-note'>First {max_rows} of {len(df)} rows.</p>" if len(df) > max_rows else "")
    link = save_data(df, slug) if slug else None
    dl = f"<p class='figure-data'>Data: <a href='{html.escape(link)}'>{html.escape(slug)}.csv</a></p>" if link else ""
    _display(HTML(body + more + dl))


def _link(url) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return "" if url is None or (not isinstance(url, str) and pd.isna(url)) else html.escape(str(url))
    site = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(site)}</a>'


def bullets(lines: list[str]) -> None:
    md("\n".join(f"- {line}" for line in lines))
