"""The ``audit_logs`` rows of one tenant, on the caller's unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from monozu.db import NotFound, Tx
from monozu.db.models import JSON, AuditLog
from monozu.db.queries import QueryFile, many, rowcount
from monozu.db.tenant import tenant_of
from monozu.domain.errors import check_text
from monozu.domain.inputs import checked, json_size
from monozu.domain.paging import Page, decode_cursor, page_size, paginate


class AuditQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_audit = rowcount()
    list_audit = many(AuditLog)
    list_audit_after = many(AuditLog)
    list_audit_for_resource = many(AuditLog)


QUERIES = AuditQueries("monozu.domain.audit")
NO_USER = uuid.UUID(int=0)  # bound where no user acts, so the parameter keeps its type


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked for a change: a user of the tenant, or the system (``user_id`` None)."""

    user_id: uuid.UUID | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(None)


def record(tx: Tx, actor: Actor, action: str, resource_type: str,
           resource_id: object | None = None, *, details: JSON | None = None,
           at: datetime | None = None) -> None:
    """Write the audit row of a change made on ``tx`` (same transaction).

    ``action`` is ``<context>.<verb>`` (``incident.status_changed``); ``resource_id``
    the changed row's id.
    """
    AuditRepository(tx).insert(actor, action, resource_type,
                               resource_id=None if resource_id is None else str(resource_id),
                               details=details, at=at or datetime.now(UTC))


def unknown_actor(actor: Actor) -> NotFound:
    """The refusal of an actor who is not a user of the bound tenant."""
    return NotFound(f"actor user {actor.user_id} not found")


@checked
class AuditRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def insert(self, actor: Actor, action: str, resource_type: str, *,
               resource_id: str | None, details: JSON | None, at: datetime) -> None:
        """The row of one change; an actor who is not a user of the tenant (another
        tenant's, or none) is :class:`NotFound`, like any id of another tenant."""
        action = check_text("action", action, max_length=100)
        resource_type = check_text("resource_type", resource_type, max_length=100)
        if resource_id is not None:
            resource_id = check_text("resource_id", resource_id, max_length=100)
        if details is not None:
            json_size("details", details)
        written = QUERIES.insert_audit(
            self.tx, id=uuid.uuid4(), tenant_id=tenant_of(self.tx), user_id=actor.user_id,
            action=action, resource_type=resource_type, resource_id=resource_id,
            created_at=at, details=details, by_system=int(actor.user_id is None),
            actor_id=actor.user_id or NO_USER)
        if not written:
            raise unknown_actor(actor)

    def page(self, *, limit: int = 50, cursor: str | None = None) -> Page[AuditLog]:
        """Newest first."""
        size = page_size(limit)
        tenant_id = tenant_of(self.tx)
        if cursor is None:
            rows = QUERIES.list_audit(self.tx, tenant_id=tenant_id, limit=size + 1)
        else:
            at, after_id = decode_cursor(cursor, (datetime, uuid.UUID))
            rows = QUERIES.list_audit_after(self.tx, tenant_id=tenant_id, after_created_at=at,
                                            after_id=after_id, limit=size + 1)
        return paginate(rows, size, lambda r: (r.created_at, r.id))

    def for_resource(self, resource_type: str, resource_id: object) -> list[AuditLog]:
        if isinstance(resource_id, int) and resource_id.bit_length() > 400:
            # longer than any stored id (100 characters), and may be too long to print
            return []
        return QUERIES.list_audit_for_resource(self.tx, tenant_id=tenant_of(self.tx),
                                               resource_type=resource_type,
                                               resource_id=str(resource_id))
