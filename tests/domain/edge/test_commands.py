"""The command queue: exactly-once claims under concurrent pollers, lifecycle, refusals."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from monozu.db import NotFound
from monozu.domain.edge import CredentialError, DeviceIdentity, EventIn
from monozu.domain.errors import InvalidTransition, ValidationError
from tests.domain.conftest import table_rows
from tests.domain.edge.conftest import Edge
from tests.domain.isolation.edge import DEVICE_CALLS


def device(edge: Edge, tenant: uuid.UUID, name: str = "edge-01") -> DeviceIdentity:
    key = edge.service.create_provisioning_key(tenant, "k")
    issued = edge.service.register_device(key.secret, name=name, type="gateway")
    return edge.service.authenticate(issued.secret)


def test_poll_claims_oldest_first_once_and_marks_them_acked(edge: Edge) -> None:
    dev = device(edge, edge.a)
    made = []
    for n in range(5):
        edge.clock.advance(seconds=1)
        made.append(edge.service.enqueue(edge.a, dev.device_id, "run_discovery", {"n": n}))
    first = edge.service.poll(dev, limit=3)
    assert [c.id for c in first] == [c.id for c in made[:3]]
    assert {c.status for c in first} == {"acked"} and all(c.acked_at for c in first)
    assert [c.payload for c in first] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [c.id for c in edge.service.poll(dev, limit=10)] == [c.id for c in made[3:]]
    assert edge.service.poll(dev) == []


def test_complete_and_fail_record_results_once(edge: Edge) -> None:
    dev = device(edge, edge.a)
    one = edge.service.enqueue(edge.a, dev.device_id, "restart_service", {"unit": "x"})
    two = edge.service.enqueue(edge.a, dev.device_id, "config_update", {})
    with pytest.raises(InvalidTransition, match="pending"):
        edge.service.complete(dev, one.id)  # not claimed yet
    edge.service.poll(dev)
    edge.service.complete(dev, one.id, {"ok": True})
    edge.service.fail(dev, two.id, {"error": "disk full"})
    with pytest.raises(InvalidTransition, match="completed"):
        edge.service.fail(dev, one.id)
    rows = {c.id: c for c in edge.service.commands(edge.a, dev.device_id)}
    assert (rows[one.id].status, rows[one.id].result) == ("completed", {"ok": True})
    assert (rows[two.id].status, rows[two.id].result) == ("failed", {"error": "disk full"})


def test_a_device_cannot_touch_another_devices_or_tenants_commands(edge: Edge) -> None:
    mine, other = device(edge, edge.a, "a-1"), device(edge, edge.a, "a-2")
    foreign = device(edge, edge.b, "b-1")
    cmd = edge.service.enqueue(edge.a, mine.device_id, "run_discovery")
    theirs = edge.service.enqueue(edge.b, foreign.device_id, "run_discovery")
    assert edge.service.poll(other) == []
    assert [c.id for c in edge.service.poll(foreign)] == [theirs.id]
    edge.service.poll(mine)
    with pytest.raises(NotFound):
        edge.service.complete(other, cmd.id)
    with pytest.raises(NotFound):
        edge.service.complete(mine, theirs.id)
    # a forged identity naming tenant B's device from tenant A's unit of work finds nothing
    forged = DeviceIdentity(edge.a, foreign.device_id, "forged")
    with pytest.raises(NotFound, match=f"^device {foreign.device_id} not found$"):
        edge.service.poll(forged)
    with pytest.raises(NotFound):
        edge.service.enqueue(edge.a, foreign.device_id, "run_discovery")
    with pytest.raises(NotFound):
        edge.service.enqueue(edge.b, mine.device_id, "run_discovery")


@pytest.mark.parametrize(("command", "payload", "message"), [
    ("reboot_everything", {}, "command must be one of"),
    ("run_discovery", [1, 2], "JSON object"),
    ("run_discovery", "text", "JSON object"),
    ("run_discovery", {"x": "y" * 70_000}, "larger than"),
    ("run_discovery", {"x": float("nan")}, "not a JSON document"),
])
def test_bad_commands_are_refused_and_write_nothing(edge: Edge, command: str,
                                                    payload: object, message: str) -> None:
    dev = device(edge, edge.a)
    with pytest.raises(ValidationError, match=message):
        edge.service.enqueue(edge.a, dev.device_id, command, payload)  # type: ignore[arg-type]
    assert edge.service.commands(edge.a, dev.device_id) == []


def test_revoked_devices_take_no_commands(edge: Edge) -> None:
    dev = device(edge, edge.a)
    edge.service.revoke_device(edge.a, dev.device_id)
    with pytest.raises(ValidationError, match="revoked"):
        edge.service.enqueue(edge.a, dev.device_id, "run_discovery")


@pytest.mark.parametrize("call", ["poll", "complete", "fail", "report_update", "ingest"])
def test_an_identity_from_before_the_revocation_is_refused_in_every_call(
        edge: Edge, call: str) -> None:
    dev = device(edge, edge.a)
    cmd = edge.service.enqueue(edge.a, dev.device_id, "run_discovery")
    edge.service.poll(dev)  # claimed before the revocation: still not to be finished
    edge.service.revoke_device(edge.a, dev.device_id)
    calls: dict[str, Callable[[], object]] = {
        "poll": lambda: edge.service.poll(dev),
        "complete": lambda: edge.service.complete(dev, cmd.id, {"ok": True}),
        "fail": lambda: edge.service.fail(dev, cmd.id),
        "report_update": lambda: edge.service.report_update(
            dev, "monozu-edge", to_version="1.4.1", status="installed"),
        "ingest": lambda: edge.service.ingest(
            dev, [EventIn("log", edge.clock.now, {"n": 1})]),
    }
    tables = ("device_commands", "device_snap_updates", "ingest_events")
    before = table_rows(edge.db, *tables)
    with pytest.raises(CredentialError, match=r"^device key revoked$"):
        calls[call]()
    assert table_rows(edge.db, *tables) == before


def test_unclaimed_commands_expire(edge: Edge) -> None:
    dev = device(edge, edge.a)
    old = edge.service.enqueue(edge.a, dev.device_id, "run_discovery")
    edge.clock.advance(hours=2)
    new = edge.service.enqueue(edge.a, dev.device_id, "run_discovery")
    assert edge.service.expire_commands(edge.a, timedelta(hours=1)) == 1
    assert edge.service.expire_commands(edge.b, timedelta(0)) == 0
    assert [c.id for c in edge.service.poll(dev)] == [new.id]
    statuses = {c.id: c.status for c in edge.service.commands(edge.a, dev.device_id)}
    assert statuses == {old.id: "expired", new.id: "acked"}


@pytest.mark.parametrize("same_device", [True, False], ids=["one device", "eight devices"])
def test_eight_concurrent_pollers_deliver_every_command_exactly_once(
        edge: Edge, same_device: bool) -> None:
    devices = [device(edge, edge.a, f"edge-{n}") for n in range(1 if same_device else 8)]
    expected: set[uuid.UUID] = set()
    for n in range(240):
        dev = devices[n % len(devices)]
        expected.add(edge.service.enqueue(edge.a, dev.device_id, "run_discovery", {"n": n}).id)
    delivered: list[uuid.UUID] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def poller(dev: DeviceIdentity) -> None:
        barrier.wait()
        empty = 0
        while empty < 3:
            got = edge.service.poll(dev, limit=5)
            empty = 0 if got else empty + 1
            with lock:
                delivered.extend(c.id for c in got)

    threads = [threading.Thread(target=poller, args=(devices[n % len(devices)],))
               for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duplicates = [i for i, count in Counter(delivered).items() if count > 1]
    assert duplicates == []
    assert set(delivered) == expected


@pytest.mark.parametrize("call", sorted(DEVICE_CALLS))
def test_another_tenants_device_is_a_missing_device_in_every_call(edge: Edge,
                                                                  call: str) -> None:
    mine, theirs = device(edge, edge.a), device(edge, edge.b)
    tables = ("devices", "device_commands", "device_snap_updates", "ingest_events",
              "audit_logs")
    before = table_rows(edge.db, *tables)
    for other in (theirs.device_id, uuid.uuid4()):
        with pytest.raises(NotFound, match=f"^device {other} not found$"):
            DEVICE_CALLS[call](edge.service, mine, other)
    assert table_rows(edge.db, *tables) == before
