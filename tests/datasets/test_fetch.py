"""The fetchers against a local HTTP server on 127.0.0.1 serving responses in each source's format
(tests/fixtures/fetch/): a good response, a second page, nothing new, HTTP 500, a timeout, a
truncated body, a changed column name, an empty result. No test touches the internet."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from analysis import config
from analysis.build.cli import main
from analysis.datasets import fetch, rawsources
from analysis.datasets.importers import parse_release

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "fetch"
POLICY = fetch.Policy(timeout=0.3, retries=1, backoff=0)
TODAY = time.strftime("%Y-%m-%d", time.gmtime())
RAW_NEEDED = ["wb-population", "wb-gdp", "imf-imts-russia", "sipri-arms-transfers", "undl-ga-votes", "country-codes"]


# --------------------------------------------------------------------------- a local server
@dataclass
class Reply:
    body: bytes = b""
    ctype: str = "application/json"
    status: int = 200
    delay: float = 0.0
    truncate: bool = False


class Server:
    """Routes path -> list of replies (served in turn, the last one repeats) or a function of the
    query. Records every request (method, path, query, headers)."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.handle(self)

            def do_POST(self):
                server.handle(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def route(self, path: str, *replies) -> None:
        self.routes[path] = list(replies) if not callable(replies[0]) else replies[0]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.requests.append({"method": h.command, "path": parts.path, "query": query, "headers": dict(h.headers),
                              "body": body})
        route = self.routes.get(parts.path)
        if route is None:
            reply = Reply(b"not found", "text/plain", 404)
        elif callable(route):
            reply = route(query)
        else:
            reply = route.pop(0) if len(route) > 1 else route[0]
        if reply.delay:
            time.sleep(reply.delay)
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.ctype)
            h.send_header("Content-Length", str(len(reply.body) + (500 if reply.truncate else 0)))
            h.end_headers()
            h.wfile.write(reply.body)
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def raw(tmp_path, monkeypatch) -> Path:
    """data/raw with the snapshots the fetchers compare against, in a temporary data folder."""
    root = tmp_path / "data"
    for name in RAW_NEEDED:
        shutil.copytree(config.raw_dir() / name, root / "raw" / name)
    # the importer's checks read the members from data/manual/un_admission.csv
    (root / "manual").mkdir(parents=True)
    shutil.copy(config.manual_dir() / "un_admission.csv", root / "manual" / "un_admission.csv")
    monkeypatch.setenv("ISOLATION_DATA_DIR", str(root))
    monkeypatch.delenv("ISOLATION_OFFLINE", raising=False)
    from analysis.datasets import codes
    codes._table.cache_clear()
    codes._name_index.cache_clear()
    return root / "raw"


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones included) and its sha256."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(names, server, raw, policy=POLICY):
    out, err = [], []
    rc = fetch.run(names, server.url, policy, raw, out=out.append, err=err.append)
    return rc, out, err


# --------------------------------------------------------------------------- each source's responses
def _json(path: Path) -> Reply:
    return Reply(path.read_bytes(), "application/json;charset=utf-8")


def wb_routes(server, pop_page1: Reply | None = None, pop_page2: Reply | None = None) -> None:
    pages = {"1": pop_page1 or _json(FIX / "worldbank" / "SP.POP.TOTL.page1.json"),
             "2": pop_page2 or _json(FIX / "worldbank" / "SP.POP.TOTL.page2.json")}
    server.route("/v2/country/all/indicator/SP.POP.TOTL", lambda q: pages[q["page"]])
    server.route("/v2/country/all/indicator/NY.GDP.MKTP.CD", _json(FIX / "worldbank" / "NY.GDP.MKTP.CD.page1.json"))


def imf_routes(server, *replies: Reply) -> None:
    server.route("/data/dataflow/IMF.STA/IMTS/+/RUS.XG_FOB_USD+MG_CIF_USD.*.A",
                 *(replies or [Reply((FIX / "imf" / "imts.csv").read_bytes(), "application/vnd.sdmx.data+csv; version=2.0.0")]))


def sipri_routes(server, reply: Reply | None = None) -> None:
    server.route("/trades/trade-register-csv/", reply or _json(FIX / "sipri" / "trade_register.json"))


def undl_routes(server, reply: Reply | None = None) -> None:
    server.route("/record/4060887/export/xm", Reply((FIX / "undl" / "record.xml").read_bytes(), "application/xml"))
    server.route("/record/4060887/files/2026_2_6_ga_voting.csv",
                 reply or Reply((FIX / "undl" / "ga_voting.csv").read_bytes(), "text/csv"))


def _sipri_text() -> str:
    return base64.b64decode(json.loads((FIX / "sipri" / "trade_register.json").read_text())["bytes"]).decode()


# each failure: fetcher -> (route setup with the broken reply, words the error must contain)
GOOD = {"worldbank": wb_routes, "imf": imf_routes, "sipri": sipri_routes, "undl": undl_routes}
BROKEN = {
    "http500": lambda: Reply(b'{"error": "internal"}', "application/json", 500),
    "timeout": lambda: Reply(b"[]", "application/json", delay=1.0),
}


def broken(name: str, kind: str) -> Reply:
    """The main response of fetcher ``name`` broken one way."""
    if kind in BROKEN:
        return BROKEN[kind]()
    if name == "worldbank":
        body = (FIX / "worldbank" / "SP.POP.TOTL.page2.json").read_bytes()
        if kind == "changed_column":
            body = body.replace(b'"countryiso3code"', b'"countryIso3Code"')
        if kind == "empty":
            body = json.dumps([{"page": 1, "pages": 0, "per_page": 50, "total": 0, "lastupdated": "2026-07-01"}, None]).encode()
        return Reply(body, "application/json", truncate=kind == "truncated")
    if name == "imf":
        text = (FIX / "imf" / "imts.csv").read_text()
        text = {"changed_column": text.replace(",OBS_VALUE,", ",VALUE,"), "empty": text.splitlines()[0] + "\n"}.get(kind, text)
        return Reply(text.encode(), "application/vnd.sdmx.data+csv", truncate=kind == "truncated")
    if name == "sipri":
        text = {"changed_column": _sipri_text().replace(",Order date,", ",Order year,"), "empty": ""}.get(kind, _sipri_text())
        return Reply(json.dumps({"bytes": base64.b64encode(text.encode()).decode()}).encode(), "application/json",
                     truncate=kind == "truncated")
    text = (FIX / "undl" / "ga_voting.csv").read_text()
    text = {"changed_column": text.replace(",ms_vote,", ",vote,", 1), "empty": text.splitlines()[0] + "\n"}.get(kind, text)
    return Reply(text.encode(), "text/csv", truncate=kind == "truncated")


def setup_broken(server, name: str, kind: str) -> None:
    reply = broken(name, kind)
    if name == "worldbank":  # page 1 is fine; the failure comes on page 2 (or page 1 for an empty result)
        wb_routes(server, pop_page1=reply if kind == "empty" else None, pop_page2=reply)
    else:
        GOOD[name](server, reply)


# --------------------------------------------------------------------------- every fetcher, every failure
@pytest.mark.parametrize("kind", ["http500", "timeout", "truncated", "changed_column", "empty"])
@pytest.mark.parametrize("name", ["worldbank", "imf", "sipri", "undl"])
def test_a_failure_is_one_clear_error_and_writes_nothing(name, kind, server, raw):
    setup_broken(server, name, kind)
    before = tree(raw.parent)
    rc, out, err = run([name], server, raw)
    assert rc == 1
    assert len(err) == 1 and err[0].startswith(f"error: {name}: {server.url}/"), err
    words = {"http500": "HTTP 500", "timeout": "timed out", "truncated": "truncated", "changed_column": "",
             "empty": "empty"}[kind]
    assert words in err[0]
    if kind == "changed_column":
        assert any(c in err[0] for c in ("countryiso3code", "OBS_VALUE", "Order date", "ms_vote")), err[0]
    if kind in ("http500", "timeout", "truncated"):
        assert "gave up after 2 attempts" in err[0]
    assert tree(raw.parent) == before  # not one byte changed, no staging folder left


def test_worldbank_reads_every_page_and_writes_a_dated_snapshot(server, raw):
    wb_routes(server)
    rc, out, err = run(["worldbank"], server, raw)
    assert (rc, err) == (0, [])
    pop, gdp = raw / f"wb-population@{TODAY}", raw / f"wb-gdp@{TODAY}"
    assert pop.is_dir() and gdp.is_dir() and any(str(pop) in line for line in out)
    pages = [r["query"]["page"] for r in server.requests if r["path"].endswith("SP.POP.TOTL")]
    assert pages == ["1", "2"]
    assert all(r["headers"]["User-Agent"].startswith("russia-isolation-report/") for r in server.requests)
    rows = list(csv.DictReader(io.StringIO((pop / "population.csv").read_text())))
    assert list(rows[0]) == rawsources.WB_COLUMNS
    assert ("RUS", "2025", "143200000") in {(r["Country Code"], r["Year"], r["Value"]) for r in rows}
    assert not any(r["Country Code"] == "" or r["Year"] == "2026" for r in rows)  # no code / null value left out
    prov = json.loads((pop / "PROVENANCE.json").read_text())
    assert prov["retrieved"] == TODAY and prov["fetch"]["source_last_updated"] == "2026-07-01"
    assert prov["fetch"]["url"] == f"{server.url}/v2/country/all/indicator/SP.POP.TOTL"
    assert prov["fetch"]["query"]["format"] == "json" and len(prov["fetch"]["responses"]) == 2
    for fname, info in prov["files"].items():
        assert info["sha256"] == hashlib.sha256((pop / fname).read_bytes()).hexdigest()
        assert info["bytes"] == (pop / fname).stat().st_size
    newest = rawsources.candidates("wb-population", raw)[0]  # curate now reads the new snapshot
    assert rawsources.check_snapshot(newest, rawsources.SOURCES["wb-population"]) == (pop / "population.csv", [])


def test_worldbank_nothing_new_writes_nothing(server, raw):
    wb_routes(server)
    assert run(["worldbank"], server, raw)[0] == 0
    before, n = tree(raw), len(server.requests)
    rc, out, err = run(["worldbank"], server, raw)
    assert (rc, err) == (0, []) and tree(raw) == before
    assert any("unchanged" in line for line in out) and any("nothing new" in line for line in out)
    assert len(server.requests) - n == 2  # page 1 of each indicator: lastupdated unchanged, no further page


def test_imf_converts_sdmx_csv_to_the_wide_export_curate_reads(server, raw):
    imf_routes(server)
    rc, out, err = run(["imf"], server, raw)
    assert (rc, err) == (0, [])
    path = raw / f"imf-imts-russia@{TODAY}" / "RU_trade_imf_imts.csv"
    assert server.requests[0]["headers"]["Accept"] == "application/vnd.sdmx.data+csv;version=2.0.0"
    assert server.requests[0]["query"] == {"c[TIME_PERIOD]": "ge:2016"}
    assert path.read_bytes().startswith(b'\xef\xbb\xbf"DATASET","SERIES_CODE"')
    rows = {(r["INDICATOR.ID"], r["COUNTERPART_COUNTRY.ID"]): r for r in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))}
    chn = rows[("XG_FOB_USD", "CHN")]
    assert chn["COUNTERPART_COUNTRY"] == "China, People's Republic of" or chn["COUNTERPART_COUNTRY"]  # name from the old snapshot
    assert chn["SCALE.ID"] == "6" and chn["SERIES_CODE"] == "RUS.XG_FOB_USD.CHN.A" and chn["2025"]
    assert rawsources.check_snapshot(path.parent, rawsources.SOURCES["imf-imts-russia"]) == (path, [])
    server.routes.clear()
    imf_routes(server, Reply((FIX / "imf" / "imts_unchanged.csv").read_bytes(), "text/csv"))
    rc, out, _ = run(["imf"], server, raw)  # latest year 2024 < 2025 in the snapshot in use: nothing new
    assert rc == 0 and any("nothing new" in line for line in out)


def test_imf_rescales_to_millions_exactly():
    from analysis.datasets.fetchers.imf import IMF
    f = IMF(fetch.Client("imf", POLICY))
    assert f._millions("1435", "0", "u", 2) == "0.001435"
    assert f._millions("17030.155389060042", "6", "u", 2) == "17030.155389060042"
    assert f._millions("2.5", "9", "u", 2) == "2500"
    assert f._millions("", "6", "u", 2) == ""


def test_sipri_export_is_stored_unchanged_under_its_generation_date(server, raw):
    sipri_routes(server)
    rc, out, err = run(["sipri"], server, raw)
    assert (rc, err) == (0, [])
    path = raw / f"sipri-arms-transfers@{TODAY}" / "trade_register_2000_2030_generated_2026-03-16.csv"
    assert path.read_text() == _sipri_text()
    req = server.requests[-1]
    assert req["method"] == "POST" and json.loads(req["body"])["filters"][0]["field"] == "Delivery year"
    server.routes.clear()
    sipri_routes(server, Reply((FIX / "sipri" / "trade_register_unchanged.csv").read_bytes(), "text/csv"))
    rc, out, _ = run(["sipri"], server, raw)
    assert rc == 0 and any("nothing new" in line for line in out)


def test_undl_writes_only_new_records_as_a_release_import_undl_accepts(server, raw):
    undl_routes(server)
    rc, out, err = run(["undl"], server, raw)
    assert (rc, err) == (0, [])
    folder = raw / f"undl-release-{TODAY}"
    votes, res = parse_release(folder / f"undl_ga_votes_{TODAY}.csv")
    # A/RES/80/4 is identical to the known record and ES-11/4 lies before the window: only the new record
    assert list(res["resolution"]) == ["A/RES/ES-10/99"] and len(votes) == 193
    assert (res.iloc[0]["session"], res.iloc[0]["yes"], res.iloc[0]["title"]) == (80, 185, "Synthetic test record (fixture, not a real vote)")
    prov = json.loads((folder / "PROVENANCE.json").read_text())
    assert prov["fetch"]["added"] == [9000001] and prov["fetch"]["url"].endswith("/2026_2_6_ga_voting.csv")
    server.routes.clear()
    undl_routes(server, Reply((FIX / "undl" / "ga_voting.csv").read_bytes(), "text/csv"))
    before = tree(raw)
    rc, out, _ = run(["undl"], server, raw)  # the same file again: now known
    assert rc == 0 and any("nothing new" in line for line in out) and tree(raw) == before


def test_undl_full_record_replaces_a_partial_one(server, raw):
    rows = list(csv.DictReader(io.StringIO((FIX / "undl" / "ga_voting.csv").read_text())))
    partial = [r for r in rows if r["undl_id"] == "9000001"][:100]  # the record before all votes were entered
    rows = [r for r in rows if r["undl_id"] != "9000001"] + partial
    for r in partial:  # a partial record states its own (partial) totals
        n = {v: sum(1 for x in partial if x["ms_vote"] == v) for v in "YNAX"}
        r.update(total_yes=str(n["Y"]), total_no=str(n["N"]), total_abstentions=str(n["A"]),
                 total_non_voting=str(n["X"]), total_ms=str(len(partial)))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    undl_routes(server, Reply(buf.getvalue().encode(), "text/csv"))
    assert run(["undl"], server, raw)[0] == 0
    server.routes.clear()
    undl_routes(server)
    rc, out, err = run(["undl"], server, raw)
    assert (rc, err) == (0, [])
    second = raw / f"undl-release-{TODAY}.2"  # a second fetch the same day never replaces the first
    prov = json.loads((second / "PROVENANCE.json").read_text())
    assert prov["fetch"]["replaced"] == [9000001]
    votes, _ = parse_release(next(second.glob("*.csv")))
    assert len(votes) == 193
    assert [p.parent.name for p in rawsources.select(raw).releases] == [f"undl-release-{TODAY}", second.name]


def test_undl_totals_that_disagree_with_the_rows_are_refused(server, raw):
    text = (FIX / "undl" / "ga_voting.csv").read_text().replace(",185.0,3.0,", ",186.0,3.0,")
    undl_routes(server, Reply(text.encode(), "text/csv"))
    before = tree(raw.parent)
    rc, _, err = run(["undl"], server, raw)
    assert rc == 1 and "import-undl checks" in err[0] and "total_yes" in err[0]
    assert tree(raw.parent) == before


# --------------------------------------------------------------------------- network policy
def test_a_transient_error_is_retried_and_a_404_is_not(server, raw):
    imf_routes(server, Reply(b"busy", "text/plain", 503),
               Reply((FIX / "imf" / "imts.csv").read_bytes(), "application/vnd.sdmx.data+csv"))
    assert run(["imf"], server, raw)[0] == 0 and len(server.requests) == 2
    server.routes.clear()
    n = len(server.requests)
    rc, _, err = run(["sipri"], server, raw)
    assert rc == 1 and "HTTP 404" in err[0] and len(server.requests) == n + 1


def test_wrong_content_type_and_oversized_responses_are_refused(server):
    server.route("/page", Reply(b"<html>captive portal</html>", "text/html"))
    client = fetch.Client("test", POLICY)
    with pytest.raises(fetch.FetchError, match="content type 'text/html'"):
        client.get(f"{server.url}/page")
    server.route("/big", Reply(b"x" * 5000, "application/json"))
    with pytest.raises(fetch.FetchError, match="exceeds the limit"):
        client.get(f"{server.url}/big", max_bytes=1000)


def test_offline_touches_no_network(server, raw, monkeypatch, capsys):
    wb_routes(server)
    before = tree(raw)
    assert main(["fetch", "--offline", "--base-url", server.url]) == 0
    assert "offline" in capsys.readouterr().out and server.requests == [] and tree(raw) == before
    monkeypatch.setenv("ISOLATION_OFFLINE", "1")
    assert main(["fetch", "worldbank", "--base-url", server.url]) == 0 and server.requests == []
    with pytest.raises(fetch.FetchError, match="offline"):
        fetch.Client("test", fetch.Policy(offline=True)).get(f"{server.url}/x")


@pytest.mark.parametrize("argv", [["fetch", "nosuchsource"], ["fetch", "imf", "--base-url", "ftp://x"],
                                  ["fetch", "imf", "--timeout", "0"]])
def test_bad_parameters_exit_2(argv, raw, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_the_command_line_against_a_local_server(server, raw, capsys):
    """`python -m analysis fetch worldbank --base-url http://127.0.0.1:PORT`: exit 0 and a new
    snapshot; against a server answering 500: exit 1, one line naming the URL, nothing written
    (the second run in a process of its own, as a cron job runs it)."""
    wb_routes(server)
    assert main(["fetch", "worldbank", "--base-url", server.url]) == 0
    assert (raw / f"wb-population@{TODAY}" / "PROVENANCE.json").exists() and "wrote" in capsys.readouterr().out
    env = {**os.environ, "ISOLATION_DATA_DIR": str(raw.parent)}
    cmd = [sys.executable, "-m", "analysis", "fetch", "worldbank", "--base-url", server.url, "--backoff", "0"]
    server.routes.clear()
    server.route("/v2/country/all/indicator/SP.POP.TOTL", Reply(b"oops", "text/plain", 500))
    before = tree(raw.parent)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{server.url}/v2/country/all/indicator/SP.POP.TOTL?format=json" in lines[0]
    assert "HTTP 500" in lines[0] and tree(raw.parent) == before
