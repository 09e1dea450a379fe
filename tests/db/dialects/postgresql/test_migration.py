"""PostgreSQL's migration pieces on a real server: a transactional script goes out as one
pipeline, and a failure still names the statement that failed."""

from __future__ import annotations

from typing import Any

import pytest

from monozu.db.config import load_config
from monozu.db.database import Database
from monozu.db.dialects.migration import ScriptFailed

SCRIPT = [
    ("CREATE TABLE pipelined (id INT PRIMARY KEY)", None),
    ("INSERT INTO pipelined VALUES (1)", None),
    ("INSERT INTO pipelined VALUES (2)", None),
]


def database(url: str) -> Database:
    return Database(load_config({}, url=url, dotenv=None))


def test_a_script_runs_in_the_callers_transaction(pg_url: str) -> None:
    with database(pg_url).autocommit() as conn:
        with conn.transaction():
            conn.dialect.migration.run_script(conn.raw, SCRIPT, transactional=True)
        assert conn.query("SELECT id FROM pipelined ORDER BY id") == [(1,), (2,)]


BAD_NAME = ("INSERT INTO no_such_table VALUES (1)", None)
DUPLICATE = ("INSERT INTO pipelined VALUES (1)", None)  # a runtime error, no position


@pytest.mark.parametrize(("script", "failing"), [
    ([BAD_NAME, *SCRIPT], 0),
    ([*SCRIPT[:2], DUPLICATE, SCRIPT[2]], 2),
    ([*SCRIPT, BAD_NAME], 3),
])
def test_the_failing_statement_is_named(pg_url: str, script: list[tuple[str, None]],
                                        failing: int) -> None:
    with database(pg_url).autocommit() as conn:
        with pytest.raises(ScriptFailed) as info, conn.transaction():
            conn.dialect.migration.run_script(conn.raw, script, transactional=True)
        assert info.value.index == failing
        assert info.value.__cause__ is info.value.error
        assert conn.query("SELECT to_regclass('pipelined')") == [(None,)]  # rolled back


class _CountingConnection:
    """A raw connection that counts the cursors open at once."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.open = 0
        self.most = 0

    def pipeline(self) -> Any:
        return self.raw.pipeline()

    def cursor(self) -> Any:
        cur = self.raw.cursor()
        self.open += 1
        self.most = max(self.most, self.open)
        close = cur.close

        def counted_close() -> None:
            self.open -= 1
            close()

        cur.close = counted_close
        return cur


@pytest.mark.parametrize("failing", [None, 2345])
def test_a_long_script_keeps_a_bounded_number_of_results(pg_url: str,
                                                         failing: int | None) -> None:
    # A cursor per statement was kept to the end: a 50 MB script of small statements
    # took 700 MB. The failing statement is still the one named past the first batches.
    script: list[tuple[str, None]] = [("CREATE TABLE many (id INT PRIMARY KEY)", None)]
    script += [(f"INSERT INTO many VALUES ({i})", None) for i in range(1, 3000)]
    if failing is not None:
        script[failing] = BAD_NAME
    with database(pg_url).autocommit() as conn:
        raw = _CountingConnection(conn.raw)
        if failing is None:
            with conn.transaction():
                conn.dialect.migration.run_script(raw, script, transactional=True)
            assert conn.query("SELECT count(*) FROM many") == [(2999,)]
        else:
            with pytest.raises(ScriptFailed) as info, conn.transaction():
                conn.dialect.migration.run_script(raw, script, transactional=True)
            assert info.value.index == failing
        assert raw.most <= 1001 and raw.open == 0
