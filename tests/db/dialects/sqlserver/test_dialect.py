"""The SQL Server dialect, exercised without a SQL Server.

What runs for real here: mssql-python's own connection-string parser on every
string we build, the driver's login against a closed loopback port (so the
login timeout and the error path are the driver's), the driver's Managed
Identity token flow against a fake App Service identity endpoint on 127.0.0.1,
and sqlfluff's T-SQL grammar on every statement the dialect sends. Error
classification runs on exceptions built by the driver's own SQLSTATE factory
from the message texts SQL Server produces. Nothing here reaches a database.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest

from monozu.db import errors
from monozu.db.config import DatabaseConfig, DatabaseURL, load_config
from monozu.db.dialects import dialect_for
from monozu.db.dialects import sqlserver as ss
from monozu.db.dialects.base import Dialect
from monozu.db.dialects.postgresql.statements import LEXICON as PG_LEXICON
from monozu.db.sqlparams import bind, compile_sql
from tests.support.fake_identity import FakeIdentityEndpoint
from tests.support.tsql import assert_parses, parse_errors, server_form, split_go

DIALECT = ss.DIALECT
SECRET = "S3cr;et}=pw{x"  # every ODBC metacharacter, so escaping and masking are tested
SQL_RESOURCE = "https://database.windows.net"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


# -- helpers -----------------------------------------------------------------------


def driver() -> ModuleType:
    """mssql_python, or a failed test saying how to get it."""
    try:
        import mssql_python
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        pytest.fail(f"mssql-python is not importable ({exc}); run `uv sync`", pytrace=False)
    return mssql_python


def driver_parse(conn_str: str) -> dict[str, str]:
    """The connection string as mssql-python's validating parser reads it."""
    driver()
    from mssql_python.connection_string_parser import _ConnectionStringParser

    return _ConnectionStringParser(validate_keywords=True)._parse(conn_str)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound (so nobody else takes it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def sql_config(url_text: str) -> DatabaseConfig:
    return load_config({"DATABASE_URL": url_text}, dotenv=None)


def with_params(config: DatabaseConfig, **params: str) -> tuple[DatabaseURL, DatabaseConfig]:
    merged = {**config.url.params, **{k.replace("_", " "): v for k, v in params.items()}}
    url = dataclasses.replace(config.url, params=merged)
    return url, dataclasses.replace(config, url=url)


def connect_failure(url: DatabaseURL, config: DatabaseConfig) -> tuple[errors.DatabaseError,
                                                                        float]:
    """Run the real ``connect`` expecting it to fail; (error, seconds taken)."""
    started = time.monotonic()
    with pytest.raises(errors.DatabaseError) as info:
        DIALECT.connect(url, config)
    elapsed = time.monotonic() - started
    message = str(info.value)
    if ss.LIBLTDL_HINT in message or "Failed to load the driver" in message:
        pytest.fail("the ODBC driver inside mssql-python could not load: install libltdl7 "
                    f"(apt-get install -y libltdl7). Driver said: {message}", pytrace=False)
    return info.value, elapsed


def canned(sqlstate: str, odbc_message: str) -> BaseException:
    """The exception mssql-python raises for this SQLSTATE and diagnostic text."""
    driver()
    from mssql_python.exceptions import DatabaseError as DriverDatabaseError
    from mssql_python.exceptions import sqlstate_to_exception

    exc = sqlstate_to_exception(sqlstate, odbc_message)
    if exc is None:  # the driver's fallback for states it does not map
        exc = DriverDatabaseError(
            driver_error=f"An error occurred with SQLSTATE code: {sqlstate}",
            ddbc_error=odbc_message,
        )
    return exc


ODBC = "[Microsoft][ODBC Driver 18 for SQL Server]"
SERVER = ODBC + "[SQL Server]"


# -- the dialect object ----------------------------------------------------------


def test_dialect_is_registered_and_declares_tsql_traits() -> None:
    d = dialect_for("sqlserver")
    assert d is DIALECT
    assert isinstance(d, Dialect)
    assert (d.kind, d.style, d.lexicon.label) == ("sqlserver", "qmark", "sqlserver")
    assert d.max_params is not None and d.max_params <= 2100
    assert d.placeholder(3) == "?"
    assert d.quote("we]ird") == "[we]]ird]"
    assert d.quote_table("dbo.assets") == "[dbo].[assets]"


def test_importing_the_dialect_does_not_import_the_driver() -> None:
    code = ("import sys, monozu.db.dialects.sqlserver as m; "
            "print('mssql_python' in sys.modules, m.DIALECT.kind)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "sqlserver"]


# -- connection strings ----------------------------------------------------------


def test_local_development_url_from_the_seed() -> None:
    config = sql_config("sqlserver://sa:Passw0rd@localhost:1433?database=monozu&encrypt=disable")
    conn_str = ss.connection_string(config.url, config)
    assert driver_parse(conn_str) == {
        "server": "localhost,1433", "database": "monozu", "encrypt": "no",
        "uid": "sa", "pwd": "Passw0rd",
    }
    assert ss.login_timeout(config.url) == ss.DEFAULT_LOGIN_TIMEOUT


@pytest.mark.parametrize(("encrypt", "expected"), [
    (None, "yes"), ("true", "yes"), ("TRUE", "yes"), ("mandatory", "yes"),
    ("false", "no"), ("disable", "no"), ("optional", "no"), ("strict", "strict"),
])
def test_encrypt_mapping(encrypt: str | None, expected: str) -> None:
    query = "database=d" + (f"&encrypt={encrypt}" if encrypt else "")
    config = sql_config(f"sqlserver://u:p@db.example.com:14330?{query}")
    parsed = driver_parse(ss.connection_string(config.url, config))
    assert parsed["encrypt"] == expected
    assert parsed["server"] == "db.example.com,14330"
    assert "trustservercertificate" not in parsed


@pytest.mark.parametrize(("value", "expected"), [("true", "yes"), ("false", "no")])
def test_trust_server_certificate_and_other_tls_keys(value: str, expected: str) -> None:
    config = sql_config("sqlserver://u:p@h?database=d&encrypt=true"
                        f"&trustservercertificate={value}"
                        "&hostnameincertificate=*.database.windows.net"
                        "&applicationintent=readonly")
    parsed = driver_parse(ss.connection_string(config.url, config))
    assert parsed["trustservercertificate"] == expected
    assert parsed["hostnameincertificate"] == "*.database.windows.net"
    assert parsed["applicationintent"] == "ReadOnly"


def test_values_with_odbc_metacharacters_survive_the_drivers_parser() -> None:
    url = DatabaseURL(kind="sqlserver", host="db.local", port=1433, database="mo;no}zu",
                      user="app=user; x", password=SECRET, params={"encrypt": "true"})
    config = DatabaseConfig(url=url, source="test", auth="sql")
    conn_str = ss.connection_string(url, config)
    parsed = driver_parse(conn_str)
    assert parsed["database"] == "mo;no}zu"
    assert parsed["uid"] == "app=user; x"
    assert parsed["pwd"] == SECRET
    # and through a real URL, percent-encoded as go-mssqldb users write it
    config = sql_config(f"sqlserver://app:{quote(SECRET, safe='')}@db.local:1433?database=monozu")
    assert driver_parse(ss.connection_string(config.url, config))["pwd"] == SECRET


@pytest.mark.parametrize("value", ["plain", "a;b", "a}b", "}}", "{x}", "a=b", " lead", "tail ",
                                   "tab\there", "ünï©ødé"])
def test_odbc_value_round_trips(value: str) -> None:
    assert driver_parse(f"PWD={ss.odbc_value(value)}")["pwd"] == value


def test_keywords_the_driver_refuses_are_never_emitted() -> None:
    """go-mssqldb's ``app name`` and ``connection timeout`` have no keyword here."""
    driver()
    from mssql_python.exceptions import ConnectionStringParseError

    for refused in ("APP=monozu", "Connection Timeout=3"):
        with pytest.raises(ConnectionStringParseError):
            driver_parse(f"Server=h,1433;{refused}")
    config = sql_config("sqlserver://u:p@h?database=d&app+name=monozu&connection+timeout=7"
                        "&query+timeout=30")
    conn_str = ss.connection_string(config.url, config).lower()
    assert "app=" not in conn_str and "timeout" not in conn_str
    assert ss.login_timeout(config.url) == 7
    assert ss.query_timeout(config.url) == 30


@pytest.mark.parametrize(("query", "expected"), [
    ("", 15), ("&connection+timeout=3", 3), ("&connect+timeout=2.5", 3),
    ("&dial+timeout=4", 4), ("&connection+timeout=0", 0),
    ("&connection+timeout=5&dial+timeout=9", 5),
])
def test_login_timeout_from_url(query: str, expected: int) -> None:
    config = sql_config(f"sqlserver://u:p@h?database=d{query}")
    assert ss.login_timeout(config.url) == expected


def test_managed_identity_system_assigned_from_sql_server() -> None:
    config = load_config({"SQL_SERVER": "tcp:monozu.database.windows.net,1433",
                          "SQL_DATABASE": "db-monozu-cloud-prod"}, dotenv=None)
    assert config.auth == "managed_identity"
    assert config.managed_identity_client_id is None
    assert driver_parse(ss.connection_string(config.url, config)) == {
        "server": "monozu.database.windows.net,1433", "database": "db-monozu-cloud-prod",
        "encrypt": "yes", "authentication": "ActiveDirectoryMsi",
    }


def test_managed_identity_user_assigned_from_azure_client_id() -> None:
    config = load_config({"SQL_SERVER": "monozu.database.windows.net",
                          "SQL_DATABASE": "db", "AZURE_CLIENT_ID": CLIENT_ID}, dotenv=None)
    parsed = driver_parse(ss.connection_string(config.url, config))
    assert parsed["authentication"] == "ActiveDirectoryMsi"
    assert parsed["uid"] == CLIENT_ID
    assert "pwd" not in parsed


def test_is_dev_forces_sql_authentication_over_sql_server() -> None:
    config = load_config({"SQL_SERVER": "prod.database.windows.net", "SQL_DATABASE": "db",
                          "IS_DEV": "true",
                          "DATABASE_URL": "sqlserver://sa:pw@localhost:1433?database=monozu"},
                         dotenv=None)
    parsed = driver_parse(ss.connection_string(config.url, config))
    assert parsed["server"] == "localhost,1433"
    assert (parsed["uid"], parsed["pwd"]) == ("sa", "pw")
    assert "authentication" not in parsed


def test_a_url_with_a_user_uses_sql_auth_even_under_managed_identity() -> None:
    """The platform DSN next to a Managed Identity configuration keeps its own login."""
    config = load_config({"SQL_SERVER": "prod.database.windows.net", "SQL_DATABASE": "db",
                          "DATABASE_URL_PLATFORM_ADMIN":
                              "sqlserver://platform:pw@prod.database.windows.net?database=db"},
                         dotenv=None)
    assert config.platform_url is not None
    parsed = driver_parse(ss.connection_string(config.platform_url, config))
    assert (parsed["uid"], parsed["pwd"]) == ("platform", "pw")
    assert "authentication" not in parsed


def test_sql_authentication_without_a_user_is_a_config_error() -> None:
    config = sql_config("sqlserver://localhost:1433?database=monozu")
    with pytest.raises(errors.ConfigError, match="needs a user"):
        ss.connection_string(config.url, config)


def test_password_never_in_repr_or_description() -> None:
    config = sql_config(f"sqlserver://sa:{quote(SECRET, safe='')}@localhost:1433?database=monozu")
    assert config.url.password == SECRET
    for text in (repr(config.url), str(config.url), repr(config), str(config.describe()),
                 ss.describe_login(config.url, config)):
        assert SECRET not in text


# -- connecting: the real driver against a closed port ------------------------------


def test_closed_port_fails_within_the_login_timeout(closed_port: int,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = DatabaseURL(kind="sqlserver", host="127.0.0.1", port=closed_port, database="monozu",
                      user="sa", password=SECRET,
                      params={"encrypt": "disable", "connection timeout": "3"})
    config = DatabaseConfig(url=url, source="test", auth="sql")
    error, elapsed = connect_failure(url, config)
    assert isinstance(error, errors.ConnectionFailed | errors.Timeout), repr(error)
    assert elapsed <= 3 + 2.0, f"took {elapsed:.2f} s with connection timeout=3"
    message = str(error)
    assert f"127.0.0.1,{closed_port}" in message and "SQL login 'sa'" in message
    assert SECRET not in message and SECRET not in repr(error)
    assert error.code == "08001", error.code  # "Client unable to establish connection"
    # the attempt was logged (so the next check is not vacuous) without the secret
    assert "connecting to SQL Server at 127.0.0.1" in caplog.text
    assert SECRET not in caplog.text


def test_a_password_echoed_by_the_driver_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    mssql_python = driver()
    leaked = canned("28000", f"{SERVER}Login failed for user 'sa' with password '{SECRET}'.")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise leaked

    monkeypatch.setattr(mssql_python, "connect", refuse)
    config = sql_config("sqlserver://sa:pw@localhost:1433?database=monozu")
    url = dataclasses.replace(config.url, password=SECRET)
    with pytest.raises(errors.ConnectionFailed) as info:
        DIALECT.connect(url, dataclasses.replace(config, url=url))
    assert SECRET not in str(info.value)
    assert "***" in str(info.value)
    assert info.value.code == "18456"
    # Neither cause nor context: the driver's error (which echoed the secret) is gone.
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_login_timeout_from_the_driver_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    mssql_python = driver()
    seen: dict[str, Any] = {}

    def slow(conn_str: str, **kwargs: Any) -> Any:
        seen.update(kwargs, conn_str=conn_str)
        raise canned("HYT00", f"{ODBC}Login timeout expired")

    monkeypatch.setattr(mssql_python, "connect", slow)
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu&connection+timeout=4")
    with pytest.raises(errors.Timeout) as info:
        DIALECT.connect(config.url, config)
    assert info.value.code == "HYT00"
    assert seen["timeout"] == 4 and seen["autocommit"] is False and seen["native_uuid"] is True


def test_session_is_configured_after_login(monkeypatch: pytest.MonkeyPatch) -> None:
    mssql_python = driver()
    conn = FakeConnection()
    monkeypatch.setattr(mssql_python, "connect", lambda *a, **k: conn)
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu&query+timeout=12")
    assert DIALECT.connect(config.url, config) is conn
    assert conn.executed == [(ss.SESSION_SQL, None)]
    assert conn.timeout == 12


def test_a_failing_session_setup_closes_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    mssql_python = driver()
    conn = FakeConnection(fail_with=canned("08S01", f"{ODBC}TCP Provider: Error code 0x68"))
    monkeypatch.setattr(mssql_python, "connect", lambda *a, **k: conn)
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu")
    with pytest.raises(errors.ConnectionFailed):
        DIALECT.connect(config.url, config)
    assert conn.closed


def test_missing_driver_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mssql_python", None)
    monkeypatch.setitem(sys.modules, "mssql_python.exceptions", None)
    assert DIALECT.driver_errors() == ()
    assert DIALECT.translate_error(RuntimeError("x")) is None
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu")
    with pytest.raises(errors.ConnectionFailed, match="mssql-python"):
        DIALECT.connect(config.url, config)


def test_driver_that_cannot_load_points_at_libltdl(monkeypatch: pytest.MonkeyPatch) -> None:
    mssql_python = driver()
    from mssql_python.exceptions import OperationalError

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError(driver_error="Connection operation failed",
                               ddbc_error="DDBC Error: Failed to load the driver")

    monkeypatch.setattr(mssql_python, "connect", broken)
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu")
    with pytest.raises(errors.ConnectionFailed, match="apt-get install -y libltdl7"):
        DIALECT.connect(config.url, config)


# -- Managed Identity, offline -------------------------------------------------------

_IDENTITY_VARS = (
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT",
    "MSI_ENDPOINT", "MSI_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS",
)


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdentityEndpoint]:
    """A fake App Service identity endpoint the driver's credential will use.

    mssql-python keeps one credential per (auth type, client id) for the process;
    each test gets an empty cache so it sees its own endpoint and counts its own
    token requests.
    """
    driver()
    import mssql_python.auth

    for name in _IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(mssql_python.auth, "_credential_cache", {})
    with FakeIdentityEndpoint(ttl=86400) as fake:
        monkeypatch.setenv("IDENTITY_ENDPOINT", fake.endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", fake.secret)
        yield fake


def msi_config(port: int, client_id: str | None) -> tuple[DatabaseURL, DatabaseConfig]:
    env = {"SQL_SERVER": f"127.0.0.1,{port}", "SQL_DATABASE": "monozu"}
    if client_id:
        env["AZURE_CLIENT_ID"] = client_id
    return with_params(load_config(env, dotenv=None), connection_timeout="1")


def test_system_assigned_identity_fetches_one_token_then_hits_the_closed_port(
        identity: FakeIdentityEndpoint, closed_port: int) -> None:
    url, config = msi_config(closed_port, None)
    error, elapsed = connect_failure(url, config)
    assert isinstance(error, errors.ConnectionFailed), repr(error)
    assert "system-assigned managed identity" in str(error)
    [request] = identity.token_requests
    assert request.query["resource"] == SQL_RESOURCE
    assert "client_id" not in request.query
    assert request.header("X-IDENTITY-HEADER") == identity.secret
    assert elapsed < 1 + 5.0


def test_user_assigned_identity_sends_its_client_id(identity: FakeIdentityEndpoint,
                                                    closed_port: int) -> None:
    url, config = msi_config(closed_port, CLIENT_ID)
    error, _ = connect_failure(url, config)
    assert isinstance(error, errors.ConnectionFailed), repr(error)
    assert CLIENT_ID in str(error)
    [request] = identity.token_requests
    assert request.query["resource"] == SQL_RESOURCE
    assert request.query["client_id"] == CLIENT_ID
    assert request.header("X-IDENTITY-HEADER") == identity.secret


@pytest.mark.parametrize(("ttl", "token_requests"), [
    (120, 2),    # under azure-identity's 5-minute refresh margin: fetched again
    (3600, 1),   # comfortably valid: the credential's cached token is reused
])
def test_token_renewal_across_two_connects(identity: FakeIdentityEndpoint, closed_port: int,
                                           ttl: int, token_requests: int) -> None:
    identity.ttl = ttl
    url, config = msi_config(closed_port, CLIENT_ID)
    for _ in range(2):
        error, _ = connect_failure(url, config)
        assert isinstance(error, errors.ConnectionFailed), repr(error)
    assert len(identity.token_requests) == token_requests
    assert {r.query["client_id"] for r in identity.token_requests} == {CLIENT_ID}


def test_identity_endpoint_refusing_is_a_connection_failure(
        identity: FakeIdentityEndpoint, closed_port: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-secret")
    url, config = msi_config(closed_port, None)
    error, _ = connect_failure(url, config)
    assert isinstance(error, errors.ConnectionFailed)
    assert "Managed Identity token" in str(error)
    assert len(identity.token_requests) >= 1
    assert all(r.header("X-IDENTITY-HEADER") == "not-the-secret" for r in identity.requests)


HEADER_SECRET = "Hd7Ident-Zq8Header-Kp3Secret"


def identity_leaks(texts: list[str], identity: FakeIdentityEndpoint) -> list[str]:
    """Pieces of the identity header's value or of a token the endpoint sent, in ``texts``."""
    pieces = {HEADER_SECRET, *HEADER_SECRET.split("-"),
              *(part for token in identity.issued for part in token.split(".")[:2])}
    return sorted(p for p in pieces for t in texts if p in t)


@pytest.mark.parametrize("echo", ["json", "text"])
def test_an_identity_endpoint_quoting_the_request_is_not_quoted_back(
        identity: FakeIdentityEndpoint, closed_port: int, echo: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """The identity service's answer may quote the request's secret header and a
    token: the error says which credential failed, never what the service said, and
    neither do the identity libraries' log records, down to DEBUG."""
    import warnings

    from monozu.cli import main

    caplog.set_level(logging.DEBUG)
    # The driver's own logger, which an application turns on to trace the driver, keeps
    # its records to itself: passed up here, down to DEBUG, as the libraries' are.
    caplog.set_level(logging.DEBUG, logger="mssql_python")
    monkeypatch.setattr(logging.getLogger("mssql_python"), "propagate", True)
    warnings.simplefilter("always")
    identity.echo, identity.secret = echo, HEADER_SECRET
    monkeypatch.setenv("IDENTITY_HEADER", HEADER_SECRET)
    url, config = msi_config(closed_port, None)
    error, _ = connect_failure(url, config)
    assert isinstance(error, errors.ConnectionFailed), repr(error)
    assert "no Managed Identity token" in str(error) and identity.issued
    texts = [str(error), repr(error)]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    for name in ("DATABASE_URL", "IS_DEV", "FLYWAY_URL", "DATABASE_URL_PLATFORM_ADMIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SQL_SERVER", f"127.0.0.1,{closed_port}")
    monkeypatch.setenv("SQL_DATABASE", "monozu")
    for argv in (["db", "check"], ["db", "info", "--json"]):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        assert code == 1, captured
        assert "no Managed Identity token" in captured.err
        texts += [captured.out, captured.err]
    texts += [caplog.text, *(r.getMessage() for r in caplog.records)]
    assert any(r.name.startswith(("azure.identity", "msal")) for r in caplog.records)
    assert any(r.name == "mssql_python" and "get_token" in r.getMessage()
               for r in caplog.records)
    assert identity_leaks(texts, identity) == [], [t for t in texts
                                                    if identity_leaks([t], identity)]


# -- error classification on the driver's own exception objects ----------------------

ERROR_CASES = [
    ("23000", f"{SERVER}Violation of PRIMARY KEY constraint 'PK_tenants'. Cannot insert "
              "duplicate key in object 'dbo.tenants'. The duplicate key value is "
              "(5f0c9d4e-8d27-4f59-9a8e-2f1f0f6f0a11).",
     errors.UniqueViolation, "2627", "PK_tenants"),
    ("23000", f"{SERVER}Violation of UNIQUE KEY constraint 'UQ_users_email'. Cannot insert "
              "duplicate key in object 'dbo.users'. The duplicate key value is (a@b.example).",
     errors.UniqueViolation, "2627", "UQ_users_email"),
    ("23000", f"{SERVER}Cannot insert duplicate key row in object 'dbo.users' with unique "
              "index 'ux_users_tenant_email'. The duplicate key value is (t1, a@b.example).",
     errors.UniqueViolation, "2601", "ux_users_tenant_email"),
    ("23000", f"{SERVER}The INSERT statement conflicted with the FOREIGN KEY constraint "
              "\"FK_users_tenants\". The conflict occurred in database \"monozu\", table "
              "\"dbo.tenants\", column 'id'.",
     errors.ForeignKeyViolation, "547", "FK_users_tenants"),
    ("23000", f"{SERVER}The DELETE statement conflicted with the REFERENCE constraint "
              "\"FK_users_tenants\". The conflict occurred in database \"monozu\", table "
              "\"dbo.users\", column 'tenant_id'.",
     errors.ForeignKeyViolation, "547", "FK_users_tenants"),
    ("23000", f"{SERVER}The UPDATE statement conflicted with the FOREIGN KEY SAME TABLE "
              "constraint \"FK_sites_parent\". The conflict occurred in database \"monozu\", "
              "table \"dbo.sites\", column 'id'.",
     errors.ForeignKeyViolation, "547", "FK_sites_parent"),
    ("23000", f"{SERVER}The INSERT statement conflicted with the CHECK constraint "
              "\"CK_incidents_status\". The conflict occurred in database \"monozu\", table "
              "\"dbo.incidents\", column 'status'.",
     errors.CheckViolation, "547", "CK_incidents_status"),
    ("23000", f"{SERVER}Cannot insert the value NULL into column 'name', table "
              "'monozu.dbo.tenants'; column does not allow nulls. INSERT fails.",
     errors.NotNullViolation, "515", None),
    ("40001", f"{SERVER}Transaction (Process ID 57) was deadlocked on lock resources with "
              "another process and has been chosen as the deadlock victim. Rerun the "
              "transaction.",
     errors.Deadlock, "1205", None),
    ("40001", f"{SERVER}Transaction (Process ID 61) was deadlocked on lock | communication "
              "buffer resources with another process and has been chosen as the deadlock "
              "victim. Rerun the transaction.",
     errors.Deadlock, "1205", None),
    ("42000", f"{SERVER}Snapshot isolation transaction aborted due to update conflict. You "
              "cannot use snapshot isolation to access table 'dbo.incidents' directly or "
              "indirectly in database 'monozu' to update, delete, or insert the row that has "
              "been modified or deleted by another transaction. Retry the transaction or "
              "change the isolation level for the update/delete statement.",
     errors.SerializationFailure, "3960", None),
    ("22001", f"{SERVER}String or binary data would be truncated in table "
              "'monozu.dbo.tenants', column 'name'. Truncated value: 'aaaaaaaa'.",
     errors.DataError, "2628", None),
    ("22001", f"{SERVER}String or binary data would be truncated.",
     errors.DataError, "8152", None),
    ("HYT00", f"{ODBC}Query timeout expired", errors.Timeout, "HYT00", None),
    ("HYT00", f"{ODBC}Login timeout expired", errors.Timeout, "HYT00", None),
    ("HY000", f"{SERVER}Lock request time out period exceeded.", errors.Timeout, "1222", None),
    ("08001", f"{ODBC}TCP Provider: Error code 0x2749", errors.ConnectionFailed, "08001", None),
    ("08S01", f"{ODBC}TCP Provider: Error code 0x68", errors.ConnectionFailed, "08S01", None),
    ("28000", f"{SERVER}Login failed for user 'sa'.", errors.ConnectionFailed, "18456", None),
    ("28000", f"{SERVER}Login failed for user '<token-identified principal>'. Token is "
              "expired.", errors.ConnectionFailed, "18456", None),
    ("42S02", f"{SERVER}Invalid object name 'dbo.nope'.", errors.UndefinedTable, "208", None),
    ("42000", f"{SERVER}Incorrect syntax near 'FROM'.", errors.ProgrammingError, "102", None),
    # a message in another language (SET LANGUAGE not applied): the SQLSTATE still decides
    ("40001", f"{SERVER}Transaktion (Prozess-ID 57) wurde als Deadlockopfer ausgewählt.",
     errors.SerializationFailure, "40001", None),
    ("23000", f"{SERVER}Verletzung der PRIMARY KEY-Einschränkung 'PK_t'.",
     errors.IntegrityError, "23000", None),
    ("42000", f"{SERVER}Something new went wrong.", errors.ProgrammingError, "42000", None),
    ("XX999", f"{SERVER}Unheard-of state.", errors.DatabaseError, "XX999", None),
    ("42000", f"{SERVER}The attempted operation failed because the target object "
              "'monozu.dbo.incidents' has a block predicate that conflicts with this operation. "
              "If the operation is performed on a view, the block predicate might be enforced "
              "on the underlying table. Modify the operation to target only the rows that are "
              "allowed by the block predicate.",
     errors.ProgrammingError, "33504", None),
]


@pytest.mark.parametrize(("sqlstate", "odbc_message", "cls", "code", "constraint"), ERROR_CASES,
                         ids=[f"{c[0]}-{c[3]}-{c[2].__name__}" for c in ERROR_CASES])
def test_translate_error(sqlstate: str, odbc_message: str, cls: type[errors.DatabaseError],
                         code: str, constraint: str | None) -> None:
    exc = canned(sqlstate, odbc_message)
    assert isinstance(exc, DIALECT.driver_errors())
    err = DIALECT.translate_error(exc)
    assert err is not None
    assert type(err) is cls, f"{type(err).__name__} for {odbc_message!r}"
    assert err.code == code
    assert err.constraint == constraint
    assert not str(err).startswith("["), "ODBC tags are stripped from the message"
    expected_text = odbc_message.rsplit("]", 1)[1]
    assert str(err) == expected_text


def test_an_undefined_table_is_named() -> None:
    err = DIALECT.translate_error(canned("42S02", f"{SERVER}Invalid object name 'dbo.nope'."))
    assert isinstance(err, errors.UndefinedTable) and err.table == "nope"


def test_retryable_errors() -> None:
    deadlock = DIALECT.translate_error(canned("40001", ERROR_CASES[8][1]))
    snapshot = DIALECT.translate_error(canned("42000", ERROR_CASES[10][1]))
    unique = DIALECT.translate_error(canned("23000", ERROR_CASES[0][1]))
    assert deadlock is not None and deadlock.retryable
    assert snapshot is not None and snapshot.retryable
    assert unique is not None and not unique.retryable


def test_translate_error_ignores_foreign_exceptions() -> None:
    import sqlite3

    assert DIALECT.translate_error(ValueError("Violation of PRIMARY KEY constraint 'x'")) is None
    assert DIALECT.translate_error(sqlite3.IntegrityError("UNIQUE constraint failed")) is None


def test_every_checkout_sets_back_the_isolation_level_a_new_session_has(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's pool resets a session with sp_reset_connection, which leaves the
    isolation level a unit of work set (READ UNCOMMITTED: the next tenant's unit of
    work would read rows not committed). It goes with the session settings, in the
    same batch."""
    mssql_python = driver()
    conn = FakeConnection()
    monkeypatch.setattr(mssql_python, "connect", lambda *a, **k: conn)
    config = sql_config("sqlserver://sa:pw@localhost?database=monozu")
    DIALECT.connect(config.url, config)
    assert len(conn.executed) == 1, "one batch, no round trip of its own"
    statements = [s.strip() for s in conn.executed[0][0].split(";")]
    assert "SET TRANSACTION ISOLATION LEVEL READ COMMITTED" in statements
    assert_parses(conn.executed[0][0])


def test_connection_string_parse_error_is_translated() -> None:
    driver()
    from mssql_python.exceptions import ConnectionStringParseError

    err = DIALECT.translate_error(ConnectionStringParseError(["Unknown keyword 'bogus'"]))
    assert isinstance(err, errors.ConnectionFailed)
    assert "bogus" in str(err)


# -- statements sent to the server: T-SQL grammar check -----------------------------


@pytest.mark.parametrize("sql", ss.statements_for_validation())
def test_every_statement_the_dialect_sends_is_tsql(sql: str) -> None:
    assert_parses(sql)


def test_validation_covers_what_the_dialect_really_sends() -> None:
    sent = set(ss.statements_for_validation())
    create, release, rollback_to = DIALECT.savepoint_sql("sp_1")
    assert {create, release, rollback_to} <= sent
    assert {ss.SESSION_SQL, ss.VERSION_SQL, ss.SET_TENANT_SQL, ss.CLEAR_TENANT_SQL} <= sent
    assert "INSERT INTO [dbo].[assets] ([id], [tenant_id], [name]) VALUES (?, ?, ?)" in sent


@pytest.mark.parametrize("sql", [
    "ROLLBACK TO SAVEPOINT sp_1",                                 # the base (ANSI) default
    "SET TIME ZONE 'UTC'",                                        # PostgreSQL's session setup
    "EXEC sp_set_session_context @key = N'tenant_id', @value =",  # truncated
    "CREATE TABLE x (id INT,, bad)",
    "COPY assets (id) FROM STDIN",
])
def test_the_tsql_check_can_fail(sql: str) -> None:
    assert parse_errors(sql) is not None
    with pytest.raises(AssertionError, match="not valid T-SQL"):
        assert_parses(sql)


def test_base_savepoint_rollback_is_not_tsql_but_ours_is() -> None:
    base_rollback = Dialect.savepoint_sql(DIALECT, "sp_1")[2]
    assert base_rollback == "ROLLBACK TO SAVEPOINT sp_1"
    assert parse_errors(base_rollback) is not None
    for sql in DIALECT.savepoint_sql("sp_1"):
        assert parse_errors(sql) is None


def test_server_form_numbers_markers_outside_literals() -> None:
    sql = "SELECT ?, '?', [a?], N'it''s ?' -- ?\n, ? /* ? */"
    assert server_form(sql) == "SELECT @P1, '?', [a?], N'it''s ?' -- ?\n, @P2 /* ? */"


@pytest.mark.parametrize(("script", "batches"), [
    ("SELECT 1\nGO\nSELECT 2\ngo\n", ["SELECT 1", "SELECT 2"]),
    ("SELECT 1\nGo", ["SELECT 1"]),
    ("SELECT 'GO'\nGO", ["SELECT 'GO'"]),
    ("SELECT 'it''s\nGO\ntime'\nGO\nSELECT 2", ["SELECT 'it''s\nGO\ntime'", "SELECT 2"]),
    ("-- GO\nSELECT 1", ["-- GO\nSELECT 1"]),
    ("/* a /* GO */\nGO */ SELECT 1", ["/* a /* GO */\nGO */ SELECT 1"]),
    ("SELECT [GO] FROM t\nGO", ["SELECT [GO] FROM t"]),
    ("SELECT [x]]\nGO\n] FROM t", ["SELECT [x]]\nGO\n] FROM t"]),
    ('SELECT "go" FROM t', ['SELECT "go" FROM t']),
    ("GOTO done\nGO", ["GOTO done"]),
    ("SELECT x.go, @go, #go FROM t", ["SELECT x.go, @go, #go FROM t"]),
    ("SELECT 1 GO SELECT 2", ["SELECT 1", "SELECT 2"]),
    ("GO\nGO\n\nSELECT 1\nGO  \n\nGO", ["SELECT 1"]),
    ("SELECT 1\nGO;", ["SELECT 1\nGO;"]),
    ("CREATE PROCEDURE p AS SELECT 1;\nGO\t\nEXEC p", ["CREATE PROCEDURE p AS SELECT 1;",
                                                      "EXEC p"]),
    ("", []),
])
def test_split_go(script: str, batches: list[str]) -> None:
    assert split_go(script) == batches


def test_split_then_parse_a_migration_style_script() -> None:
    script = (
        "CREATE FUNCTION dbo.fn_rls_tenant(@tenant_id UNIQUEIDENTIFIER)\n"
        "RETURNS TABLE WITH SCHEMABINDING AS\n"
        "RETURN SELECT 1 AS ok\n"
        "WHERE CAST(SESSION_CONTEXT(N'tenant_id') AS UNIQUEIDENTIFIER) = @tenant_id;\n"
        "GO\n"
        "CREATE SECURITY POLICY rls_incidents\n"
        "ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incidents,\n"
        "ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incidents\n"
        "WITH (STATE = ON);\n"
        "GO\n"
    )
    batches = split_go(script)
    assert len(batches) == 2
    for batch in batches:
        assert_parses(batch)


# -- the :name compiler on T-SQL --------------------------------------------------


def test_compile_leaves_tsql_quoting_alone() -> None:
    sql = ("SELECT [col:x], N'it''s :no', @v, \"q:id\" FROM t -- :c\n"
           "WHERE a = :a /* :b */ AND [we]]ird:y] = :b")
    compiled = compile_sql(sql, "qmark", DIALECT.lexicon)
    assert compiled.names == ("a", "b")
    assert compiled.sql == ("SELECT [col:x], N'it''s :no', @v, \"q:id\" FROM t -- :c\n"
                            "WHERE a = ? /* :b */ AND [we]]ird:y] = ?")


def test_compile_without_brackets_would_bind_inside_identifiers() -> None:
    """Why the dialect has its own lexicon: ``[col:x]`` is an identifier in T-SQL."""
    assert compile_sql("SELECT [:x] FROM t", "dollar", PG_LEXICON).names == ("x",)
    assert compile_sql("SELECT [:x] FROM t", "qmark", DIALECT.lexicon).names == ()


def test_compile_tsql_static_method_call_and_repeated_names() -> None:
    compiled = compile_sql("SELECT geography::Point(:lat, :lon, 4326), :lat", "qmark",
                           DIALECT.lexicon)
    assert compiled.sql == "SELECT geography::Point(?, ?, 4326), ?"
    assert bind(compiled, {"lat": 1.5, "lon": 2.5})[1] == (1.5, 2.5, 1.5)


def test_parameter_cap() -> None:
    compiled = compile_sql("SELECT id FROM assets WHERE id IN :ids", "qmark", DIALECT.lexicon)
    cap = DIALECT.max_params
    assert cap is not None
    sql, values = bind(compiled, {"ids": list(range(cap))}, max_params=cap)
    assert len(values) == cap and sql.count("?") == cap
    with pytest.raises(errors.ParameterError, match="limit"):
        bind(compiled, {"ids": list(range(cap + 1))}, max_params=cap)


# -- values -----------------------------------------------------------------------


def test_adapt() -> None:
    cet = timezone(timedelta(hours=1))
    assert DIALECT.adapt(datetime(2026, 1, 2, 13, 0, tzinfo=cet)) == datetime(2026, 1, 2, 12, 0)
    assert DIALECT.adapt(datetime(2026, 1, 2, 12, 0, tzinfo=UTC)).tzinfo is None
    with pytest.raises(errors.ParameterError, match="naive"):
        DIALECT.adapt(datetime(2026, 1, 2, 12, 0))
    with pytest.raises(errors.ParameterError, match="NUL"):
        DIALECT.adapt("a\x00b")
    assert DIALECT.adapt({"b": [1, "ü"]}) == '{"b":[1,"ü"]}'
    assert json.loads(DIALECT.adapt([1, 2])) == [1, 2]
    u = uuid.uuid4()
    for native in (u, True, False, Decimal("1.10"), 7, 1.5, b"\x00\x01", None, "plain"):
        assert DIALECT.adapt(native) is native
    assert DIALECT.adapt_row(["x", u, None]) == ("x", u, None)


def test_adapt_subclasses() -> None:
    class Text(str):
        pass

    class Stamp(datetime):
        pass

    with pytest.raises(errors.ParameterError):
        DIALECT.adapt(Text("a\x00"))
    assert DIALECT.adapt(Stamp(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 1, 1)


def test_readers() -> None:
    read_ts = DIALECT.reader(datetime)
    assert read_ts is not None
    assert read_ts(datetime(2026, 1, 2, 3, 4, 5)) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    offset = datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    assert read_ts(offset).utcoffset() == timedelta(0)
    read_json = DIALECT.reader("json")
    assert read_json is not None and read_json('{"a":1}') == {"a": 1}
    assert DIALECT.reader(uuid.UUID) is None
    assert DIALECT.reader(bool) is None
    read_dec = DIALECT.reader(Decimal)
    assert read_dec is not None and read_dec(1.5) == Decimal("1.5")


# -- tenant, savepoints, version, bulk (on stand-in connections) ---------------------


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = None) -> None:
        if self.conn.fail_with is not None:
            raise self.conn.fail_with
        self.conn.executed.append((sql, params))

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.many.append((sql, rows))

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.conn.row

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.conn.rows)

    def bulkcopy(self, table_name: str, data: Any, **kwargs: Any) -> dict[str, Any]:
        if self.conn.bulk_error is not None:
            raise self.conn.bulk_error
        rows = list(data)
        self.conn.bulk.append((table_name, rows, kwargs))
        return {"rows_copied": len(rows), "batch_count": 1, "elapsed_time": 0.0}

    def close(self) -> None:
        self.conn.cursors_closed += 1


class FakeConnection:
    def __init__(self, *, autocommit: bool = False, fail_with: BaseException | None = None,
                 row: tuple[Any, ...] | None = None) -> None:
        self.autocommit = autocommit
        self.timeout = 0
        self.fail_with = fail_with
        self.row = row
        self.rows: list[tuple[Any, ...]] = []  # what fetchall() gives
        self.executed: list[tuple[str, Any]] = []
        self.many: list[tuple[str, list[tuple[Any, ...]]]] = []
        self.bulk: list[tuple[str, list[tuple[Any, ...]], dict[str, Any]]] = []
        self.bulk_error: BaseException | None = None
        self.cursors_closed = 0
        self.closed = False

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def close(self) -> None:
        self.closed = True


def test_set_tenant_binds_and_clears_session_context() -> None:
    conn = FakeConnection()
    tenant = uuid.uuid4()
    DIALECT.set_tenant(conn, str(tenant).upper())
    DIALECT.set_tenant(conn, None)
    assert conn.executed == [(ss.SET_TENANT_SQL, (str(tenant),)), (ss.CLEAR_TENANT_SQL, None)]
    assert "@read_only" not in ss.SET_TENANT_SQL  # a pooled session can be rebound
    assert conn.cursors_closed == 2
    with pytest.raises(errors.ParameterError, match="not a UUID"):
        DIALECT.set_tenant(conn, "tenant-1; DROP TABLE x")


def test_every_unit_of_work_overwrites_the_session_context_and_a_tenant_clears_it() -> None:
    tenant = uuid.uuid4()
    conn = FakeConnection()
    DIALECT.bind_unit_of_work(conn, tenant)
    DIALECT.unbind_unit_of_work(conn, tenant)
    DIALECT.bind_unit_of_work(conn, None)  # no tenant: still overwritten, to NULL
    DIALECT.unbind_unit_of_work(conn, None)
    assert conn.executed == [(ss.SET_TENANT_SQL, (str(tenant),)), (ss.CLEAR_TENANT_SQL, None),
                             (ss.CLEAR_TENANT_SQL, None)]


def test_savepoints() -> None:
    create, release, rollback_to = DIALECT.savepoint_sql("sp_2")
    assert create.rstrip().endswith("SAVE TRANSACTION sp_2;")
    assert "@@TRANCOUNT = 0" in create and "(@@OPTIONS & 2) = 2" in create
    assert rollback_to == "ROLLBACK TRANSACTION sp_2"
    assert release.lstrip().startswith("--") and "\n" not in release
    for bad in ("sp 1", "sp;DROP", "x" * 33, "1sp", ""):
        with pytest.raises(errors.ParameterError):
            DIALECT.savepoint_sql(bad)


def test_server_version() -> None:
    banner = ("Microsoft SQL Server 2022 (RTM-CU12) (KB5033663) - 16.0.4125.3 (X64) \n"
              "\tJan  1 2024 12:00:00 \n\tCopyright (C) 2022 Microsoft Corporation\n")
    conn = FakeConnection(row=(banner,))
    assert DIALECT.server_version(conn) == (
        "Microsoft SQL Server 2022 (RTM-CU12) (KB5033663) - 16.0.4125.3 (X64)")
    assert conn.executed == [(ss.VERSION_SQL, None)]
    assert ss.version_from_banner("Microsoft SQL Azure (RTM) - 12.0.2000.8 \n\tMay 1 2025") == (
        "Microsoft SQL Azure (RTM) - 12.0.2000.8")


def test_bulk_insert_in_a_transaction_uses_executemany() -> None:
    conn = FakeConnection(autocommit=False)
    u = uuid.uuid4()
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    count = DIALECT.bulk_insert(conn, "dbo.assets", ["id", "name", "seen_at", "meta"],
                                iter([(u, "a", at, {"k": 1}), (u, "b", None, None)]))
    assert count == 2
    assert conn.bulk == []
    [(sql, rows)] = conn.many
    assert sql == "INSERT INTO [dbo].[assets] ([id], [name], [seen_at], [meta]) VALUES (?, ?, ?, ?)"
    assert rows == [(u, "a", datetime(2026, 5, 1, 12, 0), '{"k":1}'), (u, "b", None, None)]


def test_bulk_insert_in_autocommit_uses_bulkcopy() -> None:
    conn = FakeConnection(autocommit=True)
    conn.timeout = 45
    count = DIALECT.bulk_insert(conn, "dbo.cve_catalog", ["cve_id", "score"],
                                [("CVE-2026-0001", Decimal("9.8")), ("CVE-2026-0002", None)])
    assert count == 2 and conn.many == []
    [(table, rows, options)] = conn.bulk
    assert table == "dbo.cve_catalog"
    assert rows == [("CVE-2026-0001", Decimal("9.8")), ("CVE-2026-0002", None)]
    assert options == {"column_mappings": ["cve_id", "score"], "timeout": 45,
                       "check_constraints": True, "keep_nulls": True, "fire_triggers": True}


@pytest.mark.parametrize("autocommit", [True, False], ids=["bulkcopy", "executemany"])
@pytest.mark.parametrize(("flags", "why"), [
    ((1, 0), "assigns its values (IDENTITY)"),
    ((0, 1), "computes its values (a computed column)"),
    ((0, 0), "fills it (a period column, GENERATED ALWAYS AS ROW START or END)"),
])
def test_bulk_insert_refuses_a_column_only_the_server_fills(
        autocommit: bool, flags: tuple[int, int], why: str) -> None:
    """A bulk copy without KEEP_IDENTITY would replace the given ids without a word."""
    from monozu.db.dialects.sqlserver.dialect import GENERATED_COLUMNS_SQL

    conn = FakeConnection(autocommit=autocommit)
    conn.rows = [("Id", *flags)]
    with pytest.raises(errors.ParameterError) as refused:
        DIALECT.bulk_insert(conn, "dbo.ingest_events", ["tenant_id", "ID"],
                            [(uuid.uuid4(), 7)])
    assert str(refused.value) == (
        f"bulk insert into [dbo].[ingest_events], column ID: the database {why}; "
        "leave the column out")
    assert conn.executed == [(GENERATED_COLUMNS_SQL, ("[dbo].[ingest_events]",))]
    assert conn.bulk == [] and conn.many == []  # nothing sent
    conn.rows = [("id", 1, 0), ("shout", 0, 1)]  # not named: the rows go in
    assert DIALECT.bulk_insert(conn, "dbo.ingest_events", ["tenant_id", "note"],
                               [(uuid.uuid4(), "n")]) == 1


def test_bulk_insert_falls_back_when_the_bulk_core_is_missing() -> None:
    conn = FakeConnection(autocommit=True)
    conn.bulk_error = ImportError("Bulk copy requires the mssql_py_core library")
    assert DIALECT.bulk_insert(conn, "t", ["a"], [(1,), (2,)]) == 2
    assert conn.many == [("INSERT INTO [t] ([a]) VALUES (?)", [(1,), (2,)])]


def test_bulk_insert_does_not_retry_a_failed_copy() -> None:
    conn = FakeConnection(autocommit=True)
    conn.bulk_error = RuntimeError("constraint violated in batch 3")
    with pytest.raises(RuntimeError):
        DIALECT.bulk_insert(conn, "t", ["a"], [(1,)])
    assert conn.many == []  # rows may be partly copied: never send them twice


def test_bulk_insert_of_nothing() -> None:
    conn = FakeConnection(autocommit=True)
    assert DIALECT.bulk_insert(conn, "t", ["a"], []) == 0
    assert conn.bulk == [] and conn.many == []


def test_the_drivers_bulkcopy_takes_the_arguments_we_pass() -> None:
    driver()
    from mssql_python.cursor import Cursor

    params = inspect.signature(Cursor.bulkcopy).parameters
    assert list(params)[:3] == ["self", "table_name", "data"]
    for name in ("column_mappings", "timeout", "check_constraints", "keep_nulls",
                 "fire_triggers"):
        assert name in params, name


@pytest.mark.parametrize(("index", "table", "column"), [
    (0, "dbo.tenants", None),  # 2627 names the object
    (2, "dbo.users", None),  # 2601 names the object and the index
    (3, None, None),  # foreign key: the named table is not always the written one
    (6, "dbo.incidents", "status"),  # CHECK: the written table and column
    (7, "dbo.tenants", "name"),  # 515
])
def test_translated_errors_name_table_and_column_and_keep_the_cause(
        index: int, table: str | None, column: str | None) -> None:
    exc = canned(ERROR_CASES[index][0], ERROR_CASES[index][1])
    err = DIALECT.translate_error(exc)
    assert err is not None and err.__cause__ is exc
    assert (err.table, err.column) == (table, column)
