"""Edge SQL: every statement runs on a unit of work the service hands in.

Tenant-owned statements take the unit of work's tenant (:func:`tenant_of`), never
one from the caller, so a device or command id of another tenant simply matches no
row. ``snap_releases`` and ``tenants`` are global and only read here, except by the
release publisher.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monozu.db import Tx
from monozu.db.models import (
    JSON,
    Device,
    DeviceCommand,
    DeviceSnapUpdate,
    EdgeProvisioningKey,
    IngestEvent,
    SnapRelease,
)
from monozu.db.queries import QueryFile, many, optional, rowcount, value
from monozu.db.tenant import tenant_of
from monozu.domain.common import found


class EdgeQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_key = rowcount()
    get_key = optional(EdgeProvisioningKey)
    key_by_hash = optional(EdgeProvisioningKey)
    list_keys = many(EdgeProvisioningKey)
    revoke_key = rowcount()
    use_key = rowcount()
    insert_device = rowcount()
    device_by_key = optional(Device)
    get_device = optional(Device)
    list_devices = many(Device)
    touch_device = rowcount()
    revoke_device = rowcount()
    insert_command = rowcount()
    claim_commands = many(DeviceCommand)
    finish_command = rowcount()
    get_command = optional(DeviceCommand)
    list_device_commands = many(DeviceCommand)
    expire_commands = rowcount()
    insert_release = rowcount()
    newest_release = optional(SnapRelease)
    insert_snap_update = rowcount()
    latest_snap_updates = many(DeviceSnapUpdate)
    list_events = many(IngestEvent)
    list_events_after = many(IngestEvent)
    purge_events = rowcount()
    count_events = value(int)
    tenant_ids = many(uuid.UUID)


QUERIES = EdgeQueries("monozu.domain.edge")
EVENT_COLUMNS = ("tenant_id", "device_id", "kind", "event_at", "data", "received_at")


class EdgeRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def _tenant(self) -> uuid.UUID:
        return tenant_of(self.tx)

    # -- provisioning keys ------------------------------------------------------------
    def insert_key(self, key: EdgeProvisioningKey) -> None:
        QUERIES.insert_key(self.tx, id=key.id, tenant_id=self._tenant(), label=key.label,
                           key_hash=key.key_hash, expires_at=key.expires_at,
                           max_uses=key.max_uses, created_at=key.created_at)

    def get_key(self, key_id: uuid.UUID) -> EdgeProvisioningKey:
        return found(QUERIES.get_key(self.tx, tenant_id=self._tenant(), id=key_id),
                     "provisioning key", key_id)

    def key_by_hash(self, key_hash: str) -> EdgeProvisioningKey | None:
        return QUERIES.key_by_hash(self.tx, tenant_id=self._tenant(), key_hash=key_hash)

    def list_keys(self) -> list[EdgeProvisioningKey]:
        return QUERIES.list_keys(self.tx, tenant_id=self._tenant())

    def revoke_key(self, key_id: uuid.UUID, now: datetime) -> int:
        return QUERIES.revoke_key(self.tx, tenant_id=self._tenant(), id=key_id, now=now)

    def use_key(self, key_hash: str, now: datetime) -> bool:
        """Count one use of a live key; False when it is unknown, expired, revoked or used up."""
        return QUERIES.use_key(self.tx, tenant_id=self._tenant(), key_hash=key_hash,
                               now=now) == 1

    # -- devices ------------------------------------------------------------------------
    def insert_device(self, device: Device) -> None:
        QUERIES.insert_device(self.tx, id=device.id, tenant_id=self._tenant(),
                              name=device.name, type=device.type, location=device.location,
                              key_hash=device.device_key_hash, created_at=device.created_at)

    def device_by_key(self, key_hash: str) -> Device | None:
        return QUERIES.device_by_key(self.tx, tenant_id=self._tenant(), key_hash=key_hash)

    def get_device(self, device_id: uuid.UUID) -> Device:
        return found(QUERIES.get_device(self.tx, tenant_id=self._tenant(), id=device_id),
                     "device", device_id)

    def list_devices(self) -> list[Device]:
        return QUERIES.list_devices(self.tx, tenant_id=self._tenant())

    def touch_device(self, device_id: uuid.UUID, now: datetime) -> None:
        QUERIES.touch_device(self.tx, tenant_id=self._tenant(), id=device_id, now=now)

    def revoke_device(self, device_id: uuid.UUID, now: datetime) -> int:
        return QUERIES.revoke_device(self.tx, tenant_id=self._tenant(), id=device_id, now=now)

    # -- commands -----------------------------------------------------------------------
    def insert_command(self, command: DeviceCommand) -> None:
        QUERIES.insert_command(self.tx, id=command.id, tenant_id=self._tenant(),
                               device_id=command.device_id, command=command.command,
                               payload=command.payload, created_by=command.created_by,
                               created_at=command.created_at)

    def claim_commands(self, device_id: uuid.UUID, limit: int,
                       now: datetime) -> list[DeviceCommand]:
        claimed = QUERIES.claim_commands(self.tx, tenant_id=self._tenant(),
                                         device_id=device_id, limit=limit, now=now)
        # RETURNING / OUTPUT promise no order: hand them over oldest first.
        return sorted(claimed, key=lambda c: (c.created_at, c.id))

    def finish_command(self, device_id: uuid.UUID, command_id: uuid.UUID, status: str,
                       result: JSON | None, now: datetime) -> int:
        return QUERIES.finish_command(self.tx, tenant_id=self._tenant(), device_id=device_id,
                                      id=command_id, status=status, result=result, now=now)

    def get_command(self, command_id: uuid.UUID) -> DeviceCommand:
        return found(QUERIES.get_command(self.tx, tenant_id=self._tenant(), id=command_id),
                     "command", command_id)

    def device_commands(self, device_id: uuid.UUID) -> list[DeviceCommand]:
        return QUERIES.list_device_commands(self.tx, tenant_id=self._tenant(),
                                            device_id=device_id)

    def expire_commands(self, cutoff: datetime, now: datetime) -> int:
        return QUERIES.expire_commands(self.tx, tenant_id=self._tenant(), cutoff=cutoff,
                                       now=now)

    # -- snaps --------------------------------------------------------------------------
    def insert_release(self, release: SnapRelease) -> None:
        QUERIES.insert_release(self.tx, id=release.id, snap_name=release.snap_name,
                               version=release.version, channel=release.channel,
                               sha256=release.sha256, blob_path=release.blob_path,
                               size_bytes=release.size_bytes, published_at=release.published_at)

    def newest_release(self, snap_name: str, channel: str) -> SnapRelease | None:
        return QUERIES.newest_release(self.tx, snap_name=snap_name, channel=channel)

    def insert_snap_update(self, update: DeviceSnapUpdate) -> None:
        QUERIES.insert_snap_update(self.tx, id=update.id, tenant_id=self._tenant(),
                                   device_id=update.device_id, snap_name=update.snap_name,
                                   from_version=update.from_version,
                                   to_version=update.to_version, status=update.status,
                                   reported_at=update.reported_at)

    def latest_snap_updates(self) -> list[DeviceSnapUpdate]:
        return QUERIES.latest_snap_updates(self.tx, tenant_id=self._tenant())

    # -- events -------------------------------------------------------------------------
    def insert_events(self, rows: Sequence[Sequence[Any]]) -> int:
        """Rows in :data:`EVENT_COLUMNS` order, through the database's bulk path."""
        return self.tx.bulk_insert("ingest_events", EVENT_COLUMNS, rows)

    def list_events(self, *, since: datetime, until: datetime, device_id: uuid.UUID | None,
                    kind: str | None, limit: int,
                    after: tuple[datetime, int] | None) -> list[IngestEvent]:
        filters = {"tenant_id": self._tenant(), "until": until, "limit": limit,
                   "any_device": int(device_id is None), "device_id": device_id or uuid.UUID(int=0),
                   "any_kind": int(kind is None), "kind": kind or ""}
        if after is None:
            return QUERIES.list_events(self.tx, since=since, **filters)
        return QUERIES.list_events_after(self.tx, after_event_at=after[0], after_id=after[1],
                                         **filters)

    def purge_events(self, cutoff: datetime, limit: int) -> int:
        return QUERIES.purge_events(self.tx, tenant_id=self._tenant(), cutoff=cutoff,
                                    limit=limit)

    def count_events(self) -> int:
        return QUERIES.count_events(self.tx, tenant_id=self._tenant())

    def tenant_ids(self) -> list[uuid.UUID]:
        return QUERIES.tenant_ids(self.tx)
