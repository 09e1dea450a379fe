"""A small test table with every logical type, per database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from monozu.db import Database, connect

DDL = {
    "sqlite": """
        CREATE TABLE items (
            id BLOB PRIMARY KEY CHECK (length(id) = 16),
            tenant_id BLOB,
            name TEXT NOT NULL CONSTRAINT uq_items_name UNIQUE,
            at TEXT,
            ok INTEGER CHECK (ok IN (0, 1)),
            score REAL,
            amount TEXT,
            doc TEXT CHECK (doc IS NULL OR json_valid(doc)),
            parent BLOB CONSTRAINT fk_items_parent REFERENCES items (id),
            qty INTEGER CONSTRAINT ck_items_qty CHECK (qty >= 0)
        )""",
    "postgresql": """
        CREATE TABLE items (
            id uuid PRIMARY KEY,
            tenant_id uuid,
            name text NOT NULL CONSTRAINT uq_items_name UNIQUE,
            at timestamptz,
            ok boolean,
            score double precision,
            amount numeric(14, 4),
            doc jsonb,
            parent uuid CONSTRAINT fk_items_parent REFERENCES items (id),
            qty integer CONSTRAINT ck_items_qty CHECK (qty >= 0)
        )""",
}

COLUMNS = ("id", "tenant_id", "name", "at", "ok", "score", "amount", "doc", "parent", "qty")
INSERT = ("INSERT INTO items (id, tenant_id, name, at, ok, score, amount, doc, parent, qty) "
          "VALUES (:id, :tenant_id, :name, :at, :ok, :score, :amount, :doc, :parent, :qty)")


@dataclass(slots=True)
class Item:
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    name: str
    at: datetime | None
    ok: bool | None
    score: float | None
    amount: Decimal | None
    doc: dict[str, Any] | list[Any] | None
    parent: uuid.UUID | None
    qty: int | None


def create(db: Database) -> None:
    db.exec(DDL[db.dialect.kind])


@contextmanager
def items_database(url: str) -> Iterator[Database]:
    """A database at ``url`` with the items table, closed afterwards."""
    database = connect(url)
    try:
        create(database)
        yield database
    finally:
        database.close()


def item(name: str, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "tenant_id": None, "name": name, "at": None, "ok": None,
        "score": None, "amount": None, "doc": None, "parent": None, "qty": None,
    }
    values.update(over)
    return values
