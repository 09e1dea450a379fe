"""Provisioning keys, registration and device keys on real SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from monozu.db import NotFound
from monozu.domain.edge import CredentialError
from monozu.domain.edge.credentials import DEVICE, PROVISIONING, digest, issue
from monozu.domain.errors import ValidationError
from tests.domain.edge.conftest import Edge


def counts(edge: Edge) -> tuple[int, int]:
    return (edge.db.get_value("SELECT COUNT(*) FROM devices"),
            edge.db.get_value("SELECT COUNT(*) FROM audit_logs"))


def test_key_secret_is_shown_once_and_stored_as_a_hash(edge: Edge) -> None:
    issued = edge.service.create_provisioning_key(edge.a, "plant 1", max_uses=5)
    assert issued.secret.startswith(f"mzp_{edge.a.hex}_")
    assert issued.secret not in repr(issued)
    stored = edge.db.get_value("SELECT key_hash FROM edge_provisioning_keys")
    assert stored == digest(issued.secret) != issued.secret
    device = edge.service.register_device(issued.secret, name="edge-01", type="gateway")
    assert device.secret.startswith(f"mzd_{edge.a.hex}_") and device.secret not in repr(device)
    assert edge.db.get_value("SELECT device_key_hash FROM devices") == digest(device.secret)
    assert edge.db.get_value("SELECT use_count FROM edge_provisioning_keys") == 1
    assert edge.service.authenticate(device.secret).device_id == device.device.id


@pytest.mark.parametrize(("setup", "reason"), [
    ("exhausted", "exhausted"), ("expired", "expired"), ("revoked", "revoked"),
])
def test_unusable_keys_are_refused_and_write_nothing(edge: Edge, setup: str,
                                                     reason: str) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k", max_uses=1,
                                               expires_at=edge.clock.now + timedelta(hours=1))
    if setup == "exhausted":
        edge.service.register_device(key.secret, name="first", type="gateway")
    elif setup == "expired":
        edge.clock.advance(hours=2)
    else:
        edge.service.revoke_provisioning_key(edge.a, key.key.id)
    before = counts(edge)
    with pytest.raises(CredentialError, match=reason):
        edge.service.register_device(key.secret, name="second", type="gateway")
    assert counts(edge) == before


@pytest.mark.parametrize("secret", [
    "", "mzp_", "not a key", "mzd_" + "0" * 32 + "_" + "a" * 43,   # a device key, not mzp
    "mzp_" + "0" * 32 + "_" + "a" * 43,                            # well-formed, unknown
    "mzp_" + "z" * 32 + "_" + "a" * 43, None, 42,
])
def test_malformed_or_unknown_provisioning_keys(edge: Edge, secret: object) -> None:
    with pytest.raises(CredentialError, match="unknown") as info:
        edge.service.register_device(secret, name="x", type="gateway")  # type: ignore[arg-type]
    if isinstance(secret, str) and secret:
        assert secret not in str(info.value)


def test_a_key_names_its_tenant_and_cannot_be_replayed_for_another(edge: Edge) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k")
    forged = key.secret.replace(edge.a.hex, edge.b.hex)
    with pytest.raises(CredentialError, match="unknown"):
        edge.service.register_device(forged, name="x", type="gateway")


def test_two_appliances_racing_for_the_last_use(edge: Edge) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k", max_uses=3)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def register(n: int) -> None:
        barrier.wait()
        try:
            edge.service.register_device(key.secret, name=f"edge-{n}", type="gateway")
            outcomes.append("ok")
        except CredentialError:
            outcomes.append("refused")

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5
    assert edge.db.get_value("SELECT use_count FROM edge_provisioning_keys") == 3
    assert edge.db.get_value("SELECT COUNT(*) FROM devices") == 3


def test_device_keys_unknown_or_revoked_are_refused(edge: Edge) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k")
    device = edge.service.register_device(key.secret, name="edge-01", type="gateway")
    with pytest.raises(CredentialError, match="unknown device key"):
        edge.service.authenticate(issue(DEVICE, edge.a)[0])
    with pytest.raises(CredentialError, match="unknown device key"):
        edge.service.authenticate(key.secret.replace("mzp", "mzd"))
    with pytest.raises(CredentialError):
        edge.service.authenticate(issue(PROVISIONING, edge.a)[0])
    edge.service.revoke_device(edge.a, device.device.id)
    with pytest.raises(CredentialError, match="revoked"):
        edge.service.authenticate(device.secret)


def test_last_seen_is_written_at_most_once_a_minute(edge: Edge) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k")
    device = edge.service.register_device(key.secret, name="edge-01", type="gateway")

    def seen() -> object:
        return edge.db.get_value("SELECT last_seen_at FROM devices", type=type(edge.clock.now))

    edge.service.authenticate(device.secret)
    first = seen()
    assert first == edge.clock.now
    edge.clock.advance(seconds=59)
    edge.service.authenticate(device.secret)
    assert seen() == first
    edge.clock.advance(seconds=2)
    edge.service.authenticate(device.secret)
    assert seen() == edge.clock.now


def test_operators_cannot_reach_another_tenants_keys_or_devices(edge: Edge) -> None:
    key = edge.service.create_provisioning_key(edge.a, "k")
    device = edge.service.register_device(key.secret, name="edge-01", type="gateway")
    with pytest.raises(NotFound):
        edge.service.revoke_provisioning_key(edge.b, key.key.id)
    with pytest.raises(NotFound):
        edge.service.revoke_device(edge.b, device.device.id)
    with pytest.raises(NotFound):
        edge.service.revoke_device(edge.a, uuid.uuid4())
    assert edge.service.provisioning_keys(edge.b) == []
    assert edge.service.devices(edge.b) == []
    assert edge.service.authenticate(device.secret).tenant_id == edge.a


@pytest.mark.parametrize(("kw", "message"), [
    ({"label": ""}, "label"), ({"label": "x" * 201}, "label"),
    ({"max_uses": 0}, "max_uses"), ({"max_uses": True}, "max_uses"),
    ({"expires_at": "tomorrow"}, "expires_at"),
])
def test_bad_key_requests(edge: Edge, kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"label": "k", **kw}
    with pytest.raises(ValidationError, match=message):
        edge.service.create_provisioning_key(edge.a, **args)  # type: ignore[arg-type]
    assert edge.service.provisioning_keys(edge.a) == []
