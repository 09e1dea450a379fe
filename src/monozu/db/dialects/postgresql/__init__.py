"""PostgreSQL: everything that differs for it lives in this package."""

from monozu.db.dialects.postgresql.dialect import DIALECT, PostgreSQLDialect, configure

__all__ = ["DIALECT", "PostgreSQLDialect", "configure"]
