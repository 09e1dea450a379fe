"""Pool pieces shared by the databases; each database's own pooling lives in
``dialects/<database>/pool.py`` behind :class:`monozu.db.dialects.pooling.Pooling`.

:class:`SimplePool` is a small LIFO pool for drivers without one of their own;
:class:`DriverPool` hands every checkout to a driver that pools underneath.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, Generic

from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import Dialect
from monozu.db.dialects.pooling import C, Closable, Pool
from monozu.db.errors import ConnectionFailed, Timeout


def _closed() -> ConnectionFailed:
    return ConnectionFailed("no connection: the Database was closed while the unit of work "
                            "waited for one")


class Slots:
    """At most ``count`` holders at a time, handed out first come, first served.

    A ``threading.Semaphore`` is not fair: a thread that gives its slot back and asks
    again at once takes it before the waiter it woke has run, so with more threads
    than connections some waited out the whole timeout while the pool turned over
    every few milliseconds. Here a slot given back goes straight to the oldest waiter.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiters: collections.deque[threading.Event] = collections.deque()

    def acquire(self, timeout: float) -> bool:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            handed = threading.Event()
            self._waiters.append(handed)
        try:
            if handed.wait(timeout):
                return True
        except BaseException:  # a KeyboardInterrupt while waiting: leave the queue
            with self._lock:
                if not handed.is_set():
                    self._waiters.remove(handed)
                    raise
            self.release()  # handed over meanwhile: it goes to the next one
            raise
        with self._lock:
            if handed.is_set():  # handed over as the wait ran out
                return True
            self._waiters.remove(handed)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1


class SimplePool(Generic[C]):
    """A LIFO pool of at most ``max_size`` connections made by ``factory``.

    ``reset`` runs on every connection handed back; when it raises, the connection
    is closed instead of kept. ``check`` runs before an idle connection is reused.
    """

    def __init__(self, factory: Callable[[], C], *, max_size: int = 5,
                 timeout: float = 30.0, check: Callable[[C], None] | None = None,
                 reset: Callable[[C], None] | None = None,
                 max_idle: float = 600.0) -> None:
        self._factory = factory
        self._max = max_size
        self._timeout = timeout
        self._check = check
        self._reset = reset
        self._max_idle = max_idle
        self._idle: list[tuple[C, float]] = []
        self._slots = Slots(max_size)
        self._lock = threading.Lock()
        self._closed = False
        self._opened = 0

    def acquire(self) -> C:
        if self._closed:
            raise _closed()
        if not self._slots.acquire(self._timeout):
            raise Timeout(f"no connection free within {self._timeout:g} s "
                          f"(pool of {self._max}); raise the pool size or release connections")
        if self._closed:  # Database.close() ran while this waited for a slot
            self._slots.release()
            raise _closed()
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
                    close_quietly(conn)
                    continue
                if self._check is not None:
                    try:
                        self._check(conn)
                    except Exception:
                        close_quietly(conn)
                        continue
                return conn
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: C, *, broken: bool = False) -> None:
        try:
            if not broken and not self._closed and self._reset is not None:
                try:
                    self._reset(conn)
                except Exception:
                    broken = True
            if broken or self._closed:
                close_quietly(conn)
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
            close_quietly(conn)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"max_size": self._max, "idle": len(self._idle), "opened": self._opened}


class DriverPool(Generic[C]):
    """Each checkout is a driver ``connect`` (the driver pools underneath)."""

    def __init__(self, factory: Callable[[], C]) -> None:
        self._factory = factory

    def acquire(self) -> C:
        return self._factory()

    def release(self, conn: C, *, broken: bool = False) -> None:
        close_quietly(conn)

    def close(self) -> None:
        return None

    def stats(self) -> dict[str, int]:
        return {}


def make_pool(dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
              max_size: int, timeout: float) -> Pool[Any]:
    """The pool ``dialect`` makes for ``url``."""
    return dialect.pooling.make(dialect, url, config, max_size=max_size, timeout=timeout)


def close_quietly(conn: Closable) -> None:
    # Closing a broken connection may fail too; there is nothing left to do then.
    with contextlib.suppress(Exception):
        conn.close()


__all__ = ["DriverPool", "Pool", "SimplePool", "Slots", "close_quietly", "make_pool"]
