"""SQLite through the standard library's ``sqlite3``: the embedded default.

WAL journal (switched to on opening, except by a command that only opens an existing
database, which keeps the file's own journal mode), foreign keys on and a busy timeout
on every connection. Transactions are begun explicitly (``isolation_level=None``) so
writers take the lock up front with ``BEGIN IMMEDIATE`` instead of failing on a lock
upgrade. UUIDs are stored as 16-byte BLOBs, timestamps as fixed-form ISO text, JSON as
text (see ``values``). There is no row-level security: the tenant travels with the unit
of work and the repositories filter on it explicitly.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import sqlite3
import string
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from monozu.db import errors
from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import CHECKED_INLINE, Dialect
from monozu.db.dialects.migration import poll
from monozu.db.dialects.sqlite import statements as text_rules
from monozu.db.dialects.sqlite.pool import (
    POOLING,
    MemoryConnection,
    WatchedConnection,
    end_write_turn,
    let_signals_in,
    stopped_by_signal,
    take_write_turn,
)
from monozu.db.dialects.sqlite.snippets import SQLiteSnippets
from monozu.db.errors import ConfigError, ConnectionFailed, DatabaseError, ParameterError
from monozu.db.values import (
    UUID_FROM_BYTES_ENV,
    UUID_FROM_BYTES_INLINE,
    Converter,
    as_base_type,
    check_decimal,
    check_float,
    check_int64,
    check_text,
    decimal_from_any,
    decimal_shown,
    json_from_text,
    json_text,
    utc_from_text,
    utc_text,
    uuid_from_bytes,
)

if TYPE_CHECKING:
    from monozu.db.dialects.catalog import Catalog
    from monozu.db.dialects.migration import MigrationSQL

def _same(value: Any) -> Any:
    return value


def _is_empty_file(path: str) -> bool:
    try:
        return Path(path).expanduser().stat().st_size == 0
    except OSError:  # not there, or not readable: opening it says why
        return False


def _in_wal_mode(conn: sqlite3.Connection) -> bool:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"


def _use_wal(conn: sqlite3.Connection, wait: float) -> None:
    """Put the database in WAL mode, waiting up to ``wait`` seconds for other connections.

    The mode is kept in the file, so only the first connection to a new database
    changes it. That change needs the file to itself, and SQLite answers "database is
    locked" at once, without waiting the busy timeout, when another connection opening
    the same new file holds it (four migrations started together, say)."""
    def switch() -> None:
        if not _in_wal_mode(conn):
            conn.execute("PRAGMA journal_mode = WAL")

    failure = while_busy(switch, wait)
    if failure is not None:
        raise failure


def while_busy(action: Callable[[], object], wait: float) -> sqlite3.OperationalError | None:
    """Run ``action`` again while another connection's lock makes it fail, for up to
    ``wait`` seconds: None once it has run, else the last "database is locked"."""
    failure: list[sqlite3.OperationalError] = []

    def attempt() -> bool:
        try:
            action()
            return True
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            failure[:] = [exc]
            return False

    return None if poll(attempt, wait) else failure[0]


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (another connection's lock)."""
    code = getattr(exc, "sqlite_errorcode", None)  # extended codes: the low byte
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY,
                                                     sqlite3.SQLITE_LOCKED)


class _Bits(dict[Any, bool]):
    """SQLite's 0 and 1 as booleans, at the cost of a dict lookup; anything else fails."""

    def __missing__(self, value: Any) -> bool:
        raise TypeError(f"{type(value).__name__} is not a bool, 0 or 1")


_BITS = _Bits({0: False, 1: True})


def _decimal_text(value: Decimal) -> str:
    # A REAL or NUMERIC column reads the text as a double: one past a double's range
    # would be stored as infinity, which the layer refuses everywhere.
    if value.is_finite() and value.adjusted() < 308:
        return str(value)
    check_decimal(value)
    if math.isinf(float(value)):
        raise ParameterError(f"{decimal_shown(value)} refused: beyond a double's range "
                             "(about 1.8E+308), so SQLite would store it as infinity")
    return str(value)


_ADAPTERS: dict[type, Callable[[Any], Any]] = {
    str: check_text,
    int: check_int64,
    float: check_float,
    bytes: _same,
    type(None): _same,
    uuid.UUID: attrgetter("bytes"),
    datetime: utc_text,
    date: lambda d: d.isoformat(),
    Decimal: _decimal_text,
    dict: json_text,
    list: json_text,
    bool: int,
}


_NOT_UTF8 = re.compile(r"Could not decode to UTF-8 column '(?P<column>.*?)' with text ",
                       re.DOTALL)


class SQLiteDialect(Dialect):
    kind: ClassVar = "sqlite"
    pooling: ClassVar = POOLING
    style: ClassVar = "qmark"
    lexicon = text_rules.LEXICON
    statements = text_rules.RULES
    snippet_class = SQLiteSnippets
    max_params: ClassVar = 32766
    inline_adapters: ClassVar = {
        **CHECKED_INLINE,
        bool: "(1 if _v else 0) if type(_v := {x}) is _bool else _g(_v)",  # adapt's int
        # what UUID.bytes returns, without the property's Python frame
        uuid.UUID: "_v.int.to_bytes(16) if type(_v := {x}) is _UUID else _g(_v)",
        # utc_text inlined for values already in UTC (three calls a value saved); any other
        # zone goes to _g, which converts it, and a naive value to _g, which refuses it
        datetime: "_v.isoformat(timespec='microseconds') "
                  "if type(_v := {x}) is _datetime and _v.tzinfo is _UTC else _g(_v)",
    }
    # A timestamp in the layer's own form (+00:00) read by one C call; any other text
    # (no offset, another offset) is put in UTC by the reader itself. A 16-byte UUID is
    # made without a Python frame; any other value goes to the reader, which refuses it.
    inline_readers: ClassVar = {
        datetime: "_o if (_o := _fromiso({x})).tzinfo is _UTC else {c}({x})",
        uuid.UUID: UUID_FROM_BYTES_INLINE}
    inline_env: ClassVar = {"_UTC": UTC, "_fromiso": datetime.fromisoformat,
                            **UUID_FROM_BYTES_ENV}

    # The page cache while bulk statements run: the default (2 MB) makes an update of a few
    # hundred thousand rows along an index read the same pages again and again.
    bulk_cache_kib: ClassVar = 256 * 1024

    def must_keep(self, conn: Any) -> bool:
        # The only connection of an in-memory database holds its data: it stays, and
        # the pool's reset undoes what it can (see pool.WatchedConnection).
        return bool(getattr(conn, "in_memory", False))

    @contextlib.contextmanager
    def bulk_writes(self, conn: sqlite3.Connection) -> Iterator[None]:
        before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
        conn.execute(f"PRAGMA cache_size = {-self.bulk_cache_kib}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {before}")

    def connect(self, url: DatabaseURL, config: DatabaseConfig) -> sqlite3.Connection:
        path = url.path
        busy = url.seconds("busy_timeout", "timeout", default=5.0)
        if config.must_exist:  # a read-only command: create no folder and no file
            config.check_exists(url)
        elif path != ":memory:":
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _place_error(config, url, f"cannot create the folder for {path}",
                                   exc) from None
        conn: sqlite3.Connection | None = None
        try:
            mode = url.params.get("mode") or ("rw" if config.must_exist else None)
            # "~/x.db" is the file every check above looked at (and whose folder was
            # made): SQLite itself would open "~/x.db" under the working folder.
            file = os.path.expanduser(path)
            connection_class = MemoryConnection if path == ":memory:" else WatchedConnection
            if mode is None:
                conn = sqlite3.connect(file, isolation_level=None, check_same_thread=False,
                                       timeout=busy, factory=connection_class)
            else:
                # A file name may hold bytes that are not UTF-8 (a lone surrogate
                # here): they go into the URI percent-encoded, as the bytes they were.
                target = f"file:{quote(file, errors='surrogateescape')}?mode={quote(mode)}"
                conn = sqlite3.connect(target, uri=True, isolation_level=None,
                                       check_same_thread=False, timeout=busy,
                                       factory=connection_class)
            conn.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
            conn.busy_seconds = busy
            let_signals_in(conn)
            conn.execute("PRAGMA foreign_keys = ON")
            # An empty file is an empty database: a transaction begun IMMEDIATE would
            # write its header, which a read-only command must not (see begin).
            untouched = config.must_exist and _is_empty_file(path)
            # The journal mode is kept in the file's header: a command opening a
            # database only if it exists (db check, info, erd...: must_exist) uses the
            # mode it has, as switching to WAL would change that file for good. Only
            # what may create the database (migrations, the application) switches.
            if path != ":memory:" and url.params.get("mode") != "ro":
                if not config.must_exist:
                    _use_wal(conn, busy)
                # Per connection, not kept in the file; safe from corruption in WAL mode
                # only, so a database kept in another mode keeps SQLite's default.
                if not config.must_exist or _in_wal_mode(conn):
                    conn.execute("PRAGMA synchronous = NORMAL")
            conn.empty_file = untouched  # its transactions begin deferred (see begin)
        except sqlite3.Error as exc:
            if conn is not None:  # opened, but not set up (the file stayed locked)
                conn.close()
            name = getattr(exc, "sqlite_errorname", None)
            if name == "SQLITE_CANTOPEN" and path != ":memory:":
                # No file can be opened or made there (a folder under /proc or /sys, one
                # without the permission): the setting that named the place is wrong.
                why = _cannot_create(path) if url.params.get("mode") != "ro" else None
                raise ConfigError(f"{config.setting_for(url)}: cannot open SQLite database "
                                  f"{path}: {why or exc}") from None
            raise ConnectionFailed(f"cannot open SQLite database {path}: {exc}",
                                   code=name) from None
        return conn

    def server_version(self, conn: Any) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def bulk_insert(self, conn: Any, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """The common ``INSERT``; an unknown column is a :class:`ParameterError` as on
        PostgreSQL. SQLite refuses it when preparing, so before any row is inserted and
        at no cost to a call that names only known columns."""
        try:
            return super().bulk_insert(conn, table, columns, rows)
        except sqlite3.OperationalError as exc:
            generated = _GENERATED_COLUMN.fullmatch(str(exc))
            if generated is not None and _is_generated_here(conn, table, columns,
                                                            generated["c"]):
                # worded as on the other databases (a trigger's own is left as it is)
                raise ParameterError(
                    f"bulk insert into {self.quote_table(table)}, column {generated['c']}: "
                    "the database computes its values (a generated column); leave the "
                    "column out") from None
            if " has no column named " not in str(exc):
                raise
            missing = _missing_columns(conn, table, columns)
            if not missing:  # a trigger's statement, say: not the columns given here
                raise
            raise ParameterError(f"bulk insert into {self.quote_table(table)}: no column(s) "
                                 f"{', '.join(missing)}") from None

    def adapt(self, value: Any) -> Any:
        fn = _ADAPTERS.get(type(value))
        if fn is None:
            fn = _adapter_for_subclass(value)
        return fn(value)

    def reader(self, py_type: Any) -> Converter | None:
        # Direct constructors, no wrappers: the schema guarantees 16-byte blobs and
        # offset-carrying timestamps (CHECK constraints), and a value of another form
        # fails loudly as a MappingError rather than being guessed at. A timestamp is
        # read in UTC, as every database gives it: text without an offset (what
        # CURRENT_TIMESTAMP writes) is UTC, another offset is converted.
        if py_type is uuid.UUID:
            return uuid_from_bytes
        if py_type is datetime:
            return utc_from_text
        if py_type is date:  # stored as its ISO text
            return date.fromisoformat
        if py_type is bool:  # bool() would take any value at all
            return _BITS.__getitem__
        if py_type is Decimal:
            return decimal_from_any
        if py_type == "json":
            return json_from_text
        return None

    def begin(self, conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers never deadlock on an
        # upgrade; but committing it initialises an empty file, which a read-only
        # command opened as it is: there the transaction begins deferred.
        if conn.empty_file:
            conn.execute("BEGIN")
            return
        take_write_turn(conn)  # this process's writers queue here, in order
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            end_write_turn(conn)
            raise

    def commit(self, conn: Any) -> None:
        try:
            if conn.in_transaction:
                conn.execute("COMMIT")
        finally:
            end_write_turn(conn)

    def rollback(self, conn: Any) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            end_write_turn(conn)

    def set_tenant(self, conn: Any, tenant_id: str | None) -> None:
        # No session state in SQLite: repositories filter on the unit of work's tenant.
        return None

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def translate_error(self, exc: BaseException) -> DatabaseError | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        name = getattr(exc, "sqlite_errorname", None)
        if name == "SQLITE_INTERRUPT" and stopped_by_signal():
            # Ctrl-C stopped the statement through the progress handler, which took
            # its KeyboardInterrupt: the caller gets it back, as psycopg gives it after
            # cancelling a PostgreSQL statement.
            raise KeyboardInterrupt
        message = str(exc)
        cls = errors.for_sqlite(name)
        if cls is None:
            if isinstance(exc, sqlite3.IntegrityError):
                cls = errors.IntegrityError
            elif "database is locked" in message:
                cls = errors.Timeout
            elif isinstance(exc, sqlite3.DataError):
                cls = errors.DataError
            elif isinstance(exc, sqlite3.OperationalError) and \
                    message.startswith("no such table:"):
                cls = errors.UndefinedTable
            elif name == "SQLITE_FULL":
                # The disk, or a max_page_count, is full: no fault of the SQL, and no
                # narrower class of the taxonomy says so.
                cls = DatabaseError
            elif isinstance(exc, sqlite3.OperationalError | sqlite3.ProgrammingError):
                cls = errors.ProgrammingError
            else:
                cls = DatabaseError
        if name == "SQLITE_INTERRUPT":
            message = "SQLite statement interrupted (by interrupt() or a progress handler)"
        elif cls is errors.Timeout:
            message = f"SQLite database is locked: {message}"
        if (undecodable := _NOT_UTF8.match(message)) is not None:
            # sqlite3 quotes the text it could not decode, and a value is never shown
            # (it may be anything, terminal escapes or a secret included): not in the
            # message, nor in the driver's exception kept as the cause, whose text a
            # traceback or a log record of the error shows.
            column = undecodable["column"]
            exc.args = (f"{undecodable.group()}(not shown)",)
            blob = f"CAST({self.quote(column)} AS BLOB)" if column.isprintable() else "a cast"
            return errors.from_driver(
                errors.DataError, f"column {column!r} holds text that is not valid UTF-8 "
                f"and cannot be read as str; read its bytes with {blob}",
                exc, code=name, column=column)
        constraint, table, column = _constraint_facts(message)
        if cls is errors.UndefinedTable:
            table = message.removeprefix("no such table:").strip()
        return errors.from_driver(cls, message, exc, code=name, constraint=constraint,
                                  table=table, column=column)

    # -- the catalog and migration parts (imported when first used: a migrate or a
    # query needs neither introspection nor drift) ----------------------------------
    @property
    def catalog(self) -> Catalog:
        from monozu.db.dialects.sqlite.catalog import CATALOG

        return CATALOG

    @property
    def migration(self) -> MigrationSQL:
        from monozu.db.dialects.sqlite.migration import MIGRATION

        return MIGRATION


# "CHECK constraint failed: ck_items_qty" names the constraint; "UNIQUE constraint
# failed: items.name" and "NOT NULL constraint failed: items.name" name the column(s).
_FAILED = re.compile(r"^(?P<kind>[A-Z ]+) constraint failed: (?P<what>.+)$")
_TABLE_COLUMN = re.compile(r"^(?P<t>[^.,\s]+)\.(?P<c>[^.,\s]+)$")


def _constraint_facts(message: str) -> tuple[str | None, str | None, str | None]:
    """(constraint, table, column) as far as SQLite's message tells them."""
    m = _FAILED.match(message)
    if m is None:
        return None, None, None
    what = m["what"]
    if m["kind"] == "CHECK":
        return what, None, None
    columns = [part.strip() for part in what.split(",")]
    pairs = [_TABLE_COLUMN.match(c) for c in columns]
    if not all(pairs):
        return what, None, None
    tables = {p["t"] for p in pairs if p}
    table = tables.pop() if len(tables) == 1 else None
    column = pairs[0]["c"] if len(pairs) == 1 and pairs[0] else None
    return what, table, column


def _missing_columns(conn: Any, table: str, columns: Sequence[str]) -> list[str]:
    """The ``columns`` that ``table`` (``schema.table`` too) does not have."""
    have = _column_names(conn, table)
    return [c for c in columns if c.translate(_ASCII_LOWER) not in have]


def _is_generated_here(conn: Any, table: str, columns: Sequence[str], name: str) -> bool:
    """Whether ``name`` is one of ``columns`` and a generated column of ``table``."""
    wanted = name.translate(_ASCII_LOWER)
    return wanted in {c.translate(_ASCII_LOWER) for c in columns} and \
        wanted in _column_names(conn, table, generated=True)


def _column_names(conn: Any, table: str, *, generated: bool = False) -> set[str]:
    """``table``'s column names (``schema.table`` too) in ASCII lower case, as SQLite
    compares them; only its generated ones if ``generated`` (pragma_table_xinfo's
    ``hidden``: 2 for a VIRTUAL generated column, 3 for a STORED one)."""
    schema, _, name = table.rpartition(".")
    only = " WHERE hidden IN (2, 3)" if generated else ""
    found = conn.execute(f"SELECT name FROM pragma_table_xinfo(?, ?){only}",
                         (name, schema or None)).fetchall()
    return {str(n).translate(_ASCII_LOWER) for (n,) in found}


_GENERATED_COLUMN = re.compile(r'cannot INSERT into generated column "(?P<c>.*)"', re.S)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


# Why a folder cannot be made or a file opened that says the place named is wrong, as
# opposed to a failure of the moment (a full disk, an I/O error): exit code 2, not 1.
_PLACE_ERRNOS = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS,
                           errno.ENOTDIR, errno.EEXIST, errno.ELOOP, errno.ENAMETOOLONG,
                           errno.EISDIR})


def _place_error(config: DatabaseConfig, url: DatabaseURL, what: str,
                 exc: OSError) -> errors.MonozuError:
    """``what`` failed with ``exc``: a :class:`ConfigError` naming the setting when the
    place itself is wrong, else :class:`ConnectionFailed`."""
    why = exc.strerror or str(exc)
    if exc.errno in _PLACE_ERRNOS:
        return ConfigError(f"{config.setting_for(url)}: {what}: {why}")
    return ConnectionFailed(f"{what}: {why}")


def _cannot_create(path: str) -> str | None:
    """Why no file can be opened or made at ``path`` (SQLite says only "unable to open
    database file"), tried the way SQLite would; None when the file system allows it.
    A file made to find out is removed again."""
    target = Path(path).expanduser()
    try:
        if target.exists():
            os.close(os.open(target, os.O_RDWR))
        else:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            target.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _adapter_for_subclass(value: Any) -> Callable[[Any], Any]:
    base = as_base_type(value)
    if base is None:
        raise ParameterError(f"cannot bind a value of type {type(value).__name__} to SQLite")
    return lambda _: DIALECT.adapt(base)


DIALECT = SQLiteDialect()
