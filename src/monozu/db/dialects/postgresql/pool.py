"""PostgreSQL's pool: ``psycopg_pool`` with a reset before every reuse.

A connection comes back from a unit of work with whatever that work left in the
session: a ``SET`` or ``set_config(..., false)`` (a tenant id that would outlive
the unit of work), ``TEMP`` tables, ``WITH HOLD`` cursors, prepared statements,
advisory locks, ``LISTEN``. The pool's ``reset`` callback runs, on every returned
connection, the statements ``DISCARD ALL`` stands for, then the session settings
every connection gets (:data:`SESSION_SQL`), as one batch in one round trip, and
reseeds ``random()``, which ``DISCARD ALL`` leaves as ``setseed()`` set it.
``DISCARD ALL`` itself cannot be sent in a batch (it refuses to run inside the
batch's implicit transaction) and would need a second round trip for the time
zone. A batch is never prepared by psycopg, and on seeing ``DEALLOCATE ALL``
psycopg forgets the statements it had prepared.

A connection given out raw (``tx.conn``) is closed when its unit of work ends, never
reused (see ``Tx.conn``); as a second line, the reset also covers psycopg's own state,
which code holding the raw connection can change:
its row and cursor factories (a ``dict_row`` left behind would hand the next unit
of work's scanner dicts instead of tuples), preparation settings and counts, notice and
notify handlers (another tenant's notices would reach them), and its adapters. The first
ones are set back to what the connection was configured with; a connection whose
adapters changed is closed instead, since psycopg offers no way to undo them.
"""

from __future__ import annotations

import logging
import secrets
import select
import time
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import psycopg

from monozu.db.dialects.pooling import Pool, Pooling
from monozu.db.errors import ConfigError, ConnectionFailed, Timeout

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect

# psycopg_pool reports background reconnection attempts as warnings, and psycopg an
# error it ignored while ending a pipeline or a COPY on a lost connection; the caller
# gets a clear error already, so keep them off a bare terminal (an application that
# configures logging still receives them through the root logger).
logging.getLogger("psycopg").addHandler(logging.NullHandler())

# Connections the layer closed itself before handing them back (a broken one, or one
# whose raw handle was given out): psycopg_pool warns of every closed connection it
# gets back, which for these says nothing the layer did not decide.
_CLOSED_HERE: weakref.WeakSet[Any] = weakref.WeakSet()


class _QuietOnOwnClosing(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "discarding closed connection: %s" or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        return args[0] not in _CLOSED_HERE


logging.getLogger("psycopg.pool").addFilter(_QuietOnOwnClosing())

# How long after a successful reset a connection is handed out without a check.
ALIVE_WINDOW = 0.5

# Every session runs in UTC, so timestamptz values come back aware and in UTC, and
# reads '...' strings as the SQL standard does (a backslash is a character): the
# :name compiler reads them so, whatever the database's or role's default (a
# default of off made '\' :x ' one string there, and bound :x inside it). Its tenant
# is none until a unit of work binds one: a default of the role, the database or the
# URL's options (``-c app.tenant_id=...``) had bound every unbound unit of work, and
# each reset's RESET ALL went back to it. Set, the name is also defined in a new
# session as in one reused after a tenant's unit of work. Row security is on: a role
# whose default is off (as pg_dump sets it) had every statement on a tenant table
# refused ("query would be affected by row-level security policy") instead of filtered
# to its tenant; a role that bypasses the policies still does.
SESSION_SQL = ("SET TIME ZONE 'UTC';\nSET standard_conforming_strings = on;\n"
               "SET row_security = on;\nSET app.tenant_id = ''")
_UNLOCK = "SELECT pg_advisory_unlock_all()"
# What DISCARD ALL does (PostgreSQL documents it as exactly these), then SESSION_SQL.
RESET_SQL = ";\n".join((
    "CLOSE ALL",
    "SET SESSION AUTHORIZATION DEFAULT",
    "RESET ALL",
    "DEALLOCATE ALL",
    "UNLISTEN *",
    _UNLOCK,
    "DISCARD PLANS",
    "DISCARD TEMP",
    "DISCARD SEQUENCES",
    SESSION_SQL,
))
_BEFORE_UNLOCK, _AFTER_UNLOCK = RESET_SQL.split(_UNLOCK)


def reset_sql() -> str:
    """:data:`RESET_SQL` with ``random()`` reseeded, in the statement that unlocks (a
    statement of its own would cost more). A seed ``setseed()`` gave holds for the
    session, and neither DISCARD ALL nor RESET ALL touches it: the next unit of work's
    ``random()``, another tenant's, would follow a sequence the unit of work that set
    it can foretell. Reseeded from this process's strong randomness, it cannot."""
    seed = secrets.randbits(53) / 2**52 - 1.0  # setseed takes [-1, 1]
    return f"{_BEFORE_UNLOCK}{_UNLOCK}, setseed({seed!r}){_AFTER_UNLOCK}"


@dataclass(frozen=True)
class DriverState:
    """psycopg's per-connection settings as configured (some read from its private
    attributes: the public API has no way to list handlers or compare adapters)."""

    row_factory: Any
    cursor_factory: Any
    server_cursor_factory: Any  # what conn.cursor(name=...) makes
    prepare_threshold: int | None
    prepared_max: int | None
    # The transaction characteristics psycopg puts on every BEGIN it sends.
    autocommit: bool
    read_only: bool | None
    isolation_level: Any
    deferrable: bool | None
    dumpers: dict[Any, dict[Any, Any]]
    dumpers_by_oid: list[dict[Any, Any]]
    loaders: list[dict[Any, Any]]

    @classmethod
    def of(cls, conn: Any) -> DriverState:
        adapters = conn.adapters
        return cls(conn.row_factory, conn.cursor_factory, conn.server_cursor_factory,
                   conn.prepare_threshold,
                   conn.prepared_max, conn.autocommit, conn.read_only, conn.isolation_level,
                   conn.deferrable, {f: dict(d) for f, d in adapters._dumpers.items()},
                   [dict(d) for d in adapters._dumpers_by_oid],
                   [dict(d) for d in adapters._loaders])


_CONFIGURED: weakref.WeakKeyDictionary[Any, DriverState] = weakref.WeakKeyDictionary()


def remember_driver_state(conn: Any) -> None:
    _CONFIGURED[conn] = DriverState.of(conn)


def restore_driver_state(conn: Any) -> None:
    """Set psycopg's settings back; raise (the pool then closes ``conn``) if its
    adapters changed."""
    was = _CONFIGURED.get(conn)
    if was is None:
        return
    if conn.row_factory is not was.row_factory:
        conn.row_factory = was.row_factory
    if conn.cursor_factory is not was.cursor_factory:
        conn.cursor_factory = was.cursor_factory
    if conn.server_cursor_factory is not was.server_cursor_factory:
        conn.server_cursor_factory = was.server_cursor_factory
    if conn.prepare_threshold != was.prepare_threshold:
        conn.prepare_threshold = was.prepare_threshold
    if conn.prepared_max != was.prepared_max:
        conn.prepared_max = was.prepared_max
    for name in ("autocommit", "read_only", "isolation_level", "deferrable"):
        if getattr(conn, name) != getattr(was, name):
            setattr(conn, name, getattr(was, name))
    _drop_notifications(conn)
    for handler in list(conn._notice_handlers):  # the layer adds none
        conn.remove_notice_handler(handler)
    for notify in list(conn._notify_handlers):
        conn.remove_notify_handler(notify)
    adapters = conn.adapters
    if adapters._dumpers_by_oid != was.dumpers_by_oid or adapters._loaders != was.loaders:
        raise RuntimeError("the connection's adapters were changed")
    if adapters._dumpers != was.dumpers:
        if not _only_resolved(adapters._dumpers, was.dumpers):
            raise RuntimeError("the connection's adapters were changed")
        # Only psycopg's own doing: a dumper it registers under its class's name
        # ("uuid.UUID") is filed under the class on first use. Remembered as it is
        # now, so the next reset compares at C speed again.
        _CONFIGURED[conn] = replace(was, dumpers={f: dict(d) for f, d in
                                                  adapters._dumpers.items()})


def _only_resolved(now: dict[Any, dict[Any, Any]], was: dict[Any, dict[Any, Any]]) -> bool:
    """Whether ``now`` is ``was`` but for names psycopg replaced by their class, the
    same dumper kept (a resolution moves a key: the count of keys stays)."""
    if now.keys() != was.keys() or any(len(now[f]) != len(was[f]) for f in now):
        return False
    return _by_name(now) == _by_name(was)


def _by_name(dumpers: dict[Any, dict[Any, Any]]) -> dict[Any, dict[str, Any]]:
    """The dumpers with every class key written as the name psycopg registers lazily
    loaded types by (``module.qualname``)."""
    return {fmt: {key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}":
                  dumper for key, dumper in by_class.items()}
            for fmt, by_class in dumpers.items()}


def _drop_notifications(conn: Any) -> None:
    """Forget the NOTIFY payloads psycopg queued and nobody read: another tenant's,
    for the next."""
    backlog = getattr(conn, "_notifies_backlog", None)
    if backlog:
        backlog.clear()


def _configure(conn: Any) -> None:
    from monozu.db.dialects.postgresql.dialect import configure

    configure(conn)
    remember_driver_state(conn)


class PsycopgPool:
    """``psycopg_pool.ConnectionPool`` behind the package's small pool interface."""

    def __init__(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
                 min_size: int, max_size: int, timeout: float,
                 max_lifetime: float = 3600.0) -> None:
        from psycopg_pool import ConnectionPool

        self._dialect = dialect
        self._url = url
        self._config = config
        self._timeout = timeout
        self._reset_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url.libpq_conninfo(),
            min_size=min_size, max_size=max_size, timeout=timeout,
            max_lifetime=max_lifetime, open=False,
            kwargs={"autocommit": False, "cursor_factory": psycopg.RawCursor},
            # No check here: psycopg_pool sleeps 1, 2, 4 s... after each failed one, and
            # a server ending idle sessions (idle_session_timeout) ended the new
            # connection too while it waited: :meth:`acquire` checks instead.
            configure=_configure, reset=self._reset, name="monozu",
        )
        self._ready = False

    def acquire(self) -> Any:
        from psycopg_pool import PoolClosed, PoolTimeout

        try:
            if not self._ready:
                # Fail fast and say why when the server is unreachable, rather than
                # letting the pool retry in the background until the checkout times out.
                self._first_session()
                self._pool.open(wait=False)
                self._ready = True
            deadline = time.monotonic() + self._timeout
            conn = self._pool.getconn()
            while not self._alive(conn):  # dropped: the pool opens another at once
                self.release(conn, broken=True)
                conn = self._pool.getconn(max(0.0, deadline - time.monotonic()))
            return conn
        except PoolTimeout as exc:
            raise Timeout(
                f"no PostgreSQL connection within {self._timeout:g} s to "
                f"{self._url.redacted()}: {str(exc).splitlines()[0]}"
            ) from None
        except PoolClosed:  # Database.close() ran while this unit of work waited
            raise ConnectionFailed(
                f"no PostgreSQL connection to {self._url.redacted()}: the Database was "
                "closed while the unit of work waited for one") from None

    def _first_session(self) -> None:
        """A session as every one will be, checked once: its tables are found through
        ``current_schema()``, which a ``search_path`` of none that exists (a role's ``''``)
        leaves NULL. Reading the schema then found no tables at all (an empty ERD, no
        tenant tables) and every statement an undefined table."""
        conn = self._dialect.connect(self._url, self._config)
        failed: Exception | None = None
        try:
            schema, path = conn.execute("SELECT current_schema(), "
                                        "current_setting('search_path')").fetchone()
        except psycopg.Error as exc:  # the session ended under it
            failed = self._dialect.translate_error(exc) or ConnectionFailed(
                f"cannot use PostgreSQL at {self._url.redacted()}: {type(exc).__name__}")
        finally:
            conn.close()
        if failed is not None:
            raise failed
        if schema is None:
            raise ConfigError(
                f"{self._url.redacted()}: the session's search_path ({path!r}) names no "
                "schema that exists, so no table can be found: set the role's search_path "
                "(ALTER ROLE ... SET search_path = public) or the URL's "
                "(options=-csearch_path=public, currentSchema=public in a jdbc: URL)")

    def release(self, conn: Any, *, broken: bool = False) -> None:
        if broken:
            _CLOSED_HERE.add(conn)
            conn.close()
        self._pool.putconn(conn)

    def _reset(self, conn: Any) -> None:
        """psycopg_pool's reset of a returned connection, run by its worker thread."""
        POOLING.reset(conn)
        self._reset_at[conn] = time.monotonic()

    def _alive(self, conn: Any) -> bool:
        try:
            self._check(conn)
        except Exception:
            return False
        return True

    def _check(self, conn: Any) -> None:
        """Whether an idle connection still works, before it is handed out: one round
        trip, a fifth of a short unit of work's time. It is skipped for a connection
        reset less than ``ALIVE_WINDOW`` seconds ago on which nothing has arrived since
        (as HikariCP's ``aliveBypassWindowMs``): a server that ends a session (shut
        down, the backend killed) sends its reason and closes the socket, which makes
        it readable. A server lost without a word in that window fails the unit of
        work's first statement with ``ConnectionFailed``, as it would a moment later,
        and the pool drops the connection."""
        at = self._reset_at.get(conn)
        if at is not None and time.monotonic() - at < ALIVE_WINDOW and _quiet(conn):
            return
        from psycopg_pool import ConnectionPool

        ConnectionPool.check_connection(conn)

    def close(self) -> None:
        if self._ready:
            self._pool.close()

    def stats(self) -> dict[str, int]:
        s = self._pool.get_stats()
        return {"max_size": self._pool.max_size, "idle": s.get("pool_available", 0),
                "opened": s.get("connections_num", 0)}


def _quiet(conn: Any) -> bool:
    """Whether nothing waits to be read on the connection's socket."""
    try:
        fd = conn.pgconn.socket
    except psycopg.OperationalError:  # closed
        return False
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    return not select.select([fd], [], [fd], 0)[0]


class PostgreSQLPooling(Pooling):
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        return PsycopgPool(dialect, url, config, min_size=1, max_size=max_size,
                           timeout=timeout)

    def reset(self, conn: Any) -> None:
        """The reset batch in autocommit mode; the pool discards the connection on error."""
        restore_driver_state(conn)
        conn.autocommit = True
        try:
            conn.execute(reset_sql())
        finally:
            conn.autocommit = False
        # A notification the server sent while the connection waited for this reset
        # (still listening) was read by the batch: it goes too.
        _drop_notifications(conn)
        _forget_statement_counts(conn)


def _forget_statement_counts(conn: Any) -> None:
    """Forget how often each statement ran, which psycopg counts to prepare one on its
    fifth run. The batch's DEALLOCATE ALL makes psycopg forget only when it had prepared
    something: counts left over told the next unit of work which statements this one
    ran (one of them then prepared on its first run there, seen in
    pg_prepared_statements). A statement prepared is deallocated at the reset anyway,
    so the counts gained nothing across units of work."""
    counts = getattr(getattr(conn, "_prepared", None), "_counts", None)
    if counts:
        counts.clear()


POOLING = PostgreSQLPooling()
