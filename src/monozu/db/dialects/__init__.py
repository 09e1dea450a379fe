"""One module per database; :func:`dialect_for` picks one by kind.

Modules are imported on first use so that, say, a SQLite-only run never loads the
SQL Server driver.
"""

from __future__ import annotations

import importlib

from monozu.db.config import Kind
from monozu.db.dialects.base import Dialect

_MODULES: dict[Kind, str] = {
    "sqlite": "monozu.db.dialects.sqlite",
    "postgresql": "monozu.db.dialects.postgresql",
    "sqlserver": "monozu.db.dialects.sqlserver",
}


def dialect_for(kind: Kind) -> Dialect:
    dialect: Dialect = importlib.import_module(_MODULES[kind]).DIALECT
    return dialect


__all__ = ["Dialect", "dialect_for"]
