"""SQLite's dialect: the session settings of bulk writes are given back afterwards."""

from __future__ import annotations

import pytest

from monozu.db import connect


def test_bulk_writes_enlarge_the_page_cache_and_give_it_back(sqlite_url: str) -> None:
    with connect(sqlite_url) as db, db.transaction() as tx:
        before = tx.get_value("PRAGMA cache_size")
        with tx.dialect.bulk_writes(tx.conn):
            assert tx.get_value("PRAGMA cache_size") == -256 * 1024  # KiB, as SQLite writes it
        assert tx.get_value("PRAGMA cache_size") == before
        with pytest.raises(ZeroDivisionError), tx.dialect.bulk_writes(tx.conn):
            1 / 0  # noqa: B018 - a failure inside gives the setting back too
        assert tx.get_value("PRAGMA cache_size") == before
