"""Batched ingest (all or nothing, limits first), reads by window, retention in batches."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from monozu.db import NotFound
from monozu.domain.edge import CredentialError, EventIn, IngestLimits
from monozu.domain.edge.service import EdgeService
from monozu.domain.errors import ValidationError
from tests.domain.edge.conftest import Edge
from tests.domain.edge.test_commands import device
from tests.support.tz import FailingOffset, NoOffset


def events(edge: Edge, n: int, kind: str = "telemetry", start: int = 0) -> list[EventIn]:
    return [EventIn(kind, edge.clock.now - timedelta(minutes=n - i), {"seq": start + i})
            for i in range(n)]


def stored(edge: Edge) -> int:
    return int(edge.db.get_value("SELECT COUNT(*) FROM ingest_events"))


def test_a_batch_is_written_and_read_back_by_window_and_page(edge: Edge) -> None:
    dev = device(edge, edge.a)
    assert edge.service.ingest(dev, events(edge, 25)) == 25
    since, until = edge.clock.now - timedelta(days=1), edge.clock.now + timedelta(minutes=1)
    seen: list[int] = []
    cursor = None
    while True:
        page = edge.service.events(edge.a, since=since, until=until, limit=10, cursor=cursor)
        seen += [e.data["seq"] for e in page.items]  # type: ignore[call-overload]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(range(25))
    one = edge.service.events(edge.a, since=since, until=until, device_id=dev.device_id,
                              kind="telemetry", limit=500).items
    assert len(one) == 25 and all(e.tenant_id == edge.a for e in one)
    assert edge.service.events(edge.a, since=since, until=until, kind="log").items == []
    assert edge.service.events(edge.b, since=since, until=until).items == []
    # a device filter names one of the tenant's devices: another's is a missing one
    theirs = device(edge, edge.b).device_id
    for other in (theirs, uuid.uuid4()):
        with pytest.raises(NotFound, match=f"^device {other} not found$"):
            edge.service.events(edge.a, since=since, until=until, device_id=other)




@pytest.mark.parametrize(("bad", "message"), [
    (lambda e: [*e, EventIn("teleport", e[0].event_at, {})], "kind must be one of"),
    (lambda e: [*e, EventIn("log", datetime(2026, 1, 1), {})], "timezone-aware"),
    # a tzinfo that gives no offset makes a naive datetime, or one that fails to
    (lambda e: [*e, EventIn("log", datetime(2026, 1, 1, tzinfo=NoOffset()), {})],
     "timezone-aware"),
    (lambda e: [*e, EventIn("log", datetime(2026, 1, 1, tzinfo=FailingOffset()), {})],
     "timezone-aware"),
    (lambda e: [*e, EventIn("log", e[0].event_at, "text")], "JSON object or array"),
    (lambda e: [*e, EventIn("log", e[0].event_at, {"x": "y" * 70_000})], "larger than"),
    (lambda e: [*e, EventIn("log", e[0].event_at + timedelta(days=1), {})], "future"),
    (lambda e: [*e, {"kind": "log"}], "not an event"),
    (lambda e: e * 200, "1 to 1000 events"),
    (lambda e: [], "1 to 1000 events"),
])
def test_bad_batches_are_refused_whole_before_writing(edge: Edge, bad: object,
                                                      message: str) -> None:
    dev = device(edge, edge.a)
    batch = bad(events(edge, 10))  # type: ignore[operator]
    with pytest.raises(ValidationError, match=message):
        edge.service.ingest(dev, batch)
    assert stored(edge) == 0


def test_revoked_device_cannot_ingest(edge: Edge) -> None:
    dev = device(edge, edge.a)
    edge.service.revoke_device(edge.a, dev.device_id)
    with pytest.raises(CredentialError, match="revoked"):
        edge.service.ingest(dev, events(edge, 3))
    assert stored(edge) == 0


def test_retention_purges_in_bounded_batches(edge: Edge) -> None:
    dev = device(edge, edge.a)
    other = device(edge, edge.b, "b-1")
    edge.service.ingest(dev, events(edge, 23))
    edge.service.ingest(other, events(edge, 4))
    edge.clock.advance(days=40)
    edge.service.ingest(dev, events(edge, 5, start=100))
    small = EdgeService(edge.db, clock=edge.clock, purge_batch=4)
    assert small.purge(edge.a, timedelta(days=30)) == 23
    assert stored(edge) == 5 + 4
    assert small.purge_all(timedelta(days=30)) == {edge.a: 0, edge.b: 4}
    assert small.purge_all(timedelta(days=30)) == {edge.a: 0, edge.b: 0}
    edge.clock.advance(seconds=1)
    assert small.purge(edge.a, timedelta(0)) == 5
    assert stored(edge) == 0


def test_limits_are_configurable(edge: Edge) -> None:
    dev = device(edge, edge.a)
    tight = EdgeService(edge.db, clock=edge.clock, limits=IngestLimits(max_batch=2))
    with pytest.raises(ValidationError, match="1 to 2 events"):
        tight.ingest(dev, events(edge, 3))
    assert tight.ingest(dev, events(edge, 2)) == 2


@pytest.mark.parametrize("older_than", [timedelta(days=-1), timedelta.max, 30])
def test_an_age_that_is_negative_too_long_or_not_a_timedelta_is_refused(
        edge: Edge, older_than: object) -> None:
    """A negative age had expired commands queued a moment ago; timedelta.max raised a
    raw OverflowError."""
    dev = device(edge, edge.a)
    edge.service.ingest(dev, events(edge, 2))
    for call in (edge.service.purge, edge.service.expire_commands):
        with pytest.raises(ValidationError, match="older_than"):
            call(edge.a, older_than)  # type: ignore[arg-type]
    assert stored(edge) == 2
