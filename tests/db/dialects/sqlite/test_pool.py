"""A pooled SQLite connection comes back in the state a fresh one has."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monozu.db import Database, Tx


@pytest.fixture(params=["file", "memory"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    where = tmp_path / "pool.db" if request.param == "file" else ":memory:"
    database = Database.open(f"sqlite:///{where}", pool_size=1)
    database.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, parent INTEGER "
                  "REFERENCES notes (id))")
    database.exec("INSERT INTO notes VALUES (1, NULL)")
    yield database
    database.close()


def _temp_objects(tx: Tx) -> None:
    tx.exec("CREATE TEMP TABLE secrets AS SELECT 'tenant a' AS v")
    tx.exec("CREATE INDEX temp.ix_secrets ON secrets (v)")
    tx.exec("CREATE TEMP VIEW seen AS SELECT id FROM notes")
    tx.exec("CREATE TEMP TRIGGER spy AFTER INSERT ON notes BEGIN "
            "INSERT INTO secrets VALUES ('copied'); END")


def _foreign_keys_off(tx: Tx) -> None:
    tx.exec("COMMIT")  # the pragma is a no-op inside a transaction
    tx.exec("PRAGMA foreign_keys = OFF")
    tx.exec("BEGIN")


LEAKS: dict[str, Callable[[Tx], None]] = {
    "temp objects": _temp_objects,
    "foreign keys off": _foreign_keys_off,
}


@pytest.mark.parametrize("leak", list(LEAKS))
def test_state_of_one_unit_of_work_is_gone_for_the_next(db: Database, leak: str) -> None:
    with db.tenant(uuid.uuid4()) as a:
        LEAKS[leak](a)
    with db.transaction() as b:
        assert b.get_value("SELECT count(*) FROM temp.sqlite_master") == 0
        assert b.get_value("PRAGMA foreign_keys") == 1
        b.exec("INSERT INTO notes VALUES (2, 1)")  # no trigger fires into a lost table
    assert db.pool.stats()["opened"] == 1, "the pool of one was not reused"
    assert db.get_value("SELECT count(*) FROM notes") == 2
