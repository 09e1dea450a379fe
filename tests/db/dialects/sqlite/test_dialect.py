"""SQLite's dialect: the session settings of bulk writes are given back afterwards."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from monozu.db import ConnectionFailed, connect


def test_bulk_writes_enlarge_the_page_cache_and_give_it_back(sqlite_url: str) -> None:
    with connect(sqlite_url) as db, db.transaction() as tx:
        before = tx.get_value("PRAGMA cache_size")
        with tx.dialect.bulk_writes(tx.conn):
            assert tx.get_value("PRAGMA cache_size") == -256 * 1024  # KiB, as SQLite writes it
        assert tx.get_value("PRAGMA cache_size") == before
        with pytest.raises(ZeroDivisionError), tx.dialect.bulk_writes(tx.conn):
            1 / 0  # noqa: B018 - a failure inside gives the setting back too
        assert tx.get_value("PRAGMA cache_size") == before


def _writer_holding(path: str, seconds: float) -> tuple[sqlite3.Connection, threading.Timer]:
    """A connection that holds ``path``'s write lock for ``seconds``, in the file's
    default (rollback journal) mode, as another process creating its schema would."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE IF NOT EXISTS t (i)")
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds, lambda: holder.execute("COMMIT"))
    release.start()
    return holder, release


def test_opening_waits_for_a_writer_before_switching_to_wal(tmp_path: Path) -> None:
    # Switching a file to WAL needs it to itself, and SQLite answers "database is
    # locked" at once there, without the busy timeout: four migrations started
    # together on a new file failed now and then.
    path = str(tmp_path / "new.db")
    holder, release = _writer_holding(path, 0.3)
    started = time.monotonic()
    db = connect(f"sqlite:///{path}")
    try:
        assert db.get_value("PRAGMA journal_mode") == "wal"
        assert time.monotonic() - started >= 0.2  # it waited for the writer
    finally:
        db.close()
        release.join()
        holder.close()


def test_opening_still_gives_up_after_the_busy_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "new.db")
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def recorded(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    holder, release = _writer_holding(path, 2.0)
    monkeypatch.setattr(sqlite3, "connect", recorded)
    started = time.monotonic()
    try:
        with pytest.raises(ConnectionFailed, match="database is locked"):
            connect(f"sqlite:///{path}?busy_timeout=0.2").get_value("SELECT 1")
        assert time.monotonic() - started < 1.5
        assert opened  # opened, but it could not be set up: closed again
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            opened[-1].execute("SELECT 1")
    finally:
        release.join()
        holder.close()
