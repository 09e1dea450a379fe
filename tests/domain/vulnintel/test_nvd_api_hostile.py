"""The NVD API client against a hostile or broken server: bad URLs refused up front, retry
time bounded, ``Retry-After`` of any kind clamped, refused connections failing at once,
bodies nested too deeply or too large refused in one line. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from monozu.db import Database
from monozu.domain.vulnintel import FeedError, nvd_api
from monozu.domain.vulnintel.nvd_api import (
    NvdApiError,
    NvdClient,
    retry_after_seconds,
    sync,
    url_problem,
)
from tests.domain.vulnintel.api_server import Script, local_api
from tests.domain.vulnintel.test_nvd_api import NOW, FakeTime

SINCE = NOW - timedelta(days=1)


@pytest.fixture
def server(feeds: Path) -> Iterator[tuple[str, Script]]:
    with local_api(feeds / "nvd") as running:
        yield running


def _client(url: str, fake: FakeTime, **kw: object) -> NvdClient:
    return NvdClient(url=url, api_key="k", sleep=fake.sleep, clock=fake.clock,
                     **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("url", "problem"), [
    ("", "is empty"),
    ("notaurl", "is not http(s)"),
    ("file:///etc/passwd", "is not http(s)"),
    ("http://[::1", "cannot be parsed (an invalid IPv6 address)"),
    ("http://[::zz]/", "cannot be parsed"),
    ("http://127.0.0.1:99999/", "has a port out of range 0-65535"),
    ("http://127.0.0.1:0/", "has port 0"),
    ("http://user:secret/", "has a port that is not a number"),
    ("http:///path", "has no usable host name"),
    ("http://" + "a" * 64 + ".example/", "has no usable host name"),
    ("http://exa mple/", "printable ASCII without spaces"),
    ("http://exämple/", "printable ASCII without spaces"),
    ("http://h/\x1b[31m", "printable ASCII without spaces"),
    ("http://user:secret@h/", "must not hold a user or password"),
    ("http://h/x?a=1", "must not have a query"),
    ("http://h/" + "x" * 2000, "is longer than 2000 characters"),
])
def test_bad_urls_are_refused_without_repeating_them(url: str, problem: str) -> None:
    found = url_problem(url)
    assert found is not None and problem in found
    assert "secret" not in found
    with pytest.raises(NvdApiError, match="the NVD API URL"):
        NvdClient(url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/rest/json/cves/2.0",
                                 "https://services.nvd.nist.gov/rest/json/cves/2.0",
                                 "http://[::1]:8080/", "http://localhost./x"])
def test_good_urls_pass(url: str) -> None:
    assert url_problem(url) is None


def test_retry_after_values() -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True),
                               now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(days=1), usegmt=True), now) == 0
    for garbage in ("inf", "nan", "-5", "1e999", "soon", "", "\u0663", "Wed, 99 Foo 2099"):
        assert retry_after_seconds(garbage, now) is None, garbage
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(("header", "slept"), [
    ("inf", [6.0, 12.0, 24.0, 48.0, 96.0]),  # not understood: the back-off, within 300 s
    ("99999999999999999999", [120.0, 120.0]),  # capped at max_backoff
    ("Wed, 21 Oct 2099 07:28:00 GMT", [120.0, 120.0]),
])
def test_retry_time_is_bounded_whatever_retry_after_says(
        db: Database, server: tuple[str, Script], header: str, slept: list[float]) -> None:
    url, script = server
    script.failures = [(503, {"Retry-After": header})] * 20
    fake = FakeTime()
    told: list[str] = []
    with pytest.raises(NvdApiError, match=f"gave up after {len(slept) + 1} attempts"):
        sync(db, _client(url, fake, notify=told.append), since=SINCE, now=NOW)
    assert fake.slept == slept and sum(slept) <= 300
    assert len(told) == len(slept) and told[0].startswith("nvd api: HTTP 503; retry 1 of 8 in")


def test_a_refused_connection_fails_at_once(db: Database) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = FakeTime()
    with pytest.raises(NvdApiError, match=r"cannot connect .*refused"):
        sync(db, _client(f"http://127.0.0.1:{port}/", fake), since=SINCE, now=NOW)
    assert fake.slept == []


@pytest.mark.parametrize("body", [
    b"[" * 100_000,
    b'{"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "pad": "' + b"x" * 70_000
    + b'", "vulnerabilities": [' + b"{\"a\": " * 100_000,
], ids=["at-once", "after-the-first-bytes"])
def test_a_body_nested_too_deeply_is_one_line(db: Database, server: tuple[str, Script],
                                              body: bytes) -> None:
    url, script = server
    script.bodies = [body]
    started = time.perf_counter()
    with pytest.raises(FeedError) as info:
        sync(db, _client(url, FakeTime()), since=SINCE, now=NOW)
    assert time.perf_counter() - started < 2
    message = str(info.value)
    assert message.startswith(url) and "nested deeper than 64 levels" in message
    assert "\n" not in message and "page.json" not in message


@pytest.mark.parametrize("body", [
    b'{"resultsPerPage": true, "startIndex": 0, "totalResults": 1, "vulnerabilities": []}',
    b'{"resultsPerPage": 1.5, "startIndex": 0, "totalResults": 1, "vulnerabilities": []}',
    b'{"resultsPerPage": "15", "startIndex": 0, "totalResults": 15, "vulnerabilities": []}',
    b'{"resultsPerPage": -1, "startIndex": 0, "totalResults": 1, "vulnerabilities": []}',
    b"[1, 2]",
    b"<html>busy</html>",
])
def test_totals_must_be_whole_numbers(db: Database, server: tuple[str, Script],
                                      body: bytes) -> None:
    url, script = server
    script.bodies = [body]
    with pytest.raises(NvdApiError, match="not an API page"):
        sync(db, _client(url, FakeTime()), since=SINCE, now=NOW)


def test_an_oversized_answer_is_refused(db: Database, server: tuple[str, Script],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = server
    monkeypatch.setattr(nvd_api, "MAX_PAGE_BYTES", 1000)
    with pytest.raises(NvdApiError, match="larger than"):
        sync(db, _client(url, FakeTime()), since=SINCE, now=NOW)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_key_never_follows_a_redirect_to_another_server(
        db: Database, feeds: Path, server: tuple[str, Script], status: int) -> None:
    """urllib sends every header of a request again wherever a redirect points: the
    apiKey went to the other server (here another port: another origin)."""
    url, script = server
    with local_api(feeds / "nvd") as (elsewhere, other):
        script.failures = [(status, {"Location": f"{elsewhere}?startIndex=0"})]
        with pytest.raises(NvdApiError, match="redirect") as info:
            sync(db, NvdClient(url=url, api_key="Kx7RedirectKey", sleep=FakeTime().sleep,
                               clock=FakeTime().clock), since=SINCE, now=NOW)
    assert other.requests == []
    assert "Kx7RedirectKey" not in str(info.value) and elsewhere not in str(info.value)


def test_a_redirect_within_the_api_server_keeps_the_key(
        db: Database, server: tuple[str, Script]) -> None:
    url, script = server
    script.failures = [(302, {"Location": url.replace("/2.0", "/2.0/")})]
    fake = FakeTime()
    sync(db, NvdClient(url=url, api_key="Kx7RedirectKey", sleep=fake.sleep, clock=fake.clock),
         since=SINCE, now=NOW)
    assert [key for _, key in script.requests] == ["Kx7RedirectKey"] * len(script.requests)
    assert len(script.requests) >= 2


def _page(feeds: Path, name: str, **envelope: int) -> bytes:
    page = json.loads((feeds / "nvd" / name).read_text())
    page.update(envelope)
    return json.dumps(page).encode()


@pytest.mark.parametrize(("first", "second", "problem", "cursor", "stored"), [
    # an empty page before totalResults: the window was taken as done, the cursor moved
    # past 19 CVEs never read
    ({"resultsPerPage": 0, "vulnerabilities": []}, None,
     r"startIndex=0: no results in the page although totalResults is 19", None, 0),
    # the server repeats the first page for the second: read again and again
    ({}, {}, r"startIndex=15: the answer is for startIndex 0, not 15", " 15", 15),
    # more than the page holds: the next startIndex skips records
    ({"resultsPerPage": 17}, None,
     r"startIndex=0: resultsPerPage is 17 but the page holds 15 records", None, 15),
    ({"resultsPerPage": 5000}, None,
     r"startIndex=0: resultsPerPage 5000 is more than the 2000 asked for", None, 0),
])
def test_a_page_whose_envelope_cannot_be_followed_stops_the_sync_at_it(
        db: Database, feeds: Path, server: tuple[str, Script], first: dict[str, Any],
        second: dict[str, Any] | None, problem: str, cursor: str | None,
        stored: int) -> None:
    url, script = server
    script.bodies = [_page(feeds, "nvd-page-1.json", **first)]
    if second is not None:
        script.bodies.append(_page(feeds, "nvd-page-1.json", **second))
    with pytest.raises(NvdApiError, match=problem + "; the cursor stays at this page"):
        sync(db, _client(url, FakeTime()), since=SINCE, now=NOW)
    saved = db.get_value("SELECT MAX(sync_cursor) FROM cve_feeds WHERE name = :n",
                         n=nvd_api.FEED_NAME)
    assert saved is None if cursor is None else saved.endswith(cursor)
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == stored
    script.requests.clear()  # the next run reads on from the page that stopped it
    sync(db, _client(url, FakeTime()), since=None if cursor else SINCE, now=NOW)
    assert script.requests[0][0]["startIndex"] == ("15" if cursor else "0")
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == 19


HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000\r\n\r\n{")


@contextlib.contextmanager
def _trickling_server(start: bytes) -> Iterator[str]:
    """Answers ``start``, then a space every 20 ms (in a header or the body): each byte
    comes well within the socket timeout, the whole would take days."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(start)
                while not stop.wait(0.02):
                    conn.sendall(b" ")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/rest/json/cves/2.0"
    finally:
        stop.set()
        listener.close()
        thread.join(10)


@pytest.mark.parametrize("start", [HEAD, HEAD[:40], b"HTTP/1.1 200"],
                         ids=["body", "header", "status-line"])
def test_an_answer_trickled_byte_by_byte_gives_up_in_bounded_time(db: Database,
                                                                 start: bytes) -> None:
    """The body was read a megabyte at a time and the time checked between megabytes:
    a read waits for its whole megabyte, so the trickle held the sync for days; the
    status line and headers were read with no time check at all."""
    failed: list[BaseException] = []

    def run(url: str) -> None:
        try:
            sync(db, NvdClient(url=url, timeout=5.0, give_up_after=1.0, max_retries=0,
                               sleep=FakeTime().sleep), since=SINCE, now=NOW)
        except BaseException as exc:  # handed to the test's thread
            failed.append(exc)

    with _trickling_server(start) as url:
        worker = threading.Thread(target=run, args=(url,), daemon=True)
        worker.start()
        worker.join(60)  # a hang guard, far above the second allowed
        assert not worker.is_alive(), "the sync is still reading the trickled body"
    assert len(failed) == 1 and isinstance(failed[0], NvdApiError)
    assert "gave up after 1 attempts" in str(failed[0])
    assert str(failed[0]).endswith(("(timed out)", "(the answer took too long)",
                                    "(the answer took over 1 s)"))
