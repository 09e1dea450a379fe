"""PostgreSQL's pool: ``psycopg_pool`` with a reset before every reuse.

A connection comes back from a unit of work with whatever that work left in the
session: a ``SET`` or ``set_config(..., false)`` (a tenant id that would outlive
the unit of work), ``TEMP`` tables, ``WITH HOLD`` cursors, prepared statements,
advisory locks, ``LISTEN``. The pool's ``reset`` callback runs, on every returned
connection, the statements ``DISCARD ALL`` stands for, then the session settings
every connection gets (:data:`SESSION_SQL`), as one batch in one round trip.
``DISCARD ALL`` itself cannot be sent in a batch (it refuses to run inside the
batch's implicit transaction) and would need a second round trip for the time
zone. A batch is never prepared by psycopg, and on seeing ``DEALLOCATE ALL``
psycopg forgets the statements it had prepared.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import psycopg

from monozu.db.dialects.pooling import Pool, Pooling
from monozu.db.errors import Timeout

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect

# psycopg_pool reports background reconnection attempts as warnings; the first
# checkout already raises a clear error, so keep them off a bare terminal (an
# application that configures logging still receives them through the root logger).
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())

# Every session runs in UTC, so timestamptz values come back aware and in UTC.
SESSION_SQL = "SET TIME ZONE 'UTC'"
# What DISCARD ALL does (PostgreSQL documents it as exactly these), then SESSION_SQL.
RESET_SQL = ";\n".join((
    "CLOSE ALL",
    "SET SESSION AUTHORIZATION DEFAULT",
    "RESET ALL",
    "DEALLOCATE ALL",
    "UNLISTEN *",
    "SELECT pg_advisory_unlock_all()",
    "DISCARD PLANS",
    "DISCARD TEMP",
    "DISCARD SEQUENCES",
    SESSION_SQL,
))


class PsycopgPool:
    """``psycopg_pool.ConnectionPool`` behind the package's small pool interface."""

    def __init__(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
                 min_size: int, max_size: int, timeout: float,
                 max_lifetime: float = 3600.0) -> None:
        from psycopg_pool import ConnectionPool

        from monozu.db.dialects.postgresql.dialect import configure

        self._dialect = dialect
        self._url = url
        self._config = config
        self._timeout = timeout
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url.libpq_conninfo(),
            min_size=min_size, max_size=max_size, timeout=timeout,
            max_lifetime=max_lifetime, open=False,
            kwargs={"autocommit": False, "cursor_factory": psycopg.RawCursor},
            configure=configure, reset=POOLING.reset, check=ConnectionPool.check_connection,
            name="monozu",
        )
        self._ready = False

    def acquire(self) -> Any:
        from psycopg_pool import PoolTimeout

        try:
            if not self._ready:
                # Fail fast and say why when the server is unreachable, rather than
                # letting the pool retry in the background until the checkout times out.
                self._dialect.connect(self._url, self._config).close()
                self._pool.open(wait=False)
                self._ready = True
            return self._pool.getconn()
        except PoolTimeout as exc:
            raise Timeout(
                f"no PostgreSQL connection within {self._timeout:g} s to "
                f"{self._url.redacted()}: {str(exc).splitlines()[0]}"
            ) from None

    def release(self, conn: Any, *, broken: bool = False) -> None:
        if broken:
            conn.close()
        self._pool.putconn(conn)

    def close(self) -> None:
        if self._ready:
            self._pool.close()

    def stats(self) -> dict[str, int]:
        s = self._pool.get_stats()
        return {"max_size": self._pool.max_size, "idle": s.get("pool_available", 0),
                "opened": s.get("connections_num", 0)}


class PostgreSQLPooling(Pooling):
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        return PsycopgPool(dialect, url, config, min_size=1, max_size=max_size,
                           timeout=timeout)

    def reset(self, conn: Any) -> None:
        """The reset batch in autocommit mode; the pool discards the connection on error."""
        conn.autocommit = True
        try:
            conn.execute(RESET_SQL)
        finally:
            conn.autocommit = False


POOLING = PostgreSQLPooling()
