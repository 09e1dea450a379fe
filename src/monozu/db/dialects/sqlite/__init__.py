"""SQLite, the embedded default: everything that differs for it lives in this package."""

from monozu.db.dialects.sqlite.dialect import DIALECT, SQLiteDialect

__all__ = ["DIALECT", "SQLiteDialect"]
