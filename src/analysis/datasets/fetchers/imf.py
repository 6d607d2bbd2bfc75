"""IMF International Trade in Goods (IMTS): Russia's goods exports and imports by partner.

Request (IMF SDMX 3.0 data API)::

    GET {base}/data/dataflow/IMF.STA/IMTS/+/RUS.XG_FOB_USD+MG_CIF_USD.*.A?c[TIME_PERIOD]=ge:2016
    Accept: application/vnd.sdmx.data+csv;version=2.0.0
    default base: https://api.imf.org/external/sdmx/3.0

Response format implemented (SDMX-CSV 2.0): one row per observation with the columns
``STRUCTURE, STRUCTURE_ID, ACTION``, the dimensions ``COUNTRY, INDICATOR, COUNTERPART_COUNTRY,
FREQUENCY``, then ``TIME_PERIOD, OBS_VALUE`` and the attributes, of which ``SCALE`` (the power of
ten of the unit: 6 = millions) is required. This was written from the SDMX 3.0 / SDMX-CSV 2.0
standards and the series codes of the base snapshot (``RUS.XG_FOB_USD.CHN.A``); it is checked
only against recorded fixture responses in ``tests/fixtures/fetch/`` -- the project's test
machines cannot reach the internet.

Conversion: the observations are pivoted into the wide layout of the IMF data portal's export that
curate reads (the base snapshot ``RU_trade_imf_imts.csv``: ``DATASET, SERIES_CODE, ...,
COUNTERPART_COUNTRY.ID, ..., SCALE.ID, ..., 2016, 2017, ...``, UTF-8 with BOM, every field
quoted), values rescaled to millions of US dollars with exact decimal arithmetic. Partner names
come from the snapshot in use (the API's CSV carries codes only); a new partner keeps its code.

Newer: a snapshot is written only when the response has a value for a later year than the
snapshot in use (the IMF revises earlier years too; those revisions alone are not fetched).
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from analysis.datasets import rawsources
from analysis.datasets.fetch import Fetcher, NewSnapshot, source_md

KEY = "RUS.XG_FOB_USD+MG_CIF_USD.*.A"
FIRST_YEAR = 2016
COLUMNS = ["COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY", "TIME_PERIOD", "OBS_VALUE", "SCALE"]
INDICATORS = {  # id -> (label, trade flow id, trade flow)
    "XG_FOB_USD": ("Exports of goods, Free on board (FOB), US dollar", "XG", "Exports of goods"),
    "MG_CIF_USD": ("Imports of goods, Cost insurance freight (CIF), US dollar", "MG", "Imports of goods"),
}
WIDE = ["DATASET", "SERIES_CODE", "OBS_MEASURE", "COUNTRY.ID", "COUNTRY", "INDICATOR.ID", "INDICATOR",
        "COUNTERPART_COUNTRY.ID", "COUNTERPART_COUNTRY", "FREQUENCY.ID", "FREQUENCY", "SCALE.ID", "SCALE",
        "TRADE_FLOW.ID", "TRADE_FLOW"]
SOURCE = "imf-imts-russia"


class IMF(Fetcher):
    name = "imf"
    sources = (SOURCE,)
    default_base_url = "https://api.imf.org/external/sdmx/3.0"
    description = "IMF IMTS, Russia's goods trade by partner (SDMX 3.0 data API, SDMX-CSV)"

    def fetch(self) -> list[NewSnapshot]:
        url = f"{self.base_url}/data/dataflow/IMF.STA/IMTS/+/{KEY}"
        query = {"c[TIME_PERIOD]": f"ge:{FIRST_YEAR}"}
        resp = self.client.get(url, query, accept=("application/vnd.sdmx.data+csv", "text/csv"),
                               headers={"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"})
        obs, dataset = self._observations(resp.text(), resp.url)
        current = self.current(SOURCE)
        names = _names(current[1].read_bytes()) if current else {}
        data, years = _wide(obs, dataset, names)
        problems = rawsources.check_imf(data, f"{SOURCE} converted from {resp.url}")
        if problems:
            raise self.fail(resp.url, f"the converted data fail the format check: {problems[0]}")
        latest = years[-1]
        if current:
            before = _latest_year(current[1].read_bytes())
            if before is not None and latest <= before:
                self.notes.append(f"{SOURCE}: latest year with data is {latest}, as in {current[0].name}")
                return []
        rows = data.count(b"\n") - 1
        span = f"{years[0]}-{latest}"
        return [NewSnapshot(
            stem=self.dated_stem(SOURCE), summary=f"{rows} series, {span}, {len(obs):,} observations",
            files={"RU_trade_imf_imts.csv": data, "SOURCE.md": source_md(
                "Russian Federation: goods exports and imports by partner (IMF IMTS, SDMX 3.0 API)", [
                    f"Request: `GET {url}?c[TIME_PERIOD]=ge:{FIRST_YEAR}` (SDMX-CSV), retrieved {self.now:%Y-%m-%dT%H:%M:%SZ}.",
                    "Converted from SDMX-CSV observations to the wide layout of the IMF data portal export "
                    "(one row per partner and flow, one column per year), values in millions of US dollars.",
                    f"Coverage: {span}, {rows} series. Partner names from the previous snapshot; codes otherwise.",
                    "As in the base snapshot, values from 2022 on are IMF estimates built from partner data."])},
            meta={"title": f"Russian Federation: goods exports and imports by partner, {span} (IMF IMTS)",
                  "publisher": "International Monetary Fund, International Trade in Goods (IMTS), SDMX 3.0 data API",
                  "origin": f"{url}?c[TIME_PERIOD]=ge:{FIRST_YEAR} ({dataset})",
                  "licence": "IMF data: reuse with attribution", "attribution": "Source: IMF, International Trade in Goods (IMTS)",
                  "coverage": f"{span}, million USD, {rows} series", "fetch": self.fetch_record(url, query, dataset=dataset)})]

    def _observations(self, text: str, url: str) -> tuple[dict, str]:
        """(indicator, partner, year) -> value in millions, and the dataset id (STRUCTURE_ID)."""
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise self.fail(url, f"the SDMX-CSV lacks the column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)}; "
                                 f"got {', '.join(reader.fieldnames or []) or 'no header'})")
        obs: dict[tuple[str, str, int], str] = {}
        dataset = ""
        for line, row in enumerate(reader, 2):
            dataset = dataset or row.get("STRUCTURE_ID") or ""
            if row["COUNTRY"] != "RUS" or row["FREQUENCY"] != "A" or row["INDICATOR"] not in INDICATORS:
                continue
            if not re.fullmatch(r"\d{4}", row["TIME_PERIOD"] or ""):
                raise self.fail(url, f"line {line}: TIME_PERIOD {row['TIME_PERIOD']!r} is not a year")
            key = (row["INDICATOR"], row["COUNTERPART_COUNTRY"], int(row["TIME_PERIOD"]))
            if key in obs:
                raise self.fail(url, f"line {line}: a second observation for {'/'.join(map(str, key))}")
            obs[key] = self._millions(row["OBS_VALUE"], row["SCALE"], url, line)
        if not any(v != "" for v in obs.values()):
            raise self.fail(url, "empty result: no observation for Russia's exports or imports")
        return obs, dataset or "IMF.STA:IMTS"

    def _millions(self, value: str, scale: str, url: str, line: int) -> str:
        if value in ("", "NaN"):
            return ""
        try:
            v, s = Decimal(value), int(scale)
        except (InvalidOperation, ValueError, TypeError):
            raise self.fail(url, f"line {line}: OBS_VALUE {value!r} with SCALE {scale!r} is not a number with a "
                                 f"power-of-ten scale") from None
        return _plain(v.scaleb(s - 6))


def _plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1435E-6 -> '0.001435', 12.50 -> '12.5'."""
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _wide(obs: dict, dataset: str, names: dict[str, str]) -> tuple[bytes, list[int]]:
    years = sorted({y for (_, _, y), v in obs.items() if v != ""})
    series = sorted({(ind, cp) for ind, cp, _ in obs})
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(WIDE + [str(y) for y in range(years[0], years[-1] + 1)])
    for ind, cp in series:
        label, flow_id, flow = INDICATORS[ind]
        w.writerow([dataset, f"RUS.{ind}.{cp}.A", "OBS_VALUE", "RUS", "Russian Federation", ind, label, cp,
                    names.get(cp, cp), "A", "Annual", "6", "Millions", flow_id, flow]
                   + [obs.get((ind, cp, y), "") for y in range(years[0], years[-1] + 1)])
    return buf.getvalue().encode("utf-8"), years


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _names(data: bytes) -> dict[str, str]:
    return {r["COUNTERPART_COUNTRY.ID"]: r.get("COUNTERPART_COUNTRY", "") for r in _rows(data)}


def _latest_year(data: bytes) -> int | None:
    years = [int(k) for r in _rows(data) for k, v in r.items() if k and re.fullmatch(r"\d{4}", k) and v]
    return max(years) if years else None
