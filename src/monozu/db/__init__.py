"""Monozu's data-access layer: raw SQL, named parameters, typed rows.

    from monozu.db import connect
    from monozu.db.models import Tenant

    db = connect()                     # DATABASE_URL / SQL_SERVER / embedded SQLite
    with db.tenant(tenant_id) as tx:   # a unit of work bound to one tenant
        rows = tx.select(Tenant, "SELECT * FROM tenants WHERE status = :status", status="active")
"""

from monozu.db.config import DatabaseConfig, DatabaseURL, load_config, parse_url
from monozu.db.database import Database, Tx, connect
from monozu.db.errors import (
    CheckViolation,
    ConfigError,
    ConnectionFailed,
    DatabaseError,
    DataError,
    Deadlock,
    ForeignKeyViolation,
    IntegrityError,
    MappingError,
    MonozuError,
    NotFound,
    NotNullViolation,
    ParameterError,
    ProgrammingError,
    QueryError,
    SerializationFailure,
    Timeout,
    TooManyRows,
    UniqueViolation,
)

__all__ = [
    "CheckViolation", "ConfigError", "ConnectionFailed", "DataError", "Database",
    "DatabaseConfig", "DatabaseError", "DatabaseURL", "Deadlock", "ForeignKeyViolation",
    "IntegrityError", "MappingError", "MonozuError", "NotFound", "NotNullViolation",
    "ParameterError", "ProgrammingError", "QueryError", "SerializationFailure", "Timeout",
    "TooManyRows", "Tx", "UniqueViolation", "connect", "load_config", "parse_url",
]
