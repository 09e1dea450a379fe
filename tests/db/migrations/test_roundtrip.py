"""Every table takes a fully filled row and gives it back as its model, on SQLite and PostgreSQL.

Strings go in at their full declared length with non-ASCII text, timestamps with
microseconds, JSON with nesting; each row comes back through the row model of
``monozu.db.models`` equal to what went in. Then every nullable column is set to NULL, which
the schema must accept (a representation check that refused NULL would show here).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from monozu.db import models
from monozu.db.introspect import Schema, introspect
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.schema_rows import Conn, insert, select_all
from tests.support.schema_samples import from_db, sample_rows


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[str, Conn, Schema]]:
    if request.param == "sqlite":
        conn = connect_sqlite(f"sqlite:///{tmp_path / 'test.db'}")
        apply_sqlite(conn)
        yield "sqlite", conn, introspect(conn, "sqlite")
        conn.close()
    else:
        with psycopg.connect(request.getfixturevalue("pg_url"), autocommit=True) as pconn:
            apply_postgresql(pconn)
            yield "postgresql", pconn, introspect(pconn, "postgresql")


def test_full_rows_round_trip_through_the_models(migrated: tuple[str, Conn, Schema]) -> None:
    kind, conn, schema = migrated
    samples = sample_rows(schema)
    assert {t for t, _r in samples} == set(models.TABLES)
    for table, row in samples:
        insert(conn, table, row)
    for table, row in samples:
        t = schema.table(table)
        (stored,) = select_all(conn, table)
        values = {c.name: from_db(kind, c, stored[c.name]) for c in t.columns}
        got = models.TABLES[table](**values)
        expected = {**values, **row}  # counter keys are the database's, the rest is ours
        assert dataclasses.asdict(got) == expected, table


def test_nullable_columns_take_null(migrated: tuple[str, Conn, Schema]) -> None:
    kind, conn, schema = migrated
    for table, row in sample_rows(schema):
        insert(conn, table, row)
    nullable = [(t.name, c.name) for t in schema.tables.values() for c in t.columns
                if c.nullable]
    assert nullable
    for table, column in nullable:
        sql = f"UPDATE {table} SET {column} = NULL"
        if isinstance(conn, sqlite3.Connection):
            conn.execute(sql)
        else:
            conn.execute(sql.encode())
        (stored,) = select_all(conn, table)
        assert stored[column] is None, (kind, table, column)


def test_not_null_columns_refuse_null(migrated: tuple[str, Conn, Schema]) -> None:
    kind, conn, schema = migrated
    for table, row in sample_rows(schema):
        insert(conn, table, row)
    errors: tuple[type[Exception], ...] = (
        (sqlite3.IntegrityError,) if kind == "sqlite"
        else (psycopg.errors.NotNullViolation, psycopg.errors.GeneratedAlways))
    for t in schema.tables.values():
        for c in t.columns:
            if c.nullable:
                continue
            sql = f"UPDATE {t.name} SET {c.name} = NULL"
            with pytest.raises(errors):
                if isinstance(conn, sqlite3.Connection):
                    conn.execute(sql)
                else:
                    conn.execute(sql.encode())
