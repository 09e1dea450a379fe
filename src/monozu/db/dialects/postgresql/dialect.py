"""PostgreSQL through psycopg 3 (raw ``$n`` cursor) and ``psycopg_pool``.

Statements are compiled to ``$1``-style placeholders and run on psycopg's
``RawCursor``, so a literal ``%`` needs no escaping. Every session runs in UTC so
``timestamptz`` values come back aware and in UTC. The tenant is bound with
``set_config('app.tenant_id', ..., true)``: transaction-local, so it cannot outlive
the unit of work on a pooled connection.
"""

from __future__ import annotations

import itertools
import re
import struct
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import psycopg
from psycopg.abc import Buffer
from psycopg.adapt import PyFormat
from psycopg.types.json import Jsonb, set_json_dumps
from psycopg.types.numeric import Float4BinaryDumper, FloatBinaryDumper, NumericBinaryDumper

from monozu.db import errors
from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import BadRowShape, Dialect, bad_row_shape
from monozu.db.dialects.postgresql import statements as text_rules
from monozu.db.dialects.postgresql.pool import POOLING, SESSION_SQL
from monozu.db.dialects.postgresql.snippets import PostgreSQLSnippets
from monozu.db.errors import DatabaseError, ParameterError
from monozu.db.values import (
    Converter,
    as_base_type,
    aware,
    check_decimal,
    check_float,
    check_int64,
    check_text,
    decimal_from_any,
    find_refusal,
    json_from_text,
    json_text,
)

if TYPE_CHECKING:
    from monozu.db.dialects.catalog import Catalog
    from monozu.db.dialects.migration import MigrationSQL

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
        configure(conn)
        return conn

    def _connect_error(self, exc: psycopg.Error, url: DatabaseURL) -> DatabaseError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if url.password:
            text = text.replace(url.password, "***")
        cls = errors.Timeout if "timeout expired" in text else errors.ConnectionFailed
        return cls(f"cannot connect to PostgreSQL at {url.redacted()}: {text}",
                   code=getattr(exc, "sqlstate", None))

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
            return check_decimal(value)
        if t in _NATIVE:
            return value
        return _adapt_other(value)

    def reader(self, py_type: Any) -> Converter | None:
        if py_type is Decimal:
            return decimal_from_any
        if py_type == "json":
            return json_from_text
        return None  # uuid, datetime, bool, float come back native

    def set_tenant(self, conn: Any, tenant_id: str | None) -> None:
        conn.execute("SELECT set_config('app.tenant_id', $1, true)", (tenant_id or "",))

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
        detail = diag.message_detail
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
        """Binary ``COPY``: values go straight to psycopg's C dumpers, typed by the table.

        Nothing is converted in Python per row; what the dumpers or the server refuse
        (a NUL, a naive datetime, a value of the wrong type) aborts the whole COPY, so
        the transaction is left unchanged.

        PostgreSQL refuses ``COPY FROM`` into a table whose row-level security applies
        to the current role, so there the rows are copied into a temporary staging
        table of the same column types and moved with one ``INSERT ... SELECT``, which
        the policies check row by row. The same catalog query that types the columns
        says which path applies (``row_security_active``), so it is never stale.
        ``INSERT ... SELECT`` adds rows one at a time, so they go in primary key order
        when the key is among the columns: a key of random UUIDs then grows at its end
        instead of splitting pages all over (100,000 rows: 136 ms to 100 ms, sort
        included; 1M rows: 2.3 s to 1.5 s).
        """
        quoted = self.quote_table(table)
        types, rls, key = _column_types(conn, quoted, columns)
        cols = ", ".join(self.quote(c) for c in columns)
        if not rls:
            return _copy(conn, f"{quoted} ({cols})", types, rows, table=table, columns=columns)
        stage = f"pg_temp.monozu_bulk_{next(_STAGES)}"
        definition = ", ".join(f"{self.quote(c)} {t.sql}" for c, t in zip(columns, types,
                                                                          strict=True))
        lifetime = "" if conn.autocommit else " ON COMMIT DROP"
        conn.execute(f"CREATE TEMPORARY TABLE {stage} ({definition}){lifetime}")
        try:
            count = _copy(conn, f"{stage} ({cols})", types, rows, table=table,
                          columns=columns)
            order = f" ORDER BY {', '.join(self.quote(c) for c in key)}" if key else ""
            conn.execute(f"INSERT INTO {quoted} ({cols}) SELECT {cols} FROM {stage}{order}")
        finally:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                conn.execute(f"DROP TABLE IF EXISTS {stage}")
        return count

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


class _ColumnType(NamedTuple):
    oid: int
    sql: str  # format_type(): the column's type as DDL, typmod included


_STAGES = itertools.count(1)


def _column_types(conn: Any, quoted_table: str, columns: Sequence[str]
                  ) -> tuple[list[_ColumnType], bool, list[str]]:
    """Each named column's type, whether row-level security applies to this role, and
    the primary key's columns in key order (empty unless all of them are named)."""
    rows = conn.execute(
        "SELECT a.attname, a.atttypid::int, format_type(a.atttypid, a.atttypmod), "
        "row_security_active(a.attrelid), array_position(k.indkey::int2[], a.attnum) "
        "FROM pg_attribute a LEFT JOIN pg_index k "
        "ON k.indrelid = a.attrelid AND k.indisprimary "
        "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        (quoted_table,)).fetchall()
    found = {name: _ColumnType(oid, sql) for name, oid, sql, _, _ in rows}
    missing = [c for c in columns if c not in found]
    if missing:
        raise ParameterError(f"bulk insert into {quoted_table}: no column(s) "
                             f"{', '.join(missing)}")
    key = [name for _, name in sorted((r[4], r[0]) for r in rows if r[4] is not None)]
    named = set(columns)
    return ([found[c] for c in columns], bool(rows and rows[0][3]),
            key if all(k in named for k in key) else [])


def _copy(conn: Any, target: str, types: Sequence[_ColumnType], rows: Iterable[Sequence[Any]],
          *, table: str, columns: Sequence[str]) -> int:
    count = 0
    row: Sequence[Any] = ()
    width = len(types)
    try:
        with conn.cursor() as cur, cur.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([t.oid for t in types])
            write_row = copy.write_row
            for row in rows:
                if type(row) is not tuple or len(row) != width:  # a dict would go as its keys
                    bad_row_shape(table, width, count + 1, row)
                write_row(row)
                count += 1
    except BadRowShape:
        raise
    except (ParameterError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise _bad_row(table, columns, count + 1, row, exc) from None
    return count


def _bad_row(table: str, columns: Sequence[str], number: int, row: Sequence[Any],
             exc: BaseException) -> ParameterError:
    """The refusal of one bulk row, naming the column whose value the layer cannot send."""
    where = f"bulk insert into {table}, row {number}"
    named = zip((f"column {c}" for c in columns), row, strict=False)
    found = find_refusal(DIALECT.adapt, named, where)
    if found is not None:
        return found
    return ParameterError(f"{where}: a value does not fit its column's type ({exc})")


_PACK_FLOAT8 = struct.Struct("!d").pack
_PACK_FLOAT4 = struct.Struct("!f").pack


class _FiniteFloat8(FloatBinaryDumper):
    """Binary ``float8`` that refuses NaN and infinities, as every other path does.

    It runs once per value of a bulk ``COPY``, so the test is the cheapest one there is:
    ``x - x`` is 0 for every finite number and NaN (true) for NaN and the infinities.
    """

    def dump(self, obj: float) -> Buffer | None:
        if obj - obj:
            check_float(obj)  # raises the ParameterError
        return _PACK_FLOAT8(obj)


class _FiniteFloat4(Float4BinaryDumper):
    def dump(self, obj: float) -> Buffer | None:
        if obj - obj:
            check_float(obj)
        return _PACK_FLOAT4(obj)


class _FiniteNumeric(NumericBinaryDumper):
    """Binary ``numeric`` that refuses a Decimal NaN or infinity, as every other path does."""

    def dump(self, obj: Any) -> Buffer | None:
        if type(obj) is Decimal and not obj.is_finite():
            check_decimal(obj)  # raises the ParameterError
        return super().dump(obj)


_NATIVE: frozenset[type] = frozenset({bool, type(None), Decimal, uuid.UUID, bytes, date,
                                      time, timedelta})


def _adapt_other(value: Any) -> Any:
    """Subclasses of the known types, and whatever else psycopg knows how to send."""
    base = as_base_type(value)
    if base is not None:
        return DIALECT.adapt(base)
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
    for dumper in (_FiniteFloat8, _FiniteFloat4, _FiniteNumeric):  # by oid: the COPY path
        conn.adapters.register_dumper(None, dumper)
    conn.execute(SESSION_SQL)
    conn.commit()


DIALECT = PostgreSQLDialect()
