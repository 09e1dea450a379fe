"""SQLite, the embedded default: everything that differs for it lives in this package.

The dialect loads on first use of one of its names; the URL rules in :mod:`.url`
load without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monozu.db.dialects import lazy_exports

if TYPE_CHECKING:
    from monozu.db.dialects.sqlite.dialect import DIALECT, SQLiteDialect

__getattr__ = lazy_exports(__name__, ("DIALECT", "SQLiteDialect"))

__all__ = ["DIALECT", "SQLiteDialect"]
