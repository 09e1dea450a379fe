"""The NVD API client against a local server on 127.0.0.1 that serves the fixture pages,
throttles and fails on purpose. Sleeps are recorded, never slept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monozu.db import Database
from monozu.domain.vulnintel import FeedError
from monozu.domain.vulnintel.nvd_api import (
    FEED_NAME,
    NvdApiError,
    NvdClient,
    RateLimiter,
    sync,
    windows,
)
from tests.domain.vulnintel.api_server import RAW_STATUS_LINE, REASON, Script, local_api


@pytest.fixture
def server(feeds: Path) -> Iterator[tuple[str, Script]]:
    with local_api(feeds / "nvd") as running:
        yield running


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _client(url: str, fake: FakeTime, **kw: object) -> NvdClient:
    return NvdClient(url=url, sleep=fake.sleep, clock=fake.clock, **kw)  # type: ignore[arg-type]


NOW = datetime(2026, 10, 1, tzinfo=UTC)


def test_windows_are_at_most_120_days() -> None:
    start = NOW - timedelta(days=300)
    cut = windows(start, NOW)
    assert len(cut) == 3 and cut[0][0] == start and cut[-1][1] == NOW
    assert all(b - a <= timedelta(days=120) for a, b in cut)
    assert all(cut[i][1] == cut[i + 1][0] for i in range(len(cut) - 1))
    assert windows(NOW, NOW) == []


def test_rate_limiter_waits_for_the_window() -> None:
    fake = FakeTime()
    limiter = RateLimiter(5, 30.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(11):
        limiter.wait()
    assert fake.slept == [30.0, 30.0]


def test_sync_pages_retries_and_resumes(db: Database, server: tuple[str, Script]) -> None:
    url, script = server
    script.failures = [(503, {}), (429, {"Retry-After": "7"}), (403, {})]
    fake = FakeTime()
    client = _client(url, fake, api_key="secret-key", backoff=2.0)
    report = sync(db, client, since=NOW - timedelta(days=10), now=NOW)
    assert (report.pages, report.records, report.inserted) == (2, 19, 19)
    assert (report.requests, report.retries) == (5, 3)
    assert fake.slept == [2.0, 7.0, 8.0]  # back-off doubles; Retry-After wins when given
    queries = [q for q, _ in script.requests]
    assert [q["startIndex"] for q in queries[-2:]] == ["0", "15"]
    assert all(q["resultsPerPage"] == "2000" for q in queries)
    assert queries[-1]["lastModStartDate"] == "2026-09-21T00:00:00.000+00:00"
    assert queries[-1]["lastModEndDate"] == "2026-10-01T00:00:00.000+00:00"
    assert all(key == "secret-key" for _, key in script.requests)
    cursor = db.get_value("SELECT sync_cursor FROM cve_feeds WHERE name = :n", n=FEED_NAME)
    assert cursor == "2026-10-01T00:00:00.000+00:00"

    # next run starts from the saved checkpoint: one empty-ish window, nothing new
    script.requests.clear()
    again = sync(db, _client(url, FakeTime()), now=NOW + timedelta(days=1))
    assert again.inserted == 0 and again.unchanged == 19
    assert script.requests[0][0]["lastModStartDate"] == "2026-10-01T00:00:00.000+00:00"
    assert script.requests[0][1] is None  # no key configured, no header


@pytest.mark.parametrize("key", [
    "Qx7RawZq8TuvKp3Lmn\n",  # read from a file with its last line's newline
    "Qx7Raw\r\nX-Injected: Zq8TuvKp3Lmn", "Qx7Raw Zq8TuvKp3Lmn", "Qx7RawZq8Tuv\u2603Kp3Lmn",
    "Qx7RawZq8Tuv\udcffKp3Lmn", "Qx7Raw\x00Zq8TuvKp3Lmn",
])
def test_a_key_no_header_can_carry_is_refused_without_showing_it(
        db: Database, server: tuple[str, Script], key: str) -> None:
    """Refused before any request, in words of its own: the HTTP library's error quotes
    the header value (or holds it in its arguments), the whole key."""
    from tests.db.dialects.test_urls import FRAGMENTS, exception_texts

    url, script = server
    with pytest.raises(NvdApiError, match="NVD API key") as refused:
        sync(db, _client(url, FakeTime(), api_key=key, max_retries=0),
             since=NOW - timedelta(days=1), now=NOW)
    texts = exception_texts(refused.value)
    assert [p for p in FRAGMENTS.findall(key) for t in texts if p in t] == [], texts
    assert script.requests == []


@pytest.mark.parametrize("failure", [
    (404, {REASON: "Invalid apiKey Kx7EchoedKey-Zq8Tail"}),
    (503, {REASON: "Busy, apiKey Kx7EchoedKey-Zq8Tail"}),
    (0, {RAW_STATUS_LINE: "HTTP/1.1 4O4 apiKey=Kx7EchoedKey-Zq8Tail"}),
], ids=["refused", "retried", "not-http"])
def test_a_server_echoing_the_key_in_its_status_line_is_not_quoted(
        db: Database, server: tuple[str, Script],
        failure: tuple[int, dict[str, str]]) -> None:
    """The status line is the server's (or a proxy's) own text, which may quote the
    request's apiKey header back: the error and the retry lines give the status code
    and its standard phrase only."""
    from tests.db.dialects.test_urls import exception_texts

    url, script = server
    script.failures = [failure] * 3
    said: list[str] = []
    client = _client(url, FakeTime(), api_key="Kx7EchoedKey-Zq8Tail", max_retries=2,
                     notify=said.append)
    with pytest.raises(NvdApiError) as refused:
        sync(db, client, since=NOW - timedelta(days=1), now=NOW)
    texts = [*exception_texts(refused.value), *said]
    assert [t for t in texts if "Kx7Echoed" in t or "Zq8Tail" in t] == [], texts
    assert f"HTTP {failure[0]}" in str(refused.value) or failure[0] == 0


def test_interrupted_sync_resumes_at_the_page(db: Database,
                                              server: tuple[str, Script]) -> None:
    url, script = server
    script.broken_index = 15
    with pytest.raises(FeedError, match="ends early"):
        sync(db, _client(url, FakeTime()), since=NOW - timedelta(days=1), now=NOW)
    cursor = db.get_value("SELECT sync_cursor FROM cve_feeds WHERE name = :n", n=FEED_NAME)
    assert cursor.endswith(" 15")  # inside the window, at the second page
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == 15
    script.broken_index = None
    script.requests.clear()
    report = sync(db, _client(url, FakeTime()), now=NOW)
    assert [q["startIndex"] for q, _ in script.requests] == ["15"]
    assert report.inserted == 4
    assert db.get_value("SELECT COUNT(*) FROM cve_catalog") == 19


def test_gives_up_after_bounded_retries(db: Database, server: tuple[str, Script]) -> None:
    url, script = server
    script.failures = [(503, {})] * 10
    fake = FakeTime()
    client = _client(url, fake, max_retries=3, backoff=1.0)
    with pytest.raises(NvdApiError, match="gave up after 4 attempts"):
        sync(db, client, since=NOW - timedelta(days=1), now=NOW)
    assert fake.slept == [1.0, 2.0, 4.0] and len(script.requests) == 4


def test_client_errors_are_not_retried(db: Database, server: tuple[str, Script]) -> None:
    url, script = server
    script.failures = [(404, {})]
    with pytest.raises(NvdApiError, match="HTTP 404"):
        sync(db, _client(url, FakeTime()), since=NOW - timedelta(days=1), now=NOW)
    assert len(script.requests) == 1


def test_no_checkpoint_is_refused(db: Database) -> None:
    with pytest.raises(NvdApiError, match="no checkpoint"):
        sync(db, NvdClient(url="http://127.0.0.1:9/"), now=NOW)
    with pytest.raises(NvdApiError, match="not http"):
        NvdClient(url="file:///etc/passwd")
