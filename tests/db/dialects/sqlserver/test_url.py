"""SQL Server URLs: go-mssqldb's form, Microsoft JDBC's (Flyway's), Managed Identity,
and the ODBC connection string as the driver's own parser reads it back."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monozu.db.config import load_config
from monozu.db.dialects.sqlserver import url as ssurl

REPO = Path(__file__).resolve().parents[4]
SECRET = "S3cr;et}=pw{x"  # every ODBC metacharacter
SEED_URL = "jdbc:sqlserver://localhost:1433;databaseName=monozu;encrypt=false"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"


def driver_parse(conn_str: str) -> dict[str, str]:
    """The connection string as mssql-python's validating parser reads it."""
    try:
        from mssql_python.connection_string_parser import _ConnectionStringParser
    except ImportError as exc:  # pragma: no cover - the dev environment has it
        pytest.fail(f"mssql-python is not importable ({exc}); run `uv sync`", pytrace=False)
    parsed: dict[str, str] = _ConnectionStringParser(validate_keywords=True)._parse(conn_str)
    return parsed


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound (so nobody else takes it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_the_seed_flyway_line_becomes_the_drivers_connection_string() -> None:
    """``flyway -url="jdbc:sqlserver://localhost:1433;databaseName=monozu;encrypt=false"
    -user=sa -password=<password> migrate`` from the database page."""
    config = load_config({}, url=SEED_URL, user="sa", password=SECRET, dotenv=None)
    assert (config.kind, config.auth) == ("sqlserver", "sql")
    assert driver_parse(ssurl.connection_string(config.url, config)) == {
        "server": "localhost,1433", "database": "monozu", "encrypt": "no",
        "uid": "sa", "pwd": SECRET,
    }
    assert SECRET not in repr(config) and SECRET not in str(config.describe())


def test_the_seed_line_through_monozu_flyway_against_a_closed_port(closed_port: int,
                                                                   tmp_path: Path) -> None:
    url = (f"jdbc:sqlserver://127.0.0.1:{closed_port};databaseName=monozu;encrypt=false;"
           "loginTimeout=1")
    proc = subprocess.run(
        [sys.executable, str(REPO / "monozu"), "flyway", f"-url={url}", "-user=sa",
         f"-password={SECRET}", "migrate"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to SQL Server"), lines
    assert f"127.0.0.1,{closed_port}" in lines[0] and "SQL login 'sa'" in lines[0]
    assert "S3cr" not in proc.stderr + proc.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(("text", "expected"), [
    ("jdbc:sqlserver://db.example.com:1444;databaseName=app;encrypt=true;"
     "trustServerCertificate=true;user=u;password={p;w}",
     {"server": "db.example.com,1444", "database": "app", "encrypt": "yes",
      "trustservercertificate": "yes", "uid": "u", "pwd": "p;w"}),
    ("jdbc:sqlserver://db.example.com;database=app;encrypt=strict;hostNameInCertificate=*.x.net;"
     "applicationIntent=ReadOnly;user=u",
     {"server": "db.example.com,1433", "database": "app", "encrypt": "strict",
      "hostnameincertificate": "*.x.net", "applicationintent": "ReadOnly", "uid": "u"}),
    ("jdbc:sqlserver://;serverName=h;portNumber=1500;databaseName=d;user=u",
     {"server": "h,1500", "database": "d", "encrypt": "yes", "uid": "u"}),
    ("JDBC:SQLSERVER://h:1433;DATABASENAME=d;ENCRYPT=FALSE;USER=u",
     {"server": "h,1433", "database": "d", "encrypt": "no", "uid": "u"}),
])
def test_jdbc_forms(text: str, expected: dict[str, str]) -> None:
    config = load_config({}, url=text, dotenv=None)
    assert driver_parse(ssurl.connection_string(config.url, config)) == expected


@pytest.mark.parametrize("auth", ["ActiveDirectoryMSI", "ActiveDirectoryManagedIdentity",
                                  "activedirectorymsi"])
@pytest.mark.parametrize("client", [None, "user", "msiClientId"])
def test_jdbc_managed_identity(auth: str, client: str | None) -> None:
    text = f"jdbc:sqlserver://x.database.windows.net:1433;databaseName=m;authentication={auth}"
    if client:
        text += f";{client}={CLIENT_ID}"
    config = load_config({}, url=text, dotenv=None)
    assert config.auth == "managed_identity"
    assert config.managed_identity_client_id == (CLIENT_ID if client else None)
    expected = {"server": "x.database.windows.net,1433", "database": "m", "encrypt": "yes",
                "authentication": "ActiveDirectoryMsi"}
    if client:
        expected["uid"] = CLIENT_ID
    assert driver_parse(ssurl.connection_string(config.url, config)) == expected
    assert "managed identity" in ssurl.describe_login(config.url, config)
    # The canonical form names Managed Identity and reads back the same.
    again = load_config({}, url=config.url.redacted(), dotenv=None)
    assert (again.auth, again.managed_identity_client_id) == (
        config.auth, config.managed_identity_client_id)


def test_managed_identity_from_sql_server_variables() -> None:
    config = load_config({"SQL_SERVER": "tcp:x.database.windows.net,1444", "SQL_DATABASE": "m",
                          "AZURE_CLIENT_ID": CLIENT_ID}, dotenv=None)
    assert driver_parse(ssurl.connection_string(config.url, config))["uid"] == CLIENT_ID
    assert config.url.port == 1444 and config.source == "SQL_SERVER"


def test_helpers_stay_importable_from_the_package() -> None:
    from monozu.db.dialects import sqlserver

    for name in ("connection_string", "odbc_value", "login_timeout", "query_timeout",
                 "describe_login", "uses_managed_identity"):
        assert getattr(sqlserver, name) is getattr(ssurl, name)


def test_reading_a_url_imports_no_driver() -> None:
    code = ("import sys\n"
            "from monozu.db.config import load_config\n"
            f"load_config({{}}, url={SEED_URL!r}, user='sa', dotenv=None)\n"
            "from monozu.db.dialects.sqlserver import connection_string\n"
            "print(sorted(m for m in ('mssql_python', 'psycopg', "
            "'monozu.db.dialects.sqlserver.dialect') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
