"""Incremental catch-up from the NVD CVE API 2.0.

``lastModStartDate``/``lastModEndDate`` windows of at most 120 days, pages of up to 2,000
CVEs, the ``apiKey`` header when a key is configured, a sliding-window rate limit (5
requests per 30 s without a key, 50 with one; both configurable), and retries with
exponential back-off (``Retry-After`` honoured, at most ``max_backoff``) on 403, 429, 5xx
and network errors. One page gives up after ``max_retries`` retries or once the next wait
would take it past ``give_up_after`` seconds; a refused connection, an unknown host or a
certificate that does not verify fails at once, since waiting does not change them. A
redirect is followed only to the same scheme, host and port: the key goes with it.

Each page is imported like a feed file (one transaction, idempotent); after each page the
position (window and start index) is saved in ``cve_feeds.sync_cursor`` of the
``nvd-api`` feed, so an interrupted sync resumes where it stopped; a finished sync leaves
the end of its last window there as the next checkpoint.
"""

from __future__ import annotations

import collections
import contextvars
import email.utils
import http
import http.client
import io
import ipaddress
import json
import math
import re
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from monozu.db import Database
from monozu.db.errors import MonozuError
from monozu.domain.vulnintel import sql
from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._json import top_level as _top_level
from monozu.domain.vulnintel.importer import ImportReport, import_file
from monozu.domain.vulnintel.staging import require_staging

API_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
FEED_NAME = "nvd-api"
MAX_WINDOW = timedelta(days=120)
PAGE_SIZE = 2000
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
MAX_URL = 2000  # cve_feeds.url
MAX_PAGE_BYTES = 256 << 20  # a full page of 2,000 CVEs is tens of MB
_HOST = re.compile(r"[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?")
# The key goes out as a header: printable ASCII without blanks. Anything else makes the
# HTTP library fail quoting the header value (or holding it in its arguments), the key.
_API_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def _phrase(code: int) -> str:
    """The standard reason phrase of an HTTP status code ("" for one it does not know)."""
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


def usable_key(key: object) -> bool:
    """Whether ``key`` can be the ``apiKey`` header (an API key is printable ASCII)."""
    return isinstance(key, str) and _API_KEY.fullmatch(key) is not None


class NvdApiError(MonozuError):
    """The API could not be read (after retries), or answered something unusable."""


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the API endpoint, or None. The value itself is not repeated:
    it may hold a password."""
    if not url:
        return "is empty"
    if len(url) > MAX_URL:
        return f"is longer than {MAX_URL} characters"
    if not url.isascii() or not url.isprintable() or " " in url:
        return "must be printable ASCII without spaces (percent-encode other characters)"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:  # its text may quote the port: a piece of a password?
        return ("cannot be parsed (an invalid IPv6 address)" if "IPv6" in str(exc) else
                "has a port out of range 0-65535" if "out of range" in str(exc) else
                "has a port that is not a number")
    if parts.scheme not in ("http", "https"):
        return "is not http(s)"
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        return "must not hold a user or password (the key comes from NVD_API_KEY)"
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has a host that is not an IPv6 address"
    elif not host or len(host) > 253 or not _HOST.fullmatch(host):
        return "has no usable host name"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment:
        return "must not have a query or fragment (the client adds the query)"
    return None


def windows(start: datetime, end: datetime,
            size: timedelta = MAX_WINDOW) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive windows of at most ``size``."""
    if start >= end:
        return []
    out: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        stop = min(cursor + size, end)
        out.append((cursor, stop))
        cursor = stop
    return out


def api_time(when: datetime) -> str:
    """Extended ISO-8601 with milliseconds and offset, as the API wants it."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


class RateLimiter:
    """At most ``limit`` calls in any ``period`` seconds (sliding window)."""

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit, self.period = limit, period
        self.clock, self.sleep = clock, sleep
        self.calls: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.period:
            self.calls.popleft()
        if len(self.calls) >= self.limit:
            delay = self.period - (now - self.calls[0])
            if delay > 0:
                self.sleep(delay)
            self.calls.popleft()
        self.calls.append(self.clock())


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number, a bad host: no origin of the API's
        return "", "", -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the API's own origin (scheme, host, port): urllib
    sends every header of the request again wherever the answer points, the apiKey
    header too, to another server or over plain HTTP."""

    def redirect_request(  # noqa: PLR0917 - urllib calls it with these, by position
            self, req: urllib.request.Request, fp: Any, code: int, msg: str,
            headers: Any, newurl: str) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise NvdApiError(f"{req.full_url}: HTTP {code}, a redirect to another server, "
                              "port or scheme, not followed (the API key would go with it)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# When the page being read must be done (time.monotonic()), for every receive of its
# connection: a socket timeout bounds each receive alone, so a server sending a byte of
# the status line or a header every few seconds held a request for days.
_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("nvd_deadline",
                                                                  default=math.inf)


class _UntilDeadline(io.RawIOBase):
    """A socket's receiving side that waits no longer than :data:`_DEADLINE`."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self._owner = owner
        self._sock = owner.sock
        self._timeout = self._sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = _DEADLINE.get() - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer took too long")
        self._sock.settimeout(left if self._timeout is None else min(left, self._timeout))
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._owner.reader_closed()
        super().close()


class _DeadlineSocket:
    """A connected socket whose reader (what http.client reads the answer from) keeps
    to the deadline; everything else is the socket's own. As with ``socket.makefile``,
    the socket is closed once it and its readers are (urllib closes the socket while
    the answer is still being read)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._readers = 0
        self._closed = False

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> Any:
        if mode != "rb":
            return cast(Any, self.sock).makefile(mode, *args, **kwargs)
        self._readers += 1
        return io.BufferedReader(_UntilDeadline(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closed and not self._readers:
            self.sock.close()

    def close(self) -> None:
        self._closed = True
        if not self._readers:
            self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # the TLS handshake included
        self.sock = _DeadlineSocket(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req)


_OPENER = urllib.request.build_opener(_SameOriginRedirects, _HTTPHandler, _HTTPSHandler)


@dataclass
class NvdClient:
    """Reads API pages; ``sleep`` and ``clock`` are injectable so tests never wait."""

    url: str = API_URL
    api_key: str | None = field(default=None, repr=False)  # a credential: kept out of logs
    requests_per_window: int | None = None  # default: 5 without a key, 50 with one
    window_seconds: float = 30.0
    max_retries: int = 8
    backoff: float = 6.0
    max_backoff: float = 120.0
    timeout: float = 60.0
    give_up_after: float = 300.0  # seconds one page may take, waits and retries included
    notify: Callable[[str], None] | None = None  # told of each retry and its wait
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    retries: int = 0
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        problem = url_problem(self.url)
        if problem:
            raise NvdApiError(f"the NVD API URL {problem}")
        if self.api_key and not usable_key(self.api_key):  # a file's last newline, say
            raise NvdApiError("the NVD API key is not usable (printable ASCII without spaces "
                              "expected; the key is not shown)")
        limit = self.requests_per_window or (50 if self.api_key else 5)
        self.limiter = RateLimiter(limit, self.window_seconds, clock=self.clock,
                                   sleep=self.sleep)

    def page_url(self, start: datetime, end: datetime, start_index: int) -> str:
        query = urllib.parse.urlencode({
            "lastModStartDate": api_time(start), "lastModEndDate": api_time(end),
            "resultsPerPage": PAGE_SIZE, "startIndex": start_index})
        return f"{self.url}?{query}"

    def get(self, url: str) -> bytes:
        """One page's body, retrying throttling and transient failures with back-off."""
        headers = {"Accept": "application/json", "User-Agent": "monozu-vulnintel"}
        if self.api_key:
            headers["apiKey"] = self.api_key
        started = self.clock()
        problem = ""
        attempt = 0
        while True:
            self.limiter.wait()
            self.requests += 1
            retry_after: float | None = None
            refused: NvdApiError | None = None
            left = self.give_up_after - (self.clock() - started)
            token = _DEADLINE.set(time.monotonic() + max(left, 0.0))
            try:
                request = urllib.request.Request(url, headers=headers)  # noqa: S310
                with _OPENER.open(request, timeout=self.timeout) as answer:
                    return self._body(answer, url, started)
            except urllib.error.HTTPError as exc:
                # The status code and its standard phrase, never the server's own words:
                # a server or a proxy may quote the apiKey header back in its status line.
                if exc.code not in RETRY_STATUSES:
                    refused = NvdApiError(f"{url}: HTTP {exc.code} {_phrase(exc.code)}".rstrip())
                problem = f"HTTP {exc.code}"
                retry_after = retry_after_seconds(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, TimeoutError, ConnectionError,
                    http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, ConnectionRefusedError | socket.gaierror | ssl.SSLError):
                    raise NvdApiError(f"{url}: cannot connect ({reason})") from None
                # A status line that is no HTTP is quoted by its exception: named only.
                problem = (type(reason).__name__ if isinstance(reason, http.client.HTTPException)
                           else str(reason) or type(reason).__name__)
            finally:
                _DEADLINE.reset(token)
            if refused is not None:  # raised here, the error the server answered is no context
                raise refused
            delay = min(self.backoff * (2 ** attempt) if retry_after is None else retry_after,
                        self.max_backoff)
            if attempt >= self.max_retries or \
                    self.clock() - started + delay > self.give_up_after:
                break
            attempt += 1
            self.retries += 1
            if self.notify is not None:
                self.notify(f"nvd api: {problem}; retry {attempt} of {self.max_retries} in "
                            f"{delay:.0f} s")
            self.sleep(delay)
        raise NvdApiError(f"{url}: gave up after {attempt + 1} attempts in "
                          f"{self.clock() - started:.0f} s ({problem})")

    def _body(self, answer: http.client.HTTPResponse, url: str, started: float) -> bytes:
        """The whole answer, read in parts so that its size and time stay bounded: the
        socket timeout alone lets a server that sends a byte a minute hold on forever."""
        parts: list[bytes] = []
        size = 0
        # read1: what one receive brings. read(n) waits for all n bytes, so a byte every
        # few seconds would keep one read going for days, the time never checked.
        while part := answer.read1(1 << 20):
            size += len(part)
            if size > MAX_PAGE_BYTES:
                raise NvdApiError(f"{url}: the answer is larger than {MAX_PAGE_BYTES >> 20} MB")
            if self.clock() - started > self.give_up_after:
                raise TimeoutError(f"the answer took over {self.give_up_after:.0f} s")
            parts.append(part)
        return b"".join(parts)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now: delay-seconds or an HTTP date, never
    negative; None when absent or not understood (the back-off applies). The caller caps
    it: ``inf`` or a date years ahead must not stop the sync."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text[:9])  # past nine digits (31 years) the cap applies anyway
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class SyncReport:
    pages: int = 0
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    requests: int = 0
    retries: int = 0
    cursor: str | None = None

    def add(self, page: ImportReport) -> None:
        self.pages += 1
        self.records += page.records
        self.inserted += page.inserted
        self.updated += page.updated
        self.unchanged += page.unchanged

    def line(self) -> str:
        return (f"nvd api: {self.pages} pages, {self.records} records: {self.inserted} "
                f"inserted, {self.updated} updated, {self.unchanged} unchanged; "
                f"{self.requests} requests, {self.retries} retries; cursor {self.cursor}")


@dataclass(frozen=True)
class Position:
    """Where a sync stands: inside a window at ``start_index``, or done up to ``start``."""

    start: datetime
    end: datetime | None = None
    start_index: int = 0

    def text(self) -> str:
        if self.end is None:
            return api_time(self.start)
        return f"{api_time(self.start)} {api_time(self.end)} {self.start_index}"

    @classmethod
    def parse(cls, text: str) -> Position:
        parts = text.split()
        try:
            if len(parts) == 1:
                return cls(_aware(parts[0]))
            if len(parts) == 3:
                return cls(_aware(parts[0]), _aware(parts[1]), int(parts[2]))
        except ValueError:
            pass
        raise NvdApiError(f"sync cursor {text!r} of {FEED_NAME} is not understood")


def _aware(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _totals(body: bytes, url: str) -> tuple[int, int, int]:
    """``(totalResults, resultsPerPage, startIndex)`` of a page, read from its first bytes
    if there."""
    keys = ("totalResults", "resultsPerPage", "startIndex")
    head = _top_level(body[:65536], url)
    if not all(_count(head.get(k)) for k in keys):
        try:
            head = json.loads(body)
        except (ValueError, RecursionError) as exc:  # deeper than the first bytes showed
            raise NvdApiError(f"{url}: not an API page ({type(exc).__name__})") from None
    if not isinstance(head, dict) or not all(_count(head.get(k)) for k in keys):
        raise NvdApiError(f"{url}: not an API page (no whole-number totalResults, "
                          "resultsPerPage and startIndex)")
    return int(head["totalResults"]), int(head["resultsPerPage"]), int(head["startIndex"])


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value <= 10**9


def _page_problem(total: int, size: int, start: int, index: int) -> str | None:
    """Why a page's envelope cannot be followed: the next request is ``startIndex +
    resultsPerPage``, so a page of another index, a page larger than asked for, or an
    empty page before ``totalResults`` would repeat pages without end, or skip records
    and move the cursor past them."""
    if start != index:
        return f"the answer is for startIndex {start}, not {index}"
    if size > PAGE_SIZE:
        return f"resultsPerPage {size} is more than the {PAGE_SIZE} asked for"
    if size == 0 and index < total:
        return f"no results in the page although totalResults is {total}"
    return None


def _pages(client: NvdClient, position: Position, now: datetime
           ) -> Iterator[tuple[bytes, str, Position, int]]:
    """``(page body, url, position after it, resultsPerPage)`` from ``position`` up to
    ``now``."""
    first = [(position.start, position.end)] if position.end else []
    rest_from = position.end or position.start
    for number, (start, end) in enumerate(first + windows(rest_from, now)):
        index = position.start_index if number == 0 and position.end else 0
        while True:
            url = client.page_url(start, end, index)
            page = client.get(url)
            total, size, answered = _totals(page, url)
            problem = _page_problem(total, size, answered, index)
            if problem:
                raise NvdApiError(f"{url}: {problem}; the cursor stays at this page")
            index += size
            done = size <= 0 or index >= total
            yield page, url, Position(end) if done else Position(start, end, index), size
            if done:
                break


def sync(db: Database, client: NvdClient, *, since: datetime | None = None,
         now: datetime | None = None, max_pages: int | None = None) -> SyncReport:
    """Catch up from the saved cursor (or ``since``) to ``now``, page by page."""
    now = now or datetime.now(UTC)
    report = SyncReport()
    with db.transaction() as tx:  # refused before the API is asked for a page
        require_staging(tx)
    position = _start(db, since)
    with tempfile.TemporaryDirectory(prefix="nvd-api-") as folder:
        target = Path(folder) / "page.json"
        for page, url, after, size in _pages(client, position, now):
            target.write_bytes(page)
            try:
                done = import_file(db, "nvd", target, url=url)
            except FeedError as exc:  # named by the page's URL, not the temporary file
                raise FeedError(url, exc.record, exc.problem) from None
            report.add(done)
            if done.records != size:  # the next startIndex would skip or repeat records
                raise NvdApiError(f"{url}: resultsPerPage is {size} but the page holds "
                                  f"{done.records} records; the cursor stays at this page")
            report.cursor = after.text()
            _save(db, client.url, report.cursor)
            if max_pages is not None and report.pages >= max_pages:
                break
    report.requests, report.retries = client.requests, client.retries
    return report


def _start(db: Database, since: datetime | None) -> Position:
    if since is not None:
        return Position(since if since.tzinfo else since.replace(tzinfo=UTC))
    with db.transaction() as tx:
        saved = tx.select(str, "SELECT sync_cursor FROM cve_feeds WHERE name = :name "
                          "AND sync_cursor IS NOT NULL", name=FEED_NAME)
        if saved:
            return Position.parse(saved[0])
        newest = tx.select(datetime, "SELECT MAX(last_modified_at) FROM cve_catalog")
    if newest and newest[0] is not None:
        return Position(newest[0])
    raise NvdApiError("no checkpoint to catch up from: import the NVD feed files first, "
                      "or give a start date")


def _save(db: Database, url: str, cursor: str) -> None:
    with db.transaction() as tx:
        values = {"name": FEED_NAME, "url": url, "last_synced_at": datetime.now(UTC),
                  "sync_cursor": cursor}
        if not tx.exec(sql.FEED_SYNCED, values):
            tx.exec(sql.FEED_INSERT, values, id=uuid.uuid4(), kind="nvd", yes=True,
                    last_error=None)
