"""One error taxonomy for every driver, and the one table of database codes.

Repositories and the CLI catch these, never a driver's own exceptions. Each class
declares the codes that mean it, the way psycopg declares SQLSTATEs on its error
classes:

* ``sqlstate``: SQLSTATEs (PostgreSQL's, and the ODBC states SQL Server's driver
  reports); a two-character entry is a whole SQLSTATE class;
* ``sqlserver``: SQL Server error numbers;
* ``sqlite``: SQLite result names (an extended name such as ``SQLITE_BUSY_SNAPSHOT``
  falls back to its primary ``SQLITE_BUSY``).

:func:`for_sqlstate`, :func:`for_sqlserver` and :func:`for_sqlite` look a code up in
the table built from these declarations (one code, one class: a duplicate is refused
at import). The dialects only find the code and the facts the driver gives
(constraint, table, column) and call :func:`from_driver`, which keeps the driver's
exception as the translated error's ``__cause__``.
"""

from __future__ import annotations

from typing import ClassVar

from monozu.db import known_secrets

NUL_MESSAGE = "text contains a NUL character (U+0000), which the databases cannot store alike"


class MonozuError(Exception):
    """Base of every error this package raises on purpose. A secret the process has
    read never stands in its text, whatever it was given as (see ``known_secrets``)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(known_secrets.mask(a) if isinstance(a, str) else a for a in args))


class ConfigError(MonozuError):
    """The configuration (environment, ``.env``, URL, flags) cannot be used."""


class QueryError(MonozuError):
    """A statement could not be prepared: bad parameters, wrong result shape."""


class ParameterError(QueryError):
    """A ``:name`` parameter is missing, unknown, or has an unusable value."""


class MappingError(QueryError):
    """A result column has no destination, or a row cannot be built."""


class NotFound(QueryError):
    """``get`` expected exactly one row and found none."""


class TooManyRows(QueryError):
    """``get`` expected exactly one row and found more."""


_BY_SQLSTATE: dict[str, type[DatabaseError]] = {}
_BY_SQLSERVER: dict[int, type[DatabaseError]] = {}
_BY_SQLITE: dict[str, type[DatabaseError]] = {}


class DatabaseError(MonozuError):
    """The database refused a statement. ``code`` is the driver's code.

    ``constraint``, ``table`` and ``column`` are set where the database names them.
    """

    retryable: ClassVar[bool] = False
    sqlstate: ClassVar[tuple[str, ...]] = ()
    sqlserver: ClassVar[tuple[int, ...]] = (
        628,   # SAVE TRANSACTION with no active transaction
        3903,  # ROLLBACK TRANSACTION with no BEGIN TRANSACTION
        6401,  # no transaction or savepoint of that name
    )
    sqlite: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str, *, code: str | None = None,
                 constraint: str | None = None, table: str | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.constraint = constraint
        self.table = table
        self.column = column

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)


def _register(cls: type[DatabaseError]) -> None:
    """Enter the codes ``cls`` itself declares (not inherited ones) into the table."""
    own = cls.__dict__
    tables: tuple[tuple[dict[str, type[DatabaseError]] | dict[int, type[DatabaseError]],
                        str], ...] = (
        (_BY_SQLSTATE, "sqlstate"), (_BY_SQLSERVER, "sqlserver"), (_BY_SQLITE, "sqlite"))
    for table, attr in tables:
        for code in own.get(attr, ()):
            other = table.get(code)
            if other is not None and other is not cls:
                raise TypeError(f"code {code!r} declared by both {other.__name__} "
                                f"and {cls.__name__}")
            table[code] = cls


class IntegrityError(DatabaseError):
    """A constraint refused the change."""

    sqlstate: ClassVar[tuple[str, ...]] = ("23",)
    # 547 is both a foreign-key and a CHECK conflict; the message tells which.
    sqlserver: ClassVar[tuple[int, ...]] = (547,)
    sqlite: ClassVar[tuple[str, ...]] = ("SQLITE_CONSTRAINT",)


class UniqueViolation(IntegrityError):
    sqlstate = ("23505",)
    sqlserver = (2627, 2601)
    sqlite = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


class ForeignKeyViolation(IntegrityError):
    sqlstate = ("23503",)
    sqlite = ("SQLITE_CONSTRAINT_FOREIGNKEY",)


class CheckViolation(IntegrityError):
    sqlstate = ("23514",)
    sqlite = ("SQLITE_CONSTRAINT_CHECK",)


class NotNullViolation(IntegrityError):
    sqlstate = ("23502",)
    sqlserver = (515,)
    sqlite = ("SQLITE_CONSTRAINT_NOTNULL",)


class DataError(DatabaseError):
    """A value does not fit its column: too long, out of range, invalid JSON or text."""

    sqlstate = ("22",)
    sqlserver = (2628, 8152, 8115, 13609)
    sqlite = ("SQLITE_TOOBIG", "SQLITE_MISMATCH")


class Deadlock(DatabaseError):
    """Chosen as a deadlock victim; the whole unit of work may be retried."""

    retryable = True
    sqlstate = ("40P01",)
    sqlserver = (1205,)


class SerializationFailure(DatabaseError):
    """A serializable transaction lost a conflict; the unit of work may be retried."""

    retryable = True
    sqlstate = ("40001",)
    sqlserver = (3960, 3961)


class ConnectionFailed(DatabaseError):
    """The server could not be reached or refused the login."""

    # 57P01-57P03: the server shut down or restarted under the session, or is not
    # accepting connections yet; 57P05: it ended a session idle longer than its
    # idle_session_timeout. The connection is gone as surely as with class 08.
    sqlstate = ("08", "28", "3D", "57P01", "57P02", "57P03", "57P05")
    sqlserver = (18456, 4060)
    sqlite = ("SQLITE_CANTOPEN",)


class Timeout(DatabaseError):
    """A connection or statement exceeded its configured time, or was cancelled."""

    sqlstate = (
        "57014",  # query_canceled: statement_timeout or a cancel request
        "55P03",  # lock_not_available: lock_timeout
        # the session ended: a unit of work idle between statements longer than the
        # role's idle_in_transaction_session_timeout
        "25P03",
        "HYT00", "HYT01",  # ODBC query and connection timeouts
    )
    sqlserver = (1222,)
    sqlite = ("SQLITE_BUSY", "SQLITE_LOCKED",
              "SQLITE_INTERRUPT")  # interrupt() from another thread: a cancel request


class ProgrammingError(DatabaseError):
    """The SQL itself is wrong: syntax, unknown table or column, permissions.

    A row refused by a row-level-security policy (PostgreSQL's WITH CHECK, 42501;
    SQL Server's block predicate, 33504) is one too: a write for another tenant is
    the caller's bug, never retryable.
    """

    sqlstate: ClassVar[tuple[str, ...]] = ("42", "42501")
    sqlserver: ClassVar[tuple[int, ...]] = (33504, 207, 102, 2812, 229)


class UndefinedTable(ProgrammingError):
    """A table or view the statement names does not exist: most often a database not
    migrated as far as the code that queries it (SQLite says so only in its message,
    which its dialect reads)."""

    sqlstate = ("42P01",)
    sqlserver = (208,)


class NulCharacter(ParameterError, DataError):
    """Text holds U+0000, which PostgreSQL cannot store: refused alike on every database.

    Raised before sending where the layer checks values, or translated from the
    database's own refusal on the bulk path; either way it is both a bad parameter
    and a data error.
    """

    def __init__(self, message: str = NUL_MESSAGE, *, code: str | None = None,
                 constraint: str | None = None, table: str | None = None,
                 column: str | None = None) -> None:
        DataError.__init__(self, message, code=code, constraint=constraint, table=table,
                           column=column)


# -- lookups -----------------------------------------------------------------------

def for_sqlstate(state: str | None) -> type[DatabaseError] | None:
    """The class for a SQLSTATE: the exact state, else its two-character class."""
    if not state:
        return None
    return _BY_SQLSTATE.get(state) or _BY_SQLSTATE.get(state[:2])


def for_sqlserver(number: int | None) -> type[DatabaseError] | None:
    """The class for a SQL Server error number."""
    return _BY_SQLSERVER.get(number) if number is not None else None


def for_sqlite(name: str | None) -> type[DatabaseError] | None:
    """The class for a SQLite result name: the extended name, else its primary."""
    if not name:
        return None
    found = _BY_SQLITE.get(name)
    if found is None:
        found = _BY_SQLITE.get("_".join(name.split("_")[:2]))
    return found


def from_driver(cls: type[DatabaseError], message: str, cause: BaseException, *,
                code: str | None = None, constraint: str | None = None,
                table: str | None = None, column: str | None = None) -> DatabaseError:
    """A taxonomy error that keeps the driver's exception as its ``__cause__``.

    ``raise err`` then shows the driver's own report after the translated one, as
    ``raise err from cause`` would, wherever the translated error is raised.
    """
    err = cls(message, code=code, constraint=constraint, table=table, column=column)
    err.__cause__ = cause
    return err
