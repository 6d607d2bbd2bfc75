"""Refreshing the raw data: ``python -m analysis fetch [SOURCE ...]``.

This module holds the network policy every fetcher follows, the base class of the fetchers and
the loop that runs them; the fetchers themselves (one per public source) live in
:mod:`analysis.datasets.fetchers`.

Policy (:class:`Policy`, :class:`Client`, built on ``requests``):

- a connect/read timeout on every request and an overall time limit per response;
- a bounded number of retries with exponential back-off, only for what may be transient
  (connection errors, timeouts, a truncated body, HTTP 429/500/502/503/504); other statuses fail
  at once;
- a descriptive User-Agent naming the project;
- every response is checked before anything is written: HTTP status, content type, size (a
  limit per request, and the body must match Content-Length), then the source's own format
  checks (expected fields and columns, paging consistent, not empty);
- ``--offline`` (or ``ISOLATION_OFFLINE=1``) forbids every request.

What a fetch writes: each :class:`NewSnapshot` becomes a new folder under ``data/raw/``
(``<source>@<YYYY-MM-DD>``, or ``undl-release-<YYYY-MM-DD>`` for UN votes) through
:func:`snapshot.write_new`: staged in a hidden folder, checked, then renamed into place, so a
failure leaves ``data/`` exactly as it was. PROVENANCE.json records the request URL and query,
the retrieval time, every HTTP response (URL, status, size, sha256), and the sha256 and size of
every file. A fetch that finds nothing newer than the newest valid snapshot writes nothing.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from analysis import __version__, config
from analysis.datasets import snapshot
from analysis.errors import FetchError

USER_AGENT = (f"russia-isolation-report/{__version__} (open data-journalism report; scheduled data refresh; "
              f"python-requests/{requests.__version__})")
RETRY_STATUS = {429, 500, 502, 503, 504}
MB = 1024 * 1024


def offline_requested() -> bool:
    return os.environ.get("ISOLATION_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class Policy:
    """How patient and how careful a fetch is. Tests use a short timeout and no back-off."""

    timeout: float = 30.0          # seconds to connect, and between two bytes of a response
    max_seconds: float = 900.0     # seconds for one whole response
    retries: int = 3               # further attempts after the first
    backoff: float = 2.0           # seconds before the first retry; doubled for each further one
    max_bytes: int = 200 * MB      # largest response accepted unless a request says otherwise
    user_agent: str = USER_AGENT
    offline: bool = False


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    body: bytes                   # empty when the body went to a file (``Client.request(..., to=path)``)
    headers: dict = field(default_factory=dict)
    size: int = 0
    sha256: str = ""

    def text(self) -> str:
        return self.body.decode("utf-8-sig")


class _Retry(Exception):
    """A failure worth another attempt; ``wait``: the server's Retry-After, in seconds."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


MAX_RETRY_AFTER = 120.0  # seconds: a longer Retry-After is not waited for


class Client:
    """HTTP for one source: every request is logged for PROVENANCE.json; every failure becomes
    one :class:`FetchError` naming the source and the full URL."""

    def __init__(self, source: str, policy: Policy | None = None, session: requests.Session | None = None):
        self.source, self.policy = source, policy or Policy()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = self.policy.user_agent
        self.log: list[dict] = []

    def get(self, url: str, params: dict | None = None, **kw) -> Response:
        return self.request("GET", url, params=params, **kw)

    def post(self, url: str, json: dict, **kw) -> Response:
        return self.request("POST", url, json=json, **kw)

    def request(self, method: str, url: str, params: dict | None = None, json: dict | None = None,
                accept: tuple[str, ...] = ("application/json",), max_bytes: int | None = None,
                headers: dict | None = None, to: Path | None = None) -> Response:
        """Send a request; retry what may be transient; check status, type and size. With ``to``
        the body is streamed into that file (for large downloads) instead of kept in memory."""
        full = requests.Request(method, url, params=params).prepare().url or url
        if self.policy.offline:
            raise FetchError(self.source, full, "offline: network access is disabled (--offline / ISOLATION_OFFLINE)")
        attempts = self.policy.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                resp = self._once(method, url, full, params, json, accept, max_bytes or self.policy.max_bytes, headers, to)
                self.log.append({"method": method, "url": resp.url, "status": resp.status, "content_type": resp.content_type,
                                 "bytes": resp.size, "sha256": resp.sha256})
                return resp
            except _Retry as exc:
                reason, wait = str(exc), exc.wait
            if attempt < attempts:
                delay = wait if wait is not None else self.policy.backoff * 2 ** (attempt - 1)
                if delay > 0:
                    time.sleep(min(delay, MAX_RETRY_AFTER))
        raise FetchError(self.source, full, f"{reason} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})")

    def _once(self, method, url, full, params, json, accept, max_bytes, headers, to) -> Response:
        hdrs = {"Accept": ", ".join(accept), **(headers or {})}
        try:
            with self.session.request(method, url, params=params, json=json, headers=hdrs, stream=True,
                                      timeout=self.policy.timeout, allow_redirects=True) as r:
                if r.status_code in RETRY_STATUS:
                    after = r.headers.get("Retry-After", "")
                    raise _Retry(f"HTTP {r.status_code} {r.reason}", float(after) if after.isdigit() else None)
                if r.status_code != 200:
                    raise FetchError(self.source, full, f"HTTP {r.status_code} {r.reason}")
                ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if ctype not in accept:
                    raise FetchError(self.source, full, f"content type {ctype or '(none)'!r}, expected {' or '.join(accept)}")
                body, size, digest = self._read(r, full, max_bytes, to)
                return Response(r.url, r.status_code, ctype, body, dict(r.headers), size, digest)
        except requests.Timeout:
            raise _Retry(f"timed out (no response within {self.policy.timeout:g} s)") from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise _Retry(f"truncated or corrupt response body ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            raise _Retry(f"connection failed ({_short(exc)})") from None
        except requests.RequestException as exc:
            raise FetchError(self.source, full, f"request failed ({_short(exc)})") from None

    def _read(self, r: requests.Response, full: str, max_bytes: int, to: Path | None) -> tuple[bytes, int, str]:
        declared = r.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(self.source, full, f"response of {int(declared):,} bytes exceeds the limit of {max_bytes:,}")
        chunks, size, start, digest = [], 0, time.monotonic(), hashlib.sha256()
        with open(to, "wb") if to else contextlib.nullcontext() as sink:
            for chunk in r.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(self.source, full, f"response exceeds the limit of {max_bytes:,} bytes")
                if time.monotonic() - start > self.policy.max_seconds:
                    raise _Retry(f"response not complete within {self.policy.max_seconds:g} s")
                digest.update(chunk)
                if sink:
                    sink.write(chunk)
                else:
                    chunks.append(chunk)
        if declared and declared.isdigit() and not r.headers.get("Content-Encoding") and size != int(declared):
            raise _Retry(f"truncated response body ({size:,} of {int(declared):,} bytes)")
        return b"".join(chunks), size, digest.hexdigest()


def _short(exc: Exception) -> str:
    """The gist of a requests/urllib3 error: '[Errno 111] Connection refused', not the whole chain."""
    text = str(exc)
    m = re.search(r"\[Errno [^\]]+\][^'\")]*", text) or re.search(r"(NameResolutionError|Read timed out|Connection aborted)[^'\")]*", text)
    text = (m.group(0) if m else text.splitlines()[0] if text else type(exc).__name__).strip().rstrip(".,")
    return text if len(text) < 160 else text[:157] + "..."


@dataclass
class NewSnapshot:
    """What a fetcher hands back for writing: the folder stem, the files and their provenance."""

    stem: str                     # "wb-population@2026-12-02" or "undl-release-2026-12-02"
    files: dict[str, bytes]
    meta: dict                    # title, publisher, origin, licence, attribution, coverage, fetch
    summary: str                  # one line for the console: rows, years, pages
    check: Callable[[Path], None] | None = None  # run on the staged folder before it is renamed into place


class Fetcher:
    """One public source. Subclasses set the class attributes and implement :meth:`fetch`, which
    returns the new snapshots (empty: nothing new, with the reason in ``self.notes``) or raises
    FetchError. A fetcher must check everything before it returns: writing cannot fail on content."""

    name = ""              # the CLI name: worldbank, undl, sipri, imf
    sources: tuple[str, ...] = ()   # the raw folders it refreshes
    default_base_url = ""
    description = ""

    def __init__(self, client: Client, base_url: str | None = None, raw_root: Path | None = None,
                 now: _dt.datetime | None = None):
        self.client = client
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.raw_root = Path(raw_root or config.raw_dir())
        self.now = now or _dt.datetime.now(_dt.timezone.utc)
        self.notes: list[str] = []

    @property
    def today(self) -> str:
        return self.now.date().isoformat()

    def fetch(self) -> list[NewSnapshot]:
        raise NotImplementedError

    def fail(self, url: str, reason: str) -> FetchError:
        return FetchError(self.name, url, reason)

    def fetch_record(self, url: str, query: dict | None = None, **extra) -> dict:
        """The ``fetch`` part of PROVENANCE.json: what was asked, when, and every response."""
        return {"fetcher": f"analysis.datasets.fetchers.{self.name}", "url": url, "query": query or {},
                "base_url": self.base_url, "retrieved_at": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "user_agent": self.client.policy.user_agent, "responses": list(self.client.log), **extra}

    def dated_stem(self, source: str) -> str:
        from analysis.datasets.rawsources import SEP
        return f"{source}{SEP}{self.today}"

    def current(self, source: str) -> tuple[Path, Path] | None:
        """(folder, data file) of the newest snapshot of ``source`` that validates -- the one curate
        reads, and what "newer" is measured against."""
        from analysis.datasets import rawsources
        for folder in rawsources.candidates(source, self.raw_root):
            path, _ = rawsources.check_snapshot(folder, rawsources.SOURCES[source])
            if path is not None:
                return folder, path
        return None

    def provenance(self, folder: Path) -> dict:
        import json
        try:
            return json.loads((folder / snapshot.PROVENANCE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}


def source_md(title: str, lines: list[str]) -> bytes:
    """The SOURCE.md of a fetched snapshot: what was asked, what came back, how it was converted."""
    body = "\n".join(f"- {line}" for line in lines)
    return (f"# {title}\n\nWritten by `python -m analysis fetch`; PROVENANCE.json has the request, every response's "
            f"sha256 and the sha256 of every file. Review it (see README, \"Refreshing the data\") before committing.\n\n"
            f"{body}\n").encode("utf-8")


def write(new: NewSnapshot, raw_root: Path, retrieved: str) -> Path:
    """Write a checked snapshot under a free name (``stem``, else ``stem.2``, ...)."""
    name = snapshot.free_name(raw_root, new.stem)
    return snapshot.write_new(name, new.files, new.meta, raw_root=raw_root, retrieved=retrieved, check=new.check)


def run(names: list[str], base_url: str | None = None, policy: Policy | None = None, raw_root: Path | None = None,
        out: Callable[[str], None] = print, err: Callable[[str], None] = print) -> int:
    """Fetch each source in turn; a failing source writes nothing and does not stop the others.
    Returns 0 when every source succeeded (new data or nothing new), 1 when any failed."""
    from analysis.datasets.fetchers import FETCHERS

    policy = policy or Policy()
    raw_root = Path(raw_root or config.raw_dir())
    failed = 0
    for name in names:
        client = Client(name, policy)
        fetcher = FETCHERS[name](client, base_url, raw_root)
        t0 = time.perf_counter()
        try:
            new = fetcher.fetch()
            written = [write(s, raw_root, fetcher.today) for s in new]
        except FetchError as exc:
            err(f"error: {exc}")
            failed += 1
            continue
        finally:
            client.session.close()
        for note in fetcher.notes:
            out(f"{name}: {note}")
        for s, path in zip(new, written):
            out(f"{name}: wrote {path} ({s.summary})")
        if not new:
            out(f"{name}: nothing new; wrote nothing ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0
