"""One error taxonomy for every driver.

Repositories and the CLI catch these, never a driver's own exceptions. Each error
keeps the driver's code (SQLSTATE on PostgreSQL, the SQLite extended result name,
the SQL Server error number) and, where the database reports it, the constraint.
"""

from __future__ import annotations

NUL_MESSAGE = "text contains a NUL character (U+0000), which the databases cannot store alike"


class MonozuError(Exception):
    """Base of every error this package raises on purpose."""


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


class DatabaseError(MonozuError):
    """The database refused a statement. ``code`` is the driver's code."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None,
                 constraint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.constraint = constraint


class IntegrityError(DatabaseError):
    """A constraint refused the change."""


class UniqueViolation(IntegrityError):
    pass


class ForeignKeyViolation(IntegrityError):
    pass


class CheckViolation(IntegrityError):
    pass


class NotNullViolation(IntegrityError):
    pass


class DataError(DatabaseError):
    """A value does not fit its column: too long, out of range, invalid JSON or text."""


class Deadlock(DatabaseError):
    """Chosen as a deadlock victim; the whole unit of work may be retried."""

    retryable = True


class SerializationFailure(DatabaseError):
    """A serializable transaction lost a conflict; the unit of work may be retried."""

    retryable = True


class ConnectionFailed(DatabaseError):
    """The server could not be reached or refused the login."""


class Timeout(DatabaseError):
    """A connection or statement exceeded its configured time."""


class ProgrammingError(DatabaseError):
    """The SQL itself is wrong: syntax, unknown table or column, permissions."""


class NulCharacter(ParameterError, DataError):
    """Text holds U+0000, which PostgreSQL cannot store: refused alike on every database.

    Raised before sending where the layer checks values, or translated from the
    database's own refusal on the bulk path; either way it is both a bad parameter
    and a data error.
    """

    def __init__(self, message: str = NUL_MESSAGE, *, code: str | None = None,
                 constraint: str | None = None) -> None:
        DataError.__init__(self, message, code=code, constraint=constraint)
