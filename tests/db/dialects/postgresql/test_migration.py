"""PostgreSQL's migration pieces on a real server: a transactional script goes out as one
pipeline, and a failure still names the statement that failed."""

from __future__ import annotations

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
