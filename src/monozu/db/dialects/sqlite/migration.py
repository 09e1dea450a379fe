"""SQLite's migration pieces.

No lock of its own (as in Flyway): every migration and its history row are written in
one ``BEGIN IMMEDIATE`` transaction after re-reading the history, so concurrent
runners serialise on SQLite's write lock and apply each version once. ``clean`` drops
views, triggers and tables with foreign keys off.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from monozu.db.dialects.migration import (
    ConnectionFacts,
    MigrationLock,
    MigrationSQL,
    NoLock,
    Row,
    lock_timeout,
)
from monozu.db.dialects.sqlite.dialect import while_busy

if TYPE_CHECKING:
    from monozu.db.config import DatabaseURL
    from monozu.db.database import AutocommitConnection


class SQLiteMigration(MigrationSQL):
    error_label = "SQLite"
    begin_sql = "BEGIN IMMEDIATE"

    def autocommit(self, conn: Any, url: DatabaseURL) -> None:
        return None  # connections are opened with isolation_level=None already

    def facts(self, conn: AutocommitConnection, schema: str | None, table: str
              ) -> ConnectionFacts:
        return ConnectionFacts(default_schema="main", user="", database=None, table=table)

    def begin(self, conn: AutocommitConnection, lock_wait: float) -> None:
        """``BEGIN IMMEDIATE``: the database's write lock at once, waiting up to
        ``lock_wait`` seconds for other writers (that lock is what keeps runners apart)."""
        try:
            failure = while_busy(lambda: conn.raw.execute(self.begin_sql), lock_wait)
        except sqlite3.Error as exc:
            raise self.dialect.translate_error(exc) or exc from exc
        if failure is None:
            return
        raise lock_timeout(
            f"Unable to obtain the SQLite database's write lock: {failure} (waited "
            f"{lock_wait:g} s; another migration is running, or another process is "
            "writing to the database)") from failure

    def in_transaction(self, raw: Any) -> bool:
        return bool(raw.in_transaction)

    def left_open(self, raw: Any) -> bool:
        return self.in_transaction(raw)

    def history_create(self, schema: str, table: str) -> list[str]:
        q = self.dialect.quote
        return [
            f"CREATE TABLE {self.qualified(schema, table)} (\n"
            '    "installed_rank" INT NOT NULL PRIMARY KEY,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INT,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
            '    "execution_time" INT NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")",
            f"CREATE INDEX {q(schema)}.{q(table + '_s_idx')} ON {q(table)} (\"success\")",
        ]

    def history_columns(self, schema: str, table: str) -> tuple[str, Row]:
        return "SELECT name FROM pragma_table_info(?, ?)", (table, schema)

    def lock(self, schema: str, table: str) -> MigrationLock:
        return NoLock()

    def non_empty(self, schema: str) -> tuple[str, Row]:
        return ("SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                ())

    def clean(self, conn: AutocommitConnection, schema: str, wait: float) -> list[str]:
        dropped: list[str] = []
        # Foreign keys off so tables can go in any order; the pragma is a no-op inside a
        # transaction, hence before BEGIN.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.transaction(lock_wait=wait):
                for kind in ("view", "trigger", "table"):
                    rows = conn.query(
                        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE "
                        "'sqlite\\_%' ESCAPE '\\' ORDER BY name", (kind,))
                    for (name,) in rows:
                        conn.execute(f"DROP {kind.upper()} IF EXISTS {self.dialect.quote(name)}")
                        dropped.append(f"{kind} {name}")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
        return dropped


def _make() -> SQLiteMigration:
    from monozu.db.dialects.sqlite.dialect import DIALECT

    return SQLiteMigration(DIALECT)


MIGRATION = _make()
