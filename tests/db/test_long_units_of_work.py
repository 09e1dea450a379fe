"""What a long unit of work keeps: nothing that grows with the number of calls in it,
where it could be given back as each call ends.

A nested block (``tx.transaction()``) that failed was rolled back to its savepoint, but
the savepoint stayed: ``ROLLBACK TO`` keeps it. Each failed block nested the next one a
level deeper, and on PostgreSQL every level kept a lock on its subtransaction until the
unit of work ended: a loop of refused calls in one unit of work (a service call is one
such block) filled the lock table every session shares, as the staging tables of
``bulk_insert`` did.

A long-lived process keeps nothing either for each database it opened and closed.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monozu.db import Database, MonozuError, Tx


class Refused(Exception):
    pass


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    database = Database.open(any_url, pool_size=1)
    database.exec("CREATE TABLE notes (id bigint PRIMARY KEY)")
    yield database
    database.close()


def _refused_block(tx: Tx, number: int) -> None:
    with pytest.raises(Refused), tx.transaction():
        tx.exec("INSERT INTO notes VALUES (:n)", n=number)
        raise Refused


def test_a_failed_nested_block_leaves_no_savepoint_behind(db: Database) -> None:
    with pytest.raises(Refused), db.transaction() as tx:
        for n in range(3):
            _refused_block(tx, n)
        tx.exec("INSERT INTO notes VALUES (100)")
        # the block's savepoint is gone, not three of them stacked up
        with pytest.raises(MonozuError, match=r"(?i)savepoint"):
            tx.exec("RELEASE SAVEPOINT monozu_sp1")
        raise Refused  # the release's error aborted a PostgreSQL transaction
    with db.transaction() as tx:
        for n in range(3):
            _refused_block(tx, n)
        tx.exec("INSERT INTO notes VALUES (100)")
    assert db.select(int, "SELECT id FROM notes") == [100]


def test_a_failed_nested_block_of_the_autocommit_connection_leaves_none(
        db: Database) -> None:
    with db.autocommit() as conn, conn.transaction():
        for _ in range(3):
            with pytest.raises(Refused), conn.transaction():
                conn.execute("INSERT INTO notes VALUES (1)")
                raise Refused
        assert conn.depth == 1
        with pytest.raises(MonozuError, match=r"(?i)savepoint"), conn.transaction():
            conn.execute("RELEASE SAVEPOINT monozu_sp1")
    assert db.select(int, "SELECT id FROM notes") == []


def test_refused_blocks_keep_no_locks_on_postgresql(pg_url: str) -> None:
    with Database.open(pg_url, pool_size=1) as db:
        db.exec("CREATE TABLE notes (id bigint PRIMARY KEY)")
        with db.transaction() as tx:
            _refused_block(tx, 0)
            held = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
            levels = ("SELECT count(*) FROM pg_backend_memory_contexts "
                      "WHERE name = 'CurTransactionContext'")
            tx.get_value(levels)  # its own relation's lock counted from the start
            before = tx.get_value(held), tx.get_value(levels)
            for n in range(1, 1001):
                _refused_block(tx, n)
            assert (tx.get_value(held), tx.get_value(levels)) == before


def test_a_process_opening_many_sqlite_files_keeps_nothing_for_each(tmp_path: Path) -> None:
    """The queue for each file's write lock was kept for every file the process ever
    opened, about 1 KB each, after its Database was closed."""
    def open_one(n: int) -> None:
        with Database.open(f"sqlite:///{tmp_path / f'{n}.db'}", pool_size=1) as db:
            db.exec("CREATE TABLE notes (id integer)")

    grown = _pool_memory_grown(lambda: [open_one(n) for n in range(50)],
                               lambda: [open_one(n) for n in range(50, 550)])
    assert grown < 20_000, grown  # about 500,000 bytes kept for the 500 files


def test_units_of_work_registering_functions_on_a_memory_database_keep_nothing() -> None:
    """The in-memory database's one connection stays when given out, and every unit of
    work that registered a SQL function on it added a line to a list kept for the
    life of the connection."""
    def one(db: Database) -> None:
        with db.transaction() as tx:
            tx.conn.create_function("one", 0, lambda: 1)
            assert tx.get_value("SELECT one()") == 1

    with Database.open("sqlite:///:memory:", pool_size=1) as db:
        grown = _pool_memory_grown(lambda: [one(db) for _ in range(50)],
                                   lambda: [one(db) for _ in range(1000)])
    assert grown < 20_000, grown  # about 70 bytes a unit of work


def _pool_memory_grown(warm_up: Callable[[], object], more: Callable[[], object]) -> int:
    """Bytes the pool modules hold after ``more`` beyond what they held after ``warm_up``."""
    pools = [tracemalloc.Filter(True, "*/monozu/db/*pool.py")]
    tracemalloc.start()
    try:
        warm_up()
        gc.collect()
        before = tracemalloc.take_snapshot().filter_traces(pools)
        more()
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(pools)
    finally:
        tracemalloc.stop()
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def test_long_statements_that_differ_by_a_literal_are_not_all_kept(pg_url: str) -> None:
    """The compiled-statement cache kept 2,048 statements whatever their length: long
    statements differing by an inline literal (a document, a generated list) held their
    megabytes for the life of the process. (On SQLite the driver's own cache keeps the
    last 128 a connection ran, texts and all.)"""
    document = "x" * 300_000
    tracemalloc.start()
    try:
        with Database.open(pg_url, pool_size=1) as db, db.transaction() as tx:
            for n in range(40):
                assert tx.get_value(f"SELECT length('{document}') + {n}") == 300_000 + n
        gc.collect()  # the Database closed: what stays is the process's
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 6_000_000, kept  # 12 MB when each was kept
