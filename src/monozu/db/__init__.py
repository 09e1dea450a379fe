"""Monozu's data-access layer: raw SQL, named parameters, typed rows.

    from monozu.db import connect
    from monozu.db.models import Tenant

    db = connect()                     # DATABASE_URL / SQL_SERVER / embedded SQLite
    with db.tenant(tenant_id) as tx:   # a unit of work bound to one tenant
        rows = tx.select(Tenant, "SELECT * FROM tenants WHERE status = :status", status="active")

Names are loaded on first use, so a command that needs only the error types or the
configuration does not pay for importing the whole layer at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DatabaseConfig": "config", "DatabaseURL": "config", "load_config": "config",
    "parse_url": "config", "Database": "database", "Tx": "database", "connect": "database",
    **{name: "errors" for name in (
        "CheckViolation", "ConfigError", "ConnectionFailed", "DataError", "DatabaseError",
        "Deadlock", "ForeignKeyViolation", "IntegrityError", "MappingError", "MonozuError",
        "NotFound", "NotNullViolation", "NulCharacter", "ParameterError", "ProgrammingError",
        "QueryError", "SerializationFailure", "Timeout", "TooManyRows", "UndefinedTable",
        "UniqueViolation")},
}

__all__ = [
    "CheckViolation", "ConfigError", "ConnectionFailed", "DataError", "Database",
    "DatabaseConfig", "DatabaseError", "DatabaseURL", "Deadlock", "ForeignKeyViolation",
    "IntegrityError", "MappingError", "MonozuError", "NotFound", "NotNullViolation",
    "NulCharacter", "ParameterError", "ProgrammingError", "QueryError", "SerializationFailure",
    "Timeout", "TooManyRows", "Tx", "UndefinedTable", "UniqueViolation", "connect",
    "load_config", "parse_url",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'monozu.db' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"monozu.db.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # the names, re-exported for type checkers
    from monozu.db.config import (
        DatabaseConfig as DatabaseConfig,
    )
    from monozu.db.config import (
        DatabaseURL as DatabaseURL,
    )
    from monozu.db.config import (
        load_config as load_config,
    )
    from monozu.db.config import (
        parse_url as parse_url,
    )
    from monozu.db.database import (
        Database as Database,
    )
    from monozu.db.database import (
        Tx as Tx,
    )
    from monozu.db.database import (
        connect as connect,
    )
    from monozu.db.errors import (
        CheckViolation as CheckViolation,
    )
    from monozu.db.errors import (
        ConfigError as ConfigError,
    )
    from monozu.db.errors import (
        ConnectionFailed as ConnectionFailed,
    )
    from monozu.db.errors import (
        DatabaseError as DatabaseError,
    )
    from monozu.db.errors import (
        DataError as DataError,
    )
    from monozu.db.errors import (
        Deadlock as Deadlock,
    )
    from monozu.db.errors import (
        ForeignKeyViolation as ForeignKeyViolation,
    )
    from monozu.db.errors import (
        IntegrityError as IntegrityError,
    )
    from monozu.db.errors import (
        MappingError as MappingError,
    )
    from monozu.db.errors import (
        MonozuError as MonozuError,
    )
    from monozu.db.errors import (
        NotFound as NotFound,
    )
    from monozu.db.errors import (
        NotNullViolation as NotNullViolation,
    )
    from monozu.db.errors import (
        NulCharacter as NulCharacter,
    )
    from monozu.db.errors import (
        ParameterError as ParameterError,
    )
    from monozu.db.errors import (
        ProgrammingError as ProgrammingError,
    )
    from monozu.db.errors import (
        QueryError as QueryError,
    )
    from monozu.db.errors import (
        SerializationFailure as SerializationFailure,
    )
    from monozu.db.errors import (
        Timeout as Timeout,
    )
    from monozu.db.errors import (
        TooManyRows as TooManyRows,
    )
    from monozu.db.errors import (
        UndefinedTable as UndefinedTable,
    )
    from monozu.db.errors import (
        UniqueViolation as UniqueViolation,
    )
