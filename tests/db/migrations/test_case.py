"""Case rules on real SQLite and PostgreSQL (V29): identifiers, hashes and enumerations
compare exactly, email ignores case. SQL Server states the same rules as collations, which
``test_migrations.py`` checks on the replayed schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from monozu.db.database import Database
from monozu.db.errors import CheckViolation, UniqueViolation
from tests.support.schema_apply import migrated_database


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    with migrated_database(any_url) as database:
        yield database


def tenant(db: Database, slug: str, status: str = "active") -> uuid.UUID:
    tid = uuid.uuid4()
    db.exec("INSERT INTO tenants (id, name, slug, status) VALUES (:id, :name, :slug, :status)",
            id=tid, name=f"Tenant {slug}", slug=slug, status=status)
    return tid


def user(db: Database, tenant_id: uuid.UUID, email: str) -> None:
    db.exec("INSERT INTO users (id, tenant_id, email) VALUES (:id, :tenant_id, :email)",
            id=uuid.uuid4(), tenant_id=tenant_id, email=email)


def test_identifiers_compare_exactly(db: Database) -> None:
    tenant(db, "Acme")
    tenant(db, "acme")  # another tenant: slugs are identifiers
    with pytest.raises(UniqueViolation):
        tenant(db, "acme")
    a = tenant(db, "groups")
    for name in ("Admins", "admins"):
        db.exec("INSERT INTO groups (id, tenant_id, name) VALUES (:id, :t, :name)",
                id=uuid.uuid4(), t=a, name=name)
    assert db.get_value("SELECT count(*) FROM groups WHERE name = :n", n="admins") == 1


def test_enumerations_and_patterns_compare_exactly(db: Database) -> None:
    with pytest.raises(CheckViolation):
        tenant(db, "shouting", status="ACTIVE")
    db.exec("INSERT INTO cve_catalog (cve_id) VALUES (:c)", c="CVE-2024-3400")
    with pytest.raises(CheckViolation):
        db.exec("INSERT INTO cve_catalog (cve_id) VALUES (:c)", c="cve-2024-3401")


def test_email_ignores_case_within_a_tenant(db: Database) -> None:
    a, b = tenant(db, "a"), tenant(db, "b")
    user(db, a, "Ada@Example.com")
    with pytest.raises(UniqueViolation):
        user(db, a, "ada@example.COM")
    user(db, b, "ada@example.com")  # another tenant may have the same address
    assert db.get_value("SELECT count(*) FROM users") == 2
