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
