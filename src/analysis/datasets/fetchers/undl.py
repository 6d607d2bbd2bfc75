"""UN Digital Library: General Assembly recorded votes newer than the data at hand.

The UN Digital Library has no documented voting-data API. It publishes the General Assembly
voting data as a CSV dataset, a library record whose files are replaced by newer releases. This
fetcher assumes (and says so in the README)::

    GET {base}/record/4060887/export/xm        MARCXML of the dataset record; its 856 $u fields
                                               list the record's files
    GET {base}/record/4060887/files/<name>.csv the newest file whose name has "ga_voting" (by the
                                               date numbers in its name), re-based on --base-url
    default base: https://digitallibrary.un.org

Response format implemented: the release CSV that ``import-undl`` reads, one row per member state
and vote, with the columns ``undl_id, ms_code, ms_name, ms_vote, date, session, resolution, draft,
committee_report, meeting, title, agenda_title, subjects, vote_note, total_yes, total_no,
total_abstentions, total_non_voting, total_ms, undl_link``. Files of that dataset are reported to
write the totals as ``120.0`` and the session of an emergency session as ``ES-10``, and older
files lack ``vote_note``; the converter accepts those. This is checked only against recorded
fixture responses in ``tests/fixtures/fetch/`` -- the project's test machines cannot reach the
internet.

What is kept: records dated on or after the latest vote in the data at hand (the base snapshot
plus every ``undl-release-*`` folder) minus a revision window of :data:`REVISION_DAYS`, that are
either unknown or whose member votes differ from the known record (a partial record replaced by
the full one). They are written, normalised (whole-number totals, the regular session number,
titles without ": resolution / adopted by the General Assembly"), as the release folder
``undl-release-<YYYY-MM-DD>/``. Before the folder is renamed into place, the file passes
``importers.parse_release`` -- the same checks as ``import-undl`` (stated totals equal the
rows, known ISO3 codes, one row per member) -- and curate then merges it like an imported
release: a record replaces the known one with the same ``undl_id``.
"""
from __future__ import annotations

import bisect
import csv
import datetime as _dt
import gzip
import io
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from analysis.datasets.fetch import Fetcher, NewSnapshot, source_md
from analysis.datasets.importers import RELEASE_COLUMNS, RELEASE_PREFIX, TITLE_TAIL, VOTE_LETTERS, parse_release, release_files
from analysis.errors import DataValidationError

RECORD = "4060887"
REVISION_DAYS = 120
REQUIRED = ["undl_id", "ms_code", "ms_vote", "date", "session", "resolution", "title", "total_yes", "total_no",
            "total_abstentions", "total_non_voting"]
TOTALS = ["total_yes", "total_no", "total_abstentions", "total_non_voting", "total_ms"]
MAX_FILE = 2048 * 1024 * 1024
MARC = "{http://www.loc.gov/MARC21/slim}"


class UNDL(Fetcher):
    name = "undl"
    sources = ("undl-ga-votes",)
    default_base_url = "https://digitallibrary.un.org"
    description = "UN Digital Library General Assembly voting data (CSV dataset, record 4060887)"

    def fetch(self) -> list[NewSnapshot]:
        file_url = self._file_url()
        known, latest, cutoff = self._known()
        with tempfile.TemporaryDirectory(prefix="undl-fetch-") as tmp:
            self.client.get(file_url, accept=("text/csv", "application/csv", "application/octet-stream",
                                                "text/plain"), max_bytes=MAX_FILE, to=Path(tmp) / "release.csv")
            records, seen = self._recent(Path(tmp) / "release.csv", file_url, cutoff)
        known.update(self._base_votes(set(records) - set(known), cutoff))  # a release overrides the base
        new = {uid: rows for uid, rows in records.items() if _votes(rows) != known.get(uid)}
        if not new:
            self.notes.append(f"no recorded vote newer than {latest} and no changed record since {cutoff} "
                              f"({seen:,} rows in {file_url.rsplit('/', 1)[-1]})")
            return []
        rows = [r for uid in new for r in new[uid]]
        sessions = self._regular_sessions(rows)
        data = _release_csv([_normalise(r, sessions) for r in rows])
        changed = sorted(uid for uid in new if uid in known)
        dates = sorted(r["date"] for r in rows)
        symbols = sorted({r["resolution"] for r in rows})
        summary = (f"{len(new)} recorded vote(s) dated {dates[0]} to {dates[-1]} ({len(changed)} replacing a known record): "
                   + ", ".join(symbols[:8]) + (" ..." if len(symbols) > 8 else ""))
        fname = f"undl_ga_votes_{self.today}.csv"
        return [NewSnapshot(
            stem=f"{RELEASE_PREFIX}{self.today}", summary=summary, check=self._check(file_url, fname),
            files={fname: data, "SOURCE.md": source_md("UN General Assembly recorded votes (UN Digital Library)", [
                f"Downloaded `{file_url}` (dataset record {RECORD}), retrieved {self.now:%Y-%m-%dT%H:%M:%SZ}.",
                f"Kept: records dated from {cutoff} (the latest known vote, {latest}, less {REVISION_DAYS} days) that are "
                f"new or whose votes differ from the known record: {summary}.",
                "Normalised for `import-undl`: whole-number totals, the regular session number, titles without the "
                "': resolution / adopted by the General Assembly' tail; votes and codes unchanged."])},
            meta={"title": "UN Digital Library General Assembly voting data release",
                  "publisher": "United Nations Digital Library",
                  "origin": f"{file_url} (UN Digital Library voting data, record {RECORD})",
                  "licence": "UN Digital Library terms: non-commercial use with attribution",
                  "attribution": "Source: United Nations Digital Library, General Assembly voting data",
                  "coverage": summary,
                  "fetch": self.fetch_record(file_url, {"record": RECORD, "since": cutoff}, latest_known=latest,
                                             replaced=changed, added=sorted(uid for uid in new if uid not in known))})]

    def _file_url(self) -> str:
        """The newest GA voting-data CSV listed in the dataset record, on --base-url's host."""
        url = f"{self.base_url}/record/{RECORD}/export/xm"
        resp = self.client.get(url, accept=("application/xml", "text/xml", "application/marcxml+xml"))
        try:
            root = ET.fromstring(resp.body)
        except ET.ParseError as exc:
            raise self.fail(resp.url, f"not MARCXML ({exc})") from None
        links = [sf.text or "" for df in root.iter(f"{MARC}datafield") if df.get("tag") == "856"
                 for sf in df.iter(f"{MARC}subfield") if sf.get("code") == "u"]
        files = [u for u in links if "ga_voting" in u.lower() and urlsplit(u).path.lower().endswith(".csv")]
        if not files:
            raise self.fail(resp.url, f"no GA voting-data CSV among the record's files (856 $u): {links[:5]}")
        newest = max(files, key=lambda u: (tuple(int(n) for n in re.findall(r"\d+", urlsplit(u).path.rsplit("/", 1)[-1])), u))
        path = urlsplit(newest).path
        return f"{self.base_url}{path[path.index('/record/'):]}" if "/record/" in path else newest

    def _known(self) -> tuple[dict[int, dict[str, str]], str, str]:
        """{undl_id: {iso3: vote}} of the records in the releases at hand (in merge order); the date
        of the latest vote at hand (base snapshot and releases); the start of the revision window."""
        res = pd.read_csv(self.raw_root / "undl-ga-votes" / "resolutions.csv", usecols=["date"], dtype=str)
        known: dict[int, dict[str, str]] = {}
        latest = res["date"].max()
        for path in release_files(self.raw_root):
            try:
                votes = parse_release(path, f"raw/{path.parent.name}/{path.name}")[0]
            except DataValidationError:
                continue  # a release curate would reject is not "at hand"
            latest = max(latest, votes["date"].max())
            for uid, g in votes.groupby("undl_id"):
                known[int(uid)] = dict(zip(g["iso3"], g["vote"]))
        cutoff = (_dt.date.fromisoformat(latest) - _dt.timedelta(days=REVISION_DAYS)).isoformat()
        return known, latest, cutoff

    def _base_votes(self, ids: set[int], cutoff: str) -> dict[int, dict[str, str]]:
        """{undl_id: {iso3: vote}} of the base snapshot's records among ``ids`` dated from ``cutoff``.
        votes.csv.gz is sorted by date, so it is read from its end back to the cutoff."""
        if not ids:
            return {}
        with gzip.open(self.raw_root / "undl-ga-votes" / "votes.csv.gz", "rt", encoding="utf-8", newline="") as fh:
            text = fh.read()
        head = text.index("\n")
        header = next(csv.reader([text[:head]]))
        out: dict[int, dict[str, str]] = {}
        end = len(text.rstrip("\n"))
        while end > head:
            start = text.rfind("\n", 0, end) + 1
            rec = dict(zip(header, next(csv.reader([text[start:end]]))))
            if rec["date"] < cutoff:
                break
            if int(rec["undl_id"]) in ids:
                out.setdefault(int(rec["undl_id"]), {})[rec["iso3"]] = VOTE_LETTERS.get(rec["vote"], rec["vote"])
            end = start - 1
        return out

    def _recent(self, path: Path, url: str, cutoff: str) -> tuple[dict[int, list[dict]], int]:
        """The file's GA rows dated on or after ``cutoff``, grouped by record; and its row count."""
        records: dict[int, list[dict]] = {}
        seen = 0
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise self.fail(url, f"the CSV lacks the column(s) {', '.join(missing)} (expected the UN Digital Library "
                                     f"voting-data columns {', '.join(RELEASE_COLUMNS)})")
            try:
                for line, raw in enumerate(reader, 2):
                    seen += 1
                    row = {k: (v or "") for k, v in raw.items() if k is not None}  # a short row: empty cells
                    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"][:10]) or not re.fullmatch(r"\d+", row["undl_id"]):
                        raise self.fail(url, f"line {line}: undl_id {row['undl_id']!r}, date {row['date']!r}: expected "
                                             f"a record id and a date YYYY-MM-DD")
                    row["date"] = row["date"][:10]
                    if row["date"] >= cutoff and row["resolution"].startswith("A/"):
                        records.setdefault(int(row["undl_id"]), []).append(row)
            except csv.Error as exc:
                raise self.fail(url, f"malformed CSV ({exc})") from None
        if not seen:
            raise self.fail(url, "empty result: the file has no rows")
        return records, seen

    def _regular_sessions(self, rows: list[dict]) -> list[tuple[str, int]]:  # sorted by date
        """(date, session) of regular-session votes, known and fetched: an emergency or special
        session's vote gets the regular session running on its date, as in the base snapshot."""
        res = pd.read_csv(self.raw_root / "undl-ga-votes" / "resolutions.csv", usecols=["date", "session", "session_label"],
                          dtype=str)
        pairs = [(d, int(s)) for d, s, lab in zip(res["date"], res["session"], res["session_label"]) if lab == s]
        pairs += [(r["date"], int(m.group(1))) for r in rows if (m := re.match(r"^A/(?:RES|DEC)/(\d+)/", r["resolution"]))]
        return sorted(pairs)

    def _check(self, url: str, fname: str):
        def check(staged: Path) -> None:
            try:
                parse_release(staged / fname, fname)
            except DataValidationError as exc:
                more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
                raise self.fail(url, f"the new records fail the import-undl checks: {exc.problems[0]}{more}") from None
        return check


def _votes(rows: list[dict]) -> dict[str, str]:
    return {r["ms_code"]: VOTE_LETTERS.get((r["ms_vote"] or "").strip().upper(), r["ms_vote"]) for r in rows}


def _whole(value: str) -> str:
    """'120.0' -> '120'; anything else unchanged (parse_release then reports it)."""
    return value[:-2] if re.fullmatch(r"\d+\.0", value or "") else (value or "")


def _normalise(row: dict, sessions: list[tuple[str, int]]) -> dict:
    out = {c: (row.get(c) or "") for c in RELEASE_COLUMNS}
    for c in TOTALS:
        out[c] = _whole(out[c])
    session = _whole(out["session"])
    if not session.isdigit():  # "ES-10", "S-27": the regular session running on the date
        i = bisect.bisect_right(sessions, (out["date"], 10**6))
        session = str(sessions[i - 1][1]) if i else session
    out["session"] = session
    out["title"] = re.sub(TITLE_TAIL, "", out["title"])
    out["ms_vote"] = out["ms_vote"].strip().upper()
    return out


def _release_csv(rows: list[dict]) -> bytes:
    rows = sorted(rows, key=lambda r: (r["date"], int(r["undl_id"]), r["ms_code"]))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=RELEASE_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")
