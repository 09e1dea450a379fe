"""The migration lock: the same lock Flyway takes, so the two runners exclude each other.

* PostgreSQL: an advisory lock on ``77431708279161 + javaHash('"schema"."table"')``
  (``77433833903597`` for ``"public"."flyway_schema_history"``). This runner takes it
  at session level with ``pg_try_advisory_lock``, polled in autocommit, and holds it
  for the whole command. Flyway's transactional ``pg_try_advisory_xact_lock`` on
  the same key conflicts with it, so either tool waits for the other. Polling
  outside a transaction holds no snapshot, so a waiting process never blocks a
  ``CREATE INDEX CONCURRENTLY`` run by the holder (the deadlock Flyway's
  transactional lock is known for).
* SQL Server: ``sp_getapplock`` on ``Flyway-<javaHash('[schema].[table]')>``
  (``Flyway--856309416`` by default), session-owned, so it survives the commits of
  the individual migrations.
* SQLite: no lock of its own (as in Flyway). Every migration and its history row
  are written in one ``BEGIN IMMEDIATE`` transaction after re-reading the history,
  so concurrent runners serialise on SQLite's write lock and apply each version once.
"""

from __future__ import annotations

import time

from monozu.db.migrate.errors import MigrationError
from monozu.db.migrate.session import Session

PG_LOCK_BASE = 0x466C79776179  # ASCII "Flyway"


def java_hash(text: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units), as a signed 32-bit int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def pg_lock_key(schema: str, table: str) -> int:
    return PG_LOCK_BASE + java_hash(f'"{schema}"."{table}"')


def sqlserver_lock_resource(schema: str, table: str) -> str:
    return f"Flyway-{java_hash(f'[{schema}].[{table}]')}"


def sqlserver_lock_sql() -> tuple[str, str]:
    """(acquire, release) batches; one ``?`` parameter each, the resource name.

    The return code is read so a timeout is reported instead of ignored."""
    acquire = (
        "SET NOCOUNT ON;\n"
        "DECLARE @result INT;\n"
        "EXEC @result = sp_getapplock @Resource = ?, @LockTimeout = '3600000', "
        "@LockMode = 'Exclusive', @LockOwner = 'Session';\n"
        "SELECT @result;"
    )
    release = "EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session';"
    return acquire, release


PG_TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
PG_UNLOCK = "SELECT pg_advisory_unlock($1)"


class MigrationLock:
    """Held from :meth:`acquire` to :meth:`release` on one session."""

    def __init__(self, session: Session, *, wait_seconds: float) -> None:
        self.session = session
        self.wait_seconds = wait_seconds
        self.held = False
        self.key = pg_lock_key(session.schema, session.table)
        self.resource = sqlserver_lock_resource(session.schema, session.table)

    def acquire(self) -> None:
        kind = self.session.kind
        if kind == "postgresql":
            self._acquire_pg()
        elif kind == "sqlserver":
            acquire, _ = sqlserver_lock_sql()
            row = self.session.query_one(acquire, (self.resource,))
            if row[0] is not None and int(row[0]) < 0:
                raise MigrationError(
                    f"Unable to acquire the SQL Server application lock {self.resource} "
                    f"(sp_getapplock returned {row[0]})", code="LOCK_TIMEOUT")
        self.held = True

    def _acquire_pg(self) -> None:
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            if self.session.query_one(PG_TRY_LOCK, (self.key,))[0]:
                return
            if time.monotonic() >= deadline:
                raise MigrationError(
                    "Number of retries exceeded while attempting to acquire PostgreSQL "
                    f"advisory lock {self.key} (waited {self.wait_seconds:g} s; another "
                    "migration is running)", code="LOCK_TIMEOUT")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        kind = self.session.kind
        if kind == "postgresql":
            self.session.query(PG_UNLOCK, (self.key,))
        elif kind == "sqlserver":
            self.session.execute(sqlserver_lock_sql()[1], (self.resource,))
