"""Raw row writes and reads for schema tests, binding values the way the query layer does.

SQLite: ``uuid.UUID`` as its 16 bytes, ``datetime`` as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``,
``bool`` as 0/1, JSON documents as text. PostgreSQL: psycopg's own adapters, JSON wrapped in
``Jsonb``. A ``str`` given for a JSON column is passed through unchanged, so a test can send
invalid JSON text.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Conn = sqlite3.Connection | psycopg.Connection[Any]


def ts_text(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def bind(kind: str, value: object) -> object:
    if kind == "sqlite":
        if isinstance(value, uuid.UUID):
            return value.bytes
        if isinstance(value, datetime):
            return ts_text(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value
    if isinstance(value, dict | list):
        return Jsonb(value)
    return value


def kind_of(conn: Conn) -> str:
    return "sqlite" if isinstance(conn, sqlite3.Connection) else "postgresql"


def insert(conn: Conn, table: str, row: dict[str, object]) -> None:
    kind = kind_of(conn)
    mark = "?" if kind == "sqlite" else "%s"
    cols = ", ".join(row)
    marks = ", ".join(mark for _ in row)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    params = [bind(kind, v) for v in row.values()]
    if isinstance(conn, sqlite3.Connection):
        conn.execute(sql, params)
    else:
        conn.execute(sql.encode(), params)


def select_all(conn: Conn, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as stored (raw driver values), in a stable order."""
    if isinstance(conn, sqlite3.Connection):
        cur = conn.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    else:
        pcur = conn.execute(f"SELECT * FROM {table}".encode())
        names = [d.name for d in pcur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in pcur.fetchall()]
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


def count(conn: Conn, table: str) -> int:
    if isinstance(conn, sqlite3.Connection):
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    else:
        row = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
    assert row is not None
    return int(row[0])
