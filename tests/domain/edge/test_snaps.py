"""Snap releases (global), a device's update reports, and a tenant's fleet view."""

from __future__ import annotations

import pytest

from monozu.domain.errors import Conflict, ValidationError
from tests.domain.edge.conftest import Edge
from tests.domain.edge.test_commands import device

SHA = "ab" * 32


def test_newest_release_per_channel(edge: Edge) -> None:
    svc = edge.service
    assert svc.newest_release("monozu-edge") is None
    svc.publish_release("monozu-edge", "1.4.0", sha256=SHA, blob_path="b/1.4.0", size_bytes=9)
    edge.clock.advance(days=1)
    svc.publish_release("monozu-edge", "1.5.0-rc1", channel="beta", sha256=SHA,
                        blob_path="b/1.5.0-rc1", size_bytes=9)
    edge.clock.advance(days=1)
    svc.publish_release("monozu-edge", "1.4.1", sha256=SHA, blob_path="b/1.4.1", size_bytes=9)
    stable = svc.newest_release("monozu-edge")
    beta = svc.newest_release("monozu-edge", "beta")
    assert (stable and stable.version, beta and beta.version) == ("1.4.1", "1.5.0-rc1")
    assert svc.newest_release("monozu-edge", "edge") is None


def test_a_release_published_twice_is_a_conflict(edge: Edge) -> None:
    svc = edge.service
    first = svc.publish_release("monozu-edge", "1.4.0", sha256=SHA, blob_path="b/1", size_bytes=9)
    with pytest.raises(Conflict, match=r"^monozu-edge 1\.4\.0 is already published on channel "
                                       r"'stable'$"):
        svc.publish_release("monozu-edge", "1.4.0", sha256=SHA, blob_path="b/2", size_bytes=9)
    newest = svc.newest_release("monozu-edge")
    assert newest is not None and (newest.id, newest.blob_path) == (first.id, "b/1")


@pytest.mark.parametrize(("kw", "message"), [
    ({"sha256": "xyz"}, "sha256"), ({"size_bytes": -1}, "size_bytes"),
    ({"blob_path": ""}, "blob_path"), ({"channel": "c" * 51}, "channel"),
])
def test_bad_releases(edge: Edge, kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"sha256": SHA, "blob_path": "b", "size_bytes": 1, **kw}
    with pytest.raises(ValidationError, match=message):
        edge.service.publish_release("monozu-edge", "1.0", **args)  # type: ignore[arg-type]
    assert edge.service.newest_release("monozu-edge") is None


def test_fleet_shows_each_devices_latest_report_and_only_its_tenant(edge: Edge) -> None:
    a1, a2 = device(edge, edge.a, "a-1"), device(edge, edge.a, "a-2")
    b1 = device(edge, edge.b, "b-1")
    svc = edge.service
    svc.report_update(a1, "monozu-edge", from_version="1.4.0", to_version="1.4.1",
                      status="downloading")
    edge.clock.advance(minutes=5)
    svc.report_update(a1, "monozu-edge", from_version="1.4.0", to_version="1.4.1",
                      status="installed")
    svc.report_update(a1, "modbus-probe", to_version="0.3", status="failed")
    svc.report_update(b1, "monozu-edge", to_version="1.4.1", status="installing")
    fleet = {e.device.name: {u.snap_name: u.status for u in e.snaps} for e in svc.fleet(edge.a)}
    assert fleet == {"a-1": {"monozu-edge": "installed", "modbus-probe": "failed"}, "a-2": {}}
    assert [e.device.id for e in svc.fleet(edge.b)] == [b1.device_id]
    with pytest.raises(ValidationError, match="update status must be one of"):
        svc.report_update(a2, "monozu-edge", to_version="1", status="exploded")
