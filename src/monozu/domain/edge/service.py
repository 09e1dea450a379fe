"""The edge rules: who may register, what a device may do, how much it may send.

Operators act on one tenant (``tenant_id``); devices act as the
:class:`DeviceIdentity` their key resolved to, so every device call runs in that
device's tenant unit of work and can only touch that device's rows. Operator
actions write an audit row; a device's own high-volume calls (poll, complete,
report, ingest) do not, since the rows they write are their own record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from monozu.db import Database, ForeignKeyViolation, NotFound, UniqueViolation
from monozu.db.models import (
    JSON,
    Device,
    DeviceCommand,
    DeviceSnapUpdate,
    EdgeProvisioningKey,
    IngestEvent,
    SnapRelease,
)
from monozu.db.values import has_offset
from monozu.domain.audit import Actor, record
from monozu.domain.audit.repository import unknown_actor
from monozu.domain.common import choice, not_found
from monozu.domain.edge import credentials
from monozu.domain.edge.credentials import CredentialError
from monozu.domain.edge.repository import EdgeRepository
from monozu.domain.edge.types import (
    COMMAND_KINDS,
    EVENT_KINDS,
    SNAP_UPDATE_STATUSES,
    DeviceIdentity,
    EventIn,
    FleetEntry,
    IngestLimits,
    IssuedDevice,
    IssuedKey,
)
from monozu.domain.errors import Conflict, InvalidTransition, ValidationError, check_text
from monozu.domain.inputs import Credential, check_range, checked, json_size
from monozu.domain.paging import Page, decode_cursor, page_size, paginate

DEFAULT_PURGE_BATCH = 5000
SYSTEM = Actor.system()
DEFAULT_LIMITS = IngestLimits()
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(field: str, value: object) -> datetime:
    if not isinstance(value, datetime) or not has_offset(value):
        raise ValidationError(f"{field} must be a timezone-aware datetime")
    return value


@checked
class EdgeService:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = _utcnow,
                 limits: IngestLimits = DEFAULT_LIMITS,
                 seen_every: timedelta = timedelta(minutes=1),
                 purge_batch: int = DEFAULT_PURGE_BATCH) -> None:
        self.db = db
        self.clock = clock
        self.limits = limits
        self.seen_every = seen_every
        self.purge_batch = check_range("purge_batch", purge_batch, 1, 1_000_000)

    # -- provisioning keys (operators) --------------------------------------------------
    def create_provisioning_key(self, tenant_id: uuid.UUID, label: str, *,
                                expires_at: datetime | None = None,
                                max_uses: int | None = None,
                                actor: Actor = SYSTEM) -> IssuedKey:
        """A key appliances register with; its secret is in the result and nowhere else."""
        label = check_text("label", label, max_length=200)
        now = self.clock()
        if expires_at is not None and _aware("expires_at", expires_at) <= now:
            raise ValidationError("expires_at must lie in the future")
        if max_uses is not None and (isinstance(max_uses, bool) or not isinstance(max_uses, int)
                                     or not 0 < max_uses <= 1_000_000):
            raise ValidationError("max_uses must be a whole number from 1 to 1,000,000")
        secret, key_hash = credentials.issue(credentials.PROVISIONING, tenant_id)
        key = EdgeProvisioningKey(id=uuid.uuid4(), tenant_id=tenant_id, label=label,
                                  key_hash=key_hash, expires_at=expires_at, max_uses=max_uses,
                                  use_count=0, revoked_at=None, created_at=now)
        with self.db.tenant(tenant_id) as tx:
            try:
                EdgeRepository(tx).insert_key(key)
            except ForeignKeyViolation:  # a key's one reference is its tenant
                raise not_found("tenant", tenant_id) from None
            record(tx, actor, "edge.provisioning_key_created", "edge_provisioning_key", key.id,
                   details={"label": label, "max_uses": max_uses}, at=now)
        return IssuedKey(key, secret)

    def revoke_provisioning_key(self, tenant_id: uuid.UUID, key_id: uuid.UUID, *,
                                actor: Actor = SYSTEM) -> None:
        now = self.clock()
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            repo.get_key(key_id)  # NotFound, for a missing key and another tenant's alike
            if repo.revoke_key(key_id, now):
                record(tx, actor, "edge.provisioning_key_revoked", "edge_provisioning_key",
                       key_id, at=now)

    def provisioning_keys(self, tenant_id: uuid.UUID) -> list[EdgeProvisioningKey]:
        with self.db.tenant(tenant_id) as tx:
            return EdgeRepository(tx).list_keys()

    # -- registration and device keys (appliances) ---------------------------------------
    def register_device(self, provisioning_key: Credential, *, name: str, type: str,
                        location: str | None = None) -> IssuedDevice:
        """Turn one use of a provisioning key into a device with its own key."""
        tenant_id, key_hash = credentials.read(credentials.PROVISIONING, provisioning_key)
        name = check_text("name", name, max_length=200)
        kind = check_text("type", type, max_length=50)
        place = None if location is None else check_text("location", location, max_length=200)
        now = self.clock()
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            if not repo.use_key(key_hash, now):
                raise CredentialError(f"provisioning key refused: {self._why(repo, key_hash, now)}")
            key = repo.key_by_hash(key_hash)
            secret, device_hash = credentials.issue(credentials.DEVICE, tenant_id)
            device = Device(id=uuid.uuid4(), tenant_id=tenant_id, name=name, type=kind,
                            location=place, device_key_hash=device_hash, status="active",
                            last_seen_at=None, revoked_at=None, created_at=now)
            repo.insert_device(device)
            record(tx, Actor.system(), "edge.device_registered", "device", device.id,
                   details={"provisioning_key_id": str(key.id) if key else None}, at=now)
        return IssuedDevice(device, secret)

    @staticmethod
    def _why(repo: EdgeRepository, key_hash: str, now: datetime) -> str:
        key = repo.key_by_hash(key_hash)
        if key is None:
            return "unknown key"
        if key.revoked_at is not None:
            return "revoked"
        if key.expires_at is not None and key.expires_at <= now:
            return "expired"
        return "its uses are exhausted"

    def authenticate(self, device_key: Credential) -> DeviceIdentity:
        """The device a key belongs to; revoked devices and unknown keys are refused.

        ``last_seen_at`` is written at most once per ``seen_every``, not on every poll.
        """
        tenant_id, key_hash = credentials.read(credentials.DEVICE, device_key)
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            device = repo.device_by_key(key_hash)
            if device is None:
                raise CredentialError("unknown device key")
            if device.revoked_at is not None:
                raise CredentialError("device key revoked")
            now = self.clock()
            if device.last_seen_at is None or now - device.last_seen_at >= self.seen_every:
                repo.touch_device(device.id, now)
        return DeviceIdentity(tenant_id, device.id, device.name)

    def revoke_device(self, tenant_id: uuid.UUID, device_id: uuid.UUID, *,
                      actor: Actor = SYSTEM) -> None:
        now = self.clock()
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            repo.get_device(device_id)
            if repo.revoke_device(device_id, now):
                record(tx, actor, "edge.device_revoked", "device", device_id, at=now)

    def devices(self, tenant_id: uuid.UUID) -> list[Device]:
        with self.db.tenant(tenant_id) as tx:
            return EdgeRepository(tx).list_devices()

    # -- the command queue ------------------------------------------------------------
    def enqueue(self, tenant_id: uuid.UUID, device_id: uuid.UUID, command: str,
                payload: JSON | None = None, *, actor: Actor = SYSTEM) -> DeviceCommand:
        choice("command", command, COMMAND_KINDS)
        body: JSON = {} if payload is None else payload
        if not isinstance(body, dict):
            raise ValidationError("a command payload must be a JSON object")
        if json_size("payload", body) > self.limits.max_event_bytes:
            raise ValidationError(f"payload is larger than {self.limits.max_event_bytes} bytes")
        now = self.clock()
        row = DeviceCommand(id=uuid.uuid4(), tenant_id=tenant_id, device_id=device_id,
                            command=command, payload=body, status="pending",
                            created_by=actor.user_id, created_at=now, acked_at=None,
                            completed_at=None, result=None)
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            if repo.get_device(device_id).revoked_at is not None:
                raise ValidationError("the device is revoked: it can take no commands")
            try:
                repo.insert_command(row)
            except ForeignKeyViolation:  # the device was read: the creator is no user here
                raise unknown_actor(actor) from None
            record(tx, actor, "edge.command_enqueued", "device_command", row.id,
                   details={"device_id": str(device_id), "command": command}, at=now)
        return row

    def poll(self, device: DeviceIdentity, *, limit: int = 10) -> list[DeviceCommand]:
        """Claim the device's oldest pending commands: each is handed out exactly once."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 100:
            raise ValidationError("limit must be a whole number from 1 to 100")
        with self.db.tenant(device.tenant_id) as tx:
            repo = EdgeRepository(tx)
            _active(repo, device)
            return repo.claim_commands(device.device_id, limit, self.clock())

    def complete(self, device: DeviceIdentity, command_id: uuid.UUID,
                 result: JSON | None = None) -> None:
        self._finish(device, command_id, "completed", result)

    def fail(self, device: DeviceIdentity, command_id: uuid.UUID,
             result: JSON | None = None) -> None:
        self._finish(device, command_id, "failed", result)

    def _finish(self, device: DeviceIdentity, command_id: uuid.UUID, status: str,
                result: JSON | None) -> None:
        if result is not None and json_size("result", result) > self.limits.max_event_bytes:
            raise ValidationError(f"result is larger than {self.limits.max_event_bytes} bytes")
        with self.db.tenant(device.tenant_id) as tx:
            repo = EdgeRepository(tx)
            _active(repo, device)
            if repo.finish_command(device.device_id, command_id, status, result, self.clock()):
                return
            current = repo.get_command(command_id)
            if current.device_id != device.device_id:
                # Another device's command is as unknown to this one as a missing id.
                raise NotFound(f"command {command_id} not found")
            raise InvalidTransition("command", current.status, status)

    def expire_commands(self, tenant_id: uuid.UUID, older_than: timedelta) -> int:
        """Pending commands nobody claimed within ``older_than`` become ``expired``."""
        now = self.clock()
        cutoff = _cutoff(now, older_than)
        with self.db.tenant(tenant_id) as tx:
            return EdgeRepository(tx).expire_commands(cutoff, now)

    def commands(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> list[DeviceCommand]:
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            repo.get_device(device_id)  # another tenant's device is a missing one
            return repo.device_commands(device_id)

    # -- snap updates --------------------------------------------------------------------
    def publish_release(self, snap_name: str, version: str, *, channel: str = "stable",
                        sha256: str, blob_path: str, size_bytes: int) -> SnapRelease:
        """A release for every tenant's devices (global: a platform job, not tenant code)."""
        if not _SHA256.fullmatch(sha256):
            raise ValidationError("sha256 must be 64 lower-case hexadecimal digits")
        if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes < 0:
            raise ValidationError("size_bytes must be a whole number of bytes")
        release = SnapRelease(id=uuid.uuid4(),
                              snap_name=check_text("snap_name", snap_name, max_length=100),
                              version=check_text("version", version, max_length=50),
                              channel=check_text("channel", channel, max_length=50),
                              sha256=sha256,
                              blob_path=check_text("blob_path", blob_path, max_length=1000),
                              size_bytes=size_bytes, published_at=self.clock())
        try:
            with self.db.transaction() as tx:
                EdgeRepository(tx).insert_release(release)
        except UniqueViolation:  # published before, or by a concurrent call
            raise Conflict(f"{release.snap_name} {release.version} is already published on "
                           f"channel {release.channel!r}") from None
        return release

    def newest_release(self, snap_name: str, channel: str = "stable") -> SnapRelease | None:
        """The release a device on ``channel`` should run: the last one published there."""
        with self.db.transaction() as tx:
            return EdgeRepository(tx).newest_release(snap_name, channel)

    def report_update(self, device: DeviceIdentity, snap_name: str, *, to_version: str,
                      status: str, from_version: str | None = None) -> DeviceSnapUpdate:
        choice("update status", status, SNAP_UPDATE_STATUSES)
        update = DeviceSnapUpdate(
            id=uuid.uuid4(), tenant_id=device.tenant_id, device_id=device.device_id,
            snap_name=check_text("snap_name", snap_name, max_length=100),
            from_version=(None if from_version is None
                          else check_text("from_version", from_version, max_length=50)),
            to_version=check_text("to_version", to_version, max_length=50),
            status=status, reported_at=self.clock())
        with self.db.tenant(device.tenant_id) as tx:
            repo = EdgeRepository(tx)
            _active(repo, device)
            repo.insert_snap_update(update)
        return update

    def fleet(self, tenant_id: uuid.UUID) -> list[FleetEntry]:
        """Every device of a tenant with the latest report for each of its snaps."""
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            devices = repo.list_devices()
            updates = repo.latest_snap_updates()
        by_device: dict[uuid.UUID, list[DeviceSnapUpdate]] = {}
        for u in updates:
            by_device.setdefault(u.device_id, []).append(u)
        return [FleetEntry(d, tuple(by_device.get(d.id, ()))) for d in devices]

    # -- ingest --------------------------------------------------------------------------
    def ingest(self, device: DeviceIdentity, events: Sequence[EventIn]) -> int:
        """Write one device's batch, all or nothing; every limit is checked first."""
        now = self.clock()
        rows = self._checked_rows(device, events, now)
        with self.db.tenant(device.tenant_id) as tx:
            repo = EdgeRepository(tx)
            _active(repo, device)
            return repo.insert_events(rows)

    def _checked_rows(self, device: DeviceIdentity, events: Sequence[EventIn],
                      now: datetime) -> list[tuple[object, ...]]:
        limits = self.limits
        if not isinstance(events, Sequence) or isinstance(events, str | bytes):
            raise ValidationError("events must be a list of events")
        if not 0 < len(events) <= limits.max_batch:
            raise ValidationError(f"a batch holds 1 to {limits.max_batch} events, "
                                  f"got {len(events)}")
        latest = now + timedelta(seconds=limits.max_clock_skew_seconds)
        rows: list[tuple[object, ...]] = []
        for number, event in enumerate(events, 1):
            where = f"event {number}"
            if not isinstance(event, EventIn):
                raise ValidationError(f"{where}: not an event")
            choice(f"{where}: kind", event.kind, EVENT_KINDS)  # of any type a caller sent
            at = _aware(f"{where}: event_at", event.event_at)
            if at > latest:
                raise ValidationError(f"{where}: event_at lies in the future")
            if json_size(f"{where}: data", event.data) > limits.max_event_bytes:
                raise ValidationError(f"{where}: data is larger than "
                                      f"{limits.max_event_bytes} bytes")
            rows.append((device.tenant_id, device.device_id, event.kind, at, event.data, now))
        return rows

    def events(self, tenant_id: uuid.UUID, *, since: datetime, until: datetime,
               device_id: uuid.UUID | None = None, kind: str | None = None,
               limit: int = 100, cursor: str | None = None) -> Page[IngestEvent]:
        """A tenant's events in ``[since, until)``, oldest first, a page at a time."""
        size = page_size(limit)
        _aware("since", since)
        _aware("until", until)
        if kind is not None:
            choice("kind", kind, EVENT_KINDS)
        after = None
        if cursor is not None:
            at, last_id = decode_cursor(cursor, (datetime, int))
            after = (at, last_id)
        with self.db.tenant(tenant_id) as tx:
            repo = EdgeRepository(tx)
            if device_id is not None:
                repo.get_device(device_id)  # a filter on another tenant's device: NotFound
            rows = repo.list_events(
                since=since, until=until, device_id=device_id, kind=kind, limit=size + 1,
                after=after)  # type: ignore[arg-type]
        return paginate(rows, size, lambda e: (e.event_at, e.id))

    # -- retention -----------------------------------------------------------------------
    def purge(self, tenant_id: uuid.UUID, older_than: timedelta) -> int:
        """Delete a tenant's events received more than ``older_than`` ago.

        Each batch of at most ``purge_batch`` rows is its own short transaction, so
        ingest running meanwhile waits at most one batch. ``timedelta(0)`` purges
        everything received before now.
        """
        cutoff = _cutoff(self.clock(), older_than)
        total = 0
        while True:
            with self.db.tenant(tenant_id) as tx:
                deleted = EdgeRepository(tx).purge_events(cutoff, self.purge_batch)
            total += deleted
            if deleted < self.purge_batch:
                return total

    def purge_all(self, older_than: timedelta) -> dict[uuid.UUID, int]:
        """:meth:`purge` for every tenant, one tenant's unit of work at a time."""
        with self.db.transaction() as tx:
            tenants = EdgeRepository(tx).tenant_ids()
        return {t: self.purge(t, older_than) for t in tenants}


def _cutoff(now: datetime, older_than: timedelta) -> datetime:
    """The moment ``older_than`` before ``now``: an age, so never negative (it would
    reach into the future), and never before the first year a datetime holds."""
    if not isinstance(older_than, timedelta):
        raise ValidationError(f"older_than must be a timedelta, not a {type(older_than).__name__}")
    if older_than < timedelta(0):
        raise ValidationError("older_than must not be negative")
    try:
        return now - older_than
    except OverflowError:
        raise ValidationError(f"older_than reaches before year 1: {older_than}") from None


def _active(repo: EdgeRepository, device: DeviceIdentity) -> None:
    """Refuse an identity whose device was revoked after it authenticated: a device
    holding an identity from before its revocation must not poll, finish, report or
    send again. Another tenant's device is a missing one (NotFound)."""
    if repo.get_device(device.device_id).revoked_at is not None:
        raise CredentialError("device key revoked")
