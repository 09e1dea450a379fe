"""PostgreSQL: everything that differs for it lives in this package.

The dialect (and psycopg with it) loads on first use of one of its names, so the
URL rules in :mod:`.url` can be read without the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monozu.db.dialects import lazy_exports

if TYPE_CHECKING:
    from monozu.db.dialects.postgresql.dialect import DIALECT, PostgreSQLDialect, configure

__getattr__ = lazy_exports(__name__, ("DIALECT", "PostgreSQLDialect", "configure"))

__all__ = ["DIALECT", "PostgreSQLDialect", "configure"]
