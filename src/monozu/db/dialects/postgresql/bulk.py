"""PostgreSQL's bulk path: binary ``COPY``, typed by the table, straight into it or,
where a ``COPY`` would not do what an ``INSERT`` does (row-level security applies, the
table has ``INSERT`` rules, it is a view), through a temporary staging table. A column
whose values only the database gives (``GENERATED ALWAYS``) is refused by name, as an
``INSERT`` refuses it: a ``COPY`` would have written it.

psycopg picks each value's binary dumper by the column's type, not by the value's, and
several of its dumpers trust the value: a ``boolean`` column stores the truth of
anything (``"false"`` went in as TRUE), ``float8`` takes NaN, ``time`` and
``interval`` read the fields of whatever they are given (a string became 758118354
days), an array column took ``0`` as ``{}``. So those columns are guarded here, on the
copy's own cursor (never the connection's, where ``exec`` would meet them): the value
must be of the Python type the column takes, or the row is refused. The integer
dumpers keep the low bits of a larger int (70000 went into a ``smallint`` as 4464),
and a ``datetime`` went into a ``date`` or ``timestamp`` column by its own wall time
where ``exec`` stores UTC. ``boolean``, ``float8``, the integers and ``date``, the
common ones, are checked a chunk of rows at a time at C speed and keep psycopg's C
dumpers (a ``timestamp`` column's values are converted row by row); the rarer types
(and array elements) get a Python dumper with the check in it. The dumpers of text,
``uuid``, ``timestamptz`` and ``bytea`` refuse a wrong type by themselves.

A refusal happens mid-``COPY``, after rows have gone to the server, so inside a
transaction the copy runs under a savepoint: a refused row leaves the transaction as
it was, as a refused ``exec`` does.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import itertools
import operator
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple, cast

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Dumper, PyFormat
from psycopg.pq import Format
from psycopg.types.numeric import Float4BinaryDumper, FloatBinaryDumper, NumericBinaryDumper

from monozu.db.dialects.base import bad_row_shape, plain_row
from monozu.db.errors import NUL_MESSAGE, MonozuError, NulCharacter, ParameterError
from monozu.db.values import (
    INT64_MAX,
    INT64_MIN,
    SEND_FAILURES,
    UNSENDABLE,
    as_base_type,
    aware,
    check_decimal,
    check_float,
    check_int64,
    check_text,
    find_refusal,
    json_text,
    named_refusal,
)

# COPY's binary format: its header (signature, no flags, no extension) and trailer.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"

try:  # psycopg's C row formatter; not part of its documented interface
    from psycopg._copy_base import format_row_binary as _format_row
except ImportError:  # pragma: no cover - another psycopg: Copy.write_row, one by one
    _format_row = None

# psycopg's builtin oids of the types whose binary dumpers need a guard.
_BOOL, _FLOAT8, _INT2, _INT4, _INT8 = 16, 701, 21, 23, 20
_DATE, _TIMESTAMP, _TIMESTAMPTZ, _FLOAT4, _BYTEA = 1082, 1114, 1184, 700, 17
# builtin array oids -> their element's oid, for the arrays whose elements are checked
_ELEMENTS = {1000: _BOOL, 1005: _INT2, 1007: _INT4, 1016: _INT8, 1021: _FLOAT4,
             1022: _FLOAT8, 1182: _DATE, 1115: _TIMESTAMP, 1185: _TIMESTAMPTZ,
             1183: 1083, 1270: 1266,
             1187: 1186, 1014: 1042, 1003: 19}
_TIME, _TIMETZ, _INTERVAL, _JSON, _JSONB = 1083, 1266, 1186, 114, 3802
_TEXT, _TEXT_LIKE = 25, frozenset({1042, 19})  # text; bpchar (char(n)) and name
# SQLSTATEs of a text value the server cannot store (a NUL, a bad byte sequence).
_BAD_TEXT = {"22021", "22P05"}
# "COPY t, line 3, column name: ..." in the error's context (English server messages).
_COPY_PLACE = re.compile(r"\bline (?P<line>\d+)(?:, column (?P<column>[^\s:]+))?")


class ColumnType(NamedTuple):
    oid: int  # the type the values are sent as: a domain's base type, text for an enum
    sql: str  # format_type(): the column's type as DDL, typmod included

    @property
    def is_array(self) -> bool:  # a domain over an array type is one too
        return self.oid in _ARRAY_OIDS or self.sql.endswith("]")


# The builtin array types psycopg knows.
_ARRAY_OIDS = frozenset(t.array_oid for t in psycopg.postgres.types if t.array_oid)


class Target(NamedTuple):
    """What the catalog says of a bulk insert's table, for the columns named."""

    types: list[ColumnType]  # each named column's, in the order given
    rls: bool  # row-level security applies to this role: COPY is refused
    rewritten: bool  # a view, or a table with INSERT rules: COPY would bypass them
    key: list[str]  # the primary key's columns in key order, empty unless all are named
    may_stage: bool = True  # the role may create temporary tables in the database
    # The staging table of this table and columns as the session holds it now: its
    # columns' (name, type), None when there is none.
    staging: list[tuple[str, str]] | None = None

    @property
    def staged(self) -> bool:
        """Whether ``COPY`` cannot go straight into the table: the rows go through a
        staging table and one ``INSERT ... SELECT``, or, for a role that may not create
        one, ``INSERT ... VALUES``."""
        return self.rls or self.rewritten


def column_types(conn: Any, quoted_table: str, columns: Sequence[str],
                 stage: str | None = None) -> Target:
    """Each named column's type and how the rows must go in; a named column whose
    values only the database gives is refused, as an ``INSERT`` refuses it. ``stage``:
    the staging table whose present shape to read in the same query."""
    rows = conn.execute(
        "SELECT a.attname, a.atttypid::int, format_type(a.atttypid, a.atttypmod), "
        "row_security_active(a.attrelid), array_position(k.indkey::int2[], a.attnum), "
        "t.typtype::text, a.attidentity::text, a.attgenerated::text, "
        # not correlated, so run once (an InitPlan): per column, it doubled the query
        "(SELECT c.relkind = 'v' OR EXISTS (SELECT FROM pg_rewrite r "
        "WHERE r.ev_class = c.oid AND r.ev_type = '3') FROM pg_class c "
        "WHERE c.oid = $1::regclass), "
        "(SELECT has_database_privilege(current_database(), 'TEMPORARY')), "
        "(SELECT array_agg(ARRAY[s.attname::text, format_type(s.atttypid, s.atttypmod)] "
        "ORDER BY s.attnum) FROM pg_attribute s WHERE s.attrelid = to_regclass($2) "
        "AND s.attnum > 0 AND NOT s.attisdropped) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_index k "
        "ON k.indrelid = a.attrelid AND k.indisprimary "
        "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        (quoted_table, stage)).fetchall()
    wire = _wire_types(conn, [r[1] for r in rows if r[5] in ("d", "e")])
    found = {r[0]: ColumnType(wire.get(r[1], r[1]), r[2]) for r in rows}
    missing = [c for c in columns if c not in found]
    if missing:
        raise ParameterError(f"bulk insert into {quoted_table}: no column(s) "
                             f"{', '.join(missing)}")
    # COPY writes a GENERATED ALWAYS identity's given value, where INSERT refuses it:
    # the sequence then stays behind and a later INSERT collides with the row.
    given_by_database = {r[0]: _IDENTITY_ALWAYS if r[6] == "a" else _GENERATED
                         for r in rows if r[6] == "a" or r[7]}
    for column in columns:
        if column in given_by_database:
            raise ParameterError(f"bulk insert into {quoted_table}, column {column}: "
                                 f"{given_by_database[column]}; leave the column out")
    key = [name for _, name in sorted((r[4], r[0]) for r in rows if r[4] is not None)]
    named = set(columns)
    staging = rows[0][10] if rows else None
    return Target([found[c] for c in columns], bool(rows and rows[0][3]),
                  bool(rows and rows[0][8]), key if all(k in named for k in key) else [],
                  bool(rows and rows[0][9]),
                  None if staging is None else [(n, t) for n, t in staging])


# Why a column is refused: pg_attribute's attidentity 'a', or any attgenerated ('s'
# stored, 'v' virtual in PostgreSQL 18).
_IDENTITY_ALWAYS = "the database assigns its values (GENERATED ALWAYS AS IDENTITY)"
_GENERATED = "the database computes its values (a generated column)"


def _wire_types(conn: Any, oids: Sequence[int]) -> dict[int, int]:
    """What a value of each of these domain or enum types is sent as in a binary
    ``COPY``: a domain as its base type (the server checks the domain's constraints),
    an enum as its label's text. One query, and only when the table has such a column."""
    if not oids:
        return {}
    chain = conn.execute(
        "WITH RECURSIVE chain(start, oid, kind, depth) AS ("
        " SELECT t.oid, t.oid, t.typtype, 0 FROM pg_type t WHERE t.oid = ANY($1::oid[])"
        " UNION ALL"
        " SELECT c.start, b.oid, b.typtype, c.depth + 1 FROM chain c"
        " JOIN pg_type d ON d.oid = c.oid JOIN pg_type b ON b.oid = d.typbasetype"
        " WHERE c.kind = 'd' AND c.depth < 32)"
        " SELECT start::int, oid::int, kind::text FROM chain WHERE kind <> 'd'",
        (list(oids),)).fetchall()
    return {start: _TEXT if kind == "e" else oid for start, oid, kind in chain}


def bulk_insert(conn: Any, quote: Callable[[str], str], *, table: str, quoted_table: str,
                columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Copy ``rows`` into ``table``; see the module's docstring for the paths."""
    if conn.autocommit:  # nothing to keep: a failed COPY changes nothing
        return _insert(conn, quote, table=table, quoted_table=quoted_table,
                       columns=columns, rows=rows)[0]
    with conn.transaction():  # a savepoint, as a transaction is open
        count, stage = _insert(conn, quote, table=table, quoted_table=quoted_table,
                               columns=columns, rows=rows)
    if stage is not None:
        # Emptied once the savepoint is released, in the transaction that made the
        # table (or last emptied it): PostgreSQL then truncates its files in place. In
        # the call's own savepoint every TRUNCATE gave it new files (three with its
        # TOAST table) and kept the old ones until the transaction ended.
        conn.execute(f"TRUNCATE {stage}")
    return count


def _insert(conn: Any, quote: Callable[[str], str], *, table: str, quoted_table: str,
            columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[int, str | None]:
    """The count, and the staging table the rows went through in a transaction, which
    the caller empties."""
    stage = staging_table(quoted_table, columns)
    target = column_types(conn, quoted_table, columns, stage)
    types, key = target.types, target.key
    cols = ", ".join(quote(c) for c in columns)
    if not target.staged:
        return _copy(conn, f"{quoted_table} ({cols})", types, rows, table=table,
                     columns=columns), None
    if not target.may_stage:
        return _insert_values(conn, quoted_table, cols, types, rows, table=table,
                              columns=columns), None
    # PostgreSQL refuses COPY FROM into a table whose row-level security applies to
    # the current role, and a COPY skips a table's INSERT rules and cannot fill a
    # view: the rows go to a staging table of the same column types and on with one
    # INSERT ... SELECT, which the policies check row by row and the rules and the
    # view's triggers or check option see as they see any INSERT. That adds
    # rows one at a time, so they go in primary key order when the key is among the
    # columns: a key of random UUIDs then grows at its end instead of splitting pages
    # all over (100,000 rows: 136 ms to 100 ms, sort included).
    #
    # In a transaction, one staging table serves every bulk insert into this table and
    # these columns until the transaction ends (ON COMMIT DROP), emptied after each:
    # a table made and dropped for each call kept its locks (about eight) until then,
    # and 4,600 calls in one unit of work filled the server's lock table, shared by
    # every session ("out of shared memory"). A failed call's savepoint takes back
    # what it copied, and the table itself if the call made it.
    wanted = [(c, t.sql) for c, t in zip(columns, types, strict=True)]
    if target.staging != wanted:
        if target.staging is not None:  # the table's columns changed since
            conn.execute(f"DROP TABLE {stage}")
        definition = ", ".join(f"{quote(c)} {t.sql}" for c, t in zip(columns, types,
                                                                     strict=True))
        lifetime = "" if conn.autocommit else " ON COMMIT DROP"
        conn.execute(f"CREATE TEMPORARY TABLE {stage} ({definition}){lifetime}")
    try:
        count = _copy(conn, f"{stage} ({cols})", types, rows, table=table, columns=columns)
        order = f" ORDER BY {', '.join(quote(c) for c in key)}" if key else ""
        conn.execute(f"INSERT INTO {quoted_table} ({cols}) SELECT {cols} FROM {stage}{order}")
    finally:
        # Outside a transaction nothing takes the rows back: the table goes at once.
        if conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            conn.execute(f"DROP TABLE IF EXISTS {stage}")
    return count, None if conn.autocommit else stage


def staging_table(quoted_table: str, columns: Sequence[str]) -> str:
    """The temporary table a bulk insert into ``quoted_table``'s ``columns`` stages its
    rows in: one name for each table and columns, well within PostgreSQL's 63 bytes."""
    shape = "\x00".join((quoted_table, *columns)).encode("utf-8", "surrogatepass")
    return f"pg_temp.monozu_bulk_{hashlib.blake2b(shape, digest_size=12).hexdigest()}"


# Parameters PostgreSQL takes in one statement.
_MAX_PARAMS = 65535


def _insert_values(conn: Any, quoted_table: str, cols: str, types: Sequence[ColumnType],
                   rows: Iterable[Sequence[Any]], *, table: str,
                   columns: Sequence[str]) -> int:
    """The rows by ``INSERT ... VALUES`` of up to ``CHUNK_ROWS`` rows each, for a role
    that may not create the staging table (no ``TEMPORARY`` privilege on the database):
    the policies, rules and triggers see them as any ``INSERT``. Values are bound as
    ``exec`` binds them, except that a list is the array on an array column."""
    from monozu.db.dialects.postgresql.dialect import DIALECT

    width = len(columns)
    per = max(1, min(CHUNK_ROWS, _MAX_PARAMS // width))
    binders = [_array_binder(t) if t.is_array else DIALECT.adapt for t in types]
    count = 0
    values: list[Any] = []
    with conn.cursor() as cur:
        for number, given in enumerate(rows, 1):
            row = plain_row(table, number, given)
            bad_row_shape(table, width, number, row)
            for column, value, bind in zip(columns, row, binders, strict=True):
                try:
                    values.append(bind(value))
                except UNSENDABLE as exc:
                    refused = named_refusal(f"bulk insert into {table}, row {number}, "
                                            f"column {column}", exc)
                    raise refused from refused.__cause__
            if len(values) == per * width:
                cur.execute(_values_insert(quoted_table, cols, width, per), values)
                count, values = count + per, []
        if values:
            cur.execute(_values_insert(quoted_table, cols, width, len(values) // width),
                        values)
            count += len(values) // width
    return count


@lru_cache(maxsize=64)
def _values_insert(quoted_table: str, cols: str, width: int, rows: int) -> str:
    marks = ", ".join("(" + ", ".join(f"${n * width + i + 1}" for i in range(width)) + ")"
                      for n in range(rows))
    return f"INSERT INTO {quoted_table} ({cols}) VALUES {marks}"


def _array_binder(t: ColumnType) -> Callable[[Any], Any]:
    """An array column's value for ``INSERT ... VALUES``: a list (its elements checked
    as the ``COPY`` path checks them) or None."""
    refuse = _element_refusal(_ELEMENTS.get(t.oid))
    elements = None if refuse is None else _elements_checked(refuse)

    def bind(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise ParameterError(f"the column takes a list, not a {type(value).__name__}")
        return value if elements is None else elements(value)

    return bind


def _copy(conn: Any, target: str, types: Sequence[ColumnType], rows: Iterable[Sequence[Any]],
          *, table: str, columns: Sequence[str]) -> int:
    width = len(types)
    checks = [_ColumnCheck(i, itemgetter(i), *_CHECKS[t.oid]) for i, t in enumerate(types)
              if t.oid in _CHECKS and not t.is_array]
    count = 0
    with conn.cursor() as cur:
        for t in types:
            guard = _guard(t.oid, t.is_array)
            if guard is not None:
                cur.adapters.register_dumper(None, guard)
            element = _ELEMENTS.get(t.oid)  # char(n)[] needs its elements' dumper too
            if element in _TEXT_LIKE and (inner := _guard(element, False)) is not None:
                cur.adapters.register_dumper(None, inner)
        for column, t in zip(columns, types, strict=True):
            try:
                cur.adapters.get_dumper_by_oid(t.oid, Format.BINARY)
            except psycopg.ProgrammingError:
                raise ParameterError(
                    f"bulk insert into {table}, column {column}: its type {t.sql} has no "
                    "binary form here (an array of an enum or a domain, a composite "
                    "type...); insert it with exec_many") from None
        try:
            with cur.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                oids = [t.oid for t in types]
                copy.set_types(oids)
                # Only the formatting is guarded: what the caller's own row source
                # raises (a corrupt file, say) goes out as it is. A table with columns
                # whose values may be mutable objects (arrays, JSON, bytea) takes its
                # rows one at a time, each written as it comes: a source may refill one
                # list or dict for every row.
                whole_rows = all(t.oid not in _MUTABLE_VALUES and not t.is_array
                                 for t in types)
                chunks = _chunks(iter(rows), table) if whole_rows else map(_one, rows)
                write: _BlockWriter | _RowWriter = (
                    _RowWriter(copy) if _format_row is None else _BlockWriter(copy, cur, oids))
                for chunk in chunks:
                    doubtful = _doubtful(chunk, width, checks) if whole_rows else checks
                    if doubtful is None:  # checked: all written in one call
                        failed = write.rows(chunk)
                        if failed is not None:
                            at, exc = failed
                            refused = _bad_row(cur, table, columns, types, chunk[at],
                                               number=count + 1 + at, exc=exc)
                            raise refused from refused.__cause__
                    else:
                        for number, given in enumerate(chunk, count + 1):
                            row = _check_row(  # the slow way
                                table, columns, width, number, given, checks=doubtful)
                            failed = write.rows((row,))
                            if failed is not None:
                                refused = _bad_row(cur, table, columns, types, row,
                                                   number=number, exc=failed[1])
                                raise refused from refused.__cause__
                    write.flush()
                    count += len(chunk)
                write.end()
        except psycopg.Error as exc:
            placed = _placed(exc, table)
            if placed is None:
                raise
            raise placed from None if isinstance(placed, ParameterError) else exc
    return count


class _BlockWriter:
    """Rows formatted a chunk at a time by psycopg's own C row formatter, in one call
    for the chunk, and written as one block: a Python call for every row through
    ``Copy.write_row`` cost a quarter of the copy."""

    def __init__(self, copy: Any, cur: Any, oids: Sequence[int]) -> None:
        self.copy = copy
        self.transformer = psycopg.adapt.Transformer(cur)
        self.transformer.set_dumper_types(oids, Format.BINARY)
        self.block = bytearray(_SIGNATURE)

    def rows(self, rows: Sequence[Any]) -> tuple[int, Exception] | None:
        """Format ``rows`` into the block; on a failure, which row and why."""
        assert _format_row is not None
        done = itertools.count()
        try:  # zip takes a count for each row formatted before the failure
            formatted = map(_format_row, rows, itertools.repeat(self.transformer),
                            itertools.repeat(self.block))
            collections.deque(zip(formatted, done, strict=False), maxlen=0)
        except Exception as exc:
            return next(done), exc
        return None

    def flush(self) -> None:
        if self.block:
            self.copy.write(self.block)
            self.block = bytearray()

    def end(self) -> None:
        self.block += _TRAILER
        self.flush()


class _RowWriter:
    """Rows through ``Copy.write_row``, one call each: for a psycopg without the row
    formatter ``_BlockWriter`` uses."""

    def __init__(self, copy: Any) -> None:
        self.write_row = copy.write_row

    def rows(self, rows: Sequence[Any]) -> tuple[int, Exception] | None:
        for at, row in enumerate(rows):
            try:
                self.write_row(row)
            except psycopg.Error as exc:
                if not _dump_failure(exc):  # the server's: _placed's
                    raise
                return at, exc
            except Exception as exc:  # any dumper failure is the row's
                return at, exc
        return None

    def flush(self) -> None:
        pass

    def end(self) -> None:
        pass


def _dump_failure(exc: psycopg.Error) -> bool:
    """Whether psycopg raised ``exc`` itself, turning a value into its binary form (a
    ragged nested list, a Decimal past numeric's binary range, a row whose length
    lies): an error with no SQLSTATE that is not a lost connection. The row's to
    name, as the layer's own refusals are; the server's errors keep their class."""
    return exc.sqlstate is None and isinstance(exc, psycopg.DataError | psycopg.ProgrammingError)


_MUTABLE_VALUES = frozenset({_JSON, _JSONB, _BYTEA})  # a dict or list document, a bytearray


def _one(row: Any) -> list[Any]:
    return [row]


def _chunks(source: Iterator[Any], table: str) -> Iterator[list[Any]]:
    """Rows ``CHUNK_ROWS`` at a time, each list copied as it comes: a source may refill
    one list for every row (a reader's buffer), and a chunk's rows are all read before
    the first is written. A row of a tuple or list subclass (a namedtuple) becomes a
    tuple of what iterating it gives, as on every database."""
    taken = 0
    for first in source:
        if type(first) is not tuple:
            chunk = [plain_row(table, taken + 1, first)]
            chunk.extend(r if type(r) is tuple else plain_row(table, n, r) for n, r in
                         enumerate(itertools.islice(source, CHUNK_ROWS - 1), taken + 2))
        else:  # tuples: the fast way, unless something else comes after all
            chunk = [first, *itertools.islice(source, CHUNK_ROWS - 1)]
            kinds = set(map(type, chunk))
            if kinds != {tuple}:
                if list in kinds:
                    lists = [r for r in chunk if isinstance(r, list)]
                    if len(set(map(id, lists))) < len(lists):
                        raise ParameterError(
                            "bulk insert: one list object is given for several rows, after "
                            "tuples; give a new list or a tuple for each row")
                chunk = [r if type(r) is tuple else plain_row(table, n, r)
                         for n, r in enumerate(chunk, taken + 1)]
        taken += len(chunk)
        yield chunk


# -- the checks a chunk of rows gets before it is written --------------------------
#
# psycopg's C dumpers for boolean, float8 and the integers take any truth value, any
# float (NaN included) and any int (keeping its low bits). Checking each value in a
# Python dumper cost a fifth of the copy, so they are checked a chunk at a time at C
# speed instead (a set of types, one float sum, a min and a max), and row by row only
# in a chunk where that check fails, to name the row.

CHUNK_ROWS = 512
_SEQUENCES = (tuple, list)
_BOOLS = frozenset({bool, type(None)})
_DATES = frozenset({date, type(None)})
_NUMBERS = frozenset({float, int, type(None)})  # not bool: exec refuses it for a number
_not_none = functools.partial(operator.is_not, None)


def _only_bools(values: Iterable[Any]) -> bool:
    return set(map(type, values)) <= _BOOLS


def _all_finite(values: Iterable[Any]) -> bool:
    # Plain numbers only (an object of its own could add up to anything), then their
    # sum: NaN or an infinity anywhere makes it NaN or infinite. So does an overflow,
    # which only sends the chunk the slow way. Zeros and None are left out. An int
    # beyond 64 bits is refused, as exec refuses it (its double is not the int).
    column = list(values)
    kinds = set(map(type, column))
    if not kinds <= _NUMBERS:
        return False
    if int in kinds:
        ints = [v for v in column if type(v) is int]
        if min(ints) < INT64_MIN or max(ints) > INT64_MAX:
            return False
    try:
        total = sum(filter(None, column), 0.0)
    except OverflowError:  # an int beyond a double: the slow way, and its dumper says so
        return False
    return not total - total


def _refuse_non_bool(value: Any) -> Any:
    if value is not True and value is not False:
        raise ParameterError(f"a boolean column takes True or False, not a "
                             f"{type(value).__name__}")
    return value


def _refuse_non_finite(value: Any) -> Any:
    """The double to send for ``value``: the one checked, whatever a subclass's
    ``__float__`` would say next time."""
    _refuse_bool(value, "a float")
    try:
        number = _as_double(value)
    except ParameterError:  # an int beyond 64 bits
        raise
    except Exception:  # not a number at all: the dumper refuses it, naming the row
        return value
    return check_float(number)  # raises the ParameterError for NaN and the infinities


def _refuse_bool(value: Any, wanted: str) -> None:
    # psycopg's number dumpers take a bool as 1 or 0; exec sends a boolean, which the
    # server refuses for a number column: so is it here.
    if isinstance(value, bool):
        raise ParameterError(f"the column takes {wanted}, not a bool")


def _ints_within(low: int, high: int) -> Callable[[Iterable[Any]], bool]:
    """The chunk check of an integer column: plain ints only, all within its range.
    psycopg's C dumpers of smallint and integer keep the low bits of a larger int
    (70000 went in as 4464, 2**40 as 0)."""

    def chunk_ok(values: Iterable[Any]) -> bool:
        column = list(filter(_not_none, values))
        if not column:
            return True
        return set(map(type, column)) == {int} and low <= min(column) and max(column) <= high

    return chunk_ok


def _refuse_out_of(name: str, low: int, high: int) -> Callable[[Any], Any]:
    def refuse(value: Any) -> Any:
        _refuse_bool(value, "an int")
        if not isinstance(value, int):
            return value  # not an int: the dumper refuses it, naming the row
        number = int.__index__(value)  # a subclass's value, not what it claims
        if not low <= number <= high:
            shown = number if abs(number) < 10**20 else f"an int of {number.bit_length()} bits"
            raise ParameterError(f"{shown} does not fit {_a(name)} column ({low} to {high})")
        return number

    return refuse


def _only_dates(values: Iterable[Any]) -> bool:
    return set(map(type, values)) <= _DATES


def _date_value(value: Any) -> Any:
    """A ``date`` as it is; a ``datetime`` as its date in UTC, as ``exec`` stores it
    (the server casts the timestamptz it is sent); a naive one refused, as everywhere."""
    if isinstance(value, datetime):
        return aware(_plain(value)).astimezone(UTC).date()
    return _plain(value)  # a date, or what the dumper refuses, naming the row


def _datetimes_inside(values: Iterable[Any]) -> bool:
    """The chunk check of a ``timestamptz`` column: plain datetimes none of which is in
    year 1 or 9999, where the UTC time may leave what Python can read back (the server
    stores year 10000; reading the row then fails). Comparing aware values is C."""
    column: list[datetime] = list(filter(_not_none, values))
    if not column:
        return True
    if set(map(type, column)) != {datetime}:
        return False
    try:
        low, high = min(column), max(column)
    except SEND_FAILURES:  # naive and aware together, a tzinfo that fails: row by row
        return False
    return low.year > 1 and high.year < 9999


def _aware_value(value: Any) -> Any:
    """A ``timestamptz`` value: a datetime must be aware and inside the years 1 to 9999
    in UTC, as on every path; anything else is the dumper's to refuse."""
    return aware(_plain(value)) if isinstance(value, datetime) else value


def _no_values(values: Iterable[Any]) -> bool:
    return not any(map(_not_none, values))


def _utc_wall_time(value: Any) -> Any:
    """A ``timestamp`` column (no time zone) gets the UTC time of an aware datetime, as
    ``exec`` stores it; a naive datetime is refused, as on every path."""
    if isinstance(value, datetime):
        return aware(_plain(value)).astimezone(UTC).replace(tzinfo=None)
    return value


def _plain(value: Any) -> Any:
    """A ``date`` or ``datetime`` subclass as its own value, as ``exec`` sends it:
    psycopg's dumpers use its methods (``-``, which a subclass may redefine)."""
    if type(value) is datetime or type(value) is date or not isinstance(value, date):
        return value
    return as_base_type(value)


class _ColumnCheck(NamedTuple):
    position: int  # the column's place in a row
    values: Callable[[Sequence[Any]], Any]  # the column's value in a row
    chunk_ok: Callable[[Iterable[Any]], bool]  # at C speed: every value is fine
    refuse: Callable[[Any], Any]  # the value to send, or ParameterError


_CHECKS: dict[int, tuple[Callable[[Iterable[Any]], bool], Callable[[Any], Any]]] = {
    _BOOL: (_only_bools, _refuse_non_bool),
    _FLOAT8: (_all_finite, _refuse_non_finite),
    _INT2: (_ints_within(-2**15, 2**15 - 1), _refuse_out_of("smallint", -2**15, 2**15 - 1)),
    _INT4: (_ints_within(-2**31, 2**31 - 1), _refuse_out_of("integer", -2**31, 2**31 - 1)),
    _INT8: (_ints_within(-2**63, 2**63 - 1), _refuse_out_of("bigint", -2**63, 2**63 - 1)),
    _DATE: (_only_dates, _date_value),
    _TIMESTAMP: (_no_values, _utc_wall_time),  # every value needs its conversion
    _TIMESTAMPTZ: (_datetimes_inside, _aware_value),
}


def _doubtful(chunk: list[Any], width: int, checks: Sequence[_ColumnCheck]
              ) -> list[_ColumnCheck] | None:
    """None when every row of ``chunk`` has the right shape and passes every column
    check; else the checks each row must go through one by one."""
    kinds = set(map(type, chunk))
    if not all(issubclass(k, _SEQUENCES) for k in kinds) or set(map(len, chunk)) != {width}:
        return list(checks)  # a dict, a string or a short row: found row by row
    failed = [c for c in checks if not c.chunk_ok(map(c.values, chunk))]
    return failed or None


def _check_row(table: str, columns: Sequence[str], width: int, number: int, row: Any,
               *, checks: Sequence[_ColumnCheck]) -> Any:
    """``row`` checked value by value, as it is to be sent."""
    row = plain_row(table, number, row)
    bad_row_shape(table, width, number, row)
    sent = None
    for check in checks:
        value = row[check.position]
        if value is None:
            continue
        try:
            checked = check.refuse(value)
        except UNSENDABLE as exc:  # a tzinfo's utcoffset() may fail in its own way
            refused = named_refusal(f"bulk insert into {table}, row {number}, column "
                                    f"{columns[check.position]}", exc)
            raise refused from refused.__cause__
        if checked is not value:
            sent = sent or list(row)
            sent[check.position] = checked
    return row if sent is None else sent


def _bad_row(cur: Any, table: str, columns: Sequence[str], types: Sequence[ColumnType],
             row: Sequence[Any], *, number: int, exc: BaseException) -> ParameterError:
    """The refusal of one bulk row, naming the column whose value cannot be sent."""
    from monozu.db.dialects.postgresql.dialect import DIALECT

    where = f"bulk insert into {table}, row {number}"
    # The layer's own checks first, but not on an array column: there a list is the
    # array, where exec would take it for a JSON document.
    found = find_refusal(DIALECT.adapt, ((f"column {c}", v) for c, t, v in
                                         zip(columns, types, row, strict=False)
                                         if not t.is_array), where)
    if found is not None:
        return found
    # The value the layer takes but the column's dumper does not: dump them one by one.
    transformer = psycopg.adapt.Transformer(cur)
    for column, t, value in zip(columns, types, row, strict=False):
        if value is None:
            continue
        try:
            transformer.set_dumper_types([t.oid], Format.BINARY)
            transformer.dump_sequence((value,), (PyFormat.BINARY,))
        except Exception as bad:  # the failure is what we report
            if isinstance(bad, ParameterError):
                return ParameterError(f"{where}, column {column}: {bad}")
            refused = ParameterError(f"{where}, column {column}: "
                                     f"{_not_of_type(t, value, bad)}")
            refused.__cause__ = bad
            return refused
    refused = ParameterError(f"{where}: a value cannot be sent ({type(exc).__name__}: "
                             f"{str(exc)[:200]})")
    refused.__cause__ = exc
    return refused


def _not_of_type(t: ColumnType, value: Any, exc: BaseException) -> str:
    return (f"{_a(type(value).__name__)} does not fit {_a(t.sql)} column "
            f"({type(exc).__name__}: {exc})")


def _a(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _placed(exc: psycopg.Error, table: str) -> MonozuError | None:
    """An error the server raised mid-``COPY``, named by the row and column its context
    gives ("COPY t, line 3, column name: ..."), as the layer's refusals are; None when
    it gives none. A text value the server cannot store (a NUL) is a ParameterError, as
    ``exec`` makes it; any other keeps its class (``DataError``, ``UniqueViolation``...)."""
    from monozu.db.dialects.postgresql.dialect import DIALECT

    place = _COPY_PLACE.search(exc.diag.context or "")
    where = f"bulk insert into {table}"
    if place is not None:
        where += f", row {place['line']}"
        if place["column"]:
            where += f", column {place['column']}"
    if exc.sqlstate in _BAD_TEXT:
        primary = exc.diag.message_primary or str(exc)
        if "0x00" in primary:
            return NulCharacter(f"{where}: {NUL_MESSAGE}", code=exc.sqlstate)
        return ParameterError(f"{where}: text the database cannot store ({primary})")
    found = DIALECT.translate_error(exc) if place is not None else None
    if found is None or place is None:
        return None
    return type(found)(f"{where}: {found}", code=found.code, constraint=found.constraint,
                       table=found.table, column=found.column or place["column"])


# -- the dumpers ------------------------------------------------------------------

_PACK_FLOAT8 = struct.Struct("!d").pack
_PACK_FLOAT4 = struct.Struct("!f").pack


def _as_double(obj: Any) -> float:
    """The double to send for ``obj``, so that is what gets checked: a float's, an
    int's or a Decimal's own value (a subclass's, not what its ``__float__`` claims;
    an int beyond 64 bits refused, as ``exec`` refuses it), another object's
    ``__float__``, never a string's parse."""
    if type(obj) is float:
        return obj
    if isinstance(obj, float):
        return float.__float__(obj)
    if isinstance(obj, int):
        return float(check_int64(int.__index__(obj)))
    if isinstance(obj, str | bytes | bytearray):
        raise TypeError(f"must be real number, not {type(obj).__name__}")
    if isinstance(obj, Decimal):
        return float(Decimal(obj))
    return float(obj)


class FiniteFloat8(FloatBinaryDumper):
    """Binary ``float8`` that refuses NaN and infinities, as every other path does.

    ``x - x`` is 0 for every finite number and NaN (true) for NaN and the infinities,
    tested on the double that is sent: an object of its own could subtract to 0 and
    still convert to NaN.
    """

    def dump(self, obj: float) -> Buffer | None:
        value = _as_double(obj)
        if value - value:
            check_float(value)  # raises the ParameterError
        return _PACK_FLOAT8(value)


class FiniteFloat4(Float4BinaryDumper):
    def dump(self, obj: float) -> Buffer | None:
        _refuse_bool(obj, "a float")
        value = _as_double(obj)
        if value - value:
            check_float(value)
        return _PACK_FLOAT4(value)


class FiniteNumeric(NumericBinaryDumper):
    """Binary ``numeric`` that refuses what ``exec`` refuses: a Decimal NaN or infinity
    (subclasses too) and an ``int`` beyond 64 bits."""

    def dump(self, obj: Any) -> Buffer | None:
        _refuse_bool(obj, "a number")
        if isinstance(obj, Decimal):
            obj = Decimal(obj)  # a subclass's value, not what its methods claim
            if not obj.is_finite():
                check_decimal(obj)  # raises the ParameterError
        elif isinstance(obj, int) and not isinstance(obj, bool):
            obj = check_int64(int.__index__(obj))  # a subclass's value
        return super().dump(obj)


# The dumpers every connection gets, by oid: only a COPY picks dumpers by oid.
FINITE_DUMPERS: tuple[type[Dumper], ...] = (FiniteFloat8, FiniteFloat4, FiniteNumeric)
# psycopg's own (C) float8 dumper: a bulk copy checks its floats a chunk at a time.
_FLOAT8_DUMPER = cast("type[Dumper]", psycopg.adapters.get_dumper_by_oid(_FLOAT8, Format.BINARY))


class _JsonDocument(Dumper):
    """``json``: a ``str`` is the document's text, as ``exec`` sends it (the server
    parses it); anything else is serialised, with the layer's checks."""

    format = Format.BINARY
    oid = _JSON
    prefix = b""

    def dump(self, obj: Any) -> Buffer | None:
        text = check_text(obj) if type(obj) is str else json_text(obj)
        return self.prefix + text.encode()


class _JsonbDocument(_JsonDocument):
    oid = _JSONB
    prefix = b"\x01"  # jsonb's binary format: a version byte, then the text


class _Guarded(Dumper):
    """psycopg's own dumper for the column's type, behind a test of the value's type."""

    format = Format.BINARY
    base: ClassVar[type[Dumper]]
    accepted: ClassVar[tuple[type, ...]]
    # What turns the value into what is sent, if anything (in a tuple: not a method).
    prepare: ClassVar[tuple[Callable[[Any], Any], ...]] = ()

    def __init__(self, cls: type, context: AdaptContext | None = None) -> None:
        super().__init__(cls, context)
        self._inner = self.base(cls, context)  # C dumpers cannot be subclassed

    def dump(self, obj: Any) -> Buffer | None:
        if not isinstance(obj, self.accepted):
            names = " or ".join(t.__name__ for t in self.accepted)
            raise ParameterError(f"the column takes a {names}, not a {type(obj).__name__}")
        for prepare in self.prepare:
            obj = prepare(obj)
        return self._inner.dump(obj)


_MAX_DIMENSIONS = 6  # PostgreSQL's limit


def _elements_checked(refuse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An array's value with each element checked as its column would be: psycopg's
    element dumpers keep the low bits of a large int (``[2**40]`` went into an
    ``integer[]`` as ``{0}``) and take True as 1."""

    def walk(value: Any, depth: int = 1) -> Any:
        if depth > _MAX_DIMENSIONS:
            raise ParameterError(f"an array has at most {_MAX_DIMENSIONS} dimensions")
        if isinstance(value, list):
            return [walk(v, depth + 1) for v in value]
        return None if value is None else refuse(value)

    return lambda value: [walk(v) for v in value]


def _refuse_non_float4(value: Any) -> Any:
    number = _refuse_non_finite(value)
    if isinstance(number, float) and abs(number) > _FLOAT4_MAX:
        raise ParameterError(f"{number} does not fit a real (at most {_FLOAT4_MAX:.7g})")
    return number


_FLOAT4_MAX = 3.4028234663852886e38


# The Python type a column of these takes, where psycopg's dumper would read whatever
# it is given (a string became 758118354 days in an interval).
_ACCEPTED: dict[int, tuple[type, ...]] = {
    _TIME: (time,), _TIMETZ: (time,), _INTERVAL: (timedelta,), 1042: (str,), 19: (str,),
    _BYTEA: (object,)}  # psycopg's dumper takes any buffer


def _time_value(value: Any) -> Any:
    """A ``time`` whose tzinfo must give its offset, as ``exec`` needs it (a ``time``
    column's dumper ignored the tzinfo, so one that fails went in unnoticed)."""
    if isinstance(value, time) and value.tzinfo is not None:
        value.utcoffset()  # raises what the tzinfo raises: the row is refused
    return value


def _contiguous(value: Any) -> Any:
    """A buffer's bytes as ``exec`` sends them: psycopg's dumper refuses a memoryview
    that is not contiguous (``memoryview(b"abcdef")[::2]``), and takes what is no
    buffer at all (an int) only to fail later, naming no column."""
    view = memoryview(value)  # TypeError for what is no buffer
    return value if view.c_contiguous else view.tobytes()


# What a value of these columns is turned into before psycopg's dumper sees it.
_PREPARE: dict[int, Callable[[Any], Any]] = {_TIME: _time_value, _TIMETZ: _time_value,
                                             _BYTEA: _contiguous}


def _element_refusal(element: int | None) -> Callable[[Any], Any] | None:
    """How one element of an array of ``element`` is checked (None: as it comes)."""
    if element is None:
        return None
    if element == _FLOAT4:
        return _refuse_non_float4
    if element in _CHECKS:
        return _CHECKS[element][1]
    accepted = _ACCEPTED.get(element)
    if accepted is None:
        return None

    prepare = _PREPARE.get(element)

    def refuse(value: Any) -> Any:
        if not isinstance(value, accepted):
            names = " or ".join(t.__name__ for t in accepted)
            raise ParameterError(f"an element must be a {names}, not a {type(value).__name__}")
        return value if prepare is None else prepare(value)

    return refuse


@lru_cache(maxsize=256)
def _guard(oid: int, is_array: bool) -> type[Dumper] | None:
    """The guarded dumper for a column of ``oid``, None where psycopg's own is strict."""
    if oid == _FLOAT8:  # checked a chunk at a time: psycopg's C dumper writes it
        return _FLOAT8_DUMPER
    if oid == _JSON:
        return _JsonDocument
    if oid == _JSONB:
        return _JsonbDocument
    prepare = None
    if is_array:
        accepted: tuple[type, ...] = (list,)
        refuse = _element_refusal(_ELEMENTS.get(oid))
        prepare = None if refuse is None else _elements_checked(refuse)
    elif oid in _TEXT_LIKE:  # no binary dumper of their own; their binary form is the text
        return type(f"Text{oid}Dumper", (_Guarded,), {
            "oid": oid, "base": psycopg.adapters.get_dumper_by_oid(_TEXT, Format.BINARY),
            "accepted": (str,)})
    elif oid in _ACCEPTED:
        accepted = _ACCEPTED[oid]
        prepare = _PREPARE.get(oid)
    else:
        return None
    try:
        base = psycopg.adapters.get_dumper_by_oid(oid, Format.BINARY)
    except psycopg.ProgrammingError:  # no binary dumper: psycopg refuses it by itself
        return None
    return type(f"Guarded{base.__name__}", (_Guarded,), {
        "oid": oid, "base": base, "accepted": accepted,
        "prepare": () if prepare is None else (prepare,)})
