"""``monozu.db.introspect`` on hand-made schemas: the cases the migrations do not cover."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import pq

from monozu.db.introspect import (
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKey,
    UniqueConstraint,
    introspect,
)


@pytest.fixture
def lite() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    yield conn
    conn.close()


def test_sqlite_constraints_names_and_logical_types(lite: sqlite3.Connection) -> None:
    lite.executescript("""
        CREATE TABLE parent (
            id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
            code TEXT NOT NULL CHECK (length(code) <= 12),
            CONSTRAINT pk_parent PRIMARY KEY (id),
            UNIQUE (code)
        );
        CREATE TABLE "odd table" (
            n INTEGER PRIMARY KEY,
            "the parent" BLOB NULL CONSTRAINT fk_odd_parent REFERENCES parent (id)
                CHECK ("the parent" IS NULL OR (typeof("the parent") = 'blob'
                                                 AND length("the parent") = 16)),
            at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
                CHECK (at GLOB '[0-9][0-9][0-9][0-9]-*T*+00:00'),
            flag INTEGER NOT NULL DEFAULT 0 CHECK (flag IN (0, 1)),
            doc TEXT NULL CONSTRAINT ck_odd_doc_json CHECK (doc IS NULL OR json_valid(doc)),
            note TEXT, -- a comment, with (parentheses, and commas)
            qty INTEGER NOT NULL,
            ratio REAL NULL,
            big BIGINT NULL,
            CONSTRAINT ck_odd_qty CHECK (qty >= 0 AND qty < 1000)
        );
        CREATE UNIQUE INDEX ix_odd_lower ON "odd table" (lower(note));
        CREATE INDEX ix_odd_parent_at ON "odd table" ("the parent", at);
    """)
    schema = introspect(lite, "sqlite")
    assert schema.table_names == ("odd table", "parent")

    parent = schema.table("parent")
    assert parent.primary_key == PrimaryKey("pk_parent", ("id",))
    assert parent.unique_constraints == (UniqueConstraint(None, ("code",)),)
    assert [(c.name, c.type, c.max_length) for c in parent.columns] == [
        ("id", "uuid", None), ("code", "string", 12)]

    odd = schema.table("odd table")
    assert [(c.name, c.type, c.nullable, c.has_default) for c in odd.columns] == [
        ("n", "bigint", False, True),  # the rowid alias: a counter
        ("the parent", "uuid", True, False),
        ("at", "timestamp", False, True),
        ("flag", "bool", False, True),
        ("doc", "json", True, False),
        ("note", "text", True, False),
        ("qty", "int", False, False),
        ("ratio", "float", True, False),
        ("big", "bigint", True, False),
    ]
    assert odd.primary_key == PrimaryKey(None, ("n",))
    assert odd.foreign_keys == (ForeignKey("fk_odd_parent", ("the parent",), "parent", ("id",)),)
    names = [c.name for c in odd.check_constraints if c.name]
    assert names == ["ck_odd_doc_json", "ck_odd_qty"]
    assert CheckConstraint("ck_odd_qty", "qty >= 0 AND qty < 1000") in odd.check_constraints
    assert odd.indexes == (Index("ix_odd_lower", ("<expr>",), True),
                           Index("ix_odd_parent_at", ("the parent", "at"), False))


def test_sqlite_types_follow_renamed_columns(lite: sqlite3.Connection) -> None:
    lite.executescript("""
        CREATE TABLE t (vendor TEXT NULL CHECK (length(vendor) <= 40),
                        ok INTEGER NOT NULL DEFAULT 1 CHECK (ok IN (0, 1)));
        ALTER TABLE t RENAME COLUMN vendor TO "maker name";
        ALTER TABLE t RENAME COLUMN ok TO "select";
    """)
    cols = introspect(lite, "sqlite").table("t").columns
    assert [(c.name, c.type, c.max_length) for c in cols] == [
        ("maker name", "string", 40), ("select", "bool", None)]


def test_sqlite_references_without_columns_mean_the_primary_key(
        lite: sqlite3.Connection) -> None:
    lite.executescript("""
        CREATE TABLE p (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
        CREATE TABLE c (x INTEGER, y TEXT, FOREIGN KEY (x, y) REFERENCES p);
    """)
    schema = introspect(lite, "sqlite")
    assert schema.table("c").foreign_keys == (ForeignKey(None, ("x", "y"), "p", ("a", "b")),)
    # WITHOUT ROWID: an INTEGER key is not a counter
    assert schema.table("p").column("a").type == "int"


def test_sqlite_defaults_and_collations_as_declared(lite: sqlite3.Connection) -> None:
    lite.executescript("""
        CREATE TABLE t (
            email TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
            status TEXT NOT NULL DEFAULT 'open' CONSTRAINT ck_t_status CHECK (status <> ''),
            n INTEGER CONSTRAINT uq_t_n UNIQUE CONSTRAINT ck_t_n CHECK (n > 0)
        ) WITHOUT ROWID;
    """)
    t = introspect(lite, "sqlite").table("t")
    assert [(c.name, c.default, c.collation) for c in t.columns] == [
        ("email", None, "NOCASE"), ("status", "'open'", None), ("n", None, None)]
    # two named constraints on one column, and WITHOUT ROWID: DDL sqlglot does not read
    assert [c.name for c in t.check_constraints] == ["ck_t_n", "ck_t_status"]
    assert t.unique_constraints == (UniqueConstraint("uq_t_n", ("n",)),)


def test_history_table_left_out_unless_asked(lite: sqlite3.Connection) -> None:
    lite.executescript("""
        CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY);
        CREATE TABLE t (a INTEGER);
    """)
    assert introspect(lite, "sqlite").table_names == ("t",)
    assert introspect(lite, "sqlite", include_history=True).table_names == (
        "flyway_schema_history", "t")


def test_kind_must_match_the_connection(lite: sqlite3.Connection) -> None:
    with pytest.raises(TypeError):
        introspect(lite, "postgresql")
    with pytest.raises(ValueError, match="unknown"):
        introspect(lite, "mysql")  # type: ignore[arg-type]


@pytest.fixture
def pg(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url) as conn:
        yield conn


@pytest.mark.postgres
def test_postgresql_types_keys_and_indexes(pg: psycopg.Connection[Any]) -> None:
    pg.execute("""
        CREATE TABLE p (id uuid PRIMARY KEY, code varchar(12) COLLATE "C" NOT NULL UNIQUE);
        CREATE TABLE c (
            n bigint GENERATED ALWAYS AS IDENTITY,
            p_id uuid REFERENCES p (id),
            free varchar,
            small smallint DEFAULT 1,
            doc json,
            amount numeric(10, 2),
            CONSTRAINT pk_c PRIMARY KEY (n),
            CONSTRAINT ck_c_small CHECK (small > 0)
        );
        CREATE INDEX ix_c_lower ON c (lower(free), p_id);
        CREATE POLICY rls_c ON c USING (true);
        ALTER TABLE c ENABLE ROW LEVEL SECURITY;
    """)
    pg.commit()
    schema = introspect(pg, "postgresql")
    c = schema.table("c")
    assert [(x.name, x.type, x.max_length, x.nullable, x.has_default) for x in c.columns] == [
        ("n", "bigint", None, False, True),
        ("p_id", "uuid", None, True, False),
        ("free", "text", None, True, False),
        ("small", "int", None, True, True),
        ("doc", "json", None, True, False),
        ("amount", "other", None, True, False),
    ]
    assert c.primary_key == PrimaryKey("pk_c", ("n",))
    assert c.foreign_keys == (ForeignKey("c_p_id_fkey", ("p_id",), "p", ("id",)),)
    assert c.check_constraints == (CheckConstraint("ck_c_small", "small > 0"),)
    assert c.indexes == (Index("ix_c_lower", ("lower(free::text)", "p_id"), False),)
    assert c.policies == ("rls_c",) and c.rls_enabled
    assert (c.column("small").default, c.column("free").collation) == ("1", None)
    p = schema.table("p")
    assert p.unique_constraints == (UniqueConstraint("p_code_key", ("code",)),)
    assert p.indexes == () and p.policies == () and not p.rls_enabled
    assert p.column("code").collation == "C"


def status(conn: psycopg.Connection[Any]) -> pq.TransactionStatus:
    return conn.info.transaction_status


@pytest.mark.postgres
def test_postgresql_transaction_state_is_respected(pg: psycopg.Connection[Any]) -> None:
    introspect(pg, "postgresql")
    assert status(pg) == pq.TransactionStatus.IDLE
    pg.execute("CREATE TABLE mine (a int)")  # the caller's open transaction
    schema = introspect(pg, "postgresql")
    assert "mine" in schema.tables
    assert status(pg) == pq.TransactionStatus.INTRANS
    pg.commit()
    assert "mine" in introspect(pg, "postgresql").tables
