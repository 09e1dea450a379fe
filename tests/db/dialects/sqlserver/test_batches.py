"""Every result of a T-SQL batch is read, so an error behind an informational message
(sp_rename's 15477) is raised instead of discarded with the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from monozu.db import errors
from monozu.db.config import load_config
from monozu.db.database import AutocommitConnection, Database
from monozu.db.dialects.sqlserver import DIALECT
from monozu.db.dialects.sqlserver.batches import drain, first_rows

ODBC = "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]"
RENAME_INFO = ("Caution: Changing any part of an object name could break scripts and "
               "stored procedures.")


def driver_error(message: str, sqlstate: str = "42000") -> BaseException:
    """An exception as mssql-python raises it for a server error."""
    from mssql_python.exceptions import sqlstate_to_exception

    exc = sqlstate_to_exception(sqlstate, ODBC + message)
    assert exc is not None
    return exc


class BatchCursor:
    """A cursor over a batch's results, in order: a list of rows (a result set), an
    int (a row count), a str (an informational message) or an exception, which the
    driver raises when ``nextset()`` reaches it."""

    def __init__(self, results: Sequence[Any]) -> None:
        self.results = list(results)
        self.position = 0
        self.closed = False
        self.executed: list[str] = []

    @property
    def description(self) -> Any:
        current = self.results[self.position] if self.position < len(self.results) else None
        return [("value",)] if isinstance(current, list) else None

    @property
    def rowcount(self) -> int:
        current = self.results[self.position]
        return current if isinstance(current, int) else -1

    def execute(self, sql: str, params: Any = None) -> None:
        self.executed.append(sql)
        first = self.results[0]
        if isinstance(first, BaseException):
            raise first

    def fetchall(self) -> list[tuple[Any, ...]]:
        current = self.results[self.position]
        assert isinstance(current, list)
        return current

    def nextset(self) -> bool:
        self.position += 1
        if self.position >= len(self.results):
            return False
        current = self.results[self.position]
        if isinstance(current, BaseException):
            raise current
        return True

    def close(self) -> None:
        self.closed = True


class BatchConnection:
    def __init__(self, cursor: BatchCursor) -> None:
        self.cur = cursor

    def cursor(self) -> BatchCursor:
        return self.cur

    def close(self) -> None:
        pass


def info_then_error() -> BatchCursor:
    return BatchCursor([RENAME_INFO, driver_error(
        "Invalid column name 'no_such_column'. (207) (SQLExecDirectW)")])


def test_drain_raises_the_error_after_an_informational_message() -> None:
    cur = info_then_error()
    with pytest.raises(Exception, match="no_such_column"):
        drain(cur)


def test_drain_reads_to_the_end_of_a_clean_batch() -> None:
    cur = BatchCursor([RENAME_INFO, 3, [(1,)], 0])
    drain(cur)
    assert cur.position == 4


def test_first_rows_skips_row_counts_and_drains_the_rest() -> None:
    assert first_rows(BatchCursor([2, [(7,)], 1])) == [(7,)]
    with pytest.raises(Exception, match="no_such_column"):
        first_rows(BatchCursor([[(7,)], driver_error("Invalid column name 'no_such_column'.")]))


def test_the_dialect_drains() -> None:
    with pytest.raises(Exception, match="no_such_column"):
        DIALECT.drain(info_then_error())


def sqlserver_db() -> Database:
    return Database(load_config({}, url="sqlserver://sa:pw@localhost?database=app", dotenv=None))


def test_query_layer_raises_the_lost_error_translated() -> None:
    from monozu.db.database import Tx

    tx = Tx(sqlserver_db(), BatchConnection(info_then_error()))
    with pytest.raises(errors.ProgrammingError, match="no_such_column") as info:
        tx.exec("EXEC sp_rename 'dbo.t.a', 'b', 'COLUMN'; UPDATE dbo.t SET no_such_column = 1")
    assert info.value.__cause__ is not None  # the driver's exception is kept


def test_autocommit_connection_raises_the_lost_error() -> None:
    conn = AutocommitConnection(sqlserver_db(), BatchConnection(info_then_error()))
    with pytest.raises(errors.ProgrammingError, match="no_such_column"):
        conn.execute("EXEC sp_rename 'dbo.t.a', 'b', 'COLUMN'; SELECT no_such_column FROM t")


def test_migration_statements_raise_the_lost_error() -> None:
    cur = info_then_error()
    with pytest.raises(Exception, match="no_such_column"):
        DIALECT.migration.run(BatchConnection(cur), "EXEC sp_rename 'dbo.t.a', 'b', 'COLUMN'")
    assert cur.closed
