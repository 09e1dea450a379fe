"""The edge path as PostgreSQL's application role with row-level security on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monozu.db import NotFound, rls
from monozu.domain.edge import EdgeService, EventIn
from tests.domain.conftest import AppRole, add_tenant
from tests.domain.edge.conftest import Clock


def test_edge_flow_under_rls_stays_inside_each_tenant(app_role: AppRole) -> None:
    rls.enable(app_role.owner)
    a, b = add_tenant(app_role.owner, "acme"), add_tenant(app_role.owner, "globex")
    clock = Clock()
    svc = EdgeService(app_role.app, clock=clock)
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
