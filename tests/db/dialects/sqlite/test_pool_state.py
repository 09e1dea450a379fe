"""A pooled SQLite connection, compared whole with a fresh one.

Each action changes the connection inside a tenant's unit of work; the next unit of
work, on the same connection (a pool of one), must observe exactly what the first unit
of work of a fresh connection observed: every pragma (main's and the temporary
schema's), the last inserted rowid and the count of changes, the temporary schema,
attached databases, the functions, collations and modules, the limits, and what the
``sqlite3`` object carries (factories, isolation level).
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monozu.db import Database, Tx
from tests.support.rawconn import pragmas_outside_transaction, raw

# Pragmas read with no argument but not compared: those that take one (table_info), act
# (optimize), check (integrity_check), are listed below on their own (function_list), or
# read the database file's contents, which units of work are meant to change
# (page_count, user_version), or the process's (soft_heap_limit). case_sensitive_like
# cannot be read: its effect is.
NOT_COMPARED = frozenset({
    "index_info", "index_list", "index_xinfo", "table_info", "table_xinfo",
    "foreign_key_list", "optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory",
    "integrity_check", "quick_check", "foreign_key_check", "collation_list",
    "function_list", "module_list", "database_list", "compile_options", "pragma_list",
    "application_id", "user_version", "schema_version", "page_count", "freelist_count",
    "data_version", "table_list", "hard_heap_limit", "soft_heap_limit",
    "temp_store_directory", "case_sensitive_like",
})
# The pragmas the temporary schema has a value of its own for.
TEMP_PRAGMAS = ("auto_vacuum", "cache_size", "cache_spill", "journal_mode",
                "journal_size_limit", "locking_mode", "max_page_count", "page_size",
                "secure_delete", "synchronous", "page_count", "freelist_count")
LIMITS = sorted(n for n in dir(sqlite3) if n.startswith("SQLITE_LIMIT_"))
# What a reused connection shows and a fresh one does not, and the pool leaves as it is
# (see docs/query-layer.md, "Pools"): the rowid of the last insert and the count of rows
# the last statement changed are the connection's, and Python's sqlite3 can set them back
# only by writing into a temporary table, which made a unit of work that wrote take
# about four times as long. total_changes() is not compared at all: only reopening
# the connection sets it back.
KNOWN_GAPS = frozenset({"rowid and changes"})


def _all(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sqlite3.Connection.execute(conn, sql).fetchall()]


def _all_or_error(conn: sqlite3.Connection, sql: str) -> Any:
    try:
        return _all(conn, sql)
    except sqlite3.DatabaseError as exc:
        return str(exc)


def _temp_pragma(conn: sqlite3.Connection, name: str) -> list[tuple[Any, ...]]:
    value = _all(conn, f"PRAGMA temp.{name}")
    if name == "cache_size" and value == [(0,)]:
        # Read before the temporary database was ever opened, SQLite reports 0 for its
        # cache; once opened (and after it is discarded), the default it then has.
        return [(-2000,)]
    return value


def snapshot(tx: Tx) -> dict[str, Any]:
    """Everything a unit of work can observe of its connection (see the module's
    docstring), read first thing in the unit of work."""
    conn = raw(tx)
    # Python's own execute: an in-memory database's connection records the cursors it
    # makes, and row and text factories left behind would change what is read.
    first = _all(conn, "SELECT last_insert_rowid(), changes()")
    names = [name for (name,) in _all(conn, "PRAGMA pragma_list")
             if name not in NOT_COMPARED]
    return {
        "rowid and changes": first,
        "pragmas": {name: _all(conn, f"PRAGMA {name}") for name in names},
        "temp pragmas": {name: _temp_pragma(conn, name) for name in TEMP_PRAGMAS},
        "case sensitive like": _all(conn, "SELECT 'A' LIKE 'a'"),
        "temp schema": _all(conn, "SELECT type, name, tbl_name, sql FROM temp.sqlite_master "
                                  "ORDER BY 1, 2"),
        "databases": _all(conn, "PRAGMA database_list"),
        "prepared statements": _all_or_error(conn, "SELECT sql FROM sqlite_stmt ORDER BY 1"),
        "functions": sorted(_all(conn, "PRAGMA function_list")),
        "collations": sorted(name for _, name in _all(conn, "PRAGMA collation_list")),
        "modules": sorted(_all(conn, "PRAGMA module_list")),
        "limits": {name: conn.getlimit(getattr(sqlite3, name)) for name in LIMITS},
        "driver": (conn.row_factory, conn.text_factory, conn.isolation_level,
                   getattr(conn, "autocommit", None)),
    }


@pytest.fixture(params=["file", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    where = tmp_path / "pool.db" if request.param == "file" else ":memory:"
    database = Database.open(f"sqlite:///{where}", pool_size=1)
    yield database
    database.close()


def _tables(db: Database) -> None:
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    db.exec("INSERT INTO notes VALUES (1, 'one'), (2, 'two')")


def _statements(*statements: str) -> Callable[[Tx], None]:
    def act(tx: Tx) -> None:
        for statement in statements:
            tx.exec(statement)
    return act


def _verbs(tx: Tx) -> None:
    with tx.bulk_writes():
        tx.exec_many("INSERT INTO notes (id, body) VALUES (:id, 'many')",
                     [{"id": n} for n in range(3, 9)])
        tx.bulk_insert("notes", ["id", "body"], [(n, "bulk") for n in range(9, 20)])


def _driver_attributes(tx: Tx) -> None:
    raw(tx).row_factory = sqlite3.Row
    raw(tx).text_factory = bytes
    raw(tx).isolation_level = "DEFERRED"
    raw(tx).setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10)
    raw(tx).setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)


ACTIONS: dict[str, Callable[[Tx], None]] = {
    "nothing but a tenant's unit of work": lambda tx: None,
    "an insert": _statements("INSERT INTO notes VALUES (77, 'tenant a')"),
    "an update": _statements("UPDATE notes SET body = 'tenant a'"),
    "a delete": _statements("DELETE FROM notes WHERE id = 2"),
    "an insert, then a delete of nothing": _statements(
        "INSERT INTO notes VALUES (78, 'tenant a')", "DELETE FROM notes WHERE 0"),
    "the verbs": _verbs,
    "temporary objects": _statements(
        "CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v",
        "CREATE INDEX temp.ix_secrets ON secrets (v)",
        "CREATE TEMP VIEW seen AS SELECT id FROM notes",
        "CREATE TEMP TRIGGER spy AFTER INSERT ON notes BEGIN "
        "INSERT INTO secrets VALUES ('copied'); END",
        "INSERT INTO secrets SELECT hex(randomblob(500)) FROM notes"),
    "temporary objects dropped": _statements(
        "CREATE TEMP TABLE secrets AS SELECT hex(randomblob(5000)) AS v FROM notes",
        "DROP TABLE secrets"),
    "sqlite's own temporary tables": _statements(
        "CREATE TEMP TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
        "INSERT INTO counters (v) VALUES ('tenant a')",
        "CREATE INDEX temp.ix_counters ON counters (v)", "ANALYZE temp"),
    "pragmas": pragmas_outside_transaction(
        "PRAGMA foreign_keys = OFF", "PRAGMA query_only = 1",
        "PRAGMA ignore_check_constraints = ON", "PRAGMA recursive_triggers = 1",
        "PRAGMA busy_timeout = 1", "PRAGMA cache_size = 7", "PRAGMA temp_store = MEMORY",
        "PRAGMA reverse_unordered_selects = 1", "PRAGMA automatic_index = 0",
        "PRAGMA secure_delete = 1",
        "PRAGMA cache_spill = 0", "PRAGMA mmap_size = 4096",
        "PRAGMA wal_autocheckpoint = 5", "PRAGMA analysis_limit = 3",
        "PRAGMA defer_foreign_keys = 1", "PRAGMA legacy_alter_table = 1",
        "PRAGMA trusted_schema = 0", "PRAGMA cell_size_check = 1",
        "PRAGMA read_uncommitted = 1", "PRAGMA threads = 2", "PRAGMA synchronous = OFF",
        "PRAGMA journal_size_limit = 4096", "PRAGMA max_page_count = 100000"),
    "locking and journal": pragmas_outside_transaction(
        "PRAGMA locking_mode = EXCLUSIVE", "PRAGMA journal_mode = MEMORY"),
    "an attached database": pragmas_outside_transaction(
        "ATTACH DATABASE ':memory:' AS stash", "CREATE TABLE stash.secrets (v TEXT)"),
    "the driver's attributes and limits": _driver_attributes,
}


@pytest.mark.parametrize("ending", ["commit", "rollback"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_next_unit_of_work_sees_the_connection_a_fresh_one_has(
        db: Database, action: str, ending: str) -> None:
    with db.transaction() as fresh:
        expected = snapshot(fresh)
        conn = raw(fresh)
    _tables(db)
    with pytest.raises(RuntimeError) if ending == "rollback" else contextlib.nullcontext(), \
            db.tenant(uuid.uuid4()) as a:
        assert raw(a) is conn
        ACTIONS[action](a)
        if ending == "rollback":
            raise RuntimeError("the unit of work fails")
    with db.transaction() as b:
        assert raw(b) is conn, "the pool of one was not reused"
        got = snapshot(b)
    assert differences(got, expected) == {}


def _on_the_drivers_connection(conn: Any) -> None:
    conn.execute("CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v")
    conn.execute("PRAGMA query_only = 1")
    conn.row_factory = sqlite3.Row
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 10)


@pytest.mark.parametrize("reached", ["tx.conn", "db.connection()"])
def test_what_code_on_the_drivers_connection_did_does_not_reach_the_next_unit_of_work(
        db: Database, reached: str) -> None:
    """A file's connection given out is closed, an in-memory database's only one is
    kept: either way the next unit of work sees what a fresh connection shows."""
    with db.transaction() as fresh:
        expected = snapshot(fresh)
        conn = raw(fresh)
    _tables(db)
    if reached == "tx.conn":
        with db.tenant(uuid.uuid4()) as a:
            _on_the_drivers_connection(a.conn)
    else:
        with db.connection() as given:
            _on_the_drivers_connection(given)
    with db.transaction() as b:
        assert (raw(b) is conn) == (db.url.path == ":memory:")
        got = snapshot(b)
    assert differences(got, expected) == {}


def differences(got: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """What differs, item by item, as (what the reused connection has, what the fresh
    one had), lists and mappings narrowed to their differing entries."""
    found: dict[str, Any] = {}
    for key, value in got.items():
        if key in KNOWN_GAPS:
            continue
        was = expected[key]
        if value == was:
            continue
        if isinstance(value, dict):
            found[key] = {k: (v, was.get(k)) for k, v in value.items() if v != was.get(k)}
        elif isinstance(value, list) and len(value) > 3:
            found[key] = ([v for v in value if v not in was], [v for v in was if v not in value])
        else:
            found[key] = (value, was)
    return found
