"""Tenant lifecycle, licence states, the feature gate and the licence update, with audit rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from monozu.db import Database, NotFound
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.tenancy import (
    Access,
    LicenceState,
    TenancyRepository,
    TenancyService,
    UnknownFeature,
)
from tests.domain.conftest import Clock, audit_actions, table_rows
from tests.support.tz import NoOffset

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TABLES = ("tenants", "tenant_licenses", "tenant_features", "audit_logs")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(db: Database, clock: Clock) -> Iterator[TenancyService]:
    yield TenancyService(db, grace=timedelta(days=7), clock=clock)


def test_lifecycle_moves_and_audit_rows(service: TenancyService, db: Database) -> None:
    tenant = service.register("Acme Industries", "acme")
    assert tenant.status == "pending"
    with pytest.raises(InvalidTransition, match="'pending' to 'suspended'"):
        service.suspend(tenant.id)
    assert service.activate(tenant.id).status == "active"
    assert service.suspend(tenant.id).status == "suspended"
    assert service.login_access(tenant.id).access is Access.SUSPENDED
    for refused in ("suspended", "pending"):
        with pytest.raises(InvalidTransition):
            service.change_status(tenant.id, refused)
    assert service.activate(tenant.id).status == "active"
    for refused in ("active", "pending", "deleted"):
        with pytest.raises(InvalidTransition):
            service.change_status(tenant.id, refused)
    assert audit_actions(db, tenant.id) == ["tenant.registered"] + ["tenant.status_changed"] * 3


def test_refused_moves_change_nothing(service: TenancyService, db: Database) -> None:
    tenant = service.register("Acme", "acme")
    before = table_rows(db, *TABLES)
    with pytest.raises(InvalidTransition):
        service.suspend(tenant.id)
    with pytest.raises(NotFound, match=r"tenant .* not found"):
        service.activate(uuid.uuid4())
    with pytest.raises(ValidationError):
        service.register("", "empty-name")
    with pytest.raises(ValidationError, match="slug"):
        service.register("Bad", "Not A Slug")
    with pytest.raises(ValidationError, match="at most 200"):
        service.register("x" * 201, "long-name")
    assert table_rows(db, *TABLES) == before


def test_licence_states_and_the_feature_gate(service: TenancyService, clock: Clock) -> None:
    tenant = service.register("Acme", "acme")
    assert service.licence(tenant.id) is None
    assert not service.may_use(tenant.id, "vpn")  # pending: no licence yet
    service.apply_licence(tenant.id, "enterprise", NOW + timedelta(days=30), ["vpn", "backup"])
    licence = service.licence(tenant.id)
    assert licence is not None
    assert (licence.plan, licence.state, licence.features) == \
        ("enterprise", LicenceState.ACTIVE, frozenset({"vpn", "backup"}))
    assert service.may_use(tenant.id, "vpn") and not service.may_use(tenant.id, "security")
    clock.now = NOW + timedelta(days=31)
    assert service.licence(tenant.id).state is LicenceState.GRACE  # type: ignore[union-attr]
    assert service.login_access(tenant.id).allowed
    assert not service.may_use(tenant.id, "vpn")  # gated features are off during grace
    clock.now = NOW + timedelta(days=38)
    assert service.licence(tenant.id).state is LicenceState.EXPIRED  # type: ignore[union-attr]
    assert not service.login_access(tenant.id).allowed
    clock.now = NOW
    service.suspend(tenant.id)
    assert not service.may_use(tenant.id, "vpn")  # a suspended tenant uses nothing
    with pytest.raises(UnknownFeature, match="unknown feature"):
        service.may_use(tenant.id, "teleport")



def test_licence_update_is_one_transaction(service: TenancyService, db: Database) -> None:
    tenant = service.register("Acme", "acme")
    service.apply_licence(tenant.id, "standard", NOW + timedelta(days=30), ["vpn"])
    assert audit_actions(db, tenant.id) == ["licence.applied", "tenant.registered",
                                            "tenant.status_changed"]
    service.suspend(tenant.id)
    service.apply_licence(tenant.id, "enterprise", NOW + timedelta(days=90), ["security"])
    assert service.get(tenant.id).status == "suspended"  # a renewal does not lift a suspension
    before = table_rows(db, *TABLES)
    expires = NOW + timedelta(days=365)
    with pytest.raises(UnknownFeature):
        service.apply_licence(tenant.id, "enterprise", expires, ["security", "teleport"])
    with pytest.raises(ValidationError, match="plan"):
        service.apply_licence(tenant.id, "p" * 51, expires, [])
    with pytest.raises(ValidationError, match="time zone"):
        service.apply_licence(tenant.id, "enterprise", expires.replace(tzinfo=None), [])
    with pytest.raises(ValidationError, match="time zone"):  # a tzinfo that gives none
        service.apply_licence(tenant.id, "enterprise", expires.replace(tzinfo=NoOffset()), [])
    assert table_rows(db, *TABLES) == before
    licence = service.licence(tenant.id)
    assert licence is not None and licence.features == frozenset({"security"})


def test_a_failing_step_rolls_the_whole_update_back(service: TenancyService, db: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = service.register("Acme", "acme")
    before = table_rows(db, *TABLES)

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("monozu.domain.tenancy.service.record", broken)
    with pytest.raises(RuntimeError):
        service.apply_licence(tenant.id, "standard", NOW + timedelta(days=30), ["vpn"])
    assert table_rows(db, *TABLES) == before


def test_a_move_lost_to_a_concurrent_one_is_refused(service: TenancyService, db: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = service.register("Acme", "acme")
    service.activate(tenant.id)
    before = table_rows(db, *TABLES)
    # another call moved the tenant between this call's read and its conditional update
    monkeypatch.setattr(TenancyRepository, "change_status", lambda *_args: 0)
    with pytest.raises(InvalidTransition, match="'active' to 'suspended'"):
        service.suspend(tenant.id)
    assert table_rows(db, *TABLES) == before
