"""The values the edge service takes and returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from monozu.db.models import JSON, Device, DeviceSnapUpdate, EdgeProvisioningKey

COMMAND_KINDS = frozenset({"update_snap", "restart_service", "run_discovery", "config_update"})
EVENT_KINDS = frozenset({"telemetry", "log", "security_alert", "discovery", "backup_event"})
# What a device reports while it applies a snap release (V21 keeps the column free-form).
SNAP_UPDATE_STATUSES = frozenset({"downloading", "installing", "installed", "failed",
                                  "rolled_back"})


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Checked before anything of a batch is written."""

    max_batch: int = 1000
    max_event_bytes: int = 64 * 1024  # the event's data as compact JSON
    max_clock_skew_seconds: int = 300  # how far in the future event_at may lie


@dataclass(frozen=True, slots=True)
class EventIn:
    """One event as a device sends it."""

    kind: str
    event_at: datetime
    data: JSON


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new provisioning key: ``secret`` is shown once and never stored."""

    key: EdgeProvisioningKey
    secret: str

    def __repr__(self) -> str:
        return f"IssuedKey(key={self.key.id}, secret=***)"


@dataclass(frozen=True, slots=True)
class IssuedDevice:
    """A registered device: ``secret`` is its device key, shown once and never stored."""

    device: Device
    secret: str

    def __repr__(self) -> str:
        return f"IssuedDevice(device={self.device.id}, secret=***)"


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """A device whose key was accepted: what its later calls act as."""

    tenant_id: uuid.UUID
    device_id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class FleetEntry:
    """One device of a tenant's fleet and the last report for each of its snaps."""

    device: Device
    snaps: tuple[DeviceSnapUpdate, ...]
