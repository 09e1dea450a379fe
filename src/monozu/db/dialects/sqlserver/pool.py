"""SQL Server's pool: the driver's own.

mssql-python pools connections natively (keyed on the identity, aware of token
expiry), so every checkout here is a driver ``connect`` and every return a
``close``. When the driver hands a pooled session out again it resets it first
(``sp_reset_connection``: temporary tables, session settings, open cursors,
prepared handles and application locks owned by the session are dropped, and
``SESSION_CONTEXT`` is cleared); the tenant binding is additionally cleared at the
end of every unit of work (see the dialect's ``unbind_unit_of_work``).

``sp_reset_connection`` leaves one setting as the last unit of work set it: the
transaction isolation level. mssql-python (1.16 and later) sets it back through
the ODBC attribute, which the ODBC driver may hold as unchanged after a ``SET
TRANSACTION ISOLATION LEVEL`` sent as SQL, so :data:`RESET_SQL` goes with the
session settings every checkout sends anyway (the dialect's ``configure``): no
round trip of its own. The reset callback has nothing left to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monozu.db.dialects.pooling import Pool, Pooling
from monozu.db.pool import DriverPool

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect


# What a new session has and sp_reset_connection does not give back: a unit of work's
# READ UNCOMMITTED would let the next one, another tenant's, read rows not committed.
RESET_SQL = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"


class SQLServerPooling(Pooling):
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        def factory() -> Any:
            return dialect.connect(url, config)

        return DriverPool(factory)

    def reset(self, conn: Any) -> None:
        """Nothing: connections are closed into the driver's pool, which resets them."""
        return None


POOLING = SQLServerPooling()
