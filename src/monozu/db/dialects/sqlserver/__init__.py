"""SQL Server / Azure SQL: everything that differs for it lives in this package."""

from monozu.db.dialects.sqlserver.dialect import (
    CLEAR_TENANT_SQL,
    DEFAULT_LOGIN_TIMEOUT,
    DIALECT,
    LIBLTDL_HINT,
    SESSION_SQL,
    SET_TENANT_SQL,
    VERSION_SQL,
    SQLServerDialect,
    connection_string,
    describe_login,
    login_timeout,
    odbc_value,
    query_timeout,
    statements_for_validation,
    version_from_banner,
)

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
    "odbc_value",
    "query_timeout",
    "statements_for_validation",
    "version_from_banner",
]
