"""SQL Server / Azure SQL: everything that differs for it lives in this package.

The URL rules (:mod:`.url`) load eagerly and cheaply; the dialect (and with it the
driver's support code) loads on first use of one of its names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monozu.db.dialects import lazy_exports
from monozu.db.dialects.sqlserver.url import (
    DEFAULT_LOGIN_TIMEOUT,
    connection_string,
    describe_login,
    login_timeout,
    managed_identity_url,
    odbc_value,
    query_timeout,
    uses_managed_identity,
)

if TYPE_CHECKING:
    from monozu.db.dialects.sqlserver.dialect import (
        CLEAR_TENANT_SQL,
        DIALECT,
        LIBLTDL_HINT,
        SESSION_SQL,
        SET_TENANT_SQL,
        VERSION_SQL,
        SQLServerDialect,
        statements_for_validation,
        version_from_banner,
    )

__getattr__ = lazy_exports(__name__, (
    "CLEAR_TENANT_SQL", "DIALECT", "LIBLTDL_HINT", "SESSION_SQL", "SET_TENANT_SQL",
    "VERSION_SQL", "SQLServerDialect", "statements_for_validation", "version_from_banner",
))

__all__ = [
    "CLEAR_TENANT_SQL",
    "DEFAULT_LOGIN_TIMEOUT",
    "DIALECT",
    "LIBLTDL_HINT",
    "SESSION_SQL",
    "SET_TENANT_SQL",
    "VERSION_SQL",
    "SQLServerDialect",
    "connection_string",
    "describe_login",
    "login_timeout",
    "managed_identity_url",
    "odbc_value",
    "query_timeout",
    "statements_for_validation",
    "uses_managed_identity",
    "version_from_banner",
]
