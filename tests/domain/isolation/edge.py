"""The edge context in the isolation machine: provisioning keys, devices, the command queue,
snap reports, ingested events and their retention.

Operators name a tenant; devices act as the :class:`DeviceIdentity` their key resolved to,
so a device's calls (poll, complete, report, ingest) run in its own tenant's unit of work.
A call table's entries take ``(service, identity, id)``: ``identity`` is a registered device
of the calling tenant, whose ``tenant_id`` is the tenant operator calls name.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, rule

from monozu.db import NotFound
from monozu.db.models import IngestEvent
from monozu.domain.edge import CredentialError, DeviceIdentity, EdgeService, EventIn
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.paging import encode_cursor
from tests.domain.isolation.base import (
    NOW,
    TENANTS,
    IsolationMachine,
    Owned,
    as_uuid,
    foreign_id_rule,
    not_found,
    other_tenant,
    refused,
    tenant_index,
)

# ---------------------------------------------------------------------------- edge

LATER = NOW + timedelta(days=1)  # the clock of the retention and expiry jobs
WINDOW: dict[str, Any] = {"since": NOW - timedelta(days=1), "until": LATER, "limit": 500}
DEVICE_TYPE = "gateway"  # other contexts' devices (security's) are of another type


@dataclass
class EdgeModel:
    keys: dict[uuid.UUID, bool] = field(default_factory=dict)  # id -> revoked
    devices: dict[uuid.UUID, bool] = field(default_factory=dict)  # id -> revoked
    commands: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(
        default_factory=dict)  # id -> (device, status)
    events: Counter[uuid.UUID] = field(default_factory=Counter)  # device -> events stored
    reports: Counter[uuid.UUID] = field(default_factory=Counter)  # device -> snap reports


def _forged(me: DeviceIdentity, device_id: uuid.UUID) -> DeviceIdentity:
    """An identity of the caller's tenant naming ``device_id``, as a caller could build."""
    return DeviceIdentity(me.tenant_id, device_id, "forged")


EdgeCall = Callable[[EdgeService, DeviceIdentity, uuid.UUID], object]
DEVICE_CALLS: dict[str, EdgeCall] = {
    "revoke_device": lambda svc, me, i: svc.revoke_device(me.tenant_id, i),
    "enqueue": lambda svc, me, i: svc.enqueue(me.tenant_id, i, "run_discovery"),
    "commands": lambda svc, me, i: svc.commands(me.tenant_id, i),
    "events": lambda svc, me, i: svc.events(me.tenant_id, device_id=i, **WINDOW),
    "report_update": lambda svc, me, i: svc.report_update(
        _forged(me, i), "monozu-edge", to_version="1.4.1", status="installed"),
    "ingest": lambda svc, me, i: svc.ingest(_forged(me, i), [EventIn("log", NOW, {})]),
    "poll": lambda svc, me, i: svc.poll(_forged(me, i)),
}
KEY_CALLS: dict[str, EdgeCall] = {
    "revoke_provisioning_key": lambda svc, me, i: svc.revoke_provisioning_key(me.tenant_id, i),
}
COMMAND_CALLS: dict[str, EdgeCall] = {
    "complete": lambda svc, me, i: svc.complete(me, i),
    "fail": lambda svc, me, i: svc.fail(me, i, {"error": "x"}),
}


class EdgeRules(IsolationMachine):
    edge_keys = Bundle("edge_keys")
    edge_devices = Bundle("edge_devices")
    edge_commands = Bundle("edge_commands")

    def __init__(self) -> None:
        super().__init__()
        self.edge = EdgeService(self.world.app, clock=lambda: NOW)
        self.edge_later = EdgeService(self.world.app, clock=lambda: LATER, purge_batch=7)
        self.edge_model = [EdgeModel() for _ in range(TENANTS)]
        self.secrets: dict[uuid.UUID, str] = {}  # provisioning key id -> its secret
        self.identities: dict[uuid.UUID, DeviceIdentity] = {}
        # each tenant's own device, acting in the call tables
        self.me = [self.identities[self.register(self.create_key(t))[1]]
                   for t in range(TENANTS)]

    def _edge_call(self, call: EdgeCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: call(self.edge, self.me[t], row_id)

    # another tenant's id, passed to any call taking one
    foreign_edge_devices_in_edge_calls = foreign_id_rule(edge_devices, DEVICE_CALLS,
                                                         "_edge_call")
    foreign_edge_keys_in_edge_calls = foreign_id_rule(edge_keys, KEY_CALLS, "_edge_call")
    foreign_edge_commands_in_edge_calls = foreign_id_rule(edge_commands, COMMAND_CALLS,
                                                          "_edge_call")

    # one row of each kind to start from, so every rule can run from the first step
    @initialize(target=edge_keys, t=tenant_index)
    def seed_key(self, t: int) -> Owned:
        return self.create_key(t)

    @initialize(target=edge_devices, t=tenant_index)
    def seed_device(self, t: int) -> Owned:
        return self.register(self.create_key(t))

    @initialize(target=edge_commands, t=tenant_index)
    def seed_command(self, t: int) -> Owned:
        return self.enqueue(t, (t, self.me[t].device_id))

    # provisioning keys and devices (operators; registration by the key's holder)
    @rule(target=edge_keys, t=tenant_index)
    def create_key(self, t: int) -> Owned:
        issued = self.edge.create_provisioning_key(self.tenants[t], "rack 4")
        self.secrets[issued.key.id] = issued.secret
        self.edge_model[t].keys[issued.key.id] = False
        self.audited[t] += 1
        return (t, issued.key.id)

    @rule(t=tenant_index, key=edge_keys)
    def revoke_key(self, t: int, key: Owned) -> None:
        m = self.edge_model[t]
        call = partial(self.edge.revoke_provisioning_key, self.tenants[t], key[1])
        if not self.owns(t, key, m.keys):
            refused(NotFound, call, not_found("provisioning key", key[1]))
            return
        call()
        self.audited[t] += not m.keys[key[1]]
        m.keys[key[1]] = True

    @rule(target=edge_devices, key=edge_keys)
    def register(self, key: Owned) -> Owned:
        """The appliance's only input is the key: the device joins the key's tenant."""
        owner, m = key[0], self.edge_model[key[0]]
        call = partial(self.edge.register_device, self.secrets[key[1]], name="edge-01",
                       type=DEVICE_TYPE)
        if m.keys[key[1]]:
            refused(CredentialError, call, "revoked")
            return (owner, uuid.uuid4())
        issued = call()
        identity = self.edge.authenticate(issued.secret)
        assert identity.tenant_id == self.tenants[owner]
        self.identities[identity.device_id] = identity
        m.devices[identity.device_id] = False
        self.audited[owner] += 1
        return (owner, identity.device_id)

    @rule(t=tenant_index, device=edge_devices)
    def revoke_device(self, t: int, device: Owned) -> None:
        m = self.edge_model[t]
        call = partial(self.edge.revoke_device, self.tenants[t], device[1])
        if not self.owns(t, device, m.devices):
            refused(NotFound, call, not_found("device", device[1]))
            return
        call()
        self.audited[t] += not m.devices[device[1]]
        m.devices[device[1]] = True

    # the command queue
    @rule(target=edge_commands, t=tenant_index, device=edge_devices)
    def enqueue(self, t: int, device: Owned) -> Owned:
        m = self.edge_model[t]
        call = partial(self.edge.enqueue, self.tenants[t], device[1], "update_snap",
                       {"snap": "monozu-edge"})
        if not self.owns(t, device, m.devices):
            refused(NotFound, call, not_found("device", device[1]))
        elif m.devices[device[1]]:
            refused(ValidationError, call, "revoked")
        else:
            command = call()
            m.commands[command.id] = (device[1], "pending")
            self.audited[t] += 1
            return (t, command.id)
        return (t, uuid.uuid4())

    def _identity(self, device: Owned) -> DeviceIdentity | None:
        return self.identities.get(device[1])

    @rule(device=edge_devices)
    def poll(self, device: Owned) -> None:
        me = self._identity(device)
        if me is None:
            return
        m = self.edge_model[device[0]]
        if m.devices[me.device_id]:
            refused(CredentialError, partial(self.edge.poll, me, limit=100), "revoked")
            return
        claimed = self.edge.poll(me, limit=100)
        pending = {c for c, (d, s) in m.commands.items() if d == me.device_id and s == "pending"}
        assert {c.id for c in claimed} == pending
        assert {c.tenant_id for c in claimed} <= {me.tenant_id}
        for command in pending:
            m.commands[command] = (me.device_id, "acked")

    @rule(device=edge_devices, command=edge_commands, ok=st.booleans())
    def finish(self, device: Owned, command: Owned, ok: bool) -> None:
        me = self._identity(device)
        if me is None:
            return
        m, status = self.edge_model[device[0]], "completed" if ok else "failed"
        call = partial(self.edge.complete if ok else self.edge.fail, me, command[1], None)
        held = m.commands.get(command[1]) if command[0] == device[0] else None
        if m.devices[me.device_id]:
            refused(CredentialError, call, "revoked")
        elif held is None or held[0] != me.device_id:
            refused(NotFound, call, not_found("command", command[1]))
        elif held[1] != "acked":
            refused(InvalidTransition, call)
        else:
            call()
            m.commands[command[1]] = (me.device_id, status)

    @rule(t=tenant_index)
    def expire_commands(self, t: int) -> None:
        m = self.edge_model[t]
        pending = [c for c, (_, s) in m.commands.items() if s == "pending"]
        assert self.edge_later.expire_commands(self.tenants[t], timedelta(hours=1)) == \
            len(pending)
        for command in pending:
            m.commands[command] = (m.commands[command][0], "expired")

    # what devices send
    @rule(device=edge_devices, count=st.integers(1, 5))
    def ingest(self, device: Owned, count: int) -> None:
        me = self._identity(device)
        if me is None:
            return
        m = self.edge_model[device[0]]
        call = partial(self.edge.ingest, me, [EventIn("telemetry", NOW - timedelta(seconds=n),
                                                      {"n": n}) for n in range(count)])
        if m.devices[me.device_id]:
            refused(CredentialError, call, "revoked")
            return
        assert call() == count
        m.events[me.device_id] += count

    @rule(device=edge_devices)
    def report_update(self, device: Owned) -> None:
        me = self._identity(device)
        if me is None:
            return
        if self.edge_model[device[0]].devices[me.device_id]:
            refused(CredentialError, partial(self.edge.report_update, me, "monozu-edge",
                                             to_version="1.4.1", status="installed"),
                    "revoked")
            return
        self.edge.report_update(me, "monozu-edge", to_version="1.4.1", status="installed")
        self.edge_model[device[0]].reports[me.device_id] += 1

    @rule(t=tenant_index)
    def purge(self, t: int) -> None:
        m = self.edge_model[t]
        assert self.edge_later.purge(self.tenants[t], timedelta(0)) == m.events.total()
        m.events.clear()

    # reads
    @rule(t=tenant_index, device=edge_devices)
    def read_edge(self, t: int, device: Owned) -> None:
        m, tenant = self.edge_model[t], self.tenants[t]
        assert {k.id: k.revoked_at is not None for k in self.edge.provisioning_keys(tenant)} \
            == m.keys
        devices = [d for d in self.edge.devices(tenant) if d.type == DEVICE_TYPE]
        assert {d.id: d.revoked_at is not None for d in devices} == m.devices
        fleet = [e for e in self.edge.fleet(tenant) if e.device.type == DEVICE_TYPE]
        assert {e.device.id: len(e.snaps) for e in fleet} == \
            {d: min(m.reports[d], 1) for d in m.devices}
        events = self.edge.events(tenant, **WINDOW).items
        assert Counter(e.device_id for e in events) == +m.events
        if not self.owns(t, device, m.devices):
            for name in ("commands", "events"):
                refused(NotFound, partial(DEVICE_CALLS[name], self.edge, self.me[t], device[1]),
                        not_found("device", device[1]))
            return
        assert {c.id: c.status for c in self.edge.commands(tenant, device[1])} == \
            {c: s for c, (d, s) in m.commands.items() if d == device[1]}
        assert len(self.edge.events(tenant, device_id=device[1], **WINDOW).items) == \
            m.events[device[1]]

    @rule(t=tenant_index, shift=other_tenant)
    def events_after_another_tenants_event(self, t: int, shift: int) -> None:
        """A cursor carrying another tenant's event (its time and id) pages the caller's
        own events only."""
        theirs = self.world.platform.select(
            IngestEvent, "SELECT id, tenant_id, device_id, kind, event_at, data, received_at "
            "FROM ingest_events WHERE tenant_id = :t", t=self.tenants[(t + shift) % TENANTS])
        for event in theirs[:1]:
            cursor = encode_cursor((event.event_at, event.id))
            page = self.edge.events(self.tenants[t], cursor=cursor, **WINDOW)
            assert {e.tenant_id for e in page.items} <= {self.tenants[t]}
            assert {e.device_id for e in page.items} <= set(self.edge_model[t].devices)

    @invariant()
    def each_tenants_stored_edge_rows_are_its_own(self) -> None:
        keys = self.platform_rows("SELECT tenant_id, id, revoked_at FROM edge_provisioning_keys "
                                  "WHERE tenant_id IN (:tenants)")
        devices = self.platform_rows(f"SELECT tenant_id, id, revoked_at FROM devices "
                                     f"WHERE tenant_id IN (:tenants) AND type = '{DEVICE_TYPE}'")
        commands = self.platform_rows("SELECT tenant_id, id, device_id, status "
                                      "FROM device_commands WHERE tenant_id IN (:tenants)")
        events = self.platform_rows("SELECT tenant_id, device_id FROM ingest_events "
                                    "WHERE tenant_id IN (:tenants)")
        reports = self.platform_rows("SELECT tenant_id, device_id FROM device_snap_updates "
                                     "WHERE tenant_id IN (:tenants)")
        for n in range(TENANTS):
            m = self.edge_model[n]
            assert {as_uuid(i): r is not None for i, r in keys[n]} == m.keys
            assert {as_uuid(i): r is not None for i, r in devices[n]} == m.devices
            assert {as_uuid(i): (as_uuid(d), s) for i, d, s in commands[n]} == m.commands
            assert Counter(as_uuid(d) for (d,) in events[n]) == +m.events
            assert Counter(as_uuid(d) for (d,) in reports[n]) == +m.reports
