"""Every pragma one unit of work writes is gone for the next: set back, or its
connection closed. Parametrized over the pragmas the linked SQLite knows, so one it
adds later is covered too (an unknown pragma must close the connection)."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monozu.db import Database, DatabaseError, ProgrammingError
from tests.support.rawconn import pooled, raw

with contextlib.closing(sqlite3.connect(":memory:")) as _probe:
    KNOWN = {name for (name,) in _probe.execute("PRAGMA pragma_list")}

# Process-wide, not a connection's: writing them here would change the whole test run,
# and closing a connection would not set them back (the pool's docstring says so).
PROCESS_WIDE = {"soft_heap_limit", "hard_heap_limit", "temp_store_directory",
                "data_store_directory"}
# Writing it can corrupt the database; like user_version it lives in the file.
NOT_WRITTEN = PROCESS_WIDE | {"schema_version"}
# Written, these read something, act once or change the database file like any row:
# nothing is left on the connection, so it is neither marked nor closed.
LEAVE_NOTHING = {"table_info", "table_xinfo", "table_list", "index_info", "index_xinfo",
                 "index_list", "foreign_key_list", "foreign_key_check", "integrity_check",
                 "quick_check", "page_count", "freelist_count", "data_version",
                 "database_list", "collation_list", "compile_options", "function_list",
                 "module_list", "pragma_list", "stats", "wal_checkpoint",
                 "incremental_vacuum", "optimize", "shrink_memory", "user_version",
                 "application_id"}
# Not known to be undoable on the connection: the pool closes it (keeps an in-memory one).
CLOSES = {"auto_vacuum", "default_cache_size", "encoding", "page_size", "case_sensitive_like",
          "no_such_pragma_yet"}

# What a unit of work writes; a pragma not listed gets 1.
WRITES: dict[str, list[str]] = {
    "analysis_limit": ["7"], "auto_vacuum": ["INCREMENTAL"], "automatic_index": ["0"],
    "busy_timeout": ["1"], "cache_size": ["7"], "cache_spill": ["0", "5", "100000"],
    "default_cache_size": ["7"], "encoding": ["'UTF-16le'"], "foreign_keys": ["0"],
    "journal_mode": ["OFF", "DELETE", "MEMORY", "TRUNCATE", "PERSIST"],
    "journal_size_limit": ["5"], "locking_mode": ["EXCLUSIVE"], "mmap_size": ["65536"],
    "page_size": ["1024"], "secure_delete": ["0", "FAST"], "short_column_names": ["0"],
    "synchronous": ["OFF", "FULL"], "temp_store": ["MEMORY"], "threads": ["2"],
    "trusted_schema": ["0"], "wal_autocheckpoint": ["1"], "max_page_count": ["1"],
    "wal_checkpoint": ["TRUNCATE"], "optimize": ["0x10002"], "user_version": ["7"],
    "application_id": ["7"],
    **{name: ["notes"] for name in ("table_info", "table_xinfo", "table_list",
                                    "index_list", "foreign_key_list", "foreign_key_check",
                                    "quick_check")},
}
CASES = [(name, value) for name in sorted((KNOWN | {"no_such_pragma_yet"}) - NOT_WRITTEN)
         for value in WRITES.get(name, ["1"])]

# What is read to compare a connection with the one handed out before: every setting,
# main's and the temp schema's where it has one of its own.
SETTINGS = sorted(KNOWN - LEAVE_NOTHING - PROCESS_WIDE - {"case_sensitive_like"})
PER_SCHEMA = ("journal_mode", "locking_mode", "secure_delete", "synchronous", "cache_spill",
              "journal_size_limit", "max_page_count", "page_size", "auto_vacuum", "mmap_size")


@pytest.fixture(params=["file", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    where = tmp_path / "pool.db" if request.param == "file" else ":memory:"
    database = Database.open(f"sqlite:///{where}", pool_size=1)
    database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    database.exec("CREATE INDEX ix_notes_body ON notes (body)")
    database.exec("INSERT INTO notes VALUES (1, 'kept')")
    yield database
    database.close()


def _in_memory(db: Database) -> bool:
    return db.url.path == ":memory:"


def _settings(conn: Any) -> dict[str, Any]:
    seen = {name: conn.execute(f"PRAGMA {name}").fetchall() for name in SETTINGS}
    seen |= {f"temp.{name}": conn.execute(f"PRAGMA temp.{name}").fetchall()
             for name in PER_SCHEMA}
    seen["like is case-insensitive"] = conn.execute("SELECT 'A' LIKE 'a'").fetchone()
    return seen


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_a_pragma_written_is_set_back_or_its_connection_closed(
        db: Database, name: str, value: str) -> None:
    with pooled(db) as conn:
        before = _settings(conn)
    with pooled(db) as conn:
        conn.execute(f"PRAGMA {name} = {value}").fetchall()
    with pooled(db) as conn:
        after = _settings(conn)
    opened = db.pool.stats()["opened"]
    if name in CLOSES and not _in_memory(db):
        assert opened == 2, "a pragma the pool cannot set back left its connection open"
    else:  # set back in place (an in-memory database keeps its only connection)
        assert opened == 1, "the connection was closed"
        if name not in CLOSES:
            assert after == before
    assert db.get_value("SELECT body FROM notes WHERE id = 1") == "kept"
    db.exec("INSERT INTO notes (body) SELECT 'more' FROM notes")  # writable, not full
    db.exec("CREATE TEMP TABLE scratch (n)")  # the temp schema works too


@pytest.mark.parametrize("name", sorted(LEAVE_NOTHING & KNOWN))
def test_a_pragma_that_leaves_nothing_does_not_mark_the_connection(
        db: Database, name: str) -> None:
    with pooled(db) as conn:
        conn.execute(f"PRAGMA {name} = {WRITES.get(name, ['1'])[0]}").fetchall()
        assert conn.marked == [False]
    with db.transaction() as tx:  # the catalog reads pragmas through table functions
        tx.select(dict, "SELECT * FROM pragma_table_xinfo('notes')")
        tx.select(dict, "SELECT * FROM pragma_index_info('ix_notes_body')")
        assert raw(tx).marked == [False]


@pytest.mark.parametrize("statement", [
    "PRAGMA temp.cache_size = 7", "PRAGMA temp.journal_size_limit = 5",
    "PRAGMA temp.journal_mode = OFF",
])
def test_a_pragma_aimed_at_the_temp_schema_closes_the_connection(
        db: Database, statement: str) -> None:
    with pooled(db) as conn:
        conn.execute(statement)
    with pooled(db) as conn:
        assert db.pool.stats()["opened"] == (1 if _in_memory(db) else 2)
        if not _in_memory(db):
            assert conn.execute("PRAGMA temp.journal_size_limit").fetchone()[0] == -1
            assert conn.execute("PRAGMA temp.journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("statement", [
    "PRAGMA main.cache_size = 7", "PRAGMA main.locking_mode = EXCLUSIVE",
    "PRAGMA main.max_page_count = 1", "PRAGMA MAX_PAGE_COUNT = 1",
])
def test_a_pragma_aimed_at_main_is_set_back_in_place(db: Database, statement: str) -> None:
    with pooled(db) as conn:
        before = _settings(conn)
        conn.execute(statement)
    with pooled(db) as conn:
        assert _settings(conn) == before
    assert db.pool.stats()["opened"] == 1


def test_a_full_database_left_by_one_tenant_is_not_the_next_ones(db: Database) -> None:
    with db.tenant(uuid.uuid4()) as b:
        b.exec("PRAGMA max_page_count = 1")
        with pytest.raises(DatabaseError) as full:
            b.exec("INSERT INTO notes (body) VALUES (zeroblob(100000))")
        assert full.value.code == "SQLITE_FULL"
        assert not isinstance(full.value, ProgrammingError), "the SQL was not wrong"
    with db.tenant(uuid.uuid4()) as a:
        a.exec("INSERT INTO notes (body) VALUES (zeroblob(100000))")
    assert db.get_value("SELECT count(*) FROM notes") == 2


def test_a_pragma_written_again_is_seen_again(db: Database) -> None:
    """A PRAGMA is prepared anew each time it runs: the same text in the next unit of
    work marks the connection again, though the driver cached the statement."""
    for _ in range(3):
        with db.transaction() as tx:
            tx.exec("PRAGMA max_page_count = 1")
            assert raw(tx).marked == [True]
        assert db.get_value("PRAGMA max_page_count") > 1


def test_an_unknown_pragma_in_memory_keeps_the_only_connection(tmp_path: Path) -> None:
    with Database.open("sqlite:///:memory:", pool_size=1) as db:
        db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        with pooled(db) as conn:
            conn.execute("PRAGMA no_such_pragma_yet = 1")
            conn.execute("PRAGMA busy_timeout = 1")
        assert db.pool.stats()["opened"] == 1
        assert db.get_value("SELECT count(*) FROM notes") == 0
        assert db.get_value("PRAGMA busy_timeout") == 5000  # known ones are still set back


def test_like_stays_deterministic_after_a_pragma_was_set_back(tmp_path: Path) -> None:
    """Setting pragmas back wrote case_sensitive_like = OFF too, which replaces SQLite's
    LIKE with one of the connection's own that is not deterministic: once another
    connection changed the schema, a partial index using LIKE made every statement on
    the pooled connection fail as a malformed schema."""
    url = f"sqlite:///{tmp_path / 'like.db'}"
    with Database.open(url, pool_size=1) as db:
        db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        db.exec("CREATE INDEX ix_notes_a ON notes (body) WHERE body LIKE 'a%'")
        with db.tenant(uuid.uuid4()) as a, a.bulk_writes():  # a pragma, set back after
            a.exec("INSERT INTO notes (body) VALUES ('abc')")
        with Database.open(url, pool_size=1) as other:
            other.exec("CREATE TABLE later (id INTEGER PRIMARY KEY)")
        with db.tenant(uuid.uuid4()) as b:
            b.exec("INSERT INTO notes (body) VALUES ('abd')")
            assert b.get_value("SELECT count(*) FROM notes WHERE body LIKE 'A%'") == 2
        assert db.pool.stats()["opened"] == 1


def test_case_sensitive_like_in_memory_is_set_back_off() -> None:
    with Database.open("sqlite:///:memory:", pool_size=1) as db:
        with pooled(db) as conn:
            conn.execute("PRAGMA case_sensitive_like = 1")
        assert db.get_value("SELECT 'A' LIKE 'a'") == 1
        assert db.pool.stats()["opened"] == 1
