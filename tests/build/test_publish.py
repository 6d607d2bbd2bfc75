"""Publishing helpers: links that work wherever the folder goes, the contents, PDF metadata and
bookmarks, the data package and the landing page's fallbacks."""
import io
import json

from pypdf import PdfReader

from analysis.build import datapackage, export, site

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Russia's international isolation</title>
<meta name="author" content="Isolation report project"></head><body><h1>Russia's international isolation</h1>
{body}</body></html>"""


def _page():
    body = "".join(f'<h2 id="S{i}">Section {i}</h2><h3 id="T{i}">Part {i}</h3><p>Text {i}.</p>'
                   f'<p class="figure-data">Data behind this figure: <a href="isolation_report_data/f{i}.csv">f{i}.csv</a></p>'
                   for i in range(5))
    return export.add_toc(PAGE.format(body=body))


def test_toc_lists_the_sections():
    html = _page()
    assert html.count('<li class="toc-h2">') == 5 and 'href="#T3"' in html


def test_toc_entries_are_the_heading_text_escaped_without_the_anchor_mark():
    """nbconvert writes each heading's anchor link as the entity &#182; (the pilcrow); the contents
    drop it in either form, and text from data stays escaped."""
    body = "".join(f'<h2 id="S{i}">Votes &amp; ties &lt;b&gt;{i}<a class="anchor-link" href="#S{i}">&#182;</a></h2>'
                   for i in range(4))
    nav = export.add_toc(PAGE.format(body=body)).split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert nav.count(">Votes &amp; ties &lt;b&gt;") == 4
    assert "&#182;" not in nav and "¶" not in nav and "<b>" not in nav


def test_pdf_links_name_the_file_or_use_the_base_url():
    html = _page()
    local = export.pdf_links(html)
    assert "isolation_report_data/f1.csv" in local and 'href="isolation_report_data' not in local
    assert "published beside this PDF" in local
    online = export.pdf_links(html, "https://example.org/r/")
    assert 'href="https://example.org/r/isolation_report_data/f1.csv"' in online
    assert 'href="#S1"' in online  # internal links untouched


def test_pdf_has_bookmarks_metadata_and_no_file_links(tmp_path):
    pdf = export.html_to_pdf(_page(), base_url=tmp_path)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Russia's international isolation"
    assert reader.metadata.author == "Isolation report project"
    assert len(reader.outline) >= 1
    uris = [str((a.get_object().get("/A") or {}).get("/URI", "")) for p in reader.pages
            for a in p.get("/Annots") or []]
    assert not [u for u in uris if u.startswith("file:")]


def test_data_package_describes_and_checks_the_csvs(tmp_path):
    (tmp_path / "votes.csv").write_text("iso3,name,yes,share_yes,date,icc_party\nCHN,China,3,0.5,2022-03-02,False\n")
    path = datapackage.write(tmp_path, name="isolation_report", title="T", as_of="2025-10-29",
                             built_at="2026-12-02T10:00:00Z", parameters={"allied_no_share": 0.5})
    pkg = json.loads(path.read_text())
    fields = {f["name"]: f for f in pkg["resources"][0]["schema"]["fields"]}
    assert fields["yes"]["type"] == "integer" and fields["share_yes"]["type"] == "number"
    assert fields["date"]["type"] == "date" and fields["icc_party"]["type"] == "boolean"
    assert fields["share_yes"]["unit"] == "share (0-1)" and fields["iso3"]["title"] == "ISO3"
    assert pkg["parameters"] == {"allied_no_share": 0.5} and pkg["licenses"] and pkg["sources"]
    assert datapackage.check(path) == []
    (tmp_path / "votes.csv").write_text("iso3,name,yes,share_yes,date,icc_party\nCHN,China,three,0.5,2022-03-02,False\n")
    assert any("yes='three'" in p for p in datapackage.check(path))


def test_landing_page_without_key_numbers(tmp_path):
    entry = {"files": {"html": "r.html", "data": "r_data"}}
    (tmp_path / "r_data").mkdir()
    page = site.landing(tmp_path, entry)
    assert page["numbers"] == [] and page["thesis"] is None
    (tmp_path / "r_data" / "key-numbers.csv").write_text(
        "name,label,value,unit,denominator\nwith,States on Russia's side,17,states,193\nshare,GDP,0.05,share,\n")
    (tmp_path / "r_data" / "thesis.csv").write_text(
        "kind,order,text,anchor\nfinding,2,Second,b\nthesis,1,Russia is not isolated,\nfinding,1,First,a\n")
    page = site.landing(tmp_path, entry)
    assert [n["text"] for n in page["numbers"]] == ["17 of 193", "5%"]
    assert page["thesis"] == "Russia is not isolated"
    assert [f["text"] for f in page["findings"]] == ["First", "Second"] and page["findings"][0]["href"] == "r.html#a"
