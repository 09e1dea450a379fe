"""``monozu.db.models`` matches the live schema after a full migrate, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import sqlite3
import types
import typing
import uuid
from datetime import datetime
from typing import Any

import psycopg
import pytest

from monozu.db import models
from monozu.db.introspect import Column, Schema, introspect
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite

PYTHON_TYPES: dict[str, object] = {
    "uuid": uuid.UUID, "string": str, "text": str, "timestamp": datetime, "bool": bool,
    "float": float, "int": int, "bigint": int, "json": models.JSON,
}


def split_optional(hint: object) -> tuple[object, bool]:
    """(the type without None, whether None is allowed)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = tuple(a for a in args if a is not type(None))
        if len(rest) == 1:
            return rest[0], True
        return typing.Union[rest], True  # noqa: UP007 - rebuilds the JSON union
    return hint, False


def mismatches(model: type, columns: tuple[Column, ...]) -> list[str]:
    out = []
    fields = dataclasses.fields(model)
    names = [f.name for f in fields]
    cols = [c.name for c in columns]
    if names != cols:
        return [f"{model.__name__}: fields {names} != columns {cols}"]
    hints = typing.get_type_hints(model)
    for col in columns:
        base, optional = split_optional(hints[col.name])
        expected = PYTHON_TYPES.get(col.type)
        if expected is None:
            out.append(f"{model.__name__}.{col.name}: unmapped logical type {col.type}")
        elif base != expected:
            out.append(f"{model.__name__}.{col.name}: {base} for {col.type}")
        if optional != col.nullable:
            out.append(f"{model.__name__}.{col.name}: optional={optional}, "
                       f"nullable={col.nullable}")
    return out


def check_models(schema: Schema) -> list[str]:
    problems = []
    if set(models.TABLES) != set(schema.tables):
        problems.append(f"tables differ: {set(models.TABLES) ^ set(schema.tables)}")
    for name, model in models.TABLES.items():
        if name in schema.tables:
            problems += mismatches(model, schema.table(name).columns)
    return problems


def test_models_match_sqlite(sqlite_url: str) -> None:
    conn = connect_sqlite(sqlite_url)
    apply_sqlite(conn)
    schema = introspect(conn, "sqlite")
    conn.close()
    assert check_models(schema) == []


@pytest.mark.postgres
def test_models_match_postgresql(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        apply_postgresql(conn)
        schema = introspect(conn, "postgresql")
    assert check_models(schema) == []


def test_the_check_sees_a_wrong_model(sqlite_url: str) -> None:
    conn = connect_sqlite(sqlite_url)
    apply_sqlite(conn)
    schema = introspect(conn, "sqlite")
    conn.close()

    @dataclasses.dataclass(slots=True)
    class WrongSite:
        id: uuid.UUID
        tenant_id: uuid.UUID | None  # NOT NULL in the schema
        name: int  # a string
        address: str | None
        created_at: datetime

    @dataclasses.dataclass(slots=True)
    class ShortSite:
        id: uuid.UUID
        tenant_id: uuid.UUID

    columns = schema.table("sites").columns
    assert len(mismatches(WrongSite, columns)) == 2
    assert len(mismatches(ShortSite, columns)) == 1
    assert mismatches(models.Site, columns) == []


def test_models_are_slotted_mutable_dataclasses() -> None:
    assert models.TABLES
    for name, model in models.TABLES.items():
        assert dataclasses.is_dataclass(model), name
        assert "__slots__" in vars(model), name
        params: Any = getattr(model, "__dataclass_params__")  # noqa: B009
        assert not params.frozen, name
        assert model.__name__[0].isupper() and "_" not in model.__name__, name
    # a row can be built positionally, in column order, and changed
    now = datetime.now().astimezone()
    t = models.Tenant(uuid.uuid4(), "Acme", "active", now, "acme", False)
    t.status = "suspended"
    assert t.slug == "acme" and t.status == "suspended"


def test_sqlite_connection_helper_enables_foreign_keys(sqlite_url: str) -> None:
    conn = connect_sqlite(sqlite_url)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert isinstance(conn, sqlite3.Connection)
    conn.close()
