"""SQL Server's pooling, offline: every unit of work takes a connection from the driver's
own pool and closes it back there; what the driver's session reset leaves (the
isolation level, the tenant in the session context) is overwritten before the unit of
work's first statement. No server runs here: the driver's ``connect`` is a stand-in."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest

from monozu.db import Database
from monozu.db.dialects import sqlserver as ss
from tests.db.dialects.sqlserver.test_dialect import FakeConnection, driver


class Session(FakeConnection):
    def commit(self) -> None:
        self.executed.append(("COMMIT", None))

    def rollback(self) -> None:
        self.executed.append(("ROLLBACK", None))


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_each_unit_of_work_overwrites_what_the_drivers_reset_leaves(
        monkeypatch: pytest.MonkeyPatch, ending: str) -> None:
    made: list[Session] = []

    def connect(*args: Any, **kwargs: Any) -> Session:
        made.append(Session())
        return made[-1]

    monkeypatch.setattr(driver(), "connect", connect)
    tenant = uuid.uuid4()
    db = Database.open("sqlserver://sa:pw@localhost?database=monozu", pool_size=1)
    with pytest.raises(RuntimeError) if ending == "rollback" else contextlib.nullcontext(), \
            db.tenant(tenant) as a:
        a.conn.cursor().execute("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
        if ending == "rollback":
            raise RuntimeError("the unit of work fails")
    with db.transaction():
        pass
    first, second = made  # a checkout each: closed into the driver's pool, which resets
    assert first.closed and second.closed
    end = ("COMMIT", None) if ending == "commit" else ("ROLLBACK", None)
    assert first.executed == [
        (ss.SESSION_SQL, None), (ss.SET_TENANT_SQL, (str(tenant),)),
        ("SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", None),
        (ss.CLEAR_TENANT_SQL, None), end]
    # The next one sets the isolation level back and clears the tenant before anything.
    assert second.executed == [(ss.SESSION_SQL, None), (ss.CLEAR_TENANT_SQL, None),
                               ("COMMIT", None)]
    assert "SET TRANSACTION ISOLATION LEVEL READ COMMITTED" in ss.SESSION_SQL
