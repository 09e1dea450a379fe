"""Domain tests run on a migrated database: real SQLite and real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monozu.db import Database, connect
from monozu.db.migrate import Migrator


@pytest.fixture
def migrated_url(any_url: str) -> str:
    """``any_url`` migrated to the latest packaged schema."""
    Migrator.from_url(any_url).migrate()
    return any_url


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    database = connect(migrated_url)
    yield database
    database.close()


def add_tenant(db: Database, slug: str) -> uuid.UUID:
    """An active tenant, written through the platform path's plain SQL."""
    tenant_id = uuid.uuid4()
    db.exec("INSERT INTO tenants (id, name, status, created_at, slug) "
            "VALUES (:id, :name, 'active', :at, :slug)",
            id=tenant_id, name=slug.title(), at=datetime.now(UTC), slug=slug)
    return tenant_id


def table_rows(db: Database, *tables: str) -> dict[str, list[str]]:
    """Every row of ``tables`` across all tenants, as comparable text: a before/after
    snapshot that shows a refused call changed nothing."""
    return {table: sorted(repr(sorted(row.items()))
                          for row in db.select(dict, f"SELECT * FROM {table}"))
            for table in tables}


def audit_actions(db: Database, tenant_id: uuid.UUID) -> list[str]:
    """The audit actions recorded for a tenant, sorted (tests often run on a stopped clock)."""
    return db.select(str, "SELECT action FROM audit_logs WHERE tenant_id = :t ORDER BY action",
                     t=tenant_id)
