"""The PDF's stylesheets cut to what can match the page (analysis.build.cssprune): only rules that
need a class or id the page lacks go, and the PDF is byte for byte the one the whole stylesheet
makes."""
from __future__ import annotations

import nbformat

from analysis.build import cssprune, export

PAD = "/* padding */\n" * 2000  # over MIN_CHARS: a stylesheet worth cutting


def _style(css: str) -> str:
    return f"<html><head><style>{css}{PAD}</style></head>"


def _kept(css: str, body: str) -> str:
    out = cssprune.prune_html(_style(css) + body)
    return out.split("<style>")[1].split("</style>")[0]


def test_only_rules_needing_a_class_or_id_the_page_lacks_are_dropped():
    body = '<body class="jp-Notebook"><div id="main" class="a b">x</div></body></html>'
    css = """
    .absent { color: red }
    .a.absent, .nope { color: red }
    .a .b { color: green }
    #main { margin: 0 }
    #other { margin: 1px }
    p { color: blue }
    div:not(.absent) { color: teal }
    [class~=absent] { color: navy }
    .a::before { content: "x" }
    .absent, .b { color: olive }
    @media print { .absent { color: red } .b { color: lime } }
    @media screen { .absent { color: red } }
    @font-face { font-family: X; src: local(X) }
    :root { --jp-x: 1px }
    """
    kept = _kept(css, body)
    for gone in (".absent { color: red }", ".nope", "#other", "@media screen"):
        assert gone not in kept, gone
    for stays in (".a .b", "#main", "p { color: blue }", "div:not(.absent)", "[class~=absent]", ".a::before",
                  ".absent, .b", "@media print", ".b { color: lime }", "@font-face", "--jp-x"):
        assert stays in kept, stays
    assert "@media print { .absent" not in kept.replace("\n", " ")  # cut inside @media too


def test_a_small_stylesheet_is_kept_whole():
    small = "<style>.absent { color: red }</style><p>x</p>"
    assert cssprune.prune_html(small) == small


def test_the_pdf_is_the_one_the_whole_stylesheet_makes():
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# A title\n\nSome *text* and a [link](x.csv)."),
                                v4.new_code_cell("x", outputs=[v4.new_output("display_data", {
                                    "text/html": "<table class='report-table'><tr><th>a</th></tr><tr><td>1</td></tr></table>",
                                    "text/plain": "x"})])])
    page = export.export_html(nb, title="t", for_print=True)
    assert len(cssprune.prune_html(page)) < len(page) - 100_000  # JupyterLab's stylesheet, mostly gone
    real = cssprune.prune_html
    try:
        cssprune.prune_html = lambda html: html  # the whole stylesheet
        whole = export.html_to_pdf(page)
    finally:
        cssprune.prune_html = real
    assert export.html_to_pdf(page) == whole


def test_the_parsed_stylesheet_is_read_from_the_memo_store_by_the_next_process(tmp_path, monkeypatch):
    from analysis.datasets import data

    monkeypatch.setenv("ISOLATION_MEMO_DIR", str(tmp_path / "memo"))
    page = _style(".absent { color: red } .b { color: lime }") + '<body><p class="b">x</p></body></html>'
    data.clear_cache()
    try:
        first = cssprune.prune_html(page)
        data.clear_cache()  # a new process: nothing parsed in memory

        def no_parse(css):
            raise AssertionError("parsed again")
        monkeypatch.setattr(cssprune, "_parse", no_parse)
        assert cssprune.prune_html(page) == first
        assert ".absent" not in first and ".b { color: lime }" in first
    finally:
        data.clear_cache()
