"""A pooled PostgreSQL session, compared whole with a fresh one.

Each action changes the session inside a tenant's unit of work; the next unit of work,
on the same connection (a pool of one), must observe exactly what the first unit of
work of a fresh connection observed: every setting, the roles, prepared statements,
cursors, channels listened to, advisory locks, temporary objects, sequence state, the
``random()`` seed and the tenant binding.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from monozu.db import Database, Tx
from tests.support.rawconn import raw

# Custom settings the actions below set, read back by name: PostgreSQL lists no
# custom setting in pg_settings, so only a name asked for is seen. Once a session has
# defined one, it cannot forget the name (RESET ALL and DISCARD ALL leave it empty), so
# for these an undefined name and an empty value are the same: what must not carry
# over is a value. The tenant's is defined in every session (see SESSION_SQL).
PROBES = ("x.y", "monozu.secret")
UNDEFINED = "error 42704"
# Seeds the actions give setseed(): a session whose random() follows one is foretold.
SEEDS = (0.42, -0.5)


def _rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql).fetchall()]


def _value_or_error(conn: Any, sql: str) -> Any:
    try:
        with conn.transaction():  # a savepoint: the unit of work goes on after an error
            return conn.execute(sql).fetchone()[0]
    except psycopg.Error as exc:
        return f"error {exc.sqlstate}"


def snapshot(tx: Tx) -> dict[str, Any]:
    """Everything a unit of work can observe of its session (see the module's docstring)."""
    conn = raw(tx)
    drawn = conn.execute("SELECT random()").fetchone()[0]  # before any setseed below
    foretold = []
    for seed in SEEDS:
        conn.execute("SELECT setseed($1)", (seed,))
        foretold.append(drawn == conn.execute("SELECT random()").fetchone()[0])
    # How often psycopg saw each statement run, which decides when it prepares one.
    counts = sorted(conn._prepared._counts.items())
    return {
        "statement counts": counts,
        "settings": _rows(conn, "SELECT name, setting, source, reset_val FROM pg_settings "
                                "ORDER BY name"),
        "users": _rows(conn, "SELECT current_user, session_user"),
        "prepared": _rows(conn, "SELECT name, statement, from_sql FROM pg_prepared_statements "
                                "ORDER BY name"),
        "cursors": _rows(conn, "SELECT name, statement, is_holdable FROM pg_cursors "
                               "ORDER BY name"),
        "listening": _rows(conn, "SELECT pg_listening_channels() ORDER BY 1"),
        "locks": _rows(conn, "SELECT locktype, classid, objid, objsubid, mode, granted "
                             "FROM pg_locks WHERE pid = pg_backend_pid() "
                             "AND locktype NOT IN ('relation', 'virtualxid', 'transactionid') "
                             "ORDER BY 1, 2, 3, 4, 5"),
        # What the session's temporary schema holds (the schema itself stays assigned to
        # the backend once made, as every pg_temp_N is listed in pg_namespace to all).
        "temp relations": _rows(conn, "SELECT relname, relkind FROM pg_class "
                                      "WHERE relnamespace = pg_my_temp_schema() ORDER BY 1"),
        "temp functions": _rows(conn, "SELECT proname FROM pg_proc "
                                      "WHERE pronamespace = pg_my_temp_schema() ORDER BY 1"),
        "temp types": _rows(conn, "SELECT typname FROM pg_type "
                                  "WHERE typnamespace = pg_my_temp_schema() ORDER BY 1"),
        "random foretold": foretold,
        # Last: a failed statement's ROLLBACK TO SAVEPOINT makes psycopg deallocate the
        # statements it prepared and forget its counts, which would hide them above.
        "tenant": _value_or_error(conn, "SELECT current_setting('app.tenant_id')"),
        "custom settings": {name: _value_or_error(conn, f"SELECT current_setting('{name}')")
                            .replace(UNDEFINED, "") for name in PROBES},
        "lastval": _value_or_error(conn, "SELECT lastval()"),
        "currval": _value_or_error(conn, "SELECT currval('counter')"),
        "notifications queued": len(getattr(conn, "_notifies_backlog", None) or ()),
        "driver": (conn.row_factory, conn.cursor_factory, conn.server_cursor_factory,
                   conn.prepare_threshold, conn.prepared_max, conn.read_only,
                   conn.isolation_level, conn.deferrable, len(conn._notice_handlers),
                   len(conn._notify_handlers), conn.info.encoding),
    }


@pytest.fixture
def db(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    database.exec("CREATE TABLE notes (id int PRIMARY KEY)")
    database.exec("INSERT INTO notes VALUES (1), (2)")
    database.exec("CREATE SEQUENCE counter")
    yield database
    database.close()


@pytest.fixture
def other_role(pg_url: str) -> Iterator[str]:
    """A role of the cluster the session may switch to (the tests log in as superuser)."""
    name = f"monozu_other_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
        try:
            yield name
        finally:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")


def _sql(*statements: str) -> Callable[[Tx, str], None]:
    def act(tx: Tx, role: str) -> None:
        for statement in statements:
            tx.exec(statement.replace("{role}", role))
    return act


def _run(times: int) -> Callable[[Tx, str], None]:
    def act(tx: Tx, role: str) -> None:
        for _ in range(times):  # psycopg prepares a statement on its fifth run
            tx.select(int, "SELECT id FROM notes WHERE id >= :n", n=1)
    return act


def _verbs(tx: Tx, role: str) -> None:
    with tx.bulk_writes():
        tx.exec_many("INSERT INTO notes VALUES (:id)", [{"id": n} for n in range(3, 9)])
        tx.bulk_insert("notes", ["id"], [(n,) for n in range(9, 20)])
    with pytest.raises(RuntimeError), tx.transaction():
        tx.exec("SET LOCAL work_mem = '1MB'")
        raise RuntimeError("the savepoint is rolled back")


def _notified(tx: Tx, role: str) -> None:
    tx.exec("LISTEN tenant_a_events")
    tx.exec("NOTIFY tenant_a_events, 'tenant a payload'")


ACTIONS: dict[str, Callable[[Tx, str], None]] = {
    "nothing but the tenant's binding": lambda tx, role: None,
    "the verbs": _verbs,
    "set_config of the tenant, session-wide": _sql(
        "SELECT set_config('app.tenant_id', '6d0d6a3e-0000-4000-8000-000000000001', false)"),
    "SET of the tenant": _sql("SET app.tenant_id = '6d0d6a3e-0000-4000-8000-000000000001'"),
    "SET of a custom setting": _sql("SET x.y = 1", "SET monozu.secret = 'tenant a'"),
    "SET of built-in settings": _sql(
        "SET TIME ZONE 'Europe/Berlin'", "SET application_name = 'tenant-a'",
        "SET search_path = pg_temp, public", "SET work_mem = '1MB'",
        "SET statement_timeout = '1s'", "SET lock_timeout = '1s'",
        "SET standard_conforming_strings = off", "SET row_security = off",
        "SET session_replication_role = replica", "SET client_min_messages = debug1",
        "SET client_encoding = 'LATIN1'", "SET DateStyle = 'SQL, DMY'",
        "SET IntervalStyle = 'sql_standard'", "SET extra_float_digits = 0",
        "SET bytea_output = 'escape'", "SET plan_cache_mode = force_generic_plan"),
    "set_config of built-in settings": _sql(
        "SELECT set_config('search_path', 'pg_temp, public', false)",
        "SELECT set_config('default_transaction_read_only', 'on', false)"),
    "default transaction characteristics": _sql(
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, "
        "READ ONLY, DEFERRABLE"),
    "SET ROLE": _sql("SET ROLE {role}"),
    "SET SESSION AUTHORIZATION": _sql("SET SESSION AUTHORIZATION {role}"),
    "temporary objects": _sql(
        "CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v",
        "CREATE INDEX ON secrets (v)",
        "CREATE TEMP TABLE emptied (v text) ON COMMIT DELETE ROWS",
        "CREATE TEMP VIEW seen AS SELECT id FROM notes",
        "CREATE TEMP SEQUENCE ticks",
        "CREATE FUNCTION pg_temp.spy() RETURNS text LANGUAGE sql AS 'SELECT ''tenant a'''"),
    "with hold cursor": _sql("DECLARE held CURSOR WITH HOLD FOR SELECT id FROM notes"),
    "prepared statement": _sql("PREPARE leaked AS SELECT id FROM notes"),
    "statement the driver prepared": _run(8),
    "statement run less often than the driver prepares": _run(3),
    "advisory locks": _sql("SELECT pg_advisory_lock(4242)::text",
                           "SELECT pg_advisory_lock_shared(1, 2)::text",
                           "SELECT pg_try_advisory_lock(7)::text",
                           "SELECT pg_advisory_xact_lock(8)::text"),
    "LISTEN": _sql("LISTEN tenant_a_events"),
    "a notification received": _notified,
    "setseed": _sql("SELECT setseed(0.42)::text"),
    "another setseed": _sql("SELECT setseed(-0.5)::text"),
    "sequence values": _sql("SELECT nextval('counter')::text"),
}


@pytest.mark.parametrize("ending", ["commit", "rollback"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_next_unit_of_work_sees_the_session_a_fresh_one_has(
        db: Database, other_role: str, action: str, ending: str) -> None:
    with db.transaction() as fresh:
        pid = fresh.get_value("SELECT pg_backend_pid()")
        expected = snapshot(fresh)
    with pytest.raises(RuntimeError) if ending == "rollback" else contextlib.nullcontext(), \
            db.tenant(uuid.uuid4()) as a:
        assert a.get_value("SELECT pg_backend_pid()") == pid
        ACTIONS[action](a, other_role)
        if ending == "rollback":
            raise RuntimeError("the unit of work fails")
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") == pid, "the pool of one was not reused"
        got = snapshot(b)
    assert {k: v for k, v in got.items() if v != expected[k]} == {
        k: v for k, v in expected.items() if v != got[k]}


def _driver_settings(conn: Any) -> None:
    from psycopg.rows import dict_row

    conn.row_factory = dict_row
    conn.prepare_threshold = 0
    conn.add_notice_handler(lambda diag: None)
    conn.execute("SET x.y = 1")
    conn.execute("SELECT set_config('app.tenant_id', '6d0d6a3e-0000-4000-8000-000000000001', "
                 "false)")
    conn.execute("CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v")
    conn.execute("SELECT pg_advisory_lock(4242)")


@pytest.mark.parametrize("reached", ["tx.conn", "db.connection()"])
def test_what_code_on_the_drivers_connection_did_does_not_reach_the_next_unit_of_work(
        db: Database, reached: str) -> None:
    """The connection given out is closed, not pooled again: the next unit of work has
    a fresh one's session, on another backend."""
    with db.transaction() as fresh:
        pid = fresh.get_value("SELECT pg_backend_pid()")
        expected = snapshot(fresh)
    if reached == "tx.conn":
        with db.tenant(uuid.uuid4()) as a:
            _driver_settings(a.conn)
    else:
        with db.connection() as conn:
            _driver_settings(conn)
            conn.commit()
    with db.transaction() as b:
        assert b.get_value("SELECT pg_backend_pid()") != pid
        got = snapshot(b)
    assert {k: v for k, v in got.items() if v != expected[k]} == {
        k: v for k, v in expected.items() if v != got[k]}


TENANT_X = uuid.UUID("6d0d6a3e-0000-4000-8000-00000000000a")
TENANT_Y = uuid.UUID("6d0d6a3e-0000-4000-8000-00000000000b")


@pytest.mark.parametrize("default", ["role", "database", "URL options"])
def test_an_unbound_unit_of_work_inherits_no_tenant_from_a_default(
        pg_url: str, default: str) -> None:
    """A default of app.tenant_id (ALTER ROLE or ALTER DATABASE ... SET, or -c in the
    URL's options) had bound every unit of work that bound no tenant itself, on a new
    session and on every reused one (RESET ALL goes back to the default): a platform
    or unbound unit of work saw that tenant's rows under the policies."""
    from urllib.parse import quote

    from tests.support.plans import pg_application_role

    operator = Database.open(pg_url, pool_size=1)
    operator.exec("CREATE TABLE notes (tenant_id uuid NOT NULL, body text NOT NULL)")
    operator.exec("INSERT INTO notes VALUES (:x, 'x secret'), (:y, 'y own')",
                  x=TENANT_X, y=TENANT_Y)
    check = "tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid)"
    operator.exec(f"CREATE POLICY rls_notes ON notes USING ({check}) WITH CHECK ({check})")
    operator.exec("ALTER TABLE notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
    try:
        with pg_application_role(operator, pg_url) as role_url:
            role = role_url.split("//", 1)[1].split(":", 1)[0]
            app_url = role_url
            if default == "role":
                operator.exec(f"ALTER ROLE {role} SET app.tenant_id = '{TENANT_X}'")
            elif default == "database":
                name = operator.get_value("SELECT current_database()")
                operator.exec(f'ALTER DATABASE "{name}" SET app.tenant_id = \'{TENANT_X}\'')
            else:
                app_url += "?options=" + quote(f"-c app.tenant_id={TENANT_X}")
            app = Database.open(app_url, pool_size=1)
            try:
                for _ in range(2):  # a new session, then the same one after a reset
                    with app.transaction() as unbound:
                        assert unbound.get_value("SELECT current_setting('app.tenant_id')") == ""
                        assert unbound.select(str, "SELECT body FROM notes") == []
                    with app.tenant(TENANT_Y) as y:
                        assert y.select(str, "SELECT body FROM notes") == ["y own"]
                assert app.pool.stats()["opened"] == 1
            finally:
                app.close()
    finally:
        operator.close()
