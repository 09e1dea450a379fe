"""One database connection as the runner uses it, the same way on every database.

The connection stays in autocommit and transactions are explicit (``BEGIN`` ...
``COMMIT``), so a non-transactional migration (``CREATE INDEX CONCURRENTLY``,
``PRAGMA foreign_keys``) simply runs outside one, and waiting for a lock never
holds a snapshot open. Drivers are imported only when a database of their kind
is opened.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Any

from monozu.db.config import DatabaseConfig, Kind
from monozu.db.errors import ConfigError, DatabaseError
from monozu.db.migrate.errors import MigrationError
from monozu.db.migrate.placeholders import ConnectionFacts
from monozu.db.migrate.splitter import Statement

Row = tuple[Any, ...]

# The login (not the database user), as Flyway records it; the schema; the database.
SQLSERVER_FACTS = "SELECT SUSER_SNAME(), SCHEMA_NAME(), DB_NAME()"
# (begin, commit, rollback) per database; SQLite begins with BEGIN IMMEDIATE (see begin()).
TRANSACTION_SQL: dict[str, tuple[str, str, str]] = {
    "sqlite": ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"),
    "postgresql": ("BEGIN", "COMMIT", "ROLLBACK"),
    "sqlserver": ("BEGIN TRANSACTION", "COMMIT TRANSACTION",
                  "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION"),
}


class Session:
    """A connection, its kind and what the runner needs to know about it."""

    def __init__(self, config: DatabaseConfig, conn: Any, *, schema: str | None,
                 table: str) -> None:
        from monozu.db.dialects import dialect_for

        self.config = config
        self.kind: Kind = config.kind
        self.conn = conn
        self.dialect = dialect_for(self.kind)
        self.table = table
        self.in_transaction = False
        self.server_major = 0
        self.facts = self._read_facts(schema)

    @classmethod
    def open(cls, config: DatabaseConfig, *, schema: str | None = None,
             table: str = "flyway_schema_history") -> Session:
        try:
            from monozu.db.dialects import dialect_for

            dialect = dialect_for(config.kind)
        except ImportError as exc:
            hint = " (install monozu[sqlserver])" if config.kind == "sqlserver" else ""
            raise ConfigError(
                f"cannot use {config.kind}: its driver is not installed: {exc}{hint}") from None
        conn = dialect.connect(config.url, config)
        try:
            if config.kind in ("postgresql", "sqlserver"):
                conn.autocommit = True
            return cls(config, conn, schema=schema, table=table)
        except BaseException:
            _close_quietly(conn)
            raise

    # -- facts ------------------------------------------------------------------------
    def _read_facts(self, schema: str | None) -> ConnectionFacts:
        if self.kind == "sqlite":
            return ConnectionFacts(default_schema="main", user="", database=None,
                                   table=self.table)
        if self.kind == "postgresql":
            if schema:
                # Flyway makes defaultSchema the session's search_path on PostgreSQL.
                self.execute(f"SET search_path TO {self.quote(schema)}")
            row = self.query_one(
                "SELECT current_user, current_schema(), current_database(), "
                "current_setting('server_version_num')::int")
            self.server_major = int(row[3]) // 10000
            return ConnectionFacts(default_schema=schema or row[1] or "public",
                                   user=str(row[0]), database=str(row[2]), table=self.table)
        row = self.query_one(SQLSERVER_FACTS)
        return ConnectionFacts(default_schema=schema or row[1] or "dbo", user=str(row[0] or ""),
                               database=str(row[2] or ""), table=self.table)

    @property
    def schema(self) -> str:
        return self.facts.default_schema

    def quote(self, ident: str) -> str:
        if self.kind == "sqlserver":
            return "[" + ident.replace("]", "]]") + "]"
        return '"' + ident.replace('"', '""') + '"'

    def mark(self, number: int) -> str:
        """The driver's placeholder for the ``number``-th (1-based) parameter."""
        return f"${number}" if self.kind == "postgresql" else "?"

    # -- statements ---------------------------------------------------------------------
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, params) if params else cur.execute(sql)
                # A T-SQL batch may yield row counts before its result set.
                next_set = getattr(cur, "nextset", None) if self.kind == "sqlserver" else None
                while cur.description is None and next_set is not None and next_set():
                    pass
                if cur.description is None:
                    return []
                return [tuple(r) for r in cur.fetchall()]
            finally:
                cur.close()
        except self.dialect.driver_errors() as exc:
            raise self.translate(exc) from None

    def query_one(self, sql: str, params: tuple[Any, ...] = ()) -> Row:
        rows = self.query(sql, params)
        if not rows:
            raise MigrationError(f"no row returned by: {sql}")
        return rows[0]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, params) if params else cur.execute(sql)
            finally:
                cur.close()
        except self.dialect.driver_errors() as exc:
            raise self.translate(exc) from None

    def run(self, stmt: Statement) -> None:
        """Execute one statement of a migration; driver errors propagate untranslated."""
        cur = self.conn.cursor()
        try:
            if stmt.copy_data is not None:
                with cur.copy(stmt.sql) as copy:
                    copy.write(stmt.copy_data)
            else:
                cur.execute(stmt.sql)
        finally:
            cur.close()

    def translate(self, exc: BaseException) -> DatabaseError:
        err = self.dialect.translate_error(exc)
        return err if err is not None else DatabaseError(str(exc))

    def describe_failure(self, exc: BaseException, stmt: Statement) -> tuple[str, int]:
        """The database's message (with its code) and the line the error points at."""
        err = self.translate(exc)
        message = " ".join(str(err).split())
        line = stmt.line
        if self.kind == "postgresql":
            diag = getattr(exc, "diag", None)
            position = getattr(diag, "statement_position", None) if diag else None
            if position and str(position).isdigit():
                line += stmt.sql.count("\n", 0, int(position) - 1)
        if err.code:
            label = {"postgresql": "SQL State", "sqlite": "SQLite", "sqlserver": "Error Code"}
            message = f"{message} [{label[self.kind]}: {err.code}]"
        return message, line

    # -- transactions -----------------------------------------------------------------
    def begin(self, *, lock_wait: float = 0.0) -> None:
        """Start a transaction. On SQLite it takes the database's write lock at once
        (``BEGIN IMMEDIATE``), waiting up to ``lock_wait`` seconds for other writers:
        that write lock is what keeps concurrent runners apart there."""
        if self.kind == "sqlite":
            self._begin_immediate(lock_wait)
        else:
            self.execute(TRANSACTION_SQL[self.kind][0])
        self.in_transaction = True

    def _begin_immediate(self, lock_wait: float) -> None:
        import sqlite3

        deadline = time.monotonic() + lock_wait
        delay = 0.02
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")
                if not (busy or "locked" in str(exc)) or time.monotonic() >= deadline:
                    raise self.translate(exc) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def commit(self) -> None:
        if not self.in_transaction:
            return
        self.in_transaction = False
        self.execute(TRANSACTION_SQL[self.kind][1])

    def rollback(self) -> None:
        if not self.in_transaction:
            return
        self.in_transaction = False
        try:
            if self.kind != "sqlite" or self.conn.in_transaction:
                self.execute(TRANSACTION_SQL[self.kind][2])
        except DatabaseError:
            pass  # the connection is going away or the server already rolled back

    def close(self) -> None:
        if self.in_transaction:
            self.rollback()
        _close_quietly(self.conn)


def _close_quietly(conn: Any) -> None:
    # Best effort: any real error has already been raised.
    with suppress(Exception):
        conn.close()
