"""PostgreSQL through psycopg 3 (raw ``$n`` cursor) and ``psycopg_pool``.

Statements are compiled to ``$1``-style placeholders and run on psycopg's
``RawCursor``, so a literal ``%`` needs no escaping. Every session runs in UTC so
``timestamptz`` values come back aware and in UTC. The tenant is bound with
``set_config('app.tenant_id', ..., true)``: transaction-local, so it cannot outlive
the unit of work on a pooled connection.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Jsonb, set_json_dumps, set_json_loads

from monozu.db import errors
from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import CHECKED_INLINE, Dialect
from monozu.db.dialects.postgresql import bulk
from monozu.db.dialects.postgresql import statements as text_rules
from monozu.db.dialects.postgresql.pool import POOLING, SESSION_SQL
from monozu.db.dialects.postgresql.snippets import PostgreSQLSnippets
from monozu.db.errors import DatabaseError, ParameterError
from monozu.db.scan import json_loads
from monozu.db.sqltext import Lexicon
from monozu.db.values import (
    Converter,
    as_base_type,
    aware,
    check_decimal_within,
    check_float,
    check_int64,
    check_text,
    decimal_from_any,
    json_from_text,
    json_text,
)

if TYPE_CHECKING:
    from monozu.db.dialects.catalog import Catalog
    from monozu.db.dialects.migration import MigrationSQL

_ROW_DETAIL = frozenset({"23502", "23514"})  # not_null_violation, check_violation
_ONE_COLUMN_KEY = re.compile(r"Key \((?P<c>[a-z_][a-z0-9_$]*)\)=")
_UNDEFINED_RELATION = re.compile(r'relation "(?P<t>[^"]+)" does not exist')


def _as_is(text: str) -> str:
    return text


class PostgreSQLDialect(Dialect):
    kind: ClassVar = "postgresql"
    pooling: ClassVar = POOLING
    style: ClassVar = "dollar"
    lexicon = text_rules.LEXICON
    statements = text_rules.RULES
    snippet_class = PostgreSQLSnippets
    max_params: ClassVar = 65535
    # NAMEDATALEN - 1: a longer name is silently cut to 63 bytes, naming another table.
    identifier_limit: ClassVar = (63, "bytes")
    # adapt() inlined for exec_many's common values (a call each cost about 150 ms of
    # 100,000 seven-column rows); any other value goes to adapt.
    inline_adapters: ClassVar = {
        **CHECKED_INLINE,
        uuid.UUID: "_v if type(_v := {x}) is _UUID else _g(_v)",
        # a UTC value is aware and cannot leave the years 1 to 9999 in UTC: aware() keeps it
        datetime: "_v if type(_v := {x}) is _datetime and _v.tzinfo is _UTC else _g(_v)",
    }
    inline_env: ClassVar = {"_UTC": UTC}

    def connect(self, url: DatabaseURL, config: DatabaseConfig) -> psycopg.Connection[Any]:
        timeout = url.seconds("connect_timeout", default=10.0)
        # The driver's error carries the conninfo (password included): it is turned
        # into ours outside the ``except`` so it is neither cause nor context.
        failed: DatabaseError | None = None
        try:
            conn = psycopg.connect(
                url.libpq_conninfo(), autocommit=False, cursor_factory=psycopg.RawCursor,
                connect_timeout=max(1, int(timeout)),
            )
        except psycopg.Error as exc:
            failed = self._connect_error(exc, url)
        if failed is not None:
            raise failed
        try:
            configure(conn)
        except psycopg.Error as exc:  # the session ended under it (a backend killed)
            failed = self._connect_error(exc, url)
            conn.close()
        if failed is not None:
            raise failed
        return conn

    def _connect_error(self, exc: psycopg.Error, url: DatabaseURL) -> DatabaseError:
        from monozu.db.dialects.urls import mask_echoed

        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # Not every occurrence of the password: that makes the text depend on it (the
        # password "1" gave "***27.0.0.***"), revealing it. Only a whole quoted value.
        text = mask_echoed(text, url.password,
                           (url.user, url.host, str(url.port), url.database))
        cls = errors.Timeout if "timeout expired" in text else errors.ConnectionFailed
        return cls(f"cannot connect to PostgreSQL at {url.redacted()}: {text}",
                   code=getattr(exc, "sqlstate", None))

    def session_lexicon(self, conn: Any) -> Lexicon:
        # Every connection starts with standard_conforming_strings on, but a unit of
        # work may turn it off (SET, set_config, RESET to an off default) and then
        # '\' :x ' is one string. The server reports each change, which psycopg keeps.
        try:
            off = conn.info.parameter_status("standard_conforming_strings") == "off"
        except psycopg.Error:  # a closed connection: the statement's cursor says so
            return self.lexicon
        return text_rules.BACKSLASH_LEXICON if off else self.lexicon

    def server_version(self, conn: Any) -> str:
        info = conn.info
        v = info.server_version
        return f"PostgreSQL {v // 10000}.{v % 10000}"

    def adapt(self, value: Any) -> Any:
        t = type(value)
        if t is str:
            return check_text(value)
        if t is dict or t is list:
            # Serialised here, not lazily by psycopg, so a bad document is a
            # ParameterError before anything is sent.
            return Jsonb(json_text(value), dumps=_as_is)
        if t is datetime:
            return aware(value)
        if t is float:
            return check_float(value)
        if t is int:
            return check_int64(value)
        if t is Decimal:
            return check_decimal_within(value, "PostgreSQL", whole_digits=NUMERIC_WHOLE_DIGITS,
                                        scale=NUMERIC_SCALE)
        if t in _NATIVE:
            if t is time and value.tzinfo is not None:
                value.utcoffset()  # psycopg sends it as timetz: a tzinfo that fails is
            return value           # refused here, named, before anything is sent
        return _adapt_other(value)

    def reader(self, py_type: Any) -> Converter | None:
        if py_type is Decimal:
            return decimal_from_any
        if py_type == "json":
            return json_from_text
        if py_type is datetime:  # a timestamptz column's values are taken as they come
            return _utc_timestamp
        return None  # uuid, bool, float come back native

    def given_types(self, description: Sequence[Any]) -> tuple[Any, ...] | None:
        # A column's type decides the loader, so the Python type of its values.
        return tuple(_GIVEN.get(d[1]) for d in description)

    def unreadable_value(self, cursor: Any) -> tuple[int, int, BaseException] | None:
        # psycopg loads every row of a client-side result while fetching, so a value
        # it cannot turn into Python (a timestamp of 'infinity' or past year 9999, a
        # JSON document too deep) fails the whole fetch. Loading the result again one
        # value at a time finds it; this runs only after a failure.
        result = cursor.pgresult
        if result is None or result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            return None
        reader = Transformer(cursor)
        reader.set_pgresult(result)
        loaders = [reader.get_loader(result.ftype(c), result.fformat(c))
                   for c in range(result.nfields)]
        for r in range(result.ntuples):
            for c, loader in enumerate(loaders):
                data = result.get_value(r, c)
                if data is None:
                    continue
                try:
                    loader.load(data)
                except Exception as exc:  # what the fetch met: any loader's failure
                    return r + 1, c, exc
        return None

    def set_tenant(self, conn: Any, tenant_id: str | None) -> None:
        conn.execute("SELECT set_config('app.tenant_id', $1, true)", (tenant_id or "",))

    # A COPY opened on the raw connection (``tx.conn``) and never finished leaves the
    # connection in the middle of a command: COMMIT or ROLLBACK would wait for ever for
    # the server, which waits for the copy's data. Closing the connection is the only
    # way out, and the server rolls the transaction back. A pipeline left open is
    # treated alike: its results were never checked, so they are not committed.
    def commit(self, conn: Any) -> None:
        if _busy(conn):
            conn.close()
            raise errors.QueryError(
                "the unit of work was rolled back, not committed: a COPY or a pipeline "
                "started on its connection was never finished (leave its with-block "
                "first)")
        conn.commit()

    def rollback(self, conn: Any) -> None:
        if _busy(conn):
            conn.close()
            return
        conn.rollback()

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (psycopg.Error,)

    def translate_error(self, exc: BaseException) -> DatabaseError | None:
        if not isinstance(exc, psycopg.Error):
            return None
        state = exc.sqlstate or ""
        diag = exc.diag
        message = diag.message_primary or str(exc)
        if (state in ("22021", "22P05") and "0x00" in str(exc)) or "\\u0000" in str(exc) \
                or (isinstance(exc, psycopg.DataError) and "NUL" in str(exc)):
            return errors.from_driver(errors.NulCharacter, errors.NUL_MESSAGE, exc,
                                      code=state or None)
        cls = errors.for_sqlstate(state)
        if cls is None:
            if isinstance(exc, psycopg.OperationalError):
                cls = errors.ConnectionFailed if not state else DatabaseError
            elif isinstance(exc, psycopg.ProgrammingError):
                cls = errors.ProgrammingError
            else:
                cls = DatabaseError
        # A NOT NULL or CHECK violation's detail is the whole failing row, every column of
        # it (a password hash, a secret): the message never echoes it, nor does the
        # driver's exception, kept as the cause, whose text (its str and repr, in a
        # traceback or a log record) is the server's whole report: its first line is kept.
        if state in _ROW_DETAIL:
            exc.args = tuple(a.split("\n", 1)[0] if isinstance(a, str) else a
                             for a in exc.args)
        detail = None if state in _ROW_DETAIL else diag.message_detail
        text = f"{message} ({detail})" if detail else message
        column = diag.column_name
        if column is None and detail:  # a unique key names its column(s) in the detail
            key = _ONE_COLUMN_KEY.match(detail)
            column = key["c"] if key else None
        table = diag.table_name
        if table is None and cls is errors.UndefinedTable:  # named only in the message
            named = _UNDEFINED_RELATION.match(message)
            table = named["t"] if named else None
        return errors.from_driver(cls, text, exc, code=state or None,
                                  constraint=diag.constraint_name, table=table,
                                  column=column)

    def bulk_insert(self, conn: Any, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Binary ``COPY``, typed by the table: see :mod:`.bulk` for its paths."""
        return bulk.bulk_insert(conn, self.quote, table=table,
                                quoted_table=self.quote_table(table), columns=columns, rows=rows)

    # -- the catalog and migration parts (imported when first used: a migrate or a
    # query needs neither introspection nor drift) ----------------------------------
    @property
    def catalog(self) -> Catalog:
        from monozu.db.dialects.postgresql.catalog import CATALOG

        return CATALOG

    @property
    def migration(self) -> MigrationSQL:
        from monozu.db.dialects.postgresql.migration import MIGRATION

        return MIGRATION


# What PostgreSQL's numeric input takes, whatever the column: a value past these is
# "value overflows numeric format" (psycopg's binary dumper refuses it alike).
NUMERIC_WHOLE_DIGITS, NUMERIC_SCALE = 131072, 16383

_NATIVE: frozenset[type] = frozenset({bool, type(None), Decimal, uuid.UUID, bytes, date,
                                      time, timedelta})


def _adapt_other(value: Any) -> Any:
    """Subclasses of the known types, and whatever else psycopg knows how to send,
    except what psycopg would send as something else: a plain ``Enum`` (its name) and a
    ``tuple`` (a record), which the other databases refuse too."""
    base = as_base_type(value)
    if base is not None:
        return DIALECT.adapt(base)
    if isinstance(value, enum.Enum | tuple):
        what = "an Enum" if isinstance(value, enum.Enum) else "a tuple"
        raise ParameterError(f"cannot bind {what} ({type(value).__name__}): pass its value "
                             "(a str or int enum goes as its value), or a list for JSON or "
                             "an IN list")
    try:
        psycopg.adapters.get_dumper(type(value), PyFormat.AUTO)
    except psycopg.ProgrammingError:
        raise ParameterError(
            f"cannot bind a value of type {type(value).__name__} to PostgreSQL") from None
    return value


def configure(conn: psycopg.Connection[Any]) -> None:
    """Session settings every connection gets, from a pool or not.

    JSON that psycopg serialises itself (documents in a bulk ``COPY``) goes through
    the same checks as every other JSON value.
    """
    set_json_dumps(json_text, context=conn)
    set_json_loads(json_loads, context=conn)  # too deep: a MappingError, not RecursionError
    for dumper in bulk.FINITE_DUMPERS:  # by oid: only the COPY path picks dumpers so
        conn.adapters.register_dumper(None, dumper)
    conn.execute(SESSION_SQL)
    conn.commit()


# The Python type psycopg's loaders give each builtin type, by oid (json is left out: a
# document may be an object, an array or a scalar).
_GIVEN: dict[int, type] = {
    16: bool, 17: bytes, 18: str, 19: str, 25: str, 1042: str, 1043: str,
    20: int, 21: int, 23: int, 26: int, 700: float, 701: float, 1700: Decimal,
    2950: uuid.UUID, 1082: date, 1184: datetime,
}  # not timestamp (1114): its values are naive, and a datetime field reads them as UTC


def _utc_timestamp(value: Any) -> datetime:
    """A ``timestamp`` (no time zone) column's value as the UTC time it holds: the layer
    writes an aware datetime there as its UTC wall time, and every datetime it reads is
    aware. An aware one (``timestamptz``) is as it comes."""
    if type(value) is not datetime:
        raise TypeError(f"a timestamp is read as datetime, not from {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _busy(conn: Any) -> bool:
    """Whether a command is still in progress on ``conn`` (an unfinished COPY)."""
    return bool(conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.ACTIVE)


DIALECT = PostgreSQLDialect()
