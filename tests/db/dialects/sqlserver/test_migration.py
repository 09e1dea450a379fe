"""SQL Server's migration pieces without a server: the applock takes the configured
wait, a wait that runs out is the common lock-timeout error, and the runner's
connection has no query timeout and aborts a failing transaction whole."""

from __future__ import annotations

import math
from typing import Any

import pytest

from monozu.db.config import load_config
from monozu.db.database import AutocommitConnection, Database
from monozu.db.dialects.sqlserver import DIALECT
from monozu.db.dialects.sqlserver import migration as mssql
from monozu.db.migrate.errors import MigrationError


class Recorder:
    """A raw connection whose cursors record statements and answer one row."""

    def __init__(self, answer: Any = 0) -> None:
        self.answer = answer
        self.executed: list[tuple[str, Any]] = []
        self.autocommit = False
        self.timeout = 30

    def cursor(self) -> Recorder:
        return self

    @property
    def description(self) -> Any:
        return [("result",)]

    def execute(self, sql: str, params: Any = None) -> None:
        self.executed.append((sql, params))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [(self.answer,)]

    def nextset(self) -> bool:
        return False

    def close(self) -> None:
        pass


def connection(raw: Recorder) -> AutocommitConnection:
    config = load_config({}, url="sqlserver://sa:pw@localhost?database=app&query+timeout=5",
                         dotenv=None)
    return AutocommitConnection(Database(config), raw)


@pytest.mark.parametrize(("seconds", "milliseconds"), [
    (50.0, 50_000), (0.0, 0), (0.25, 250), (math.inf, -1), (-1.0, -1), (1e12, 2**31 - 1),
])
def test_lock_wait_in_milliseconds(seconds: float, milliseconds: int) -> None:
    assert mssql.lock_timeout_ms(seconds) == milliseconds


def test_applock_waits_as_configured() -> None:
    raw = Recorder(answer=1)  # granted after waiting
    lock = DIALECT.migration.lock("dbo", "flyway_schema_history")
    lock.acquire(connection(raw), 12.0)
    sql, params = raw.executed[-1]
    assert "@LockTimeout = ?" in sql and "3600000" not in sql
    assert params == ("Flyway--856309416", 12_000)
    lock.acquire(connection(raw), math.inf)
    assert raw.executed[-1][1] == ("Flyway--856309416", -1)


@pytest.mark.parametrize("code", [-1, -2, -3, -999])
def test_applock_refusal_is_the_common_lock_timeout(code: int) -> None:
    lock = DIALECT.migration.lock("dbo", "flyway_schema_history")
    with pytest.raises(MigrationError) as info:
        lock.acquire(connection(Recorder(answer=code)), 3.0)
    assert info.value.code == "LOCK_TIMEOUT"
    assert "Flyway--856309416" in str(info.value)


def test_runner_connection_has_no_query_timeout_and_aborts_whole_transactions() -> None:
    raw = Recorder()
    DIALECT.migration.autocommit(raw, connection(raw).db.url)
    assert raw.autocommit is True and raw.timeout == 0
    assert [sql for sql, _ in raw.executed] == ["SET XACT_ABORT ON"]


def test_a_migration_run_outside_a_transaction_is_not_said_to_have_left_one_open() -> None:
    # The runner asks, after a script run outside a transaction, whether it left one of
    # its own open, to roll it back and fail it; SQL Server's part cannot tell, and the
    # "assume so" of in_transaction would have failed every such migration.
    raw = Recorder()
    assert DIALECT.migration.in_transaction(raw) is True  # what a rollback assumes
    assert DIALECT.migration.left_open(raw) is False
    assert raw.executed == []
