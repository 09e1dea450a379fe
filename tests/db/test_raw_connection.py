"""The driver's own connection, given out (``tx.conn``, ``Database.connection()``), is
never handed to another unit of work: it is closed when its block ends.

Code given it could keep it, or a cursor of it, and run statements later inside
another tenant's unit of work on the same pooled connection; set handlers no reset
sees (libpq's notice handler heard the next tenant's notices); or leave a read
half-done (a SQLite cursor partly fetched kept its snapshot, and every later write on
the connection failed as locked). Run on real SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from monozu.db import Database
from tests.support.rawconn import raw

A, B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
CLOSED = (sqlite3.ProgrammingError, psycopg.OperationalError)  # each driver's "closed"


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    database = Database.open(any_url, pool_size=1)
    database.exec("CREATE TABLE notes (tenant_id TEXT NOT NULL, body TEXT NOT NULL)")
    database.exec_many("INSERT INTO notes VALUES (:t, :b)",
                       [{"t": str(t), "b": f"{t.int}-{i}"} for t in (A, B) for i in range(3)])
    yield database
    database.close()


def _ident(db: Database) -> Any:
    with db.transaction() as tx:
        return raw(tx)


def test_a_unit_of_work_that_does_not_reach_the_connection_leaves_it_pooled(
        db: Database) -> None:
    assert _ident(db) is _ident(db)


def test_reaching_tx_conn_closes_the_connection_when_the_block_ends(db: Database) -> None:
    with db.tenant(A) as tx:
        kept = tx.conn
        cursor = kept.cursor()
    with db.tenant(B) as tx:
        assert raw(tx) is not kept
        for use in (lambda: kept.execute("SELECT body FROM notes"),
                    kept.cursor,
                    lambda: cursor.execute("SELECT body FROM notes")):
            with pytest.raises(CLOSED):
                use()
        assert tx.get_value("SELECT count(*) FROM notes WHERE tenant_id = :t",
                            t=str(B)) == 3


def test_database_connection_is_closed_on_exit_too(db: Database) -> None:
    with db.connection() as conn:
        kept = conn
    assert _ident(db) is not kept
    with pytest.raises(CLOSED):
        kept.execute("SELECT 1")


def test_a_connection_reached_in_a_failed_unit_of_work_is_closed_as_well(
        db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as tx:
        kept = tx.conn
        raise RuntimeError("the block's own error")
    assert _ident(db) is not kept


def test_a_partly_read_cursor_kept_past_the_block_holds_nothing(sqlite_url: str) -> None:
    """SQLite: the cursor's open read kept a snapshot on the pooled connection, and the
    next unit of work's BEGIN IMMEDIATE failed as locked once another writer committed."""
    db = Database.open(sqlite_url, pool_size=1)
    try:
        db.exec("CREATE TABLE t (x INTEGER)")
        db.exec_many("INSERT INTO t VALUES (:x)", [{"x": i} for i in range(10)])
        with db.transaction() as tx:
            rows = tx.conn.execute("SELECT x FROM t")
            rows.fetchone()
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        other.execute("INSERT INTO t VALUES (99)")
        other.commit()
        other.close()
        with db.transaction() as tx:
            assert tx.exec("INSERT INTO t VALUES (100)") == 1
        assert db.get_value("SELECT count(*) FROM t") == 12
    finally:
        db.close()


def test_libpq_handlers_set_on_the_raw_connection_hear_no_later_unit_of_work(
        pg_url: str) -> None:
    db = Database.open(pg_url, pool_size=1)
    heard: list[Any] = []
    try:
        with db.tenant(A) as tx:
            tx.conn.pgconn.notice_handler = heard.append
            tx.conn.pgconn.notify_handler = heard.append
            tx.exec("LISTEN b_events")
        with db.tenant(B) as tx:
            tx.exec("DO $$BEGIN RAISE NOTICE 'tenant b'; END$$")
            tx.exec("SELECT pg_notify('b_events', 'tenant b payload')")
    finally:
        db.close()
    assert heard == []


def test_closing_a_reached_connection_logs_no_warning(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """psycopg_pool warns of every closed connection it gets back; this one the layer
    closed on purpose."""
    db = Database.open(pg_url, pool_size=1)
    try:
        with caplog.at_level(logging.DEBUG, logger="psycopg.pool"):
            for _ in range(3):
                with db.transaction() as tx:
                    tx.conn.execute("SELECT 1")
                assert db.get_value("SELECT 1") == 1
    finally:
        db.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_in_memory_database_keeps_its_only_connection(tmp_path: Any) -> None:
    """Its data lives in that connection: closing it would lose the database. The pool's
    reset undoes what it can instead (see the SQLite pool's tests)."""
    db = Database.open("sqlite:///:memory:")
    try:
        db.exec("CREATE TABLE t (x INTEGER)")
        with db.transaction() as tx:
            tx.conn.execute("INSERT INTO t VALUES (1)")
        assert db.get_value("SELECT count(*) FROM t") == 1
    finally:
        db.close()
