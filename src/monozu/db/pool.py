"""Bounded, health-checked connection pools, one kind per driver.

PostgreSQL uses ``psycopg_pool``. SQL Server relies on mssql-python's own pool
(identity-aware and token-expiry-aware), so opening a connection there is a pool
checkout. SQLite gets a small LIFO pool here: its connections are cheap but their
pragmas are not free, and ``:memory:`` must keep one connection alive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import Dialect
from monozu.db.errors import DatabaseError, Timeout

# psycopg_pool reports background reconnection attempts as warnings; the first
# checkout already raises a clear error, so keep them off a bare terminal (an
# application that configures logging still receives them through the root logger).
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())


class Pool(Protocol):
    def acquire(self) -> Any: ...
    def release(self, conn: Any, *, broken: bool = False) -> None: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, int]: ...


class SimplePool:
    """A LIFO pool of at most ``max_size`` connections made by ``factory``."""

    def __init__(self, factory: Callable[[], Any], *, max_size: int = 5,
                 timeout: float = 30.0, check: Callable[[Any], None] | None = None,
                 max_idle: float = 600.0) -> None:
        self._factory = factory
        self._max = max_size
        self._timeout = timeout
        self._check = check
        self._max_idle = max_idle
        self._idle: list[tuple[Any, float]] = []
        self._slots = threading.BoundedSemaphore(max_size)
        self._lock = threading.Lock()
        self._closed = False
        self._opened = 0

    def acquire(self) -> Any:
        if self._closed:
            raise DatabaseError("the connection pool is closed")
        if not self._slots.acquire(timeout=self._timeout):
            raise Timeout(f"no connection free within {self._timeout:g} s "
                          f"(pool of {self._max}); raise the pool size or release connections")
        try:
            while True:
                with self._lock:
                    item = self._idle.pop() if self._idle else None
                if item is None:
                    conn = self._factory()
                    self._opened += 1
                    return conn
                conn, since = item
                if time.monotonic() - since > self._max_idle:
                    _close_quietly(conn)
                    continue
                if self._check is not None:
                    try:
                        self._check(conn)
                    except Exception:
                        _close_quietly(conn)
                        continue
                return conn
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: Any, *, broken: bool = False) -> None:
        try:
            if broken or self._closed:
                _close_quietly(conn)
            else:
                with self._lock:
                    self._idle.append((conn, time.monotonic()))
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _close_quietly(conn)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"max_size": self._max, "idle": len(self._idle), "opened": self._opened}


class PsycopgPool:
    """``psycopg_pool.ConnectionPool`` behind the same small interface."""

    def __init__(self, url: DatabaseURL, config: DatabaseConfig, *, min_size: int,
                 max_size: int, timeout: float, max_lifetime: float = 3600.0) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        from monozu.db.dialects.postgresql import configure

        self._url = url
        self._timeout = timeout
        self._pool = ConnectionPool(
            url.libpq_conninfo(),
            min_size=min_size, max_size=max_size, timeout=timeout,
            max_lifetime=max_lifetime, open=False,
            kwargs={"autocommit": False, "cursor_factory": psycopg.RawCursor},
            configure=configure, check=ConnectionPool.check_connection,
            name="monozu",
        )
        self._config = config
        self._ready = False

    def _direct_connect(self) -> None:
        from monozu.db.dialects.postgresql import DIALECT

        DIALECT.connect(self._url, self._config).close()

    def acquire(self) -> Any:
        from psycopg_pool import PoolTimeout

        try:
            if not self._ready:
                # Fail fast and say why when the server is unreachable, rather than
                # letting the pool retry in the background until the checkout times out.
                self._direct_connect()
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


class DriverPool:
    """Each checkout is a driver ``connect`` (the driver pools underneath)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory

    def acquire(self) -> Any:
        return self._factory()

    def release(self, conn: Any, *, broken: bool = False) -> None:
        _close_quietly(conn)

    def close(self) -> None:
        return None

    def stats(self) -> dict[str, int]:
        return {}


def make_pool(dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
              max_size: int, timeout: float) -> Pool:
    def factory() -> Any:
        return dialect.connect(url, config)

    if dialect.kind == "postgresql":
        return PsycopgPool(url, config, min_size=1, max_size=max_size, timeout=timeout)
    if dialect.kind == "sqlite":
        size = 1 if url.path == ":memory:" else max_size
        return SimplePool(factory, max_size=size, timeout=timeout, check=_sqlite_check)
    return DriverPool(factory)


def _sqlite_check(conn: Any) -> None:
    conn.execute("SELECT 1").fetchone()


def _close_quietly(conn: Any) -> None:
    # Closing a broken connection may fail too; there is nothing left to do then.
    with contextlib.suppress(Exception):
        conn.close()
