"""SQLite's pool: a small LIFO pool whose connections are reset before reuse.

SQLite connections are cheap but their pragmas are not free, and ``:memory:`` must
keep its one connection alive, so connections are pooled here. What one unit of
work can leave on a connection is its temporary schema (``TEMP`` tables, views,
triggers) and its pragmas: a returned connection has its temporary schema emptied
and foreign keys switched back on, in one query when there is nothing to undo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monozu.db.dialects.pooling import Pool, Pooling
from monozu.db.pool import SimplePool

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect

# What a fresh connection reports: (objects in the temp schema, foreign_keys).
STATE_SQL = ("SELECT (SELECT count(*) FROM temp.sqlite_master), "
             "(SELECT foreign_keys FROM pragma_foreign_keys)")
_FRESH = (0, 1)
TEMP_OBJECTS_SQL = "SELECT type, name FROM temp.sqlite_master WHERE type IN ('table', 'view')"


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


class SQLitePooling(Pooling):
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        def factory() -> Any:
            return dialect.connect(url, config)

        size = 1 if url.path == ":memory:" else max_size
        return SimplePool(factory, max_size=size, timeout=timeout, check=_check,
                          reset=self.reset)

    def reset(self, conn: Any) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        state = tuple(conn.execute(STATE_SQL).fetchone())
        if state == _FRESH:
            return
        # Dropping a temporary table drops its indexes and triggers with it.
        for kind, name in conn.execute(TEMP_OBJECTS_SQL).fetchall():
            conn.execute(f"DROP {kind.upper()} IF EXISTS temp.{_quote(name)}")
        for (name,) in conn.execute(
                "SELECT name FROM temp.sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER IF EXISTS temp.{_quote(name)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if tuple(conn.execute(STATE_SQL).fetchone()) != _FRESH:
            raise RuntimeError("the connection's temporary schema could not be emptied")


def _check(conn: Any) -> None:
    conn.execute("SELECT 1").fetchone()


POOLING = SQLitePooling()
