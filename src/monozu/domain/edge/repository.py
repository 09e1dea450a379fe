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
from monozu.db.queries import Queries, load
from monozu.db.tenant import tenant_of

QUERIES: Queries = load("monozu.domain.edge")
EVENT_COLUMNS = ("tenant_id", "device_id", "kind", "event_at", "data", "received_at")


class EdgeRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def _sql(self, name: str) -> str:
        return QUERIES.sql(name, self.tx.dialect)

    def _tenant(self) -> uuid.UUID:
        return tenant_of(self.tx)

    # -- provisioning keys ------------------------------------------------------------
    def insert_key(self, key: EdgeProvisioningKey) -> None:
        self.tx.exec(self._sql("insert_key"), id=key.id, tenant_id=self._tenant(),
                     label=key.label, key_hash=key.key_hash, expires_at=key.expires_at,
                     max_uses=key.max_uses, created_at=key.created_at)

    def get_key(self, key_id: uuid.UUID) -> EdgeProvisioningKey:
        return self.tx.get(EdgeProvisioningKey, self._sql("get_key"), tenant_id=self._tenant(),
                           id=key_id)

    def key_by_hash(self, key_hash: str) -> EdgeProvisioningKey | None:
        found = self.tx.select(EdgeProvisioningKey, self._sql("key_by_hash"),
                               tenant_id=self._tenant(), key_hash=key_hash)
        return found[0] if found else None

    def list_keys(self) -> list[EdgeProvisioningKey]:
        return self.tx.select(EdgeProvisioningKey, self._sql("list_keys"),
                              tenant_id=self._tenant())

    def revoke_key(self, key_id: uuid.UUID, now: datetime) -> int:
        return self.tx.exec(self._sql("revoke_key"), tenant_id=self._tenant(), id=key_id,
                            now=now)

    def use_key(self, key_hash: str, now: datetime) -> bool:
        """Count one use of a live key; False when it is unknown, expired, revoked or used up."""
        return self.tx.exec(self._sql("use_key"), tenant_id=self._tenant(), key_hash=key_hash,
                            now=now) == 1

    # -- devices ------------------------------------------------------------------------
    def insert_device(self, device: Device) -> None:
        self.tx.exec(self._sql("insert_device"), id=device.id, tenant_id=self._tenant(),
                     name=device.name, type=device.type, location=device.location,
                     key_hash=device.device_key_hash, created_at=device.created_at)

    def device_by_key(self, key_hash: str) -> Device | None:
        found = self.tx.select(Device, self._sql("device_by_key"), tenant_id=self._tenant(),
                               key_hash=key_hash)
        return found[0] if found else None

    def get_device(self, device_id: uuid.UUID) -> Device:
        return self.tx.get(Device, self._sql("get_device"), tenant_id=self._tenant(),
                           id=device_id)

    def list_devices(self) -> list[Device]:
        return self.tx.select(Device, self._sql("list_devices"), tenant_id=self._tenant())

    def touch_device(self, device_id: uuid.UUID, now: datetime) -> None:
        self.tx.exec(self._sql("touch_device"), tenant_id=self._tenant(), id=device_id, now=now)

    def revoke_device(self, device_id: uuid.UUID, now: datetime) -> int:
        return self.tx.exec(self._sql("revoke_device"), tenant_id=self._tenant(), id=device_id,
                            now=now)

    # -- commands -----------------------------------------------------------------------
    def insert_command(self, command: DeviceCommand) -> None:
        self.tx.exec(self._sql("insert_command"), id=command.id, tenant_id=self._tenant(),
                     device_id=command.device_id, command=command.command,
                     payload=command.payload, created_by=command.created_by,
                     created_at=command.created_at)

    def claim_commands(self, device_id: uuid.UUID, limit: int,
                       now: datetime) -> list[DeviceCommand]:
        claimed = self.tx.select(DeviceCommand, self._sql("claim_commands"),
                                 tenant_id=self._tenant(), device_id=device_id, limit=limit,
                                 now=now)
        # RETURNING / OUTPUT promise no order: hand them over oldest first.
        return sorted(claimed, key=lambda c: (c.created_at, c.id))

    def finish_command(self, device_id: uuid.UUID, command_id: uuid.UUID, status: str,
                       result: JSON | None, now: datetime) -> int:
        return self.tx.exec(self._sql("finish_command"), tenant_id=self._tenant(),
                            device_id=device_id, id=command_id, status=status, result=result,
                            now=now)

    def get_command(self, command_id: uuid.UUID) -> DeviceCommand:
        return self.tx.get(DeviceCommand, self._sql("get_command"), tenant_id=self._tenant(),
                           id=command_id)

    def device_commands(self, device_id: uuid.UUID) -> list[DeviceCommand]:
        return self.tx.select(DeviceCommand, self._sql("list_device_commands"),
                              tenant_id=self._tenant(), device_id=device_id)

    def expire_commands(self, cutoff: datetime, now: datetime) -> int:
        return self.tx.exec(self._sql("expire_commands"), tenant_id=self._tenant(),
                            cutoff=cutoff, now=now)

    # -- snaps --------------------------------------------------------------------------
    def insert_release(self, release: SnapRelease) -> None:
        self.tx.exec(self._sql("insert_release"), id=release.id, snap_name=release.snap_name,
                     version=release.version, channel=release.channel, sha256=release.sha256,
                     blob_path=release.blob_path, size_bytes=release.size_bytes,
                     published_at=release.published_at)

    def newest_release(self, snap_name: str, channel: str) -> SnapRelease | None:
        found = self.tx.select(SnapRelease, self._sql("newest_release"), snap_name=snap_name,
                               channel=channel)
        return found[0] if found else None

    def insert_snap_update(self, update: DeviceSnapUpdate) -> None:
        self.tx.exec(self._sql("insert_snap_update"), id=update.id, tenant_id=self._tenant(),
                     device_id=update.device_id, snap_name=update.snap_name,
                     from_version=update.from_version, to_version=update.to_version,
                     status=update.status, reported_at=update.reported_at)

    def latest_snap_updates(self) -> list[DeviceSnapUpdate]:
        return self.tx.select(DeviceSnapUpdate, self._sql("latest_snap_updates"),
                              tenant_id=self._tenant())

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
            return self.tx.select(IngestEvent, self._sql("list_events"), filters, since=since)
        return self.tx.select(IngestEvent, self._sql("list_events_after"), filters,
                              after_event_at=after[0], after_id=after[1])

    def purge_events(self, cutoff: datetime, limit: int) -> int:
        return self.tx.exec(self._sql("purge_events"), tenant_id=self._tenant(), cutoff=cutoff,
                            limit=limit)

    def count_events(self) -> int:
        return int(self.tx.get_value(self._sql("count_events"), tenant_id=self._tenant()))

    def tenant_ids(self) -> list[uuid.UUID]:
        return self.tx.select(uuid.UUID, self._sql("tenant_ids"))
