"""A pooled PostgreSQL connection comes back in the state a fresh one has.

A pool of one connection, so the next unit of work gets the very session the
previous one used (checked by its backend pid): each leak of session state one
unit of work could cause is made, then looked for in the next unit of work.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from monozu.db import ConnectionFailed, Database, DatabaseError, Tx
from monozu.db.dialects.postgresql import pool as pool_module
from monozu.db.dialects.postgresql.pool import RESET_SQL
from tests.support.rawconn import pooled, raw


@pytest.fixture
def db(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    database.exec("CREATE TABLE notes (id int PRIMARY KEY)")
    database.exec("INSERT INTO notes VALUES (1), (2)")
    yield database
    database.close()


def _leak_setting(tx: Tx) -> None:
    tx.get_value("SELECT set_config('app.tenant_id', :t, false)", t=str(uuid.uuid4()))
    tx.exec("SET application_name = 'tenant-a'")
    tx.exec("SET TIME ZONE 'Europe/Berlin'")


def _setting_gone(tx: Tx) -> None:
    assert tx.get_value("SELECT coalesce(current_setting('app.tenant_id', true), '')") == ""
    assert tx.get_value("SELECT current_setting('application_name')") != "tenant-a"
    assert tx.get_value("SELECT current_setting('TimeZone')") == "UTC"


def _leak_temp(tx: Tx) -> None:
    tx.exec("CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v")


def _temp_gone(tx: Tx) -> None:
    assert tx.get_value("SELECT count(*) FROM pg_class WHERE relname = 'secrets'") == 0


def _leak_cursor(tx: Tx) -> None:
    tx.exec("DECLARE held CURSOR WITH HOLD FOR SELECT id FROM notes")


def _cursor_gone(tx: Tx) -> None:
    assert tx.get_value("SELECT count(*) FROM pg_cursors") == 0
    with pytest.raises(DatabaseError, match="held"), tx.transaction():
        tx.exec("FETCH held")


def _leak_prepared(tx: Tx) -> None:
    tx.exec("PREPARE leaked AS SELECT id FROM notes")


def _prepared_gone(tx: Tx) -> None:
    assert tx.get_value("SELECT count(*) FROM pg_prepared_statements WHERE from_sql") == 0


def _leak_lock(tx: Tx) -> None:
    tx.get_value("SELECT pg_advisory_lock(4242)::text")


def _lock_gone(tx: Tx) -> None:
    assert tx.get_value("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND pid = pg_backend_pid()") == 0


def _leak_seed(tx: Tx) -> None:
    tx.get_value("SELECT setseed(0.42)::text")  # the next random() values are known


def _seed_gone(tx: Tx) -> None:
    drawn = tx.get_value("SELECT random()")
    tx.get_value("SELECT setseed(0.42)::text")
    assert drawn != tx.get_value("SELECT random()"), "random() followed the seed set before"


LEAKS: dict[str, tuple[Callable[[Tx], None], Callable[[Tx], None]]] = {
    "session setting": (_leak_setting, _setting_gone),
    "temp table": (_leak_temp, _temp_gone),
    "with hold cursor": (_leak_cursor, _cursor_gone),
    "prepared statement": (_leak_prepared, _prepared_gone),
    "advisory lock": (_leak_lock, _lock_gone),
    "random seed": (_leak_seed, _seed_gone),
}


@pytest.mark.parametrize("ending", ["commit", "rollback"])
@pytest.mark.parametrize("leak", list(LEAKS))
def test_state_of_one_unit_of_work_is_gone_for_the_next(db: Database, leak: str,
                                                         ending: str) -> None:
    make, check = LEAKS[leak]
    with pytest.raises(RuntimeError) if ending == "rollback" else _nothing(), \
            db.tenant(uuid.uuid4()) as a:
        pid = a.get_value("SELECT pg_backend_pid()")
        make(a)
        if ending == "rollback":
            raise RuntimeError("unit of work fails")
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") == pid, "the pool of one was not reused"
        check(b)


def test_statements_the_driver_prepared_still_work_after_a_reset(db: Database) -> None:
    for _ in range(3):  # psycopg prepares a statement after five executions
        with db.transaction() as tx:
            for _ in range(8):
                assert tx.select(int, "SELECT id FROM notes WHERE id >= :n ORDER BY id",
                                 n=1) == [1, 2]


def test_the_reset_is_what_discard_all_does() -> None:
    for part in ("CLOSE ALL", "SET SESSION AUTHORIZATION DEFAULT", "RESET ALL",
                 "DEALLOCATE ALL", "UNLISTEN *", "SELECT pg_advisory_unlock_all()",
                 "DISCARD PLANS", "DISCARD TEMP", "DISCARD SEQUENCES"):
        assert part in RESET_SQL.split(";\n")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The round-trip checks the pool makes before handing out an idle connection."""
    from psycopg_pool import ConnectionPool

    made: list[int] = []
    check = ConnectionPool.check_connection

    def counted(conn: Any) -> None:
        made.append(1)
        check(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    return made


def _settled(db: Database) -> None:
    """Wait until the connection a unit of work gave back has been reset and is idle in
    the pool: psycopg_pool resets it in a worker thread, and a backend ended before that
    reset ran fails the reset (the pool drops it) instead of the next unit of work."""
    inner = db._pool._pool  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while inner.get_stats().get("pool_available", 0) < 1:
        assert time.monotonic() < deadline, "the connection did not come back"
        time.sleep(0.005)


def _terminate(pg_url: str, pid: int) -> None:
    """End the backend ``pid`` and wait until it has gone (its last words sent)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone() != (0,):
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.01)


@pytest.mark.parametrize("window", [pool_module.ALIVE_WINDOW, 0.0], ids=["fresh", "stale"])
def test_a_pooled_connection_whose_server_process_was_killed_is_replaced(
        db: Database, pg_url: str, checks: list[int], window: float,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "ALIVE_WINDOW", window)
    with db.transaction() as tx:
        before = tx.get_value("SELECT pg_backend_pid()")
    _settled(db)
    _terminate(pg_url, before)  # the session dies while idle
    with db.transaction() as tx:  # the pool notices, opens another, and the work runs
        assert tx.get_value("SELECT pg_backend_pid()") != before
        assert tx.select(int, "SELECT id FROM notes ORDER BY id") == [1, 2]
    assert checks, "the dead connection was handed out unchecked"


def test_a_tenants_unit_of_work_on_a_dead_connection_fails_as_the_layers_error(
        db: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tenant binding is a unit of work's first round trip: a session that died
    unseen (no check, or lost within the window) fails there. It had raised psycopg's
    own AdminShutdown out of ``db.tenant()``."""
    with db.transaction() as tx:
        before = tx.get_value("SELECT pg_backend_pid()")
    _settled(db)
    _terminate(pg_url, before)
    from psycopg_pool import ConnectionPool

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(lambda conn: None))
    with pytest.raises(ConnectionFailed), db.tenant(uuid.uuid4()) as tx:
        tx.exec("SELECT 1")
    with db.tenant(uuid.uuid4()) as tx:  # the dead one was dropped
        assert tx.get_value("SELECT pg_backend_pid()") != before


def test_a_session_that_dies_while_being_set_up_is_a_connection_failure(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from monozu.db.config import load_config
    from monozu.db.dialects.postgresql import dialect as pg_dialect

    opened: list[Any] = []

    def dies(conn: Any) -> None:
        opened.append(conn)
        raise psycopg.errors.AdminShutdown("terminating connection due to administrator "
                                           "command")

    monkeypatch.setattr(pg_dialect, "configure", dies)
    config = load_config({}, url=pg_url, dotenv=None)
    with pytest.raises(ConnectionFailed, match=r"cannot connect to PostgreSQL at .*"
                                               r"terminating connection") as failed:
        pg_dialect.DIALECT.connect(config.url, config)
    assert failed.value.__cause__ is None and failed.value.__context__ is None
    assert opened and opened[0].closed


def test_a_connection_reset_a_moment_ago_is_handed_out_without_a_round_trip(
        db: Database, checks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    with db.transaction() as tx:
        pid = tx.get_value("SELECT pg_backend_pid()")
    checks.clear()
    for _ in range(3):  # each reset was moments ago, and nothing arrived since
        with db.transaction() as tx:
            assert tx.get_value("SELECT pg_backend_pid()") == pid
    assert checks == []
    monkeypatch.setattr(pool_module, "ALIVE_WINDOW", 0.0)  # every reset is too old now
    with db.transaction() as tx:
        assert tx.get_value("SELECT pg_backend_pid()") == pid
    assert checks == [1]


def test_bulk_writes_change_no_session_setting(db: Database) -> None:
    with db.transaction() as tx:
        settings = "SELECT name, setting FROM pg_settings WHERE source = 'session' ORDER BY name"
        before = tx.select(dict, settings)
        with tx.dialect.bulk_writes(raw(tx)):
            assert tx.select(dict, settings) == before


NOTICES: list[str] = []


class RowCountingCursor(psycopg.ServerCursor[Any]):
    """A server cursor of a unit of work's own, which a later one must not get."""


def _driver_settings(tx: Tx) -> None:
    from psycopg.rows import dict_row

    raw(tx).row_factory = dict_row  # the next scanner would get dicts, not tuples
    raw(tx).server_cursor_factory = RowCountingCursor
    raw(tx).prepare_threshold = None
    raw(tx).add_notice_handler(lambda diag: NOTICES.append(str(diag.message_primary)))
    raw(tx).add_notify_handler(lambda note: NOTICES.append(note.payload))


def test_psycopg_settings_made_through_the_raw_connection_are_set_back(db: Database) -> None:
    NOTICES.clear()
    with db.transaction() as a:
        pid = a.get_value("SELECT pg_backend_pid()")
        _driver_settings(a)
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") == pid
        assert b.select(int, "SELECT id FROM notes ORDER BY id") == [1, 2]
        assert b.select(dict, "SELECT 7 AS a") == [{"a": 7}]
        assert raw(b).prepare_threshold == 5
        with raw(b).cursor(name="later") as named:
            assert type(named) is psycopg.ServerCursor
        b.exec("DO $$ BEGIN RAISE NOTICE 'tenant b secret'; END $$")
        b.exec("LISTEN monozu_test")
        b.exec("NOTIFY monozu_test, 'tenant b payload'")
    assert NOTICES == []  # a's handlers heard nothing of b


def test_a_connection_whose_adapters_changed_is_closed_not_reused(db: Database) -> None:
    from psycopg.types.string import StrDumper

    class Wrong(StrDumper):
        def dump(self, obj: str) -> bytes:
            return b"wrong"

    with db.transaction() as a:
        pid = a.get_value("SELECT pg_backend_pid()")
        raw(a).adapters.register_dumper(str, Wrong)
        assert a.get_value("SELECT :s::text", s="right") == "wrong"
    with db.transaction() as b:
        assert b.get_value("SELECT :s::text", s="right") == "right"
        assert b.get_value("SELECT pg_backend_pid()") != pid


def test_binding_values_keeps_the_connection(db: Database,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """psycopg registers the dumpers of some types by name ("uuid.UUID") and files them
    under the class on first use: that is not a change of adapters. It had closed the
    connection after every unit of work that sent a UUID or a date, and logged a
    warning each time."""
    import ipaddress
    from datetime import UTC, date, datetime, time, timedelta
    from decimal import Decimal

    caplog.set_level(logging.DEBUG, logger="psycopg")
    values = {"u": uuid.uuid4(), "d": date(2026, 1, 2), "t": time(3, 4),
              "at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "span": timedelta(days=2),
              "n": Decimal("1.5"), "ip": ipaddress.ip_address("10.0.0.1"),
              "net": ipaddress.ip_network("10.0.0.0/8")}
    sql = "SELECT " + ", ".join(f":{name} AS {name}" for name in values)
    with db.tenant(uuid.uuid4()) as a:
        pid = a.get_value("SELECT pg_backend_pid()")
        a.select(dict, sql, values)
        a.exec_many("SELECT :u, :d, :n", [{"u": uuid.uuid4(), "d": date.today(),
                                          "n": Decimal(2)}] * 2)
    for _ in range(2):  # the first reset learns the names' classes, the next compares
        with db.tenant(uuid.uuid4()) as b:
            assert b.get_value("SELECT pg_backend_pid()") == pid
            b.select(dict, sql, values)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_dumper_replaced_after_psycopg_filed_it_by_class_still_closes(
        db: Database) -> None:
    from psycopg.types.uuid import UUIDDumper

    class Wrong(UUIDDumper):
        def dump(self, obj: uuid.UUID) -> bytes:
            return b"00000000-0000-0000-0000-000000000000"

    with db.transaction() as a:
        pid = a.get_value("SELECT pg_backend_pid()")
        a.get_value("SELECT :u", u=uuid.uuid4())  # "uuid.UUID" is now filed by class
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") == pid
        raw(b).adapters.register_dumper("uuid.UUID", Wrong)  # by name, as psycopg does
    with db.transaction() as c:
        assert c.get_value("SELECT pg_backend_pid()") != pid
        mine = uuid.uuid4()
        assert c.get_value("SELECT :u", u=mine) == mine


def test_transaction_characteristics_set_on_the_raw_connection_are_set_back(
        db: Database) -> None:
    from psycopg import IsolationLevel

    with db.transaction() as a:  # nothing sent yet: psycopg lets them change
        pid = raw(a).info.backend_pid
        raw(a).read_only = True
        raw(a).isolation_level = IsolationLevel.SERIALIZABLE
        raw(a).deferrable = True
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") == pid
        assert b.get_value("SELECT current_setting('transaction_isolation')") == "read committed"
        assert b.get_value("SELECT current_setting('transaction_read_only')") == "off"
        assert b.exec("INSERT INTO notes VALUES (3)") == 1


def test_notifications_one_unit_of_work_received_are_not_read_by_the_next(
        db: Database) -> None:
    with db.tenant(uuid.uuid4()) as b:
        pid = b.get_value("SELECT pg_backend_pid()")
        b.exec("LISTEN b_events")
        b.exec("SELECT pg_notify('b_events', 'tenant b payload')")
    with db.tenant(uuid.uuid4()) as a:
        assert a.get_value("SELECT pg_backend_pid()") == pid
        heard = [n.payload for n in raw(a).notifies(timeout=0.2, stop_after=1)]
    assert heard == []


@pytest.mark.parametrize("setting", ["SET LOCAL DateStyle = 'SQL, DMY'",
                                     "SET LOCAL IntervalStyle = 'sql_standard'"])
def test_a_result_the_driver_cannot_read_is_a_mapping_error(db: Database,
                                                           setting: str) -> None:
    from monozu.db import MappingError

    with db.transaction() as tx:
        tx.exec(setting)
        with pytest.raises(MappingError, match=r"^column 'v', row 1: the value cannot be read"):
            tx.get_value("SELECT now() AS v" if "Date" in setting
                         else "SELECT interval '1 day' AS v")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("ending", ["commit", "exception"])
@pytest.mark.parametrize("direction", ["COPY notes FROM STDIN", "COPY notes TO STDOUT",
                                       "pipeline"])
def test_a_copy_left_open_on_the_raw_connection_ends_the_unit_of_work_without_a_hang(
        db: Database, ending: str, direction: str) -> None:
    """COMMIT or ROLLBACK sent in the middle of a COPY waited for ever: the connection is
    closed instead, which rolls back, and the next unit of work gets a fresh one."""
    from monozu.db import QueryError

    def leave_a_copy_open() -> int:
        with db.transaction() as a:
            a.exec("INSERT INTO notes VALUES (3)")
            pid: int = raw(a).info.backend_pid
            if direction == "pipeline":  # its results never checked
                opened: Any = raw(a).pipeline()
                opened.__enter__()
                raw(a).execute("INSERT INTO notes VALUES (4)")
            else:
                opened = raw(a).cursor().copy(direction)  # kept: freeing it ends the copy
                copy = opened.__enter__()  # never left
                if direction.endswith("STDIN"):
                    copy.write_row((4,))
            if ending == "exception":
                raise RuntimeError("the caller's own error")
        return pid

    expected = (RuntimeError if ending == "exception" else QueryError)
    with pytest.raises(expected, match="own error" if ending == "exception" else "never finished"):
        leave_a_copy_open()
    with db.transaction() as b:
        assert b.select(int, "SELECT id FROM notes ORDER BY id") == [1, 2]  # rolled back
        assert b.exec("INSERT INTO notes VALUES (5)") == 1


def test_a_notification_sent_while_the_reset_waits_does_not_reach_the_next_unit(
        db: Database, pg_url: str) -> None:
    import psycopg

    # The reset runs once the connection is back; a notification that reached the
    # socket before it, while the session still listened, is read by the reset's own
    # batch. Made to happen here: listen, be notified, let it arrive, then reset.
    with pooled(db) as conn, psycopg.connect(pg_url, autocommit=True) as other:
        conn.execute("LISTEN monozu_leak")
        conn.commit()
        other.execute("NOTIFY monozu_leak, 'tenant A only'")
        deadline = time.monotonic() + 5
        while pool_module._quiet(conn):
            assert time.monotonic() < deadline, "the notification never arrived"
            time.sleep(0.01)
        pool_module.POOLING.reset(conn)
        assert list(conn.notifies(timeout=0.2, stop_after=1)) == []


def test_every_setting_of_a_psycopg_connection_is_remembered(pg_url: str) -> None:
    """A new psycopg may add a setting to its connections: this fails until the
    reset sets it back too."""
    import dataclasses
    import inspect

    from monozu.db.dialects.postgresql.pool import DriverState

    settable = {n for n in dir(psycopg.Connection) if not n.startswith("_")
                and isinstance(p := inspect.getattr_static(psycopg.Connection, n), property)
                and p.fset is not None}
    with psycopg.connect(pg_url) as conn:
        attributes = {n for n in vars(conn) if not n.startswith("_")} - {"pgconn", "lock"}
    remembered = {f.name for f in dataclasses.fields(DriverState)}
    assert settable | attributes <= remembered, (settable | attributes) - remembered


LOST_MID_WRITE = """
import sys, time
import psycopg
from monozu.db import ConnectionFailed, Database

url, verb = sys.argv[1:]
admin = psycopg.connect(url, autocommit=True)
db = Database.open(url, pool_size=1)
db.exec("CREATE TABLE lost_" + verb + " (id int)")
try:
    with db.transaction() as tx:
        pid = tx.get_value("SELECT pg_backend_pid()")

        def rows():
            for n in range(100_000):
                if n == 5_000:  # the server process goes away mid-write
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                        (pid,)).fetchone():
                        time.sleep(0.01)
                yield {"n": n} if verb == "exec_many" else (n,)

        if verb == "exec_many":
            tx.exec_many("INSERT INTO lost_exec_many (id) VALUES (:n)", rows())
        else:
            tx.bulk_insert("lost_bulk", ["id"], rows())
except ConnectionFailed:
    print("ConnectionFailed")
"""


@pytest.mark.parametrize("verb", ["exec_many", "bulk"])
def test_a_connection_lost_mid_write_is_one_error_and_nothing_on_stderr(
        pg_url: str, verb: str) -> None:
    """A process that configures no logging (the CLI) had psycopg's warning about the
    pipeline or COPY it could not end printed on stderr, beside the layer's own error."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run([sys.executable, "-c", LOST_MID_WRITE, pg_url, verb], env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.stdout, done.stderr) == ("ConnectionFailed\n", "")


def test_strings_are_read_as_the_parameter_compiler_reads_them(pg_url: str) -> None:
    # A database whose default reads a backslash in '...' as an escape: the compiler
    # reads '\' as a whole string, so the server must too, in a new session and after
    # a unit of work turned it off and the pool's reset (RESET ALL) went back to the
    # database's default.
    with psycopg.connect(pg_url, autocommit=True) as admin:
        name = admin.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        admin.execute(f'ALTER DATABASE "{name}" SET standard_conforming_strings = off')
    database = Database.open(pg_url, pool_size=1)
    try:
        for _ in range(2):
            with database.transaction() as tx:
                assert tx.get_value("SELECT '\\' || :x || '\\'", x="a") == "\\a\\"
                tx.exec("SET standard_conforming_strings = off")
    finally:
        database.close()
