"""World Bank population (SP.POP.TOTL) and GDP (NY.GDP.MKTP.CD), Indicators API v2.

Request (per indicator, one request per page)::

    GET {base}/v2/country/all/indicator/{INDICATOR}?format=json&per_page=20000&page=N
    default base: https://api.worldbank.org

Response format implemented (World Bank API v2 JSON): a two-element list
``[page metadata, records]``; the metadata has ``page, pages, per_page, total, lastupdated``;
each record has ``indicator {id, value}, country {id, value}, countryiso3code, date, value``
(``value`` null when missing; the list is ``null`` on an empty result). An API error is a
one-element list ``[{"message": [{"id", "key", "value"}]}]`` with status 200. This was written
from the API's documented shape and is checked only against recorded fixture responses in
``tests/fixtures/fetch/`` -- the project's test machines cannot reach the internet.

Checks before anything is written: every page is JSON of that shape, the page metadata stays the
same across pages, every record has the expected fields and the requested indicator, the number
of records equals ``total``, the result is not empty, and the converted CSV passes
:func:`rawsources.check_worldbank` (the check curate applies).

Conversion: records with an ISO3 code and a value become rows of the CSV curate reads
(``Country Name,Country Code,Year,Value`` -- the layout of the base snapshots, which came from
datasets/population and datasets/gdp), sorted by code and year; numbers are written as the API
gave them.

Newer: if the API's ``lastupdated`` equals the one recorded by the snapshot in use, nothing more
is requested; otherwise every page is read and a snapshot is written only when some value (or
country-year) differs from the snapshot in use.
"""
from __future__ import annotations

import csv
import io
import json
import re

from analysis.datasets import rawsources
from analysis.datasets.fetch import Fetcher, NewSnapshot, Response, source_md

INDICATORS = {  # raw folder -> (indicator, file name, title)
    "wb-population": ("SP.POP.TOTL", "population.csv", "Population, total (SP.POP.TOTL)"),
    "wb-gdp": ("NY.GDP.MKTP.CD", "gdp.csv", "GDP (current US$) (NY.GDP.MKTP.CD)"),
}
RECORD_FIELDS = ("indicator", "country", "countryiso3code", "date", "value")
PAGE_FIELDS = ("page", "pages", "per_page", "total", "lastupdated")
MAX_PAGES = 100


class WorldBank(Fetcher):
    name = "worldbank"
    sources = tuple(INDICATORS)
    default_base_url = "https://api.worldbank.org"
    description = "World Bank WDI population and GDP (Indicators API v2, JSON)"
    per_page = 20000

    def fetch(self) -> list[NewSnapshot]:
        # both indicators are read and checked before either is written
        return [s for s in (self._indicator(src, *spec) for src, spec in INDICATORS.items()) if s is not None]

    def _indicator(self, source: str, indicator: str, fname: str, title: str) -> NewSnapshot | None:
        url = f"{self.base_url}/v2/country/all/indicator/{indicator}"
        first_log = len(self.client.log)
        current = self.current(source)
        before = self.provenance(current[0]).get("fetch", {}) if current else {}
        records: list[dict] = []
        page, meta = 1, {}
        while True:
            params = {"format": "json", "per_page": self.per_page, "page": page}
            resp = self.client.get(url, params)
            m, recs = self._page(resp, indicator, page)
            if page == 1:
                meta = m
                if m["total"] == 0 or not recs:
                    raise self.fail(resp.url, "empty result: the API returned no records")
                if m["pages"] > MAX_PAGES:
                    raise self.fail(resp.url, f"{m['pages']} pages announced, more than the limit of {MAX_PAGES}")
                if current and before.get("source_last_updated") == m["lastupdated"]:
                    self.notes.append(f"{source}: unchanged (World Bank last updated {m['lastupdated']}, as in "
                                      f"{current[0].name})")
                    return None
            elif (m["pages"], m["total"]) != (meta["pages"], meta["total"]):
                raise self.fail(resp.url, f"paging changed while reading: page 1 announced {meta['pages']} pages and "
                                          f"{meta['total']} records, page {page} {m['pages']} and {m['total']}")
            records += recs
            if page >= meta["pages"]:
                break
            page += 1
        if len(records) != meta["total"]:
            raise self.fail(resp.url, f"{len(records)} records on {meta['pages']} page(s), the API announced {meta['total']}")
        data, years = self._csv(records, resp.url)
        problems = rawsources.check_worldbank(data, f"{source}/{fname} converted from {url}")
        if problems:
            raise self.fail(resp.url, f"the converted data fail the format check: {problems[0]}")
        if current and _values(data) == _values(current[1].read_bytes()):
            self.notes.append(f"{source}: same values as {current[0].name} (World Bank last updated {meta['lastupdated']})")
            return None
        query = {"format": "json", "per_page": self.per_page, "pages": meta["pages"]}
        fetch = self.fetch_record(url, query, indicator=indicator, source_last_updated=meta["lastupdated"],
                                  total=meta["total"])
        fetch["responses"] = self.client.log[first_log:]
        rows = data.count(b"\n") - 1
        return NewSnapshot(
            stem=self.dated_stem(source), summary=f"{rows:,} rows, {years}, {meta['pages']} page(s), "
                                                  f"World Bank last updated {meta['lastupdated']}",
            files={fname: data, "SOURCE.md": source_md(f"{title} - World Bank Indicators API v2", [
                f"Request: `GET {url}?format=json&per_page={self.per_page}&page=1..{meta['pages']}`, "
                f"retrieved {fetch['retrieved_at']}; the API's lastupdated: {meta['lastupdated']}.",
                f"Converted from the API's JSON records to `{fname}` (Country Name, Country Code, Year, Value): "
                f"records without an ISO3 code or without a value are left out; numbers as the API gave them.",
                f"Coverage: {years}, {rows:,} rows, countries and World Bank aggregates."])},
            meta={"title": title, "publisher": "World Bank, World Development Indicators (Indicators API v2)",
                  "origin": f"{url}?format=json (World Bank API v2, last updated {meta['lastupdated']})",
                  "licence": "CC BY 4.0", "attribution": "Source: World Bank, World Development Indicators (CC BY 4.0)",
                  "coverage": f"{years}, {rows:,} rows, countries and aggregates", "fetch": fetch})

    def _page(self, resp: Response, indicator: str, page: int) -> tuple[dict, list[dict]]:
        """Check one page of the API v2 JSON; return (metadata, records)."""
        try:
            doc = json.loads(resp.body)
        except ValueError as exc:
            raise self.fail(resp.url, f"the body is not JSON ({exc})") from None
        if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]:
            msg = "; ".join(f"{m.get('key')}: {m.get('value')}" for m in doc[0]["message"] if isinstance(m, dict))
            raise self.fail(resp.url, f"the API answered with an error: {msg}")
        if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict)):
            raise self.fail(resp.url, "not World Bank API v2 JSON: expected [page metadata, records]")
        missing = [k for k in PAGE_FIELDS if k not in doc[0]]
        if missing:
            raise self.fail(resp.url, f"the page metadata lacks {', '.join(missing)} (expected {', '.join(PAGE_FIELDS)})")
        try:
            meta = {k: int(doc[0][k]) for k in ("page", "pages", "per_page", "total")}
        except (TypeError, ValueError):
            raise self.fail(resp.url, f"page metadata that are not whole numbers: {doc[0]}") from None
        meta["lastupdated"] = str(doc[0]["lastupdated"])
        if meta["page"] != page:
            raise self.fail(resp.url, f"asked for page {page}, got page {meta['page']}")
        recs = doc[1] if doc[1] is not None else []
        if not isinstance(recs, list):
            raise self.fail(resp.url, "the records are not a list")
        for i, r in enumerate(recs, 1):
            lacking = [k for k in RECORD_FIELDS if not isinstance(r, dict) or k not in r]
            if lacking:
                raise self.fail(resp.url, f"record {i} of page {page} lacks the field(s) {', '.join(lacking)} "
                                          f"(expected {', '.join(RECORD_FIELDS)})")
            if not isinstance(r["indicator"], dict) or r["indicator"].get("id") != indicator:
                raise self.fail(resp.url, f"record {i} of page {page} is for indicator {r['indicator']!r}, not {indicator}")
        return meta, recs

    def _csv(self, records: list[dict], url: str) -> tuple[bytes, str]:
        rows = []
        for r in records:
            code = str(r.get("countryiso3code") or "").strip()
            if not code or r["value"] is None:
                continue
            date, value = str(r["date"]), r["value"]
            if not re.fullmatch(r"\d{4}", date):
                raise self.fail(url, f"a record dated {date!r}: expected annual data (a year)")
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise self.fail(url, f"the value {value!r} of {code} {date} is not a number")
            name = r["country"].get("value", "") if isinstance(r["country"], dict) else ""
            rows.append((name, code, date, repr(value) if isinstance(value, float) else str(value)))
        if not rows:
            raise self.fail(url, "empty result: no record has a value")
        rows.sort(key=lambda row: (row[1], row[2]))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(rawsources.WB_COLUMNS)
        w.writerows(rows)
        years = sorted({row[2] for row in rows})
        return buf.getvalue().encode("utf-8"), f"{years[0]}-{years[-1]}"


def _values(data: bytes) -> dict[tuple[str, str], float]:
    """(code, year) -> value of a World Bank CSV, to tell new data from a new layout of the same data."""
    out = {}
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        if row.get("Value"):
            out[(row["Country Code"], row["Year"])] = float(row["Value"])
    return out
