"""The layer for a role a hardened server restricts: its own settings, as an operator
sets them with ``ALTER ROLE ... SET``, take effect at each of its logins."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest

from monozu.cli import main
from monozu.db import ConfigError, ConnectionFailed, Database, Timeout
from monozu.db.migrate import Migrator
from tests.support.plans import pg_application_role, police


@pytest.fixture
def operator(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    yield database
    database.close()


def _role(url: str) -> str:
    return unquote(urlsplit(url).username or "")


def test_connections_the_server_ends_while_idle_are_replaced_within_the_wait(
        operator: Database, pg_url: str) -> None:
    """A session idle longer than ``idle_session_timeout`` is ended by the server. The
    dead connections are dropped and a new one handed out; the pool had waited 1, 2,
    4 s... between its checks, so a new connection too was ended while it waited, and
    every unit of work ran out of time."""
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET idle_session_timeout = '500ms'")
        db = Database.open(url, pool_size=2, pool_timeout=5)
        try:
            for _ in range(3):
                with db.transaction() as tx:
                    pid = tx.get_value("SELECT pg_backend_pid()")
                time.sleep(0.8)  # the server ends the idle session meanwhile
                with db.transaction() as tx:
                    assert tx.get_value("SELECT pg_backend_pid()") != pid
        finally:
            db.close()


@pytest.mark.parametrize("path", ["''", "'\"$user\"'", "nowhere"])
def test_a_search_path_naming_no_schema_is_refused_in_one_line(
        operator: Database, pg_url: str, path: str) -> None:
    """Everything is read for ``current_schema()``, NULL then: the schema's reader found
    no tables (an empty ERD, no tenant tables) and each statement an undefined table."""
    operator.exec("CREATE TABLE notes (id int PRIMARY KEY)")
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET search_path = {path}")
        db = Database.open(url, pool_size=1)
        try:
            refusal = r"search_path .* names no schema that exists.*search_path = public"
            with pytest.raises(ConfigError, match=refusal) as refused, \
                    db.transaction() as tx:
                tx.select(int, "SELECT id FROM notes")
            assert "\n" not in str(refused.value)
            assert urlsplit(url).password not in str(refused.value)
        finally:
            db.close()
        given = Database.open(url + "?options=-csearch_path%3Dpublic", pool_size=1)
        try:
            with given.transaction() as tx:
                assert tx.select(int, "SELECT id FROM notes") == []
        finally:
            given.close()


def test_rls_status_for_a_role_without_a_schema_says_so(
        operator: Database, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """It had listed no tenant tables at all, exit code 0."""
    Migrator.from_url(pg_url).migrate()
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET search_path = ''")
        with pytest.raises(SystemExit) as exited:
            main(["db", "rls", "status", "--url", url])
        _, err = capsys.readouterr()
    assert exited.value.code == 2
    assert err.startswith("Error: ") and err.count("\n") == 1 and "search_path" in err


def test_a_role_whose_row_security_is_off_is_filtered_to_its_tenant(
        operator: Database, pg_url: str) -> None:
    """With ``row_security = off`` (as pg_dump sets it) the server refuses every statement
    a policy would filter; each unit of work of such a role had failed on every tenant
    table. Sessions turn it on: the policies filter, and other tenants' rows stay hidden."""
    a, b = uuid.uuid4(), uuid.uuid4()
    operator.exec("CREATE TABLE notes (tenant_id uuid NOT NULL, body text NOT NULL)")
    operator.exec("INSERT INTO notes VALUES (:a, 'a'), (:b, 'b')", a=a, b=b)
    police(operator, "notes", "tenant_id = nullif(current_setting('app.tenant_id', true), "
                              "'')::uuid")
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET row_security = off")
        db = Database.open(url, pool_size=1)
        try:
            for tenant, body in ((a, "a"), (b, "b"), (a, "a")):  # a reused session too
                with db.tenant(tenant) as tx:
                    assert tx.select(str, "SELECT body FROM notes") == [body]
                    tx.exec("UPDATE notes SET body = body || '!'")
                    assert tx.select(str, "SELECT body FROM notes") == [body + "!"]
                    tx.exec("UPDATE notes SET body = :b", b=body)
            with db.transaction() as tx:  # no tenant bound: none of them
                assert tx.select(str, "SELECT body FROM notes") == []
        finally:
            db.close()


def test_a_unit_of_work_idle_past_the_roles_limit_is_a_timeout(
        operator: Database, pg_url: str) -> None:
    """``idle_in_transaction_session_timeout`` ends the session of a unit of work idle
    between statements: a Timeout, as a statement_timeout is, not a bare DatabaseError;
    the next unit of work gets a working connection."""
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET idle_in_transaction_session_timeout "
                      "= '300ms'")
        db = Database.open(url, pool_size=1)
        try:
            with pytest.raises(Timeout, match="idle-in-transaction timeout") as ended, \
                    db.transaction() as tx:
                tx.get_value("SELECT 1")
                time.sleep(0.8)  # the server ends the session meanwhile
                tx.get_value("SELECT 2")
            assert "\n" not in str(ended.value)
            with db.transaction() as tx:
                assert tx.get_value("SELECT 3") == 3
        finally:
            db.close()


def test_a_session_ended_while_idle_and_handed_out_unchecked_is_a_connection_failure(
        operator: Database, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lost within the window in which a pooled connection goes out unchecked, a session
    the server ended for ``idle_session_timeout`` fails the first statement as
    ConnectionFailed, as every other ended session does."""
    from psycopg_pool import ConnectionPool

    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET idle_session_timeout = '300ms'")
        db = Database.open(url, pool_size=1)
        try:
            with db.transaction() as tx:
                tx.get_value("SELECT 1")
            time.sleep(0.8)
            monkeypatch.setattr(ConnectionPool, "check_connection",
                                staticmethod(lambda conn: None))
            with pytest.raises(ConnectionFailed, match="idle-session timeout"), \
                    db.transaction() as tx:
                tx.get_value("SELECT 2")
        finally:
            db.close()


@pytest.mark.parametrize("restriction", ["", "ALTER ROLE {role} SET "
                                             "default_transaction_read_only = on"])
def test_drift_for_a_read_only_role_names_what_it_lacks(
        operator: Database, pg_url: str, capsys: pytest.CaptureFixture[str],
        restriction: str) -> None:
    """The expected schema is built in a scratch schema: a role that may not create one
    had been told only the server's words ("permission denied for database ...")."""
    Migrator.from_url(pg_url).migrate()
    with pg_application_role(operator, pg_url) as url:
        if restriction:
            database = urlsplit(pg_url).path.lstrip("/")
            operator.exec(f'GRANT CREATE ON DATABASE "{database}" TO {_role(url)}')
            operator.exec(restriction.format(role=_role(url)))
        with pytest.raises(SystemExit) as exited:
            main(["db", "drift", "--url", url])
        _, err = capsys.readouterr()
    assert exited.value.code == 1 and err.count("\n") == 1
    assert "scratch schema" in err and "needs CREATE on the database" in err


@pytest.mark.parametrize("argv", [["db", "erd"], ["db", "drift"]])
def test_a_statement_timeout_reading_the_schema_is_one_line_of_the_layers(
        operator: Database, pg_url: str, capsys: pytest.CaptureFixture[str],
        argv: list[str]) -> None:
    """The schema is read on the raw connection: the driver's QueryCanceled had come out
    as an error in monozu itself."""
    Migrator.from_url(pg_url).migrate()
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET statement_timeout = '1ms'")
        with pytest.raises(SystemExit) as exited:
            main([*argv, "--url", url])
        _, err = capsys.readouterr()
    assert exited.value.code == 1
    assert err == "Error: canceling statement due to statement timeout\n"


def test_a_timeout_reading_the_schema_is_the_layers_timeout(
        operator: Database, pg_url: str) -> None:
    from monozu.db.erd import read_schema

    operator.exec("CREATE TABLE notes (id int PRIMARY KEY)")
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET statement_timeout = '1ms'")
        db = Database.open(url, pool_size=1)
        try:
            with pytest.raises(Timeout) as ended:
                read_schema(db)
            assert ended.value.code == "57014"
        finally:
            db.close()
