"""SQL Server / Azure SQL through Microsoft's ``mssql-python`` driver.

Production logs in with Azure Managed Identity: the connection string carries
``Authentication=ActiveDirectoryMsi`` (plus ``UID=<client id>`` for a
user-assigned identity) and the driver fetches the token through
``azure-identity`` itself. Its native pool is keyed on the identity and refreshes
a pooled connection whose token is close to expiry at checkout; this package
closes every SQL Server connection after each unit of work (``pool.DriverPool``),
so no connection outlives its token. Local development uses SQL authentication
from ``DATABASE_URL``.

Statements use ``?`` placeholders with tuples (the driver's own ``%(name)s``
conversion is not literal-safe). The tenant is bound with
``sp_set_session_context`` for the Azure SQL row-level-security policies; it is
not read-only, so the next unit of work on a pooled session can overwrite it.

The driver reports errors by SQLSTATE class only and drops SQL Server's native
error number, so errors are classified by their (English) message text; every
session therefore runs ``SET LANGUAGE us_english``.

The ``mssql_python`` import is deferred to the first use so that SQLite and
PostgreSQL users need neither the package nor its native libraries.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from monozu.db import errors
from monozu.db.config import DatabaseConfig, DatabaseURL
from monozu.db.dialects.base import CHECKED_INLINE, Dialect
from monozu.db.dialects.sqlserver import batches
from monozu.db.dialects.sqlserver import statements as text_rules
from monozu.db.dialects.sqlserver.identity import quiet_answers, token_problem
from monozu.db.dialects.sqlserver.pool import POOLING, RESET_SQL
from monozu.db.dialects.sqlserver.snippets import SQLServerSnippets
from monozu.db.dialects.sqlserver.url import (
    connection_string,
    describe_login,
    login_timeout,
    query_timeout,
    uses_managed_identity,
)
from monozu.db.errors import DatabaseError, ParameterError
from monozu.db.values import (
    Converter,
    as_base_type,
    check_decimal_within,
    check_float,
    check_int64,
    check_text,
    decimal_from_any,
    json_from_text,
    json_text,
    timestamp_from_naive_utc,
    truncate_to_millis,
    utc_naive,
)

if TYPE_CHECKING:
    from monozu.db.dialects.catalog import Catalog
    from monozu.db.dialects.migration import MigrationSQL

log = logging.getLogger(__name__)
# The driver's Managed Identity sign-in (azure-identity) logs each failed attempt as a
# warning, which Python prints on a bare terminal; the failure already reaches the
# caller as one ConnectionFailed. An application that configures logging still
# receives these records through the root logger.
logging.getLogger("azure.identity").addHandler(logging.NullHandler())

# -- statements sent to the server (all checked by a T-SQL parser in the tests) --

# Error texts are matched in English whatever the login's default language is; a session
# the driver's pool hands out again also gets its isolation level back (see pool.py).
SESSION_SQL = f"SET LANGUAGE us_english;\n{RESET_SQL}"
VERSION_SQL = "SELECT @@VERSION"
SET_TENANT_SQL = "EXEC sp_set_session_context @key = N'tenant_id', @value = ?"
# A NULL parameter would have to be typed through SQLDescribeParam on a
# sql_variant argument; a literal NULL needs no such round trip.
CLEAR_TENANT_SQL = "EXEC sp_set_session_context @key = N'tenant_id', @value = NULL"
# A bulk insert's table's columns that only the server fills. A bulk copy without
# KEEP_IDENTITY replaces the values given for an identity column without a word,
# where an INSERT refuses them: such a column is refused by name on both paths.
GENERATED_COLUMNS_SQL = (
    "SELECT name, is_identity, is_computed FROM sys.columns "
    "WHERE object_id = OBJECT_ID(?) "
    "AND (is_identity = 1 OR is_computed = 1 OR generated_always_type <> 0)"
)

# The ODBC driver runs manual-commit mode as SET IMPLICIT_TRANSACTIONS ON, where
# SAVE TRANSACTION does not open a transaction (error 628 when it comes first)
# and an explicit BEGIN TRANSACTION would nest two (a later COMMIT would only
# decrement @@TRANCOUNT). So when no transaction is open yet, open exactly one
# with implicit mode briefly off; in autocommit mode (option bit 2 clear) leave
# the session alone and let SAVE TRANSACTION report that there is nothing to save.
_SAVEPOINT_TEMPLATE = (
    "IF @@TRANCOUNT = 0 AND (@@OPTIONS & 2) = 2\n"
    "BEGIN\n"
    "    SET IMPLICIT_TRANSACTIONS OFF;\n"
    "    BEGIN TRANSACTION;\n"
    "    SET IMPLICIT_TRANSACTIONS ON;\n"
    "END;\n"
    "SAVE TRANSACTION {name};"
)
# T-SQL has no RELEASE SAVEPOINT: a savepoint lives until its transaction ends,
# and a later savepoint of the same name shadows it. The release step is a
# comment, a valid batch that does nothing, so callers may run it or skip it.
RELEASE_SAVEPOINT_SQL = "-- SQL Server has no RELEASE SAVEPOINT; nothing to do"
_ROLLBACK_TO_TEMPLATE = "ROLLBACK TRANSACTION {name}"
_SAVEPOINT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")  # T-SQL caps it at 32

# -- login ---------------------------------------------------------------------

LIBLTDL_HINT = (
    "the ODBC driver bundled with mssql-python needs libltdl.so.7: "
    "install it with `apt-get install -y libltdl7`"
)


def statements_for_validation() -> list[str]:
    """Every statement this module sends, for the T-SQL parser check in the tests."""
    create, release, rollback_to = savepoint_statements("sp_1")
    return [
        SESSION_SQL,
        VERSION_SQL,
        SET_TENANT_SQL,
        CLEAR_TENANT_SQL,
        GENERATED_COLUMNS_SQL,
        create,
        release,
        rollback_to,
        DIALECT.insert_sql("dbo.assets", ["id", "tenant_id", "name"]),
    ]


def savepoint_statements(name: str) -> tuple[str, str, str]:
    """(create, release, rollback-to) for a savepoint called ``name``."""
    if not _SAVEPOINT_NAME.fullmatch(name):
        raise ParameterError(
            f"savepoint name {name!r} must be a plain identifier of at most 32 characters"
        )
    return (_SAVEPOINT_TEMPLATE.format(name=name), RELEASE_SAVEPOINT_SQL,
            _ROLLBACK_TO_TEMPLATE.format(name=name))


def version_from_banner(banner: str) -> str:
    """The first line of ``@@VERSION``, whitespace collapsed."""
    first = banner.strip().splitlines()[0] if banner.strip() else ""
    return " ".join(first.split())


# -- errors ----------------------------------------------------------------------

# The driver keeps no native error number, so the number is recognised from the
# message (the us_english sys.messages templates; the first match wins) and the
# class comes from the one code table in ``errors``. A class is named here only
# where one number covers several (547: foreign key or CHECK) or none is known.
# Named groups: ``c`` the constraint, ``t`` the table, ``col`` the column.
_MESSAGES: tuple[tuple[re.Pattern[str], int | None, type[DatabaseError] | None], ...] = (
    (re.compile(r"Violation of (?:PRIMARY KEY|UNIQUE KEY) constraint '(?P<c>[^']+)'\."
                r"(?: Cannot insert duplicate key in object '(?P<t>[^']+)')?"), 2627, None),
    (re.compile(r"Cannot insert duplicate key row in object '(?P<t>[^']*)' with unique index "
                r"'(?P<c>[^']+)'"), 2601, None),
    # The table and column named after a foreign-key conflict are the referenced ones
    # for an INSERT but the referencing ones for a DELETE: not reported.
    (re.compile(r"conflicted with the (?:FOREIGN KEY(?: SAME TABLE)?|REFERENCE) constraint "
                r"\"(?P<c>[^\"]+)\""), 547, errors.ForeignKeyViolation),
    (re.compile(r"conflicted with the CHECK constraint \"(?P<c>[^\"]+)\"\."
                r"(?: The conflict occurred in database \"[^\"]*\", table \"(?P<t>[^\"]+)\""
                r"(?:, column '(?P<col>[^']+)')?)?"), 547, errors.CheckViolation),
    (re.compile(r"Cannot insert the value NULL into column '(?P<col>[^']*)', "
                r"table '(?:[^'.]*\.)?(?P<t>[^']*)'"), 515, None),
    (re.compile(r"was deadlocked on .+? resources"), 1205, None),
    (re.compile(r"Snapshot isolation transaction aborted due to update conflict"), 3960, None),
    (re.compile(r"Snapshot isolation transaction failed in database"), 3961, None),
    (re.compile(r"String or binary data would be truncated in table '(?:[^'.]*\.)?"
                r"(?P<t>[^']*)', column '(?P<col>[^']*)'"), 2628, None),
    (re.compile(r"String or binary data would be truncated"), 8152, None),
    (re.compile(r"Arithmetic overflow error"), 8115, None),
    (re.compile(r"Conversion failed when converting"), None, errors.DataError),
    (re.compile(r"JSON text is not properly formatted"), 13609, None),
    (re.compile(r"Lock request time out period exceeded"), 1222, None),
    (re.compile(r"has a block predicate that conflicts with this operation"), 33504, None),
    (re.compile(r"Login failed for user"), 18456, None),
    (re.compile(r"Cannot open database \".*\" requested by the login"), 4060, None),
    (re.compile(r"Invalid object name '(?:[^'.]*\.)?(?P<t>[^']*)'"), 208, None),
    (re.compile(r"Invalid column name '"), 207, None),
    (re.compile(r"Incorrect syntax near"), 102, None),
    (re.compile(r"Could not find stored procedure '"), 2812, None),
    (re.compile(r"permission was denied on the object"), 229, None),
    (re.compile(r"Cannot issue SAVE TRANSACTION when there is no active transaction"), 628,
     None),
    (re.compile(r"The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION"),
     3903, None),
    (re.compile(r"No transaction or savepoint of that name was found"), 6401, None),
)

# mssql-python keeps no SQLSTATE on its exceptions, but picks the exception's
# ``driver_error`` text from the SQLSTATE (exceptions.sqlstate_to_exception), so
# the text identifies the state again.
_SQLSTATE_BY_DRIVER_TEXT: dict[str, str] = {
    "Timeout expired": "HYT00",
    "Connection timeout expired": "HYT01",
    "Client unable to establish connection": "08001",
    "Connection not open": "08003",
    "Server rejected the connection": "08004",
    "Connection failure during transaction": "08007",
    "Communication link failure": "08S01",
    "Disconnect error": "01002",
    "Invalid authorization specification": "28000",
    "Integrity constraint violation": "23000",
    "Serialization failure": "40001",
    "String data, right-truncated": "22001",
    "Numeric value out of range": "22003",
    "Invalid datetime format": "22007",
    "Datetime field overflow": "22008",
    "Division by zero": "22012",
    "Invalid character value for cast specification": "22018",
    "Syntax error or access violation": "42000",
    "Base table or view not found": "42S02",
    "Column not found": "42S22",
    "Invalid catalog name": "3D000",
    "Operation canceled": "HY008",
    "General error": "HY000",
}
_UNKNOWN_SQLSTATE = re.compile(r"SQLSTATE code: ([0-9A-Z]{5})")
_ODBC_PREFIX = re.compile(r"^(?:\[[^\]]*\])+\s*")


@dataclass(frozen=True, slots=True)
class Classified:
    """What a server message says: class, error number and the objects it names."""

    cls: type[DatabaseError] | None
    number: int | None = None
    constraint: str | None = None
    table: str | None = None
    column: str | None = None


def classify(message: str, sqlstate: str | None) -> Classified:
    """The taxonomy class, SQL Server error number and named objects of a message.

    The class is None when neither the text nor the SQLSTATE says anything.
    """
    for pattern, number, refined in _MESSAGES:
        m = pattern.search(message)
        if m:
            found = m.groupdict()
            return Classified(refined or errors.for_sqlserver(number), number,
                              found.get("c"), found.get("t"), found.get("col"))
    if "timeout expired" in message.lower():
        return Classified(errors.Timeout)
    return Classified(errors.for_sqlstate(sqlstate))


def server_message(exc: BaseException) -> str:
    """The driver's message without its ``[Microsoft][SQL Server]`` tags."""
    ddbc = str(getattr(exc, "ddbc_error", "") or "")
    text = _ODBC_PREFIX.sub("", ddbc).strip()
    return text or str(getattr(exc, "driver_error", "") or exc)


def sqlstate_of(exc: BaseException) -> str | None:
    driver_text = str(getattr(exc, "driver_error", "") or "")
    state = _SQLSTATE_BY_DRIVER_TEXT.get(driver_text)
    if state:
        return state
    m = _UNKNOWN_SQLSTATE.search(driver_text)
    return m.group(1) if m else None


def _mask(text: str, url: DatabaseURL) -> str:
    """The driver's text with the password masked where it was quoted back whole, and
    secret-keyed values by their shape (never every occurrence: see :func:`mask_echoed`)."""
    from monozu.db.dialects.urls import mask_echoed

    return mask_echoed(text, url.password,
                       (url.user, url.host, str(url.port), url.database))


def _load_driver() -> Any:
    try:
        import mssql_python
    except ImportError as exc:
        raise errors.ConnectionFailed(
            "SQL Server support needs the mssql-python package "
            f"(pip install 'monozu[sqlserver]'): {exc}"
        ) from None
    return mssql_python


class SQLServerDialect(Dialect):
    kind: ClassVar = "sqlserver"
    pooling: ClassVar = POOLING
    style: ClassVar = "qmark"
    lexicon = text_rules.LEXICON
    statements = text_rules.RULES
    snippet_class = SQLServerSnippets
    # 2,100 parameters per RPC, and a prepared statement goes out as sp_prepexec,
    # whose own @handle, @params and @stmt count against the same limit.
    max_params: ClassVar = 2097
    # adapt() inlined for exec_many's common values; a datetime (made naive UTC) and
    # any other value go to adapt.
    inline_adapters: ClassVar = {**CHECKED_INLINE,
                                 uuid.UUID: "_v if type(_v := {x}) is _UUID else _g(_v)"}

    # -- connections -------------------------------------------------------------
    def connect(self, url: DatabaseURL, config: DatabaseConfig) -> Any:
        driver = _load_driver()
        conn_str = connection_string(url, config)
        log.debug("connecting to %s", describe_login(url, config))
        if uses_managed_identity(url, config):
            quiet_answers()  # before the driver fetches a token
        failed: DatabaseError | None = None  # raised outside ``except``: no driver context
        try:
            conn = driver.connect(conn_str, autocommit=False, timeout=login_timeout(url),
                                  native_uuid=True)
        except Exception as exc:  # token, parse and login failures alike
            failed = self._connect_error(exc, url, config)
        if failed is not None:
            raise failed
        try:
            timeout = query_timeout(url)
            if timeout:
                conn.timeout = timeout
            configure(conn)
        except Exception as exc:  # the session is unusable either way
            _close_quietly(conn)
            raise self._connect_error(exc, url, config) from None
        return conn

    def _connect_error(self, exc: BaseException, url: DatabaseURL,
                       config: DatabaseConfig) -> DatabaseError:
        where = describe_login(url, config)
        text = _mask(" ".join(server_message(exc).split()), url)
        if "Failed to load the driver" in text or "libltdl" in text:
            return errors.ConnectionFailed(f"cannot connect to {where}: {text} ({LIBLTDL_HINT})")
        if "access token" in _mask(str(exc), url):
            return errors.ConnectionFailed(
                f"cannot connect to {where}: no Managed Identity token for Azure SQL: "
                f"{token_problem(exc)}")
        translated = self.translate_error(exc)
        cls: type[DatabaseError] = (errors.Timeout if isinstance(translated, errors.Timeout)
                                    else errors.ConnectionFailed)
        code = translated.code if translated is not None else None
        return cls(f"cannot connect to {where}: {text}", code=code)

    def server_version(self, conn: Any) -> str:
        cur = conn.cursor()
        try:
            cur.execute(VERSION_SQL)
            row = cur.fetchone()
        finally:
            cur.close()
        return version_from_banner(str(row[0])) if row else "SQL Server (unknown version)"

    # -- values ------------------------------------------------------------------
    def adapt(self, value: Any) -> Any:
        t = type(value)
        if t is str:
            return check_text(value)
        if t is datetime:
            return stored_timestamp(value)
        if t is dict or t is list:
            return json_text(value)
        if t is int:
            return check_int64(value)
        if t is float:
            return check_float(value)
        if t is Decimal:
            # The driver refuses more digits (a ValueError, naming no parameter, and
            # exec_many first writes out every Decimal in full, 1E+999999999 too).
            return check_decimal_within(value, "SQL Server", precision=38)
        if value is None or t in _NATIVE:
            return value
        return _adapt_other(value)

    def reader(self, py_type: Any) -> Converter | None:
        if py_type is datetime:
            return _timestamp_reader
        if py_type == "json":
            return json_from_text
        if py_type is Decimal:
            return decimal_from_any
        # UUID (native_uuid=True), bool (BIT), int, float, str come back as they are.
        return None

    # -- transactions and tenant -----------------------------------------------
    def savepoint_sql(self, name: str) -> tuple[str, str, str]:
        return savepoint_statements(name)

    def bind_unit_of_work(self, conn: Any, tenant_id: uuid.UUID | None) -> None:
        # Session context outlives transactions: every unit of work overwrites it, so a
        # session never carries the previous tenant's id into this one.
        self.set_tenant(conn, str(tenant_id) if tenant_id is not None else None)

    def unbind_unit_of_work(self, conn: Any, tenant_id: uuid.UUID | None) -> None:
        if tenant_id is not None:
            self.set_tenant(conn, None)

    def set_tenant(self, conn: Any, tenant_id: str | None) -> None:
        cur = conn.cursor()
        try:
            if tenant_id is None:
                cur.execute(CLEAR_TENANT_SQL)
            else:
                cur.execute(SET_TENANT_SQL, (canonical_tenant(tenant_id),))
        finally:
            cur.close()

    # -- errors ------------------------------------------------------------------
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        try:
            from mssql_python.exceptions import ConnectionStringParseError
            from mssql_python.exceptions import Exception as DriverException
        except ImportError:
            return ()
        return (DriverException, ConnectionStringParseError)

    def translate_error(self, exc: BaseException) -> DatabaseError | None:
        kinds = self.driver_errors()
        if not kinds or not isinstance(exc, kinds):
            return None
        if not hasattr(exc, "driver_error"):  # ConnectionStringParseError
            return errors.from_driver(errors.ConnectionFailed,
                                      f"invalid SQL Server connection string: {exc}", exc)
        message = server_message(exc)
        state = sqlstate_of(exc)
        found = classify(message, state)
        code = str(found.number) if found.number is not None else state
        return errors.from_driver(found.cls or _class_fallback(exc), message, exc, code=code,
                                  constraint=found.constraint, table=found.table,
                                  column=found.column)

    # -- bulk --------------------------------------------------------------------
    def insert_sql(self, table: str, columns: Sequence[str]) -> str:
        """The row-by-row INSERT that ``executemany`` runs (the bulk fallback)."""
        cols = ", ".join(self.quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {self.quote_table(table)} ({cols}) VALUES ({marks})"

    def bulk_insert(self, conn: Any, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert rows; ``bulkcopy`` only on a connection in autocommit mode.

        mssql-python's ``bulkcopy`` streams over a second connection of its own:
        it is not part of the caller's transaction (a rollback would not undo it)
        and does not carry the session's tenant context. So inside a transaction
        (how this package opens connections) the rows go through ``executemany``
        with array binding on the caller's connection; a caller that switched the
        connection to autocommit (bulk loads by platform jobs) gets ``bulkcopy``,
        with constraints checked, NULLs kept and triggers fired as an INSERT
        would. If the driver's bulk-copy core is missing, ``executemany`` is used.
        """
        batch = self.adapt_rows(table, columns, rows)
        if not batch:
            return 0
        _refuse_generated(conn, self.quote_table(table), columns)
        if getattr(conn, "autocommit", False) is True:
            copied = _try_bulkcopy(conn, table, columns, batch)
            if copied is not None:
                return copied
        cur = conn.cursor()
        try:
            cur.executemany(self.insert_sql(table, columns), batch)
        finally:
            cur.close()
        return len(batch)

    # -- identifiers -------------------------------------------------------------
    def quote(self, ident: str) -> str:
        return "[" + ident.replace("]", "]]") + "]"

    # -- multi-result batches and the migration part -----------------------------
    def drain(self, cur: Any) -> None:
        batches.drain(cur)

    def first_rows(self, cur: Any) -> list[tuple[Any, ...]]:
        return batches.first_rows(cur)

    @property
    def catalog(self) -> Catalog:  # imported when first used, as on the other databases
        from monozu.db.dialects.sqlserver.catalog import CATALOG

        return CATALOG

    @property
    def migration(self) -> MigrationSQL:
        from monozu.db.dialects.sqlserver.migration import MIGRATION

        return MIGRATION


_NATIVE: frozenset[type] = frozenset({bool, bytes, Decimal, uuid.UUID, date, time})


def stored_timestamp(value: datetime) -> datetime:
    """What a ``DATETIME2(3)`` column (every timestamp of the schema) will hold.

    UTC without an offset, cut to milliseconds: sent with more digits, SQL Server
    would round (23:59:59.9996 on 31 December becomes the next year) where
    PostgreSQL and SQLite keep the microseconds, so a value read back would differ
    from the one written by more than the digits the column cannot hold.
    """
    return truncate_to_millis(utc_naive(value))


def _adapt_other(value: Any) -> Any:
    """Subclasses of the known types are sent as their base type; anything else is refused."""
    base = as_base_type(value)
    if base is None:
        raise ParameterError(f"cannot bind a value of type {type(value).__name__} to SQL Server")
    return DIALECT.adapt(base)


def _timestamp_reader(value: Any) -> Any:
    return timestamp_from_naive_utc(value) if isinstance(value, datetime) else value


def canonical_tenant(tenant_id: str) -> str:
    """The tenant id in canonical UUID text (the RLS function casts it to UNIQUEIDENTIFIER)."""
    try:
        return str(uuid.UUID(str(tenant_id)))
    except ValueError:
        raise ParameterError(f"tenant id {tenant_id!r} is not a UUID") from None


def _class_fallback(exc: BaseException) -> type[DatabaseError]:
    from mssql_python import exceptions as mx

    if isinstance(exc, mx.IntegrityError):
        return errors.IntegrityError
    if isinstance(exc, mx.DataError):
        return errors.DataError
    if isinstance(exc, mx.ProgrammingError):
        return errors.ProgrammingError
    if isinstance(exc, mx.OperationalError) and "Connection operation failed" in str(exc):
        return errors.ConnectionFailed
    return DatabaseError


def _refuse_generated(conn: Any, quoted_table: str, columns: Sequence[str]) -> None:
    """Refuse, by name, a named column whose values only the server gives. A ``#temp``
    table is not found in this database's catalog: nothing is refused there (the
    layer's own staging tables, made without such columns)."""
    cur = conn.cursor()
    try:
        cur.execute(GENERATED_COLUMNS_SQL, (quoted_table,))
        found = {str(name).lower(): _GIVEN_BY_SERVER[(bool(identity), bool(computed))]
                 for name, identity, computed in cur.fetchall()}
    finally:
        cur.close()
    for column in columns:
        why = found.get(column.lower())  # names compare as the default collation does
        if why is not None:
            raise ParameterError(f"bulk insert into {quoted_table}, column {column}: "
                                 f"the database {why}; leave the column out")


# (is_identity, is_computed) -> why; neither: a system-versioned table's period column
_GIVEN_BY_SERVER = {
    (True, False): "assigns its values (IDENTITY)",
    (False, True): "computes its values (a computed column)",
    (False, False): "fills it (a period column, GENERATED ALWAYS AS ROW START or END)",
    (True, True): "assigns its values (IDENTITY)",
}


def _try_bulkcopy(conn: Any, table: str, columns: Sequence[str],
                  batch: list[tuple[Any, ...]]) -> int | None:
    """Rows copied by ``cursor.bulkcopy``, or None when bulk copy is unavailable."""
    cur = conn.cursor()
    try:
        bulkcopy = getattr(cur, "bulkcopy", None)
        if bulkcopy is None:
            return None
        try:
            result = bulkcopy(
                table, batch,
                column_mappings=list(columns),
                timeout=int(getattr(conn, "timeout", 0) or 0),
                check_constraints=True,
                keep_nulls=True,
                fire_triggers=True,
            )
        except ImportError:  # the Rust bulk-copy core is not installed: nothing was sent
            return None
    finally:
        cur.close()
    copied = result.get("rows_copied") if isinstance(result, dict) else None
    return int(copied) if copied is not None else len(batch)


def configure(conn: Any) -> None:
    """Session settings every connection gets (the driver's pool resets sessions)."""
    cur = conn.cursor()
    try:
        cur.execute(SESSION_SQL)
    finally:
        cur.close()


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection may fail too
        conn.close()


DIALECT = SQLServerDialect()
