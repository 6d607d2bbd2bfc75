"""SIPRI Arms Transfers Database: the trade register, all suppliers to all recipients.

SIPRI has no documented public API. This fetcher asks the export endpoint behind SIPRI's web
application (https://armstransfers.sipri.org), which is an assumption that may break::

    POST {base}/trades/trade-register-csv/
    body: {"filters": [{"field": "Delivery year", "condition": "contains", "value1": 2000, "value2": 2030, ...},
                       {"field": "Order year", ...}, {"field": "opendeals", ...}], "logic": "AND"}
    default base: https://atbackend.sipri.org/api/p

Response format implemented: JSON ``{"bytes": "<base64 of the CSV export>"}`` (as that backend
is reported to answer), or the CSV itself (``text/csv``), which is what a mirror of the export
file serves. The CSV is the trade-register export of the base snapshot: a preamble of notes,
``Data generated: <date>``, then the header ``SIPRI AT Database ID,Supplier,Recipient,...``.
This is checked only against recorded fixture responses in ``tests/fixtures/fetch/`` -- the
project's test machines cannot reach the internet. If SIPRI's export changes its columns, the
fetch fails with the missing column named and nothing is written.

The export is stored unchanged when it is UTF-8 (re-encoded from Latin-1 otherwise, as recorded
in SOURCE.md), as ``trade_register_2000_2030_generated_<date>.csv``.

Newer: a snapshot is written only when the export has a later year (order or delivery) than the
snapshot in use: SIPRI publishes a new year every spring.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import io
import json
import re

import pandas as pd

from analysis.datasets import rawsources
from analysis.datasets.fetch import Fetcher, NewSnapshot, Response, source_md

FIRST_YEAR, LAST_YEAR = 2000, 2030
SOURCE = "sipri-arms-transfers"


def _filter(field: str, v1: object = "", v2: object = "", condition: str = "contains") -> dict:
    return {"field": field, "oldField": "", "condition": condition, "value1": v1, "value2": v2, "listData": []}


QUERY = {"filters": [_filter("Delivery year", FIRST_YEAR, LAST_YEAR), _filter("Order year", 0, LAST_YEAR),
                     _filter("opendeals", condition="")], "logic": "AND"}


class SIPRI(Fetcher):
    name = "sipri"
    sources = (SOURCE,)
    default_base_url = "https://atbackend.sipri.org/api/p"
    description = "SIPRI arms transfers, trade-register CSV export"

    def fetch(self) -> list[NewSnapshot]:
        url = f"{self.base_url}/trades/trade-register-csv/"
        resp = self.client.post(url, QUERY, accept=("application/json", "text/csv", "text/plain"))
        data, note = self._csv(resp)
        problems = rawsources.check_sipri(data, f"{SOURCE} export from {resp.url}")
        if problems:
            raise self.fail(resp.url, f"the export fails the format check: {problems[0]}")
        text = data.decode("utf-8-sig")
        frame = _frame(text)
        latest = rawsources.max_year(frame, ["Order date", "Delivery year"])
        current = self.current(SOURCE)
        if current:
            before = rawsources.max_year(_frame(current[1].read_text(encoding="utf-8")), ["Order date", "Delivery year"])
            if before is not None and latest is not None and latest <= before:
                self.notes.append(f"{SOURCE}: latest year {latest}, as in {current[0].name}")
                return []
        generated = _generated(text) or self.today
        fname = f"trade_register_{FIRST_YEAR}_{LAST_YEAR}_generated_{generated}.csv"
        n = len(frame)
        return [NewSnapshot(
            stem=self.dated_stem(SOURCE), summary=f"{n:,} rows, latest year {latest}, data generated {generated}",
            files={fname: data, "SOURCE.md": source_md("SIPRI Arms Transfers Database - trade register export", [
                f"Request: `POST {url}` with the filters in PROVENANCE.json (deliveries {FIRST_YEAR}-{LAST_YEAR}), "
                f"retrieved {self.now:%Y-%m-%dT%H:%M:%SZ}.",
                f"The export as SIPRI generated it on {generated}; {note}.",
                f"{n:,} rows (one per deal and delivery year); latest order or delivery year {latest}.",
                "(c) SIPRI; use with attribution (\"Source: SIPRI Arms Transfers Database\"), no resale."])},
            meta={"title": f"SIPRI Arms Transfers Database, trade register (all suppliers, all recipients, "
                           f"{FIRST_YEAR}-{LAST_YEAR}), generated {generated}",
                  "publisher": "Stockholm International Peace Research Institute (SIPRI)",
                  "origin": f"POST {url} (SIPRI trade-register export, data generated {generated})",
                  "licence": "(c) SIPRI; use with attribution, no resale", "attribution": "Source: SIPRI Arms Transfers Database",
                  "coverage": f"deals with orders or deliveries {FIRST_YEAR}-{latest}; TIV in millions; {n:,} rows",
                  "fetch": self.fetch_record(url, QUERY, method="POST")})]

    def _csv(self, resp: Response) -> tuple[bytes, str]:
        """The CSV bytes of the export (decoded from the JSON envelope if need be), in UTF-8."""
        raw = resp.body
        if resp.content_type == "application/json":
            try:
                doc = json.loads(raw)
                raw = base64.b64decode(doc["bytes"], validate=True)
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                raise self.fail(resp.url, f"expected JSON {{\"bytes\": <base64 CSV>}} ({type(exc).__name__}: {exc})") from None
        if not raw.strip():
            raise self.fail(resp.url, "empty result: the export is empty")
        try:
            raw.decode("utf-8")
            return raw, "stored unchanged"
        except UnicodeDecodeError:
            return raw.decode("latin-1").encode("utf-8"), "re-encoded from Latin-1 to UTF-8, otherwise unchanged"


def _frame(text: str) -> pd.DataFrame:
    head = rawsources.sipri_header_line(text) or 0
    return pd.read_csv(io.StringIO(text), skiprows=head, dtype=str, keep_default_na=False)


def _generated(text: str) -> str | None:
    """'Data generated: 3 Jan 2025 9:16:02 PM' -> '2025-01-03'."""
    m = re.search(r"Data generated:\s*(\d{1,2} \w{3} \d{4})", text[:5000])
    if not m:
        return None
    try:
        return _dt.datetime.strptime(m.group(1), "%d %b %Y").date().isoformat()
    except ValueError:
        return None
