"""A pooled SQLite connection comes back in the state a fresh one has."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monozu.db import CheckViolation, Database, DatabaseError, Tx
from tests.support.rawconn import pragmas_outside_transaction, raw


@pytest.fixture(params=["file", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    where = tmp_path / "pool.db" if request.param == "file" else ":memory:"
    database = Database.open(f"sqlite:///{where}", pool_size=1)
    database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, parent INTEGER "
                  "REFERENCES notes (id))")
    database.exec("INSERT INTO notes VALUES (1, NULL)")
    database.exec("CREATE TABLE checked (n INTEGER CHECK (n >= 0))")
    yield database
    database.close()


def _temp_objects(tx: Tx) -> None:
    tx.exec("CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v")
    tx.exec("CREATE INDEX temp.ix_secrets ON secrets (v)")
    tx.exec("CREATE TEMP VIEW seen AS SELECT id FROM notes")
    tx.exec("CREATE TEMP TRIGGER spy AFTER INSERT ON notes BEGIN "
            "INSERT INTO secrets VALUES ('copied'); END")


def _sqlites_own_temp_tables(tx: Tx) -> None:
    # AUTOINCREMENT adds temp.sqlite_sequence, which SQLite refuses to drop; ANALYZE adds
    # temp.sqlite_stat1. Only the verbs are used: any tenant's unit of work can do this.
    tx.exec("CREATE TEMP TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
    tx.exec("INSERT INTO counters (v) VALUES ('tenant a')")
    tx.exec("CREATE INDEX temp.ix_counters ON counters (v)")
    tx.exec("ANALYZE temp")


def _foreign_keys_off(tx: Tx) -> None:
    # The pragma is a no-op inside a transaction, and the verbs refuse COMMIT: only
    # code reaching for the driver's connection can leave it set.
    raw(tx).execute("COMMIT")
    tx.exec("PRAGMA foreign_keys = OFF")
    raw(tx).execute("BEGIN")


def _attach(tx: Tx) -> None:
    raw(tx).execute("COMMIT")
    tx.exec("ATTACH DATABASE ':memory:' AS stash")
    tx.exec("CREATE TABLE stash.secrets AS SELECT 'tenant a' AS v")
    raw(tx).execute("BEGIN")


def _behind_a_view(schema: str, pragma: str, write: str | None) -> Callable[[Tx], None]:
    """A view named as one of SQLite's pragma table functions, which a query reads
    instead of the function: the reset read what the unit of work chose there (CHECKs
    enforced) and set nothing back, or (foreign keys off) failed every time."""
    def leak(tx: Tx) -> None:
        kind = "TEMP VIEW" if schema == "temp" else "VIEW"
        tx.exec(f"CREATE {kind} pragma_{pragma} AS SELECT 0 AS {pragma}")
        if write:
            tx.exec(write)
    return leak


def _hidden_attachment(tx: Tx) -> None:
    raw(tx).execute("COMMIT")
    tx.exec("ATTACH DATABASE ':memory:' AS stash")
    tx.exec("CREATE TEMP VIEW pragma_database_list AS SELECT 0 AS seq, 'main' AS name, "
            "'' AS file")
    raw(tx).execute("BEGIN")


LEAKS: dict[str, Callable[[Tx], None]] = {
    "temp objects": _temp_objects,
    "sqlite's own temp tables": _sqlites_own_temp_tables,
    "foreign keys off": _foreign_keys_off,
    "checks ignored": pragmas_outside_transaction("PRAGMA ignore_check_constraints = ON"),
    "read only": pragmas_outside_transaction("PRAGMA query_only = 1"),
    "exclusive locking": pragmas_outside_transaction("PRAGMA locking_mode = EXCLUSIVE"),
    "many pragmas": pragmas_outside_transaction(
        "PRAGMA recursive_triggers = 1", "PRAGMA busy_timeout = 1", "PRAGMA cache_size = 7",
        "PRAGMA temp_store = MEMORY", "PRAGMA reverse_unordered_selects = 1",
        "PRAGMA writable_schema = 1", "PRAGMA automatic_index = 0"),
    "attached database": _attach,
    "a pragma behind a temp view": _behind_a_view("temp", "ignore_check_constraints",
                                                  "PRAGMA ignore_check_constraints = ON"),
    "a pragma behind a view in main": _behind_a_view("main", "ignore_check_constraints",
                                                     "PRAGMA ignore_check_constraints = ON"),
    "foreign keys behind a view in main": _behind_a_view("main", "foreign_keys", None),
    "attached database behind a view": _hidden_attachment,
}


@pytest.mark.parametrize("leak", list(LEAKS))
def test_state_of_one_unit_of_work_is_gone_for_the_next(db: Database, leak: str) -> None:
    with db.tenant(uuid.uuid4()) as a:
        LEAKS[leak](a)
    with db.transaction() as b:
        assert b.get_value("SELECT count(*) FROM temp.sqlite_master") == 0
        assert b.get_value("PRAGMA foreign_keys") == 1
        assert b.get_value("PRAGMA query_only") == 0
        assert b.get_value("PRAGMA ignore_check_constraints") == 0
        assert b.get_value("PRAGMA recursive_triggers") == 0
        assert b.get_value("PRAGMA busy_timeout") == 5000
        assert b.get_value("PRAGMA writable_schema") == 0
        assert b.get_value("PRAGMA locking_mode") == "normal"
        assert [r["name"] for r in b.select(dict, "PRAGMA database_list")
                if r["name"] != "temp"] == ["main"]
        b.exec("INSERT INTO notes VALUES (2, 1)")  # no trigger fires into a lost table
        with pytest.raises(CheckViolation):
            b.exec("INSERT INTO checked VALUES (-1)")
    assert db.pool.stats()["opened"] == 1, "the pool of one was not reused"
    assert db.get_value("SELECT count(*) FROM notes") == 2


def test_an_unchanged_connection_costs_no_pragma_reading(db: Database) -> None:
    """Only a unit of work that set a pragma or attached a database is compared."""
    with db.transaction() as tx:
        tx.get_value("SELECT count(*) FROM notes")
        conn = raw(tx)
    assert conn.marked == [False]
    with db.transaction() as tx:
        tx.exec("PRAGMA query_only = 1")
        assert conn.marked == [True]
    assert conn.marked == [False]
    with db.transaction() as tx:
        tx.exec("INSERT INTO notes VALUES (3, NULL)")  # writable again


def _driver_attributes(tx: Tx) -> None:
    raw(tx).row_factory = sqlite3.Row
    raw(tx).text_factory = bytes
    raw(tx).isolation_level = "DEFERRED"


def _callbacks(tx: Tx) -> None:
    raw(tx).set_trace_callback(SPIED.append)
    raw(tx).set_progress_handler(lambda: bool(SPIED.append("progress")), 1)
    # Refuses reading notes.id (from the next statement prepared on): kept, it would
    # break the next unit of work's SELECT.
    raw(tx).set_authorizer(lambda action, table, column, *rest: sqlite3.SQLITE_DENY
                           if (table, column) == ("notes", "id") else sqlite3.SQLITE_OK)


SPIED: list[str] = []
DRIVER_LEAKS: dict[str, Callable[[Tx], None]] = {
    "row and text factories, isolation level": _driver_attributes,
    "trace, progress handler, authorizer": _callbacks,
}


@pytest.mark.parametrize("leak", list(DRIVER_LEAKS))
def test_what_code_set_on_the_raw_connection_is_gone_for_the_next(db: Database,
                                                                  leak: str) -> None:
    SPIED.clear()
    with db.transaction() as a:
        DRIVER_LEAKS[leak](a)
    SPIED.clear()  # what a's own statements (its COMMIT) were seen doing
    with db.transaction() as b:
        assert b.select(dict, "SELECT id, 'text' AS t FROM notes") == [{"id": 1, "t": "text"}]
        b.exec("INSERT INTO notes VALUES (2, 1)")
    assert SPIED == []
    assert db.pool.stats()["opened"] == 1
    with db.transaction() as c:  # the watch still works after an authorizer of its own
        c.exec("PRAGMA query_only = 1")
    assert db.get_value("SELECT count(*) FROM notes") == 2
    db.exec("INSERT INTO notes VALUES (3, NULL)")


def _interrupting(tx: Tx) -> None:
    tx.exec("INSERT INTO notes VALUES (2, 1)")
    raw(tx).set_progress_handler(lambda: 1, 1)  # interrupts every statement from here on


def _bytes_for_text(tx: Tx) -> None:
    raw(tx).text_factory = bytes  # the pragmas the reset reads back would be bytes
    tx.exec("PRAGMA busy_timeout = 1")


def _rows_as_dicts(tx: Tx) -> None:
    raw(tx).row_factory = lambda cur, row: {d[0]: v for d, v in zip(cur.description, row,
                                                                    strict=True)}
    tx.exec("PRAGMA busy_timeout = 1")


# Each leak, and whether it fails its own unit of work (the handler interrupts the COMMIT).
RESET_UNDER: dict[str, tuple[Callable[[Tx], None], bool]] = {
    "an interrupting progress handler": (_interrupting, True),
    "a text factory of bytes": (_bytes_for_text, False),
    "a row factory of dicts": (_rows_as_dicts, False),
}


@pytest.mark.parametrize("leak", list(RESET_UNDER))
def test_what_code_set_on_the_raw_connection_does_not_fail_the_reset(db: Database,
                                                                    leak: str) -> None:
    """The reset's own statements had run under it: the ROLLBACK interrupted, the pragmas
    read back as bytes or as a dict's keys, so the reset failed and the pool closed the
    connection, which for an in-memory database was the database itself."""
    make, fails = RESET_UNDER[leak]
    with pytest.raises(DatabaseError, match="interrupted") if fails \
            else contextlib.nullcontext(), db.transaction() as a:
        conn = raw(a)
        make(a)
    with db.transaction() as b:
        assert raw(b) is conn, "the connection was closed"
        assert b.select(int, "SELECT id FROM notes ORDER BY id") == [1]
        assert b.get_value("PRAGMA busy_timeout") == 5000
        assert b.get_value("SELECT 'text'") == "text"


def test_what_an_in_memory_unit_of_work_kept_open_is_closed_not_the_database() -> None:
    """The connection of an in-memory database stays when given out: a cursor kept
    half-read over a temporary table made the reset fail (the table could not be
    dropped), so the pool closed the connection and the database was lost. Kept open,
    a cursor or a blob would go on reading what later units of work write."""
    with Database.open("sqlite:///:memory:", pool_size=1) as db:
        db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB)")
        db.exec("INSERT INTO notes VALUES (1, zeroblob(4)), (2, zeroblob(4))")
        with db.tenant(uuid.uuid4()) as a:
            a.exec("CREATE TEMP TABLE scratch AS SELECT id FROM notes")
            kept = a.conn.execute("SELECT id FROM scratch ORDER BY id")
            assert kept.fetchone() == (1,)
            blob = a.conn.blobopen("notes", "body", 1, readonly=True)
        with db.tenant(uuid.uuid4()) as b:
            assert b.select(int, "SELECT id FROM notes ORDER BY id") == [1, 2]
            assert b.get_value("SELECT count(*) FROM temp.sqlite_master") == 0
            b.exec("UPDATE notes SET body = X'CAFEF00D' WHERE id = 1")
        assert db.pool.stats()["opened"] == 1
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            kept.fetchone()
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            blob.read()


def test_a_method_replaced_on_an_in_memory_connection_is_gone_for_the_next() -> None:
    """Set on the object, a replaced method outlived the unit of work on the connection
    an in-memory database keeps, and saw the next tenant's statements and values."""
    seen: list[object] = []
    with Database.open("sqlite:///:memory:", pool_size=1) as db:
        db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        with db.tenant(uuid.uuid4()) as a:
            conn = a.conn
            cursor, execute = conn.cursor, conn.execute
            conn.cursor = lambda *args: seen.append(args) or cursor(*args)
            conn.execute = lambda *args: seen.append(args) or execute(*args)
            conn.note = "tenant a"
        seen.clear()
        with db.tenant(uuid.uuid4()) as b:
            assert raw(b) is conn
            b.exec("INSERT INTO notes (body) VALUES (:body)", body="tenant b")
            assert not hasattr(raw(b), "note")
        assert seen == []
        assert db.get_value("SELECT body FROM notes") == "tenant b"


def test_registered_functions_close_the_connection_unless_it_holds_the_database(
        db: Database) -> None:
    with db.transaction() as a:
        raw(a).create_function("upper", 1, lambda s: "overridden")
        raw(a).create_collation("anything", lambda x, y: 0)
        assert a.get_value("SELECT upper('x')") == "overridden"
    in_memory = db.pool.stats()["opened"] == 1 and db.get_value(
        "SELECT file FROM pragma_database_list WHERE name = 'main'") == ""
    if in_memory:  # its only connection holds the data: kept, functions and all
        assert db.get_value("SELECT count(*) FROM notes") == 1
        assert db.get_value("SELECT upper('x')") == "overridden"
    else:
        assert db.get_value("SELECT upper('x')") == "X"
        assert db.pool.stats()["opened"] == 2


def test_limits_one_unit_of_work_set_are_set_back(db: Database) -> None:
    with db.transaction() as a:
        conn = raw(a)
        raw(a).setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 40)
        raw(a).setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 30)  # the first value is kept
        raw(a).setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 1)
        raw(a).setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 8)  # the reset's own SQL is longer
    with db.transaction() as b:
        assert raw(b) is conn
        b.exec("CREATE TABLE long_notes (a TEXT, b TEXT)")
        b.exec("INSERT INTO long_notes VALUES (:a, :b)", a="x" * 1000, b="y")
        assert b.get_value("SELECT length(a) FROM long_notes") == 1000
    assert db.pool.stats()["opened"] == 1


def test_replacing_the_database_under_the_pool_is_refused(db: Database) -> None:
    image = sqlite3.connect(":memory:")
    image.execute("CREATE TABLE notes (id INTEGER, parent INTEGER)")
    image.execute("INSERT INTO notes VALUES (99, NULL)")
    image.commit()
    with db.transaction() as a:
        with pytest.raises(sqlite3.NotSupportedError, match="replace the database"):
            raw(a).deserialize(image.serialize())
        a.exec("INSERT INTO notes VALUES (2, 1)")  # the unit of work goes on
    assert db.select(int, "SELECT id FROM notes ORDER BY id") == [1, 2]
    assert db.pool.stats()["opened"] == 1


# What a pooled connection's code may call on sqlite3.Connection, by what it leaves.
_LEAVES_NOTHING = {  # reads, one-off actions, the transaction the unit of work ends anyway
    "backup", "blobopen", "close", "commit", "cursor", "execute", "executemany",
    "executescript", "getlimit", "in_transaction", "interrupt", "iterdump", "rollback",
    "serialize", "total_changes", "getconfig"}
_RESET_BY_ATTRIBUTE = {"row_factory", "text_factory", "isolation_level", "autocommit"}


def test_every_method_that_changes_a_connection_is_watched() -> None:
    """A new Python may add a way to change a connection: this fails until it is
    watched (set back, or the connection closed) or known to leave nothing."""
    from monozu.db.dialects.sqlite.pool import WatchedConnection

    errors = {n for n in dir(sqlite3) if n.endswith(("Error", "Warning"))}
    public = {n for n in dir(sqlite3.Connection) if not n.startswith("_")} - errors
    watched = {n for n in public if n in vars(WatchedConnection)}
    unaccounted = public - watched - _LEAVES_NOTHING - _RESET_BY_ATTRIBUTE
    assert unaccounted == set()
    assert "setlimit" in watched and "deserialize" in watched


_LOAD_EXTENSION_LEFT_ON = """
import sys, tempfile
from monozu.db import Database
db = Database.open(f"sqlite:///{tempfile.mkdtemp()}/x.db", pool_size=1)
with db.transaction() as a:
    conn = a._conn  # not a.conn, which would retire the connection
    conn.enable_load_extension(True)
with db.transaction() as b:
    assert b._conn is conn
    try:
        b.get_value("SELECT load_extension('/nonexistent/monozu-test')")
    except Exception as exc:
        print(type(exc).__name__, exc)
"""


def test_extension_loading_one_unit_of_work_enabled_is_off_for_the_next() -> None:
    """Left on, any later unit of work's SQL could load a library by itself. Python
    builds differ: the test runs on one that can enable it (Debian's own has it)."""
    import subprocess
    import sys

    can = [p for p in (sys.executable, "/usr/bin/python3") if Path(p).exists()
           and subprocess.run([p, "-c", "import sqlite3; sqlite3.Connection."
                               "enable_load_extension"], capture_output=True).returncode == 0]
    assert can, "no Python here can enable SQLite extension loading"
    src = Path(__file__).resolve().parents[4] / "src"
    done = subprocess.run([can[0], "-c", _LOAD_EXTENSION_LEFT_ON], capture_output=True,
                          text=True, env={"PYTHONPATH": str(src)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ProgrammingError not authorized"


def test_a_file_deleted_under_the_pool_is_not_written_into_unseen(tmp_path: Path) -> None:
    """A pooled connection keeps a database file removed under it open, and in WAL mode
    SQLite goes on writing into it: the commits of every later unit of work reported
    success and went nowhere. The next unit of work opens what is at the path now."""
    import os

    from monozu.db import UndefinedTable

    path = tmp_path / "gone.db"
    with Database.open(f"sqlite:///{path}", pool_size=2) as database:
        database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        database.exec("INSERT INTO notes VALUES (1)")
        for leftover in tmp_path.glob("gone.db*"):  # rm gone.db*
            os.unlink(leftover)
        with pytest.raises(UndefinedTable, match="notes"):
            database.exec("INSERT INTO notes VALUES (2)")


def test_a_file_replaced_under_the_pool_is_the_one_used(tmp_path: Path) -> None:
    import os

    path, other = tmp_path / "live.db", tmp_path / "restored.db"
    with Database.open(f"sqlite:///{other}") as restored:
        restored.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        restored.exec("INSERT INTO notes VALUES (7)")
    with Database.open(f"sqlite:///{path}", pool_size=2) as database:
        database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        database.exec("INSERT INTO notes VALUES (1)")
        for leftover in tmp_path.glob("live.db-*"):
            os.unlink(leftover)
        os.replace(other, path)  # a backup restored while the process runs
        database.exec("INSERT INTO notes VALUES (8)")
        assert database.select(int, "SELECT id FROM notes ORDER BY id") == [7, 8]
    with Database.open(f"sqlite:///{path}") as reopened:
        assert reopened.select(int, "SELECT id FROM notes ORDER BY id") == [7, 8]


def test_threads_writing_through_one_pool_take_the_write_lock_in_turn(
        tmp_path: Path) -> None:
    """Every unit of work begins IMMEDIATE, and SQLite's busy handler only sleeps and
    tries again: a connection whose lock was just given back by another connection of
    the pool mostly found it taken again, so with six threads on three connections,
    units of work of a few milliseconds failed with ``database is locked`` after the
    whole busy timeout while the others went on."""
    import threading
    import time

    from monozu.db import MonozuError

    failures: list[MonozuError] = []
    with Database.open(f"sqlite:///{tmp_path / 'turns.db'}?busy_timeout=1", pool_size=3,
                       pool_timeout=30) as database:
        database.exec("CREATE TABLE hits (n INTEGER)")
        stop = time.monotonic() + 3

        def work() -> None:
            while time.monotonic() < stop:
                try:
                    with database.transaction() as tx:
                        tx.exec("INSERT INTO hits VALUES (1)")
                        time.sleep(0.005)
                except MonozuError as exc:
                    failures.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert database.get_value("SELECT count(*) FROM hits") > 100


def test_a_unit_of_work_waiting_on_one_of_its_own_thread_times_out(tmp_path: Path) -> None:
    from monozu.db import Timeout

    url = f"sqlite:///{tmp_path / 'nested.db'}?busy_timeout=0.2"
    with Database.open(url) as database, Database.open(url) as other:
        database.exec("CREATE TABLE notes (id INTEGER)")
        with database.transaction() as tx:
            tx.exec("INSERT INTO notes VALUES (1)")
            with pytest.raises(Timeout, match="database is locked"):
                other.exec("INSERT INTO notes VALUES (2)")
        other.exec("INSERT INTO notes VALUES (3)")  # its turn came once the first ended
        assert other.select(int, "SELECT id FROM notes ORDER BY id") == [1, 3]


def test_a_unit_of_work_ended_without_its_rollback_gives_its_turn_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt that stops the rollback: the pool's reset gives the turn back, or
    every later unit of work would wait out its busy timeout."""
    from monozu.db.dialects.sqlite.dialect import SQLiteDialect

    with Database.open(f"sqlite:///{tmp_path / 'cut.db'}?busy_timeout=0.2",
                       pool_size=2) as database:
        database.exec("CREATE TABLE notes (id INTEGER)")

        def cut_short(self: SQLiteDialect, conn: Any) -> None:
            raise KeyboardInterrupt

        with monkeypatch.context() as patched:
            patched.setattr(SQLiteDialect, "rollback", cut_short)
            with pytest.raises(KeyboardInterrupt), database.transaction() as tx:
                tx.exec("INSERT INTO notes VALUES (1)")
                raise ValueError("the unit of work's own error")
        database.exec("INSERT INTO notes VALUES (2)")
        assert database.select(int, "SELECT id FROM notes") == [2]


def test_the_statements_earlier_units_of_work_ran_cannot_be_listed(db: Database) -> None:
    """SQLite's sqlite_stmt lists every statement its connection holds prepared: the
    driver keeps the earlier units of work's in its cache, so another tenant's unit of
    work read their SQL, literals included."""
    with db.tenant(uuid.uuid4()) as a:
        a.exec("INSERT INTO notes VALUES (2, NULL) -- tenant a's secret")
    with db.tenant(uuid.uuid4()) as b, \
            pytest.raises(DatabaseError, match=r"sqlite_stmt\.sql is prohibited"):
        b.select(str, "SELECT sql FROM sqlite_stmt")
    assert db.pool.stats()["opened"] == 1
