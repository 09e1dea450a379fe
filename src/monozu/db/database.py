"""The query layer: what sqlx gives Go, for Python.

``Database`` owns a pool. Work happens in a :class:`Tx` (a transaction on one
pooled connection) that offers the sqlx verbs:

* ``get(Model, sql, **params)``: exactly one row, else :class:`NotFound` / :class:`TooManyRows`;
* ``select(Model, sql, **params)``: a list; ``Model``: a dataclass, ``dict`` or a scalar type;
* ``get_value(sql, **params)``: the single value of a single-row, single-column result;
* ``exec(sql, **params)``: the affected row count;
* ``exec_many(sql, rows)``: one statement, many parameter rows;
* ``bulk_insert(table, columns, rows)``: the database's fastest path (COPY, executemany, bulk copy).

``Database`` has the same verbs, each running in its own short transaction.
Parameters are ``:name`` (a mapping, or keywords); lists expand for ``IN :ids``.
Nested ``tx.transaction()`` is a savepoint. Any exception rolls back.
"""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from monozu.db.binding import bind_rows, not_a_mapping, rows_refusal
from monozu.db.config import DatabaseConfig, DatabaseURL, load_config
from monozu.db.dialects import Dialect, dialect_for
from monozu.db.errors import (
    ConfigError,
    DatabaseError,
    MappingError,
    MonozuError,
    NotFound,
    ParameterError,
    QueryError,
    TooManyRows,
)
from monozu.db.pool import Pool, make_pool
from monozu.db.scan import make_row_maker
from monozu.db.sqlparams import Compiled, bind, compile_sql
from monozu.db.values import SEND_FAILURES, UNSENDABLE, as_base_type, find_refusal, refusal

T = TypeVar("T")


def _merge(params: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> Mapping[str, Any]:
    if params is None:
        return kw
    if type(params) is not dict and not isinstance(params, Mapping):
        raise not_a_mapping(params)
    if kw:
        both = dict(params)
        both.update(kw)
        return both
    return params


def _is_name(name: object) -> bool:
    """A table's or column's name as bulk_insert takes it: text with something in it
    and nothing a terminal would act on or a strict stream could not write (NUL, a
    newline, an escape, a lone surrogate), since the name goes into error messages."""
    return isinstance(name, str) and name.strip() != "" and name.isprintable()


def _check_bulk_call(table: str, columns: object, rows: object) -> None:
    """Refuse bulk-insert arguments of the wrong shape before anything is sent."""
    if not _is_name(table):
        raise ParameterError(f"bulk insert: table must be a table's name, got {table!r:.60}")
    if isinstance(columns, str | bytes) or not isinstance(columns, Sequence) or not columns \
            or not all(map(_is_name, columns)):
        raise ParameterError(f"bulk insert into {table}: columns must be a non-empty list of "
                             f"column names, got {columns!r:.60}")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise ParameterError(f"bulk insert into {table}: column {twice[0]!r:.60} is given "
                             "twice")
    if rows is None or isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise ParameterError(f"bulk insert into {table}: rows must be an iterable of tuples, "
                             f"got {type(rows).__name__}")


class Verbs:
    """The sqlx verbs, typed once for :class:`Tx` and :class:`Database`.

    In the spirit of psycopg's ``class_row``: ``select(Model, ...)`` is a
    ``list[Model]`` and ``get(Model, ...)`` a ``Model`` for any row type, a dataclass,
    ``dict`` or a scalar type; ``get_value(..., type=T)`` is a ``T``. On a ``Tx`` they
    run in its transaction, on a ``Database`` each in a short transaction of its own.
    """

    def _unit(self) -> contextlib.AbstractContextManager[Tx]:
        raise NotImplementedError

    @overload
    def select(self, row: type[T], sql: str, params: Mapping[str, Any] | None = None, /, *,
               lenient: bool = False, types: Mapping[str, Any] | None = None,
               **kw: Any) -> list[T]: ...
    @overload
    def select(self, row: object, sql: str, params: Mapping[str, Any] | None = None, /, *,
               lenient: bool = False, types: Mapping[str, Any] | None = None,
               **kw: Any) -> list[Any]: ...

    def select(self, row: object, sql: str, params: Mapping[str, Any] | None = None, /, *,
               lenient: bool = False, types: Mapping[str, Any] | None = None,
               **kw: Any) -> list[Any]:
        """All rows, each scanned into ``row`` (a dataclass, ``dict``, or a scalar type)."""
        with self._unit() as tx:
            return tx._select(row, sql, _merge(params, kw), lenient, types)

    @overload
    def get(self, row: type[T], sql: str, params: Mapping[str, Any] | None = None, /, *,
            lenient: bool = False, types: Mapping[str, Any] | None = None, **kw: Any) -> T: ...
    @overload
    def get(self, row: object, sql: str, params: Mapping[str, Any] | None = None, /, *,
            lenient: bool = False, types: Mapping[str, Any] | None = None, **kw: Any) -> Any: ...

    def get(self, row: object, sql: str, params: Mapping[str, Any] | None = None, /, *,
            lenient: bool = False, types: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """Exactly one row: :class:`NotFound` for none, :class:`TooManyRows` for more."""
        found = self.select(row, sql, params, lenient=lenient, types=types, **kw)
        if not found:
            raise NotFound(f"no row found for {getattr(row, '__name__', row)}: {_head(sql)}")
        if len(found) > 1:
            raise TooManyRows(f"{len(found)} rows found where one was expected: {_head(sql)}")
        return found[0]

    @overload
    def get_value(self, sql: str, params: Mapping[str, Any] | None = None, /, *,
                  type: type[T], **kw: Any) -> T: ...
    @overload
    def get_value(self, sql: str, params: Mapping[str, Any] | None = None, /, *,
                  type: object = None, **kw: Any) -> Any: ...

    def get_value(self, sql: str, params: Mapping[str, Any] | None = None, /, *,
                  type: object = None, **kw: Any) -> Any:
        """The single value of a one-row, one-column result (``type`` converts it)."""
        with self._unit() as tx:
            return tx._get_value(sql, _merge(params, kw), type)

    def exec(self, sql: str, params: Mapping[str, Any] | None = None, /, **kw: Any) -> int:
        """Run a statement; the number of rows it changed (-1 when unknown)."""
        with self._unit() as tx:
            return tx._exec(sql, _merge(params, kw))

    def exec_many(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """One statement for each parameter mapping in ``rows`` (no list expansion)."""
        with self._unit() as tx:
            return tx._exec_many(sql, rows)

    def bulk_insert(self, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert many rows by the database's fastest path; returns the count."""
        with self._unit() as tx:
            return tx._bulk_insert(table, columns, rows)


class Tx(Verbs):
    """A transaction on one connection. Create with :meth:`Database.transaction`."""

    def __init__(self, db: Database, conn: Any, tenant_id: uuid.UUID | None = None) -> None:
        self.db = db
        self.dialect: Dialect = db.dialect
        self._conn = conn
        self.tenant_id = tenant_id
        self.exposed = False  # whether code outside the layer was given the connection
        self._savepoints = 0
        self._here = contextlib.nullcontext(self)

    @property
    def conn(self) -> Any:
        """The driver's own connection, for what the verbs do not cover.

        Code given it may keep it, or a cursor of it, past the block, or change what no
        reset can see (a libpq notice handler, a method replaced on the object), so the
        connection is closed when the unit of work ends, never handed to the next one.
        """
        self.exposed = True
        return self._conn

    def bulk_writes(self) -> contextlib.AbstractContextManager[None]:
        """The database's session settings for writing many rows along indexes (a
        larger SQLite page cache), given back when the block ends."""
        return self.dialect.bulk_writes(self._conn)

    def _unit(self) -> contextlib.AbstractContextManager[Tx]:
        return self._here  # the verbs run in this transaction

    # -- statements ---------------------------------------------------------
    def _compiled(self, sql: str) -> Compiled:
        """``sql`` compiled as this connection's session reads it now."""
        dialect = self.dialect
        try:
            compiled = compile_sql(sql, dialect.style, dialect.lexicon)
        except (ParameterError, QueryError) as exc:
            return self._as_session_reads(sql, exc)
        return self._as_session_reads(sql) if compiled.session_dependent else compiled

    def _as_session_reads(self, sql: str, refused: MonozuError | None = None) -> Compiled:
        """``sql``, which a session reading backslashes in '...' would read otherwise (a
        unit of work may have turned that on), compiled as this session reads it now;
        ``refused``: the dialect's own reading refused it (only a text holding a
        backslash may read otherwise: '\'' holds a quote there)."""
        dialect = self.dialect
        if refused is not None and (dialect.lexicon.backslash_reading is None
                                    or "\\" not in sql):
            raise refused
        lexicon = dialect.session_lexicon(self._conn)
        if lexicon is dialect.lexicon:
            if refused is not None:
                raise refused
            return compile_sql(sql, dialect.style, lexicon)
        try:
            return compile_sql(sql, dialect.style, lexicon)
        except (ParameterError, QueryError) as exc:
            raise type(exc)(f"{exc} (as this session reads it: {lexicon.label}, where a "
                            "backslash in '...' escapes the character after it)") from exc

    def _prepare(self, sql: str, params: Mapping[str, Any]) -> tuple[str, Sequence[Any]]:
        dialect = self.dialect
        try:  # self._compiled(sql), written out: every call runs it
            compiled = compile_sql(sql, dialect.style, dialect.lexicon)
        except (ParameterError, QueryError) as exc:
            compiled = self._as_session_reads(sql, exc)
        if compiled.session_dependent:
            compiled = self._as_session_reads(sql)
        if compiled.transaction_control:
            raise _transaction_control(compiled.transaction_control)
        text, values = bind(compiled, params, max_params=dialect.max_params)
        if not values:
            return text, values
        try:
            return text, dialect.adapt_row(values)
        except UNSENDABLE as exc:
            refused = self._refusal(params, exc)
            raise refused from refused.__cause__

    def _refusal(self, params: Mapping[str, Any], exc: BaseException) -> ParameterError:
        named = ((f":{name}", value) for name, value in params.items())
        return find_refusal(self.dialect.adapt, named) or refusal(exc)

    def _execute(self, sql: str, params: Mapping[str, Any]) -> Any:
        text, values = self._prepare(sql, params)
        cur = self._cursor()
        try:
            cur.execute(text, values) if values else cur.execute(text)
        except self.dialect.driver_errors() as exc:
            cur.close()
            raise self._translate(exc) from exc
        except SEND_FAILURES as exc:  # a value the driver could not encode
            cur.close()
            refused = self._refusal(params, exc)
            raise refused from refused.__cause__
        return cur

    def _translate(self, exc: BaseException) -> MonozuError:
        return _translated(self.dialect, exc)

    def _cursor(self) -> Any:
        try:
            return self._conn.cursor()
        except self.dialect.driver_errors() as exc:  # the raw connection was closed
            raise self._translate(exc) from exc

    def _rows(self, sql: str, params: Mapping[str, Any]
              ) -> tuple[tuple[str, ...], tuple[Any, ...] | None, list[Any]]:
        """The result's column names, the Python types its driver gives (see
        ``Dialect.given_types``) and its rows."""
        cur = self._execute(sql, params)
        try:
            if cur.description is None:
                raise QueryError("the statement returned no result set; use exec() for writes")
            columns = tuple(d[0] for d in cur.description)
            given = self.dialect.given_types(cur.description)
            try:
                rows = cur.fetchall()
            except self.dialect.driver_errors():
                _name_unreadable(self.dialect, cur, columns)
                raise
            except _LOAD_FAILURES:
                _name_unreadable(self.dialect, cur, columns)
                raise
            self.dialect.drain(cur)  # a later error in the same batch (SQL Server)
        except self.dialect.driver_errors() as exc:
            raise self._translate(exc) from exc
        except (NotImplementedError, ValueError, RecursionError) as exc:
            # The driver could not turn a value into Python: psycopg's loaders after a
            # session change (SET DateStyle), a JSON document nested too deep.
            raise MappingError(f"cannot read the result: {type(exc).__name__}: "
                               f"{str(exc)[:200]}") from exc
        finally:
            cur.close()
        return columns, given, rows

    def _select(self, row: Any, sql: str, params: Mapping[str, Any], lenient: bool,
                types: Mapping[str, Any] | None) -> list[Any]:
        columns, given, rows = self._rows(sql, params)
        plan = make_row_maker(row, columns, self.dialect, lenient,
                              tuple(sorted(types.items())) if types else None, given=given)
        try:
            return plan.all(rows)
        except (TypeError, ValueError) as exc:
            raise MappingError(f"cannot build {getattr(row, '__name__', row)} from a row: "
                               f"{exc}") from exc

    def _get_value(self, sql: str, params: Mapping[str, Any], type_: Any) -> Any:
        columns, _, rows = self._rows(sql, params)
        if len(columns) != 1:
            raise MappingError(f"get_value needs one column, the result has {len(columns)}")
        if not rows:
            raise NotFound(f"no row found: {_head(sql)}")
        if len(rows) > 1:
            raise TooManyRows(f"{len(rows)} rows found where one was expected: {_head(sql)}")
        # dict here is the column's JSON document, as list is (get(dict) gives a row)
        return make_row_maker(type_, columns, self.dialect, value=True).all(rows)[0]

    def _exec(self, sql: str, params: Mapping[str, Any]) -> int:
        cur = self._execute(sql, params)
        try:
            count = int(cur.rowcount)
            self.dialect.drain(cur)  # a later error in the same batch (SQL Server)
        except self.dialect.driver_errors() as exc:
            raise self._translate(exc) from exc
        finally:
            cur.close()
        return count

    def _exec_many(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> int:
        dialect = self.dialect
        compiled = self._compiled(sql)
        if compiled.transaction_control:
            raise _transaction_control(compiled.transaction_control)
        if isinstance(rows, Mapping | str | bytes) or not isinstance(rows, Iterable):
            raise ParameterError("exec_many takes a sequence of parameter mappings, one a "
                                 f"row, not a {type(rows).__name__} (use exec for one row)")
        batch = bind_rows(compiled, dialect, rows)  # an iterator's rows as they come
        if not batch:
            return 0
        cur = self._cursor()
        try:
            cur.executemany(compiled.one_value_sql, batch)
            count = cur.rowcount
        except dialect.driver_errors() as exc:
            raise self._translate(exc) from exc
        except SEND_FAILURES as exc:  # a value the driver could not encode
            refused = rows_refusal(dialect, rows, exc) if isinstance(rows, Sequence) \
                else refusal(exc)
            raise refused from refused.__cause__
        finally:
            cur.close()
        return int(count) if count is not None and count >= 0 else len(batch)

    def _bulk_insert(self, table: str, columns: Sequence[str],
                     rows: Iterable[Sequence[Any]]) -> int:
        _check_bulk_call(table, columns, rows)
        try:
            return self.dialect.bulk_insert(self._conn, table, columns, rows)
        except self.dialect.driver_errors() as exc:
            raise self._translate(exc) from exc

    # -- nesting ------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A savepoint: rolled back alone on an exception, which then propagates."""
        self._savepoints += 1
        name = f"monozu_sp{self._savepoints}"
        create, release, undo = self.dialect.savepoint_sql(name)
        self._raw(create)
        try:
            yield self
        except BaseException:
            self._raw(undo)
            if release:  # ROLLBACK TO keeps the savepoint: each failed block nested
                self._raw(release)  # one more, and on PostgreSQL kept a lock for each
            raise
        else:
            if release:
                self._raw(release)
        finally:
            self._savepoints -= 1

    def _raw(self, sql: str) -> None:
        cur = self._cursor()
        try:
            cur.execute(sql)
        except self.dialect.driver_errors() as exc:
            raise self._translate(exc) from exc
        finally:
            cur.close()


class Database(Verbs):
    """A pool of connections to one database, and the sqlx verbs on top."""

    def __init__(self, config: DatabaseConfig, *, url: DatabaseURL | None = None,
                 pool_size: int = 10, pool_timeout: float = 30.0, platform: bool = False) -> None:
        self.config = config
        self.url = url or config.url
        self.platform = platform
        self.dialect = dialect_for(self.url.kind)
        self._pool: Pool[Any] | None = None
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._platform_db: Database | None = None
        # Both are made on first use, which threads may reach at once: a second pool
        # would be left open, and a connection taken from one returned to the other.
        self._pool_lock = threading.Lock()
        self._platform_lock = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, *, environ: Mapping[str, str] | None = None,
             pool_size: int = 10, pool_timeout: float = 30.0) -> Database:
        """From an explicit URL, else from the environment (see :mod:`monozu.db.config`)."""
        return cls(load_config(environ, url=url, dotenv=None if url else Path(".env")),
                   pool_size=pool_size, pool_timeout=pool_timeout)

    def __repr__(self) -> str:
        return f"Database({self.url.redacted()!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pool(self) -> Pool[Any]:
        pool = self._pool
        if pool is None:
            with self._pool_lock:
                pool = self._pool
                if pool is None:
                    pool = self._pool = make_pool(
                        self.dialect, self.url, self.config, max_size=self._pool_size,
                        timeout=self._pool_timeout)
        return pool

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        with self._platform_lock:
            platform, self._platform_db = self._platform_db, None
        if platform is not None:
            platform.close()

    def platform_admin(self) -> Database:
        """The RLS-bypassing connection for platform jobs (``DATABASE_URL_PLATFORM_ADMIN``).

        Cross-tenant work is only possible through it, and only explicitly. On first use
        it is refused (:class:`monozu.db.rls.RlsError`) when the database can tell that
        the login does not bypass row-level security (see :func:`monozu.db.rls.check_platform`).
        """
        if self.platform:
            return self
        if self.config.platform_url is None:
            raise ConfigError("DATABASE_URL_PLATFORM_ADMIN is not set: no platform connection")
        with self._platform_lock:
            if self._platform_db is None:
                platform = Database(self.config, url=self.config.platform_url,
                                    pool_size=self._pool_size, platform=True)
                # A login that cannot bypass the policies would silently see no tenant
                # rows.
                from monozu.db.rls import check_platform

                try:
                    check_platform(platform)
                except BaseException:
                    platform.close()
                    raise
                self._platform_db = platform
            return self._platform_db

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A raw connection from the pool, for what the verbs do not cover. It is closed
        on exit, not pooled again: the layer cannot vouch for what was done with it or
        who still holds it (see :attr:`Tx.conn`)."""
        with self._lease() as lease:
            lease.retire = not self.dialect.must_keep(lease.conn)
            yield lease.conn

    @contextlib.contextmanager
    def _lease(self, *, translate: bool = False) -> Iterator[_Lease]:
        """A pooled connection for the layer's own use, returned on exit (broken ones,
        and retired ones, are closed instead). With ``translate``, a driver error from
        the block (the catalog's reads on the raw connection: a statement_timeout, a
        refused privilege) comes out as the layer's error."""
        pool = self.pool  # the one the connection goes back to, whatever happens meanwhile
        lease = _Lease(pool.acquire())
        try:
            try:
                yield lease
            except self.dialect.driver_errors() as exc:
                if not translate:
                    raise
                raise _translated(self.dialect, exc) from exc
        except BaseException as exc:
            lease.retire = lease.retire or _is_disconnect(exc)
            raise
        finally:
            pool.release(lease.conn, broken=lease.retire)

    @contextlib.contextmanager
    def transaction(self, *, tenant_id: uuid.UUID | None = None) -> Iterator[Tx]:
        """Commit on success, roll back on any exception."""
        if tenant_id is not None and type(tenant_id) is not uuid.UUID:
            tenant_id = _plain_tenant(tenant_id)
        with self._lease() as lease:
            conn = lease.conn
            dialect = self.dialect
            try:
                dialect.begin(conn)
            except dialect.driver_errors() as exc:
                raise _translated(dialect, exc) from exc
            tx = Tx(self, conn, tenant_id)
            try:
                try:
                    dialect.bind_unit_of_work(conn, tenant_id)
                except dialect.driver_errors() as exc:  # the first round trip: a dead
                    raise _translated(dialect, exc) from exc  # connection shows here
                yield tx
            except BaseException:
                with contextlib.suppress(Exception):
                    dialect.unbind_unit_of_work(conn, tenant_id)
                with contextlib.suppress(Exception):
                    dialect.rollback(conn)
                raise
            else:
                try:
                    dialect.unbind_unit_of_work(conn, tenant_id)
                    dialect.commit(conn)
                except dialect.driver_errors() as exc:
                    with contextlib.suppress(Exception):
                        dialect.rollback(conn)
                    raise _translated(dialect, exc) from exc
            finally:
                # The connection goes back to the pool and may become another unit of
                # work's, maybe another tenant's: a Tx kept past its block must not
                # reach it, and one whose raw connection was given out is not reused.
                tx._conn = ENDED
                if tx.exposed and not dialect.must_keep(conn):
                    lease.retire = True

    def tenant(self, tenant_id: uuid.UUID) -> contextlib.AbstractContextManager[Tx]:
        """A unit of work bound to one tenant (see :mod:`monozu.db.tenant`)."""
        if not isinstance(tenant_id, uuid.UUID):
            raise ParameterError(f"tenant id must be a uuid.UUID, got {type(tenant_id).__name__}")
        if self.platform:
            raise ConfigError("the platform connection bypasses tenant isolation; "
                              "use the application connection for tenant work")
        return self.transaction(tenant_id=tenant_id)

    def _unit(self) -> contextlib.AbstractContextManager[Tx]:
        return self.transaction()  # each one-shot verb in its own transaction

    # -- an autocommit connection of its own (the migration runner's) -----------------
    @contextlib.contextmanager
    def autocommit(self) -> Iterator[AutocommitConnection]:
        """A new connection outside the pool, in autocommit, closed on exit."""
        conn = AutocommitConnection.open(self)
        try:
            yield conn
        finally:
            conn.close()

    def server_version(self) -> str:
        with self._lease(translate=True) as lease:
            try:
                return self.dialect.server_version(lease.conn)
            finally:
                with contextlib.suppress(Exception):
                    self.dialect.rollback(lease.conn)


class AutocommitConnection:
    """One connection in autocommit, for work that must control its own transactions
    (migrations): statements outside any transaction, :meth:`transaction` with
    savepoints when nested, and positional statements in the driver's own marks
    (``dialect.placeholder``). Transaction control is the dialect's migration part, so
    SQLite begins with ``BEGIN IMMEDIATE`` and can wait for the write lock."""

    def __init__(self, db: Database, raw: Any) -> None:
        self.db = db
        self.dialect: Dialect = db.dialect
        self.raw = raw
        self.depth = 0
        self._ended = False
        # Statements the dialect asked to send with the next one (its BEGIN), to save a
        # round trip; sent by :meth:`query`.
        self.deferred: list[str] = []

    @classmethod
    def open(cls, db: Database) -> AutocommitConnection:
        raw = db.dialect.connect(db.url, db.config)
        try:
            db.dialect.migration.autocommit(raw, db.url)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                raw.close()
            if isinstance(exc, db.dialect.driver_errors()):
                raise _translated(db.dialect, exc) from exc
            raise
        return cls(db, raw)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of the first result set (none for a statement without one).

        ``params`` are positional, in the driver's own marks, and go through the same
        value checks as the verbs' (a ``ParameterError`` naming the position)."""
        if params:
            params = self._checked(params)
        try:
            cur = self.raw.cursor()
        except self.dialect.driver_errors() as exc:
            raise _translated(self.dialect, exc) from exc
        try:
            if self.deferred:
                before = self.take_deferred()
                self.dialect.migration.execute_after(self.raw, cur, before, sql, params)
            else:
                cur.execute(sql, params) if params else cur.execute(sql)
            rows = self.dialect.first_rows(cur)
        except self.dialect.driver_errors() as exc:
            raise _translated(self.dialect, exc) from exc
        except SEND_FAILURES as exc:  # a value the driver could not encode
            refused = refusal(exc)
            raise refused from refused.__cause__
        finally:
            cur.close()
        return rows

    def _checked(self, params: Sequence[Any]) -> tuple[Any, ...]:
        if isinstance(params, Mapping | str | bytes) or not isinstance(params, Sequence):
            raise ParameterError("positional parameters must be a tuple or list of values, "
                                 f"not {type(params).__name__}")
        adapt = self.dialect.adapt
        try:
            return self.dialect.adapt_row(params)
        except UNSENDABLE as exc:
            named = ((f"parameter {n}", v) for n, v in enumerate(params, 1))
            refused = find_refusal(adapt, named) or refusal(exc)
            raise refused from refused.__cause__

    def take_deferred(self) -> list[str]:
        """The deferred statements, for a caller that sends them itself (first)."""
        before, self.deferred = self.deferred, []
        return before

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        rows = self.query(sql, params)
        if not rows:
            raise NotFound(f"no row found: {_head(sql)}")
        return rows[0]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.query(sql, params)

    @contextlib.contextmanager
    def transaction(self, *, lock_wait: float = 0.0) -> Iterator[AutocommitConnection]:
        """Commit on success, roll back on any exception; nested, a savepoint."""
        part = self.dialect.migration
        if self.depth:
            name = f"monozu_sp{self.depth}"
            create, release, undo = self.dialect.savepoint_sql(name)
            self.execute(create)
        else:
            part.begin(self, lock_wait)
        self.depth += 1
        try:
            yield self
        except BaseException:
            self.depth -= 1
            self._ended = False
            self.deferred = []  # a BEGIN never sent: nothing to roll back
            with contextlib.suppress(Exception):  # the original error is what matters
                if self.depth:
                    self.execute(undo)
                    if release:  # ROLLBACK TO keeps it (see Tx.transaction)
                        self.execute(release)
                elif part.in_transaction(self.raw):
                    self.execute(part.rollback_sql)
            raise
        self.depth -= 1
        if self.depth:
            if release:
                self.execute(release)
        elif self._ended:
            self._ended = False
        elif self.deferred:
            self.deferred = []  # nothing was sent: nothing to commit
        else:
            self.execute(part.commit_sql)

    def ended(self) -> None:
        """The outermost transaction was committed by a statement the caller sent itself
        (together with its last statements, to save a round trip): leaving the block
        commits nothing more."""
        self._ended = True

    def close(self) -> None:
        with contextlib.suppress(Exception):  # any real error has been raised already
            self.raw.close()


def _plain_tenant(tenant_id: Any) -> uuid.UUID:
    """A tenant id as a plain UUID of its stored value, as every parameter sends it. The
    binding is the id's text: a subclass's own ``__str__`` could bind another tenant (or
    fail)."""
    if not isinstance(tenant_id, uuid.UUID):
        raise ParameterError(f"tenant id must be a uuid.UUID, got {type(tenant_id).__name__}")
    plain = as_base_type(tenant_id)
    assert isinstance(plain, uuid.UUID)  # a UUID's own value is a UUID
    return plain


class _Lease:
    """A connection taken from the pool, and whether it must be closed on return."""

    __slots__ = ("conn", "retire")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.retire = False


class _EndedUnitOfWork:
    """What a :class:`Tx` holds once its unit of work is over: any use of it, by a verb
    or through ``tx.conn``, is an error rather than a statement on a connection that
    the pool may have handed to someone else."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise QueryError("this unit of work has ended: its Tx (and tx.conn) cannot be "
                         "used after its with-block; open another unit of work")

    def __repr__(self) -> str:
        return "<ended unit of work>"


ENDED: Any = _EndedUnitOfWork()


def _transaction_control(words: str) -> QueryError:
    return QueryError(f"{words} is refused inside a unit of work: the unit of work commits "
                      "when its with-block ends and rolls back on an exception "
                      "(tx.transaction() gives a savepoint)")


def _translated(dialect: Dialect, exc: BaseException) -> DatabaseError:
    """The taxonomy error for a driver exception (a plain DatabaseError if unknown)."""
    return dialect.translate_error(exc) or DatabaseError(f"{type(exc).__name__}: {exc}")


def _is_disconnect(exc: BaseException) -> bool:
    from monozu.db.errors import ConnectionFailed

    if isinstance(exc, ConnectionFailed):
        return True
    return isinstance(exc, DatabaseError) and "connection" in str(exc).lower() \
        and "closed" in str(exc).lower()


# What a driver's own conversion of a fetched value may raise (MappingError: a JSON
# document too deep for the layer's decoder, which psycopg calls while it fetches).
_LOAD_FAILURES = (MappingError, NotImplementedError, ValueError, RecursionError)
_QUOTED_VALUE = re.compile(r":\s*'.*'\s*\Z", re.DOTALL)  # psycopg ends with the value


def _name_unreadable(dialect: Dialect, cur: Any, columns: Sequence[str]) -> None:
    """After a failed fetch: raise the error naming the value it could not read, if it
    was a value's (its cause: under the layer's own error, the one that made it)."""
    try:
        found = dialect.unreadable_value(cur)
    except Exception:  # looking again failed too: the fetch's own error stands
        return
    if found is None:
        return
    row, column, why = found
    name = columns[column] if column < len(columns) else f"#{column + 1}"
    own = isinstance(why, (MonozuError, *dialect.driver_errors()))  # its text says it all
    reason = str(why) if own else f"{type(why).__name__}: {why}"
    reason = _QUOTED_VALUE.sub("", reason)  # a column's value is never shown
    error = MappingError(f"column {name!r}, row {row}: the value cannot be read into "
                         f"Python: {reason[:300]}")
    raise error from (why.__cause__ or why) if isinstance(why, MonozuError) else why


def _head(sql: str) -> str:
    one = " ".join(sql.split())
    return one if len(one) <= 80 else one[:77] + "..."


def connect(url: str | None = None, **kw: Any) -> Database:
    """Shorthand for :meth:`Database.open`."""
    return Database.open(url, **kw)


__all__ = ["AutocommitConnection", "Database", "Tx", "Verbs", "connect"]
