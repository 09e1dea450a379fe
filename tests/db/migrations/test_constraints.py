"""The schema keeps SQLite's storage forms honest, written through the raw drivers.

``test_errors.py`` covers the refusals an application meets through the query
layer. These cases are the ones the query layer can never produce (a UUID as text, a
boolean 2, a timestamp in another text form), so they are written with the drivers
directly: the bad row raises the driver's own exception with the table left unchanged,
then the valid row goes in, so the refusal is due to the bad value alone.
SQLite connections run with ``PRAGMA foreign_keys = ON``, as the query layer's do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import psycopg.errors as pge
import pytest

from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.schema_rows import Conn, count, insert, select_all
from tests.support.two_tenants import NEW, NOW, SEED, TENANT_A, diagram


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
