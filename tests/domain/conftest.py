"""Domain tests run on a migrated database: real SQLite and real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

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


class Clock:
    """A stopped clock for services; tests move it by setting ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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


@dataclass
class AppRole:
    """PostgreSQL as production runs it: the application connects as a login role that is
    neither superuser nor BYPASSRLS and holds plain DML grants; ``owner`` is the migrating
    superuser, which also serves as the application's platform connection."""

    app: Database
    owner: Database
    role: str


@pytest.fixture
def app_role(pg_url: str) -> Iterator[AppRole]:
    """The migrated schema, RLS still off, and an application role connected to it."""
    Migrator.from_url(pg_url).migrate()
    owner = connect(pg_url)
    role = f"monozu_app_{uuid.uuid4().hex[:10]}"
    secret = uuid.uuid4().hex
    for statement in (f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{secret}'",
                      f"GRANT USAGE ON SCHEMA public TO {role}",
                      f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                      f"TO {role}"):
        owner.exec(statement)
    parts = urlsplit(pg_url)
    netloc = f"{role}:{secret}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    app = Database.open(parts._replace(netloc=netloc).geturl(),
                        environ={"DATABASE_URL_PLATFORM_ADMIN": pg_url})
    try:
        assert app.get_value("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                             "WHERE rolname = current_user") is False
        yield AppRole(app, owner, role)
    finally:
        app.close()
        for statement in ("REASSIGN OWNED BY {} TO CURRENT_USER", "DROP OWNED BY {}",
                          "DROP ROLE {}"):
            owner.exec(statement.format(role))
        owner.close()
