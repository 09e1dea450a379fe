"""No tenant's call returns, changes or deletes another tenant's rows: a stateful property
test over the services, on SQLite and on PostgreSQL as the application role with row-level
security on and off."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from monozu.db import connect, rls
from monozu.db.migrate import Migrator
from tests.domain.conftest import AppRole
from tests.domain.isolation import (
    SETTINGS,
    CmdbRules,
    EdgeRules,
    IdentityRules,
    ItsmRules,
    SecurityRules,
    TenancyRules,
    World,
    machine,
)

CONTEXTS = (ItsmRules, SecurityRules, IdentityRules, CmdbRules, EdgeRules, TenancyRules)


def test_isolation_on_sqlite(sqlite_url: str) -> None:
    Migrator.from_url(sqlite_url).migrate()
    db = connect(sqlite_url)
    try:
        run_state_machine_as_test(machine(*CONTEXTS, world=World(db, db)), settings=SETTINGS)
    finally:
        db.close()


@pytest.mark.parametrize("rls_on", [True, False], ids=["rls-on", "rls-off"])
def test_isolation_on_postgresql_as_the_application_role(app_role: AppRole,
                                                         rls_on: bool) -> None:
    if rls_on:
        assert rls.enable(app_role.owner).enabled
    assert {t.state for t in rls.status(app_role.owner)} == {"on" if rls_on else "off"}
    world = World(app_role.app, app_role.owner)
    run_state_machine_as_test(machine(*CONTEXTS, world=world), settings=SETTINGS)
