"""The edge path as PostgreSQL's application role with row-level security on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from monozu.db import Database, NotFound, connect, rls
from monozu.db.migrate import Migrator
from monozu.domain.edge import EdgeService, EventIn
from tests.db.test_rls import url_as
from tests.domain.conftest import add_tenant
from tests.domain.edge.conftest import Clock


@pytest.fixture
def app_db(pg_url: str) -> Iterator[Database]:
    """A login role without BYPASSRLS, with DML grants, and RLS switched on."""
    Migrator.from_url(pg_url).migrate()
    operator = connect(pg_url)
    role, password = f"monozu_edge_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    operator.exec(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
    operator.exec(f"GRANT USAGE ON SCHEMA public TO {role}")
    operator.exec(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    rls.enable(operator)
    app = Database.open(url_as(pg_url, role, password))
    try:
        yield app
    finally:
        app.close()
        operator.exec(f"DROP OWNED BY {role}")
        operator.exec(f"DROP ROLE {role}")
        operator.close()


def test_edge_flow_under_rls_stays_inside_each_tenant(app_db: Database, pg_url: str) -> None:
    with connect(pg_url) as platform:
        a, b = add_tenant(platform, "acme"), add_tenant(platform, "globex")
    clock = Clock()
    svc = EdgeService(app_db, clock=clock)
    devs = {}
    for tenant in (a, b):
        key = svc.create_provisioning_key(tenant, "k")
        issued = svc.register_device(key.secret, name="edge", type="gateway")
        devs[tenant] = svc.authenticate(issued.secret)
    cmd_b = svc.enqueue(b, devs[b].device_id, "run_discovery")
    svc.enqueue(a, devs[a].device_id, "run_discovery")
    assert [c.tenant_id for c in svc.poll(devs[a])] == [a]
    with pytest.raises(NotFound):
        svc.complete(devs[a], cmd_b.id)
    batch = [EventIn("telemetry", clock.now - timedelta(seconds=i), {"i": i}) for i in range(50)]
    assert svc.ingest(devs[a], batch) == 50
    window = {"since": clock.now - timedelta(days=1), "until": clock.now + timedelta(days=1)}
    assert len(svc.events(a, **window, limit=500).items) == 50
    assert svc.events(b, **window).items == []
    clock.advance(days=31)
    assert svc.purge(b, timedelta(days=30)) == 0
    assert svc.purge(a, timedelta(days=30)) == 50
