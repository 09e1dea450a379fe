"""The driver connection behind a unit of work, reached without retiring it.

Reaching ``tx.conn`` or ``Database.connection()`` closes the connection when the unit
of work ends. The pool's reset is what stands behind that (and the only guard of an
in-memory SQLite database's single connection), so its tests reach the connection
this way to check what the reset undoes on the very connection reused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from monozu.db import Database
from monozu.db.database import Tx


def raw(tx: Tx) -> Any:
    return tx._conn


@contextlib.contextmanager
def pooled(db: Database) -> Iterator[Any]:
    with db._lease() as lease:
        yield lease.conn


def pragmas_outside_transaction(*statements: str) -> Callable[[Tx], None]:
    """A unit of work's action running ``statements`` between its transactions: some
    pragmas are no-ops inside one."""
    def act(tx: Tx) -> None:
        raw(tx).execute("COMMIT")
        for statement in statements:
            tx.exec(statement)
        raw(tx).execute("BEGIN")
    return act
