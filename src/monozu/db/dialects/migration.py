"""The migration part of a dialect: what the Flyway-compatible runner needs from a database.

Each database implements :class:`MigrationSQL` in ``dialects/<database>/migration.py``
and exposes it as ``dialect.migration``: the history table exactly as Flyway creates
it, the statements that read and write it, the facts a connection tells (user,
schema, database), the migration lock Flyway takes there, ``clean``, and how a
migration's transaction is begun, committed and rolled back on a connection kept in
autocommit. The runner (:mod:`monozu.db.migrate`) never names a database.

The statements are plain data, so the SQL Server ones can be checked by a T-SQL
parser without a server.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from monozu.db.config import DatabaseURL
    from monozu.db.database import AutocommitConnection
    from monozu.db.dialects.base import Dialect

Row = tuple[Any, ...]
# Statements (sql, parameters) to send after a migration's script.
Finish = Callable[[], Sequence[tuple[str, Row]]]

# The columns of Flyway's history table, in its order; the insert leaves installed_on
# to the database default, as Flyway does.
HISTORY_COLUMNS = ("installed_rank", "version", "description", "type", "script", "checksum",
                   "installed_by", "installed_on", "execution_time", "success")
INSERT_COLUMNS = ("installed_rank", "version", "description", "type", "script", "checksum",
                  "installed_by", "execution_time", "success")


@dataclass(frozen=True, slots=True)
class ConnectionFacts:
    """What the built-in ``${flyway:...}`` placeholders and the history rows need."""

    default_schema: str
    user: str
    database: str | None  # None on SQLite: Flyway has no value for ${flyway:database} there
    table: str
    server_major: int = 0
    environment: str = "default"
    # The session's search path when the command began (PostgreSQL), restored after
    # every migration as Flyway does.
    search_path: str | None = None


def java_hash(text: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units), as a signed 32-bit int;
    Flyway derives its lock names from it."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def lock_timeout(message: str) -> Exception:
    """The error every database reports when the migration lock's wait runs out."""
    from monozu.db.migrate.errors import MigrationError

    return MigrationError(message, code="LOCK_TIMEOUT")


def poll(attempt: Callable[[], bool], wait_seconds: float) -> bool:
    """Call ``attempt`` until it returns True or ``wait_seconds`` pass (backing off up
    to half a second); whether it succeeded."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    while True:
        if attempt():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


class MigrationLock(abc.ABC):
    """The lock that keeps runners (this one and Flyway) apart for one command."""

    # Held from acquire to release, it keeps every other runner (ours or Flyway's) from
    # writing the history table: what the command read stays true until it releases.
    exclusive: ClassVar[bool] = True

    @abc.abstractmethod
    def acquire(self, conn: AutocommitConnection, wait_seconds: float) -> None:
        """Take the lock, waiting up to ``wait_seconds`` (``inf``: forever); a wait that
        runs out raises the ``LOCK_TIMEOUT`` migration error."""

    @abc.abstractmethod
    def release(self, conn: AutocommitConnection) -> None:
        """Give the lock back (closing the connection does as well)."""

    def kept(self) -> list[tuple[str, Row]]:
        """Statements, sent with each migration's history row, that take the lock again
        if the migration gave it up (PostgreSQL's ``DISCARD ALL``) and fail if another
        runner has taken it meanwhile. None where a script cannot give it up."""
        return []


class NoLock(MigrationLock):
    """No lock of its own: the database's write lock serialises the runners, one
    transaction at a time (so the history is read again in each)."""

    exclusive: ClassVar[bool] = False

    def acquire(self, conn: AutocommitConnection, wait_seconds: float) -> None:
        return None

    def release(self, conn: AutocommitConnection) -> None:
        return None


class MigrationSQL(abc.ABC):
    """One database's migration pieces. Instances are stateless and shared."""

    # The label Flyway puts before the database's error code in a failure message.
    error_label: str = "Error Code"
    # A hint Flyway prefixes to its history select (PostgreSQL's load balancers).
    select_hint: str = ""
    false_literal: str = "0"
    # A SQL expression for a migration's execution time in milliseconds, computed by the
    # server when the history row is sent together with the statements (None: the
    # runner measures it and sends it as a parameter).
    elapsed_sql: str | None = None
    # A cheap query that returns a row when row-level security is switched on for some
    # table of the current schema (None: the database enforces none). Only then does a
    # migrate read the policies to switch new tables' policies on too.
    rls_probe_sql: str | None = None

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    # -- the connection ------------------------------------------------------------------
    @abc.abstractmethod
    def autocommit(self, conn: Any, url: DatabaseURL) -> None:
        """Put a new raw connection into the mode the runner uses: autocommit, explicit
        transactions, session settings for migrations."""

    @abc.abstractmethod
    def facts(self, conn: AutocommitConnection, schema: str | None, table: str
              ) -> ConnectionFacts:
        """The connection's user, schema and database (``schema``: the configured default
        schema, which may also become the session's search path)."""

    # -- transactions on the autocommit connection ---------------------------------------
    begin_sql: str = "BEGIN"
    commit_sql: str = "COMMIT"
    rollback_sql: str = "ROLLBACK"

    def begin(self, conn: AutocommitConnection, lock_wait: float) -> None:
        """Start a migration transaction (``lock_wait``: seconds a database without a
        lock of its own may wait for its write lock)."""
        conn.execute(self.begin_sql)

    def execute_after(self, raw: Any, cur: Any, before: Sequence[str], sql: str,
                      params: Sequence[Any]) -> None:
        """Run ``before`` (statements :meth:`begin` deferred) and then ``sql`` on
        ``cur``, in one round trip where the database allows."""
        for stmt in before:
            cur.execute(stmt)
            self.dialect.drain(cur)
        cur.execute(sql, params) if params else cur.execute(sql)

    def in_transaction(self, raw: Any) -> bool:
        """Whether the server still has a transaction open (None-safe: assume so)."""
        return True

    def left_open(self, raw: Any) -> bool:
        """Whether a script run outside a transaction left one of its own open (a
        ``BEGIN`` without its ``COMMIT``); False where the driver cannot tell."""
        return False

    def restore(self, facts: ConnectionFacts) -> list[tuple[str, Row]]:
        """Statements that give the session back the state it began with (Flyway's
        ``restoreOriginalState``), run after each migration before its history row: a
        script's ``SET ROLE`` must not write the row or run the next migration."""
        return []

    # -- running a migration's statements --------------------------------------------------
    def run(self, raw: Any, sql: str, copy_data: str | None = None) -> None:
        """Run one statement of a migration; driver errors propagate untranslated."""
        cur = raw.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def run_script(self, raw: Any, statements: Sequence[tuple[str, str | None]], *,
                   transactional: bool, then: Finish | None = None,
                   before: Sequence[str] = ()) -> None:
        """Run a migration's statements (sql, COPY data or None) in as few round trips as
        the database allows (``transactional``: inside the caller's transaction, else
        each on its own); a failing one raises :class:`ScriptFailed`. ``before``: what
        :meth:`begin` deferred, sent first. Then the statements ``then()`` gives (its
        history row, the commit), which may go out with the script's own (then
        ``elapsed_sql`` measures the time); an error in ``before`` or ``then``
        propagates as the driver raised it."""
        for sql in before:
            self.run(raw, sql)
        for index, (sql, copy_data) in enumerate(statements):
            try:
                self.run(raw, sql, copy_data)
            except Exception as exc:
                raise ScriptFailed(index, exc) from exc
        if then is not None:
            cur = raw.cursor()
            try:
                for sql, params in then():
                    cur.execute(sql, params) if params else cur.execute(sql)
                    self.dialect.drain(cur)
            finally:
                cur.close()

    def error_line(self, exc: BaseException, sql: str) -> int:
        """Lines into ``sql`` (0-based) where the database says the error is."""
        return 0

    # -- the history table ---------------------------------------------------------------
    def qualified(self, schema: str, table: str) -> str:
        q = self.dialect.quote
        return f"{q(schema)}.{q(table)}"

    @abc.abstractmethod
    def history_create(self, schema: str, table: str) -> list[str]:
        """Flyway's DDL for the table, statement by statement."""

    @abc.abstractmethod
    def history_columns(self, schema: str, table: str) -> tuple[str, Row]:
        """A query for the table's column names (no rows: no table) and its parameters."""

    def bool_param(self, value: bool) -> Any:
        return int(value)

    # -- the lock ------------------------------------------------------------------------
    @abc.abstractmethod
    def lock(self, schema: str, table: str) -> MigrationLock:
        """The migration lock on the history table ``schema.table``."""

    # -- clean ---------------------------------------------------------------------------
    @abc.abstractmethod
    def non_empty(self, schema: str) -> tuple[str, Row]:
        """A query whose first value is true when the schema holds any object."""

    @abc.abstractmethod
    def clean(self, conn: AutocommitConnection, schema: str, wait: float) -> list[str]:
        """Drop every object in the schema (one transaction where the database allows);
        what was dropped."""

    def clean_queries(self) -> tuple[str, ...]:
        """Catalog queries clean runs that are worth checking offline (SQL Server)."""
        return ()


class ScriptFailed(Exception):
    """A migration statement failed: which one, and the driver's exception."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error
