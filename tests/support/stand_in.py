"""A ``Database`` on SQL Server whose connections are a stand-in object (no server runs here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from monozu.db.config import load_config
from monozu.db.database import Database, _Lease

SQLSERVER_URL = "sqlserver://ops:secret@sql.example:1433?database=monozu"


def stand_in_database(server: Any, monkeypatch: pytest.MonkeyPatch,
                      environ: dict[str, str] | None = None) -> Database:
    """A SQL Server ``Database`` whose every connection is ``server``.

    The platform connection made from it (``DATABASE_URL_PLATFORM_ADMIN`` in ``environ``)
    uses ``server`` too.
    """
    db = Database(load_config(environ or {}, url=SQLSERVER_URL, dotenv=None), pool_size=1)

    @contextmanager
    def lease(self: Database, *, translate: bool = False) -> Iterator[Any]:
        yield _Lease(server)

    monkeypatch.setattr(Database, "_lease", lease)
    return db


class StandInCursor:
    """The DB-API cursor surface the query layer uses; ``execute`` is the subclass's."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.description: list[tuple[str]] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []

    def answer(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.description = [(n,) for n in names]
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def close(self) -> None:
        return None
