"""SQLite's pool: a small LIFO pool whose connections are reset before reuse.

SQLite connections are cheap but their pragmas are not free, and ``:memory:`` must
keep its one connection alive, so connections are pooled here. What one unit of
work can leave on a connection is its temporary schema (``TEMP`` tables, views,
triggers), its pragmas (``query_only``, ``max_page_count``, ``locking_mode`` and the
rest) and attached databases. A returned connection whose temporary schema holds
anything, or was written since the last reset, has its whole temporary database
discarded, which frees the pages dropped objects would leave behind and takes what
DROP cannot remove (``temp.sqlite_sequence``); one query when there is nothing to undo.
A reset that fails closes the connection, and ``:memory:`` with it.

The authorizer also refuses reading ``sqlite_stmt``: it lists every statement the
connection holds prepared, and Python's statement cache keeps the earlier units of
work's, whose SQL (literals included) the next one could read.

What stays as a unit of work left it: ``last_insert_rowid()`` and ``changes()``, which
Python's ``sqlite3`` can set back only by writing a temporary table (about four times
a writing unit of work's time), and ``total_changes()``, which only reopening does.

Reading every pragma back costs about 30 µs, six times the common reset, so an
authorizer watches instead: SQLite calls it while preparing each new statement (a
``PRAGMA`` is prepared again each time it runs), and a ``PRAGMA`` that sets a value
or an ``ATTACH`` marks the connection. Only a marked connection has its pragmas
compared with those it had when opened, set back, and its attached databases detached
(foreign keys switched back on among them). They are read by PRAGMA statements, which
nothing in a schema can stand in for (see :func:`read_pragmas`).

Which pragma writes are undone:

* those of :data:`PRAGMAS` are read back and set back when they differ; those of
  :data:`BLIND` cannot be read back (or not fully) and are set to what the
  connection had when opened;
* those of :data:`LEAVE_NOTHING` do not mark the connection: reads given an argument
  (``table_info``), one-off actions (``wal_checkpoint``), values kept in the database
  file like any row (``user_version``), and the process-wide ones below;
* any other (``page_size``, ``auto_vacuum``, ``encoding``, ``case_sensitive_like``, one
  aimed at the ``temp`` schema, one SQLite adds later) is not known to be undoable, so
  the pool closes the connection instead, as it does one that registered SQL functions.
  An in-memory database is the exception: its only connection holds the data, so it is
  kept, and such a pragma stays set for the next unit of work (``case_sensitive_like``
  is set back off, LIKE then the connection's own).

Process-wide pragmas are no connection's state and nothing here undoes them:
``soft_heap_limit``, ``hard_heap_limit`` and the deprecated ``temp_store_directory``
and ``data_store_directory`` change SQLite for every connection of the process, and
closing the connection that set them would not set them back.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from monozu.db.dialects.pooling import Pool, Pooling
from monozu.db.errors import Timeout
from monozu.db.pool import SimplePool, Slots

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect

# What a fresh connection has in its temp schema: nothing. (Its foreign_keys setting is
# set back with the other pragmas: only a PRAGMA can change it, which marks the connection.)
TEMP_COUNT_SQL = "SELECT count(*) FROM temp.sqlite_master"


# The per-connection pragmas a unit of work could change, read in one query: what a
# connection had when opened is what it must have when handed out again. An unqualified
# journal_mode also changes the temp schema's, which main's does not tell.
PRAGMAS = ("foreign_keys", "query_only", "ignore_check_constraints", "recursive_triggers",
           "defer_foreign_keys", "reverse_unordered_selects", "automatic_index",
           "trusted_schema", "cell_size_check", "legacy_alter_table", "read_uncommitted",
           "writable_schema", "busy_timeout", "cache_size", "temp_store", "synchronous",
           "secure_delete", "locking_mode", "journal_mode", "count_changes",
           "full_column_names", "short_column_names", "empty_result_callbacks",
           "fullfsync", "checkpoint_fullfsync", "max_page_count", "journal_size_limit",
           "threads", "analysis_limit", "cache_spill", "temp.journal_mode")


def read_pragmas(conn: sqlite3.Connection) -> tuple[Any, ...]:
    """The values of :data:`PRAGMAS`, read by PRAGMA statements: not by the
    ``pragma_<name>`` table functions, which a table or view of that name in any schema
    (``CREATE TEMP VIEW pragma_query_only ...``, within any unit of work's reach) would
    replace, so that the reset read what the unit of work chose and set nothing back."""
    return tuple(conn.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS)


def attached(conn: sqlite3.Connection) -> list[str]:
    """The attached databases, read by a PRAGMA statement (see :func:`read_pragmas`)."""
    return [name for _, name, _ in conn.execute("PRAGMA database_list").fetchall()
            if name not in ("main", "temp")]


# Set on every restore, to what the connection had when opened (see watch): pragmas that
# cannot be read back as a table (mmap_size, wal_autocheckpoint), one whose reading
# hides part of it (cache_spill reads as at least the cache's size), and secure_delete,
# whose unqualified write reaches the temp schema too. Not case_sensitive_like: any
# write of it, OFF included, replaces the built-in LIKE with one of the connection's own
# that SQLite does not hold deterministic, so a schema with LIKE in a partial index or an
# index expression read as malformed on that connection from its next reload on. It is
# not known to be undoable: a connection that wrote it is closed.
BLIND = ("mmap_size", "wal_autocheckpoint", "cache_spill", "secure_delete")
RESTORED = frozenset(p.rpartition(".")[2] for p in PRAGMAS) | frozenset(BLIND)
# Pragmas whose write leaves nothing on the connection to undo (the module's docstring).
LEAVE_NOTHING = frozenset({
    # reads whose argument names what to read
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
    "page_count", "freelist_count", "data_version", "database_list", "collation_list",
    "compile_options", "function_list", "module_list", "pragma_list", "stats",
    # one-off actions
    "wal_checkpoint", "incremental_vacuum", "optimize", "shrink_memory",
    # kept in the database file: the next unit of work is meant to see them
    "user_version", "application_id", "schema_version",
    # process-wide: closing the connection would not undo them
    "soft_heap_limit", "hard_heap_limit", "temp_store_directory", "data_store_directory",
})


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


class WatchedConnection(sqlite3.Connection):
    """``sqlite3.Connection`` that remembers its opening pragmas and whether a unit of
    work may have changed them (set by the authorizer :func:`watch` installs).

    What code given the raw connection registers on it is recorded too: the only guard
    of an in-memory database's single connection, which is kept when given out
    (``Tx.conn``), and a second line for a file's, which is closed then.
    Callbacks and an authorizer of its own are taken off again, limits
    (``setlimit``) set back and extension loading switched off again; replacing the
    database (``deserialize``) is refused. SQL functions,
    aggregates, collations and extensions cannot be (Python's ``sqlite3`` has no way
    to unregister one: passing ``None`` registers a function that fails), so the pool
    closes such a connection rather than let the next unit of work call a function
    another one defined, and one that had a pragma written the reset cannot set back;
    an in-memory database, which would be lost with its only connection, keeps both.
    """

    opened_with: tuple[Any, ...] = ()
    blind_resets: tuple[str, ...] = ()
    marked: list[bool]
    temp_written: list[bool]  # the authorizer saw a write to the temp schema since reset
    unknown_pragmas: list[str]  # written since the last reset, not known to be undoable
    registered: list[str]  # SQL functions, aggregates, collations since watch()
    limits: dict[int, int]  # category -> its value before the first setlimit() since reset
    extension_loaded = False
    loading_enabled = False  # enable_load_extension(True) since the last reset
    chained: list[Any]  # an authorizer of the caller's own, consulted after the watch
    in_memory = False
    file_id: tuple[int, int] | None = None  # the opened file's (device, inode)
    file_path = ""
    busy_seconds = 5.0  # the URL's busy timeout
    turn: Slots | None = None  # the file's write turn, while this connection has it
    empty_file = False  # an empty file opened by a read-only command: left untouched
    watching = False  # set by watch(): until then the connection is the driver's own

    def close(self) -> None:
        end_write_turn(self)  # a connection closed mid-transaction holds no turn
        super().close()

    def create_function(self, name: str, narg: int, func: Any, *,
                        deterministic: bool = False) -> None:
        super().create_function(name, narg, func, deterministic=deterministic)
        self._registered("function", name, narg)

    def create_aggregate(self, name: str, n_arg: int, aggregate_class: Any) -> None:
        super().create_aggregate(name, n_arg, aggregate_class)
        self._registered("aggregate", name, n_arg)

    def create_window_function(self, name: str, num_params: int,
                               aggregate_class: Any, /) -> None:
        super().create_window_function(name, num_params, aggregate_class)
        self._registered("window", name, num_params)

    def create_collation(self, name: str, callback: Any, /) -> None:
        super().create_collation(name, callback)
        self._registered("collation", name, 0)

    def set_authorizer(self, authorizer_callback: Any) -> None:
        if not self.watching:
            super().set_authorizer(authorizer_callback)
            return
        self.chained[0] = authorizer_callback
        self.marked[0] = True

    def set_trace_callback(self, trace_callback: Any) -> None:
        super().set_trace_callback(trace_callback)
        self._mark()

    def set_progress_handler(self, progress_handler: Any, n: int) -> None:
        super().set_progress_handler(progress_handler, n)
        self._mark()

    def setlimit(self, category: int, limit: int, /) -> int:
        # A limit left behind (SQLITE_LIMIT_LENGTH = 10) would refuse the next unit of
        # work's values, as max_page_count = 1 did: the first value is set back.
        was = super().setlimit(category, limit)
        if self.watching:
            self.limits.setdefault(category, was)
            self.marked[0] = True
        return was

    def deserialize(self, data: Any, /, *, name: str = "main") -> None:
        # It would replace the database under every later unit of work on this pooled
        # connection, and SQLite 3.40 crashes the process re-preparing a cached
        # statement after it.
        if self.watching:
            raise sqlite3.NotSupportedError(
                "deserialize() is refused on a pooled connection: it would replace the "
                "database for the units of work after this one; open the image with a "
                "sqlite3 connection of its own")
        super().deserialize(data, name=name)

    def enable_load_extension(self, enabled: bool, /) -> None:
        # Left on, any later unit of work's SQL could call load_extension() itself.
        super().enable_load_extension(enabled)
        if enabled and self.watching:
            self.loading_enabled = True
            self.marked[0] = True

    def setconfig(self, op: int, enable: bool = True, /) -> bool:  # Python 3.12+
        result = bool(super().setconfig(op, enable))  # type: ignore[misc,unused-ignore]
        self._registered("setconfig", str(op), 0)  # not known to be undoable: closed
        return result

    def load_extension(self, name: str, /, *args: Any, **kwargs: Any) -> None:
        super().load_extension(name, *args, **kwargs)
        self.extension_loaded = True
        self._mark()

    def _registered(self, kind: str, name: str, arguments: int) -> None:
        if self.watching:
            self.registered.append(f"{kind} {name}/{arguments}")
            self.marked[0] = True

    def _mark(self) -> None:
        if self.watching:
            self.marked[0] = True


class MemoryConnection(WatchedConnection):
    """The connection of an in-memory database, which also keeps its cursors and blobs
    for the reset to close: the connection stays when given out (``Tx.conn``), and a
    cursor a unit of work kept half-read made the reset fail (a table it reads cannot
    be dropped), which closed the connection and lost the database; kept open, it could
    go on reading the next unit of work's rows. A file's connection given out is closed
    instead, so only this one pays for the bookkeeping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handles: weakref.WeakSet[Any] = weakref.WeakSet()

    def forget_foreign_attributes(self) -> None:
        """Delete what code given the connection set on the object itself: a method
        replaced there (``conn.execute = spy``) would see every later unit of work's
        statements and values, another tenant's."""
        own = vars(self)
        if own.keys() - _OWN_ATTRIBUTES:
            for name in own.keys() - _OWN_ATTRIBUTES:
                del own[name]

    def cursor(self, factory: Any = sqlite3.Cursor) -> Any:
        cur = super().cursor(factory)
        self.handles.add(cur)
        return cur

    # sqlite3's own execute methods make their cursor without calling cursor().
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)  # type: ignore[no-any-return]

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)  # type: ignore[no-any-return]

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(sql_script)  # type: ignore[no-any-return]

    def blobopen(self, table: str, column: str, row: int, /, *, readonly: bool = False,
                 name: str = "main") -> sqlite3.Blob:
        blob = super().blobopen(table, column, row, readonly=readonly, name=name)
        self.handles.add(blob)
        return blob


# What the layer itself sets on a connection object (see watch and the dialect's connect).
_OWN_ATTRIBUTES = frozenset({
    "opened_with", "blind_resets", "marked", "temp_written", "chained", "unknown_pragmas",
    "registered", "limits", "watching", "in_memory", "empty_file", "loading_enabled",
    "extension_loaded", "handles", "busy_seconds", "turn", "file_id", "file_path"})


# This process's queue for each database file's write lock (see take_write_turn). Held
# weakly: a queue nobody holds or waits in is free, as a new one is, and one kept for
# every file a long-lived process ever opened grew by about 1 KB a file.
_TURNS: weakref.WeakValueDictionary[tuple[int, int], Slots] = weakref.WeakValueDictionary()
_TURNS_LOCK = threading.Lock()


def take_write_turn(conn: Any) -> None:
    """Wait, first come first served, for the file's write lock among this process's
    units of work, before ``BEGIN IMMEDIATE`` asks SQLite for it.

    SQLite's own wait is a busy handler that sleeps and tries again: a connection
    whose lock was just released by another one of the pool usually finds it taken
    again already, so with more threads than one writing, some waited out the whole
    busy timeout (``database is locked``) while the rest went on. Other processes are
    still kept out by SQLite's lock alone."""
    key = conn.file_id
    if key is None or conn.turn is not None:
        return
    with _TURNS_LOCK:
        turn = _TURNS.get(key)
        if turn is None:
            turn = _TURNS[key] = Slots(1)
    if not turn.acquire(conn.busy_seconds):
        raise Timeout(f"SQLite database is locked: another unit of work of this process "
                      f"kept its write lock for more than {conn.busy_seconds:g} s "
                      "(busy_timeout)", code="SQLITE_BUSY")
    conn.turn = turn


def end_write_turn(conn: Any) -> None:
    """Give the file's write turn to the next unit of work (nothing if not held)."""
    turn, conn.turn = conn.turn, None
    if turn is not None:
        turn.release()


def watch(conn: WatchedConnection) -> None:
    """Record ``conn``'s pragmas as they are now and mark it on any later change."""
    conn.opened_with = opened = read_pragmas(conn)
    was = dict(zip(PRAGMAS, opened, strict=True))
    checkpoint = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    conn.blind_resets = (
        "PRAGMA mmap_size = -1",  # -1: the process's default, which a new connection has
        f"PRAGMA wal_autocheckpoint = {checkpoint}",
        # 1 is also the spill threshold a new connection has; a larger one would read
        # the same while the cache is larger still
        f"PRAGMA cache_spill = {1 if was['cache_spill'] else 0}",
        f"PRAGMA secure_delete = {int(was['secure_delete'])}",
    )
    marked = conn.marked = [False]
    temp_written = conn.temp_written = [False]
    chained = conn.chained = [None]  # lists, not attributes: no cycle through conn
    unknown = conn.unknown_pragmas = []
    conn.registered = []
    conn.limits = {}
    setting, attach, ok = sqlite3.SQLITE_PRAGMA, sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_OK
    insert, read, deny = sqlite3.SQLITE_INSERT, sqlite3.SQLITE_READ, sqlite3.SQLITE_DENY
    leave_nothing, restored = LEAVE_NOTHING, RESTORED

    def authorize(action: int, arg1: str | None, arg2: str | None, db: str | None,
                  source: str | None) -> int:
        if action == setting:
            if arg2 is not None and (name := str(arg1).lower()) not in leave_nothing:
                marked[0] = True
                # The temp schema's settings are not read back, only main's.
                if name not in restored or db == "temp":
                    unknown.append(f"{db}.{name}" if db else name)
        elif action == attach:
            marked[0] = True
        elif action == insert and db == "temp":  # a temporary object made, or its rows
            temp_written[0] = True
        elif action == read and arg1 == "sqlite_stmt":
            # Every statement the connection holds prepared, the driver's cache of the
            # earlier units of work's included: their SQL, literals and all.
            return deny
        other = chained[0]
        return ok if other is None else int(other(action, arg1, arg2, db, source))

    sqlite3.Connection.set_authorizer(conn, authorize)
    conn.watching = True


# SQLite virtual machine steps between two calls of the progress handler below: a
# few milliseconds of work, and a Python call that costs well under a microsecond.
SIGNAL_CHECK_STEPS = 100_000
_stopped_by_signal = [False]


def _signal_check() -> Iterator[int]:
    """The progress handler, as a generator: a pending signal's handler runs as it
    resumes, inside the ``try``, so its ``KeyboardInterrupt`` is caught here (at a
    function's first line it would be raised before any ``try``)."""
    while True:
        try:
            while True:
                yield 0  # an uninterrupted statement goes on
        except KeyboardInterrupt:
            _stopped_by_signal[0] = True
            yield 1  # stop the statement


def let_signals_in(conn: sqlite3.Connection) -> None:
    """Let Ctrl-C stop a long statement on ``conn``.

    Python runs a signal's handler only between bytecodes, so without this a long
    statement holds off Ctrl-C until it ends. A progress handler written in Python
    gives the pending ``KeyboardInterrupt`` its chance; it stops the statement
    (``SQLITE_INTERRUPT``), which the dialect turns back into ``KeyboardInterrupt``
    (see :func:`stopped_by_signal`). One generator a connection: a generator cannot
    run in two threads at once.
    """
    sqlite3.Connection.set_progress_handler(conn, _signal_check().__next__,
                                            SIGNAL_CHECK_STEPS)


def stopped_by_signal() -> bool:
    """Whether the last statement interrupted was stopped by Ctrl-C (only the main
    thread runs signal handlers), not by ``interrupt()`` or a handler of the caller's;
    asking forgets it."""
    stopped, _stopped_by_signal[0] = _stopped_by_signal[0], False
    return stopped


def _take_off_callbacks(conn: WatchedConnection) -> None:
    """Take off the callbacks and the authorizer a unit of work registered, and switch
    extension loading off again."""
    conn.chained[0] = None
    if conn.loading_enabled:
        sqlite3.Connection.enable_load_extension(conn, False)
        conn.loading_enabled = False
    sqlite3.Connection.set_trace_callback(conn, None)
    let_signals_in(conn)  # the unit of work's own progress handler goes


def _restore_session(conn: WatchedConnection) -> None:
    """Set back the pragmas a unit of work changed and detach what it attached (its
    callbacks are already off: :func:`_take_off_callbacks`)."""
    if (conn.registered or conn.extension_loaded) and not conn.in_memory:
        raise RuntimeError("SQL functions or extensions were registered: "
                           f"{', '.join(conn.registered) or 'an extension'}")
    # The in-memory database's connection, kept: noted again by every unit of work that
    # registers, the list grew for as long as the process ran.
    conn.registered.clear()
    if conn.unknown_pragmas and not conn.in_memory:
        raise RuntimeError("pragmas that cannot be set back were written: "
                           f"{', '.join(sorted(set(conn.unknown_pragmas)))}")
    if any(name.rpartition(".")[2] == "case_sensitive_like" for name in conn.unknown_pragmas):
        # The in-memory database's only connection: LIKE ignores case again, as SQLite's
        # own does, though it stays the connection's (see BLIND).
        conn.execute("PRAGMA case_sensitive_like = OFF")
    conn.unknown_pragmas.clear()
    now = read_pragmas(conn)
    for name, was, is_ in zip(PRAGMAS, conn.opened_with, now, strict=True):
        if was != is_:
            value = was if isinstance(was, int) else _quote(str(was))
            conn.execute(f"PRAGMA {name} = {value}")
    for name in attached(conn):
        conn.execute(f"DETACH DATABASE {_quote(name)}")
    for statement in conn.blind_resets:
        conn.execute(statement)
    if read_pragmas(conn) != conn.opened_with or attached(conn):
        raise RuntimeError("the connection's pragmas could not be set back")
    conn.marked[0] = False


class SQLitePooling(Pooling):
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        def factory() -> Any:
            conn = dialect.connect(url, config)
            watch(conn)
            conn.in_memory = url.path == ":memory:"
            if not conn.in_memory:
                conn.file_path = os.path.expanduser(url.path)
                conn.file_id = _file_id(conn.file_path)
            return conn

        size = 1 if url.path == ":memory:" else max_size
        return SimplePool(factory, max_size=size, timeout=timeout, check=_check,
                          reset=self.reset)

    def reset(self, conn: Any) -> None:
        end_write_turn(conn)  # its unit of work ended without its commit or rollback
        # What code holding the connection left on it goes before any statement of the
        # reset runs under it: a cursor left half-read keeps its table from being
        # dropped, a limit or a progress handler would stop the ROLLBACK, an
        # authorizer refuse it, a text or row factory change what is read back. A reset
        # that fails closes the connection, which for ":memory:" loses the database.
        if conn.in_memory:  # a MemoryConnection, see there
            conn.forget_foreign_attributes()
            if conn.handles:
                for handle in list(conn.handles):
                    handle.close()
        if conn.limits:
            for category, value in conn.limits.items():
                sqlite3.Connection.setlimit(conn, category, value)
            conn.limits.clear()
        if conn.marked[0]:
            _take_off_callbacks(conn)
        if conn.row_factory is not None or conn.text_factory is not str:
            conn.row_factory, conn.text_factory = None, str
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        # Only now: setting either of these commits a transaction still open.
        if conn.isolation_level is not None:
            conn.isolation_level = None
        if _LEGACY is not None and getattr(conn, "autocommit", _LEGACY) != _LEGACY:
            conn.autocommit = _LEGACY  # Python 3.12+: the transaction control it had
        if conn.marked[0]:
            _restore_session(conn)
        # The whole temporary database goes, not its objects one by one: the pages they
        # held stay in it when dropped, and their count (PRAGMA temp.page_count) told the
        # next unit of work how much this one kept there, even of objects it dropped
        # itself (seen by the authorizer: the schema then counts none).
        if not conn.temp_written[0] and not conn.execute(TEMP_COUNT_SQL).fetchone()[0]:
            return
        _discard_temp_database(conn)
        conn.marked[0] = conn.temp_written[0] = False  # its pragmas changed nothing kept
        if conn.execute(TEMP_COUNT_SQL).fetchone()[0]:
            raise RuntimeError("the connection's temporary schema could not be emptied")


def _discard_temp_database(conn: Any) -> None:
    """Empty the temp schema, what DROP cannot remove included (the sqlite_sequence of an
    AUTOINCREMENT table), and free its pages: a change of temp_store discards the whole
    temporary database, and setting it back keeps the connection's own value."""
    store = int(conn.execute("PRAGMA temp_store").fetchone()[0])
    conn.execute(f"PRAGMA temp_store = {2 if store == 1 else 1}")
    conn.execute(f"PRAGMA temp_store = {store}")


# Python 3.12+'s sqlite3.LEGACY_TRANSACTION_CONTROL, the autocommit every connection has.
_LEGACY = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)


def _file_id(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _check(conn: Any) -> None:
    """Before an idle connection is reused: it still works, and its file is still the
    one at its path. A connection keeps a file deleted (or replaced) under it open, and
    in WAL mode SQLite goes on writing into it: every later commit would be lost."""
    if conn.file_id is not None and _file_id(conn.file_path) != conn.file_id:
        raise RuntimeError(f"the database file {conn.file_path} was deleted or replaced")
    conn.execute("SELECT 1").fetchone()


POOLING = SQLitePooling()
