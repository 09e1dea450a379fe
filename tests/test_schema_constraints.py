"""The schema keeps SQLite's storage forms honest, written through the raw drivers.

``test_schema_errors.py`` covers the refusals an application meets through the query
layer. These cases are the ones the query layer can never produce (a UUID as text, a
boolean 2, a timestamp in another text form), so they are written with the drivers
directly: the bad row raises the driver's own exception with the table left unchanged,
then the valid row goes in, so the refusal is due to the bad value alone.
SQLite connections run with ``PRAGMA foreign_keys = ON``, as the query layer's do.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.errors as pge
import pytest

from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.schema_rows import Conn, count, insert, select_all

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


# Two tenants with one of everything each; "a" rows belong to tenant A, "b" rows to B.
TENANT_A, TENANT_B = uid(0xA), uid(0xB)
SITE_A, SITE_B = uid(0xA1), uid(0xB1)
USER_A, USER_B = uid(0xA2), uid(0xB2)
GROUP_A, GROUP_B = uid(0xA3), uid(0xB3)
ASSET_A, ASSET_B = uid(0xA4), uid(0xB4)
DEVICE_A, DEVICE_B = uid(0xA5), uid(0xB5)
NEW = uid(0xFFFF)  # id of the row a case inserts

SEED: list[tuple[str, dict[str, object]]] = [
    ("tenants", {"id": TENANT_A, "name": "Acme", "status": "active", "slug": "acme"}),
    ("tenants", {"id": TENANT_B, "name": "Globex", "status": "active", "slug": "globex"}),
    ("sites", {"id": SITE_A, "tenant_id": TENANT_A, "name": "Plant A"}),
    ("sites", {"id": SITE_B, "tenant_id": TENANT_B, "name": "Plant B"}),
    ("users", {"id": USER_A, "tenant_id": TENANT_A, "email": "ana@acme.test"}),
    ("users", {"id": USER_B, "tenant_id": TENANT_B, "email": "bo@globex.test"}),
    ("groups", {"id": GROUP_A, "tenant_id": TENANT_A, "name": "Operators"}),
    ("groups", {"id": GROUP_B, "tenant_id": TENANT_B, "name": "Operators"}),
    ("assets", {"id": ASSET_A, "tenant_id": TENANT_A, "name": "PLC-1", "type": "plc",
                "site_id": SITE_A}),
    ("assets", {"id": ASSET_B, "tenant_id": TENANT_B, "name": "PLC-1", "type": "plc",
                "site_id": SITE_B}),
    ("devices", {"id": DEVICE_A, "tenant_id": TENANT_A, "name": "edge-a", "type": "sensor",
                 "device_key_hash": "hash-a"}),
    ("devices", {"id": DEVICE_B, "tenant_id": TENANT_B, "name": "edge-b", "type": "sensor",
                 "device_key_hash": "hash-b"}),
    ("cve_catalog", {"cve_id": "CVE-2024-0001", "cvss_score": 9.8, "is_kev": True}),
    ("refresh_tokens", {"id": uid(0xA6), "tenant_id": TENANT_A, "user_id": USER_A,
                        "token_hash": "rt-a", "expires_at": NOW}),
    ("edge_provisioning_keys", {"id": uid(0xA7), "tenant_id": TENANT_A, "label": "k",
                                "key_hash": "pk-a"}),
]


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    row: dict[str, object]
    bad: dict[str, object]
    sqlite: str  # fragment of sqlite3.IntegrityError's message
    pg: type[Exception]
    constraint: str | None = None  # the constraint PostgreSQL names, when there is one
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    sqlite_error: type[Exception] = field(default=sqlite3.IntegrityError)


def diagram(**kw: object) -> dict[str, object]:
    return {"id": NEW, "tenant_id": TENANT_A, "site_id": SITE_A, "name": "Cell 1",
            "data": {"nodes": []}, **kw}


CASES = [
    # What the query layer never sends (it binds uuid.UUID as 16 bytes, bool as 0/1 and
    # datetimes in one text form), so only raw writes show that the schema itself keeps
    # SQLite's storage forms honest. PostgreSQL types these columns natively.
    Case("uuid_as_text", "sites", {"id": NEW, "tenant_id": TENANT_A, "name": "S"},
         {"id": "not-a-uuid"}, "typeof(id) = 'blob'", pge.InvalidTextRepresentation),
    Case("bool_out_of_range", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "m@acme.test", "mfa_enabled": True},
         {"mfa_enabled": 2}, "mfa_enabled IN (0, 1)", pge.DatatypeMismatch),
    Case("timestamp_in_another_text_form", "sites",
         {"id": NEW, "tenant_id": TENANT_A, "name": "S", "created_at": NOW},
         {"created_at": "2026-11-28 12:00:00"}, "created_at GLOB", pge.Error,
         databases=("sqlite",)),  # PostgreSQL reads that text as a timestamp
    Case("json_as_a_scalar", "diagrams", diagram(), {"data": "42"},
         "ck_diagrams_data_json", pge.CheckViolation, "ck_diagrams_data_json"),
]

PARAMS = [pytest.param(case, db, id=f"{case.id}-{db}",
                       marks=[pytest.mark.postgres] if db == "postgresql" else [])
          for case in CASES for db in case.databases]


@pytest.fixture
def connect(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Callable[[str], Conn]]:
    opened: list[Conn] = []

    def open_db(db: str) -> Conn:
        conn: Conn
        if db == "sqlite":
            conn = connect_sqlite(f"sqlite:///{tmp_path / 'test.db'}")
            apply_sqlite(conn)
        else:
            url = request.getfixturevalue("pg_url")
            conn = psycopg.connect(url, autocommit=True)
            apply_postgresql(conn)
        opened.append(conn)
        for table, row in SEED:
            insert(conn, table, row)
        return conn

    yield open_db
    for c in opened:
        c.close()


@pytest.mark.parametrize(("case", "db"), PARAMS)
def test_schema_refuses_bad_input(case: Case, db: str,
                                  connect: Callable[[str], Conn]) -> None:
    conn = connect(db)
    before = select_all(conn, case.table)

    expected = case.sqlite_error if db == "sqlite" else case.pg
    with pytest.raises(expected) as info:
        insert(conn, case.table, {**case.row, **case.bad})
    if db == "sqlite":
        assert case.sqlite in str(info.value)
    elif case.constraint is not None:
        assert isinstance(info.value, psycopg.Error)
        assert info.value.diag.constraint_name == case.constraint
    assert select_all(conn, case.table) == before

    insert(conn, case.table, case.row)
    assert count(conn, case.table) == len(before) + 1


def test_every_case_changes_something() -> None:
    """A bad row must differ from its valid row, and ids must be unique."""
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:
        assert c.bad and any(c.row.get(k) != v for k, v in c.bad.items()), c.id
