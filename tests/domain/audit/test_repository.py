"""Audit rows: written on the caller's unit of work, gone with it, one tenant's only."""

from __future__ import annotations

import pytest

from monozu.db import Database
from monozu.db.tenant import NoTenant
from monozu.domain.audit import Actor, AuditRepository, record
from tests.domain.conftest import add_tenant


def test_row_commits_with_the_change_and_reads_back(db: Database) -> None:
    a = add_tenant(db, "acme")
    with db.tenant(a) as tx:
        record(tx, Actor.system(), "site.created", "site", "s-1", details={"name": "Plant"})
    with db.tenant(a) as tx:
        [row] = AuditRepository(tx).for_resource("site", "s-1")
    assert (row.action, row.user_id, row.details) == ("site.created", None, {"name": "Plant"})


def test_failed_unit_of_work_leaves_no_audit_row(db: Database) -> None:
    a = add_tenant(db, "acme")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.tenant(a) as tx:
        record(tx, Actor.system(), "site.created", "site", "s-1")
        raise Boom
    with db.tenant(a) as tx:
        assert AuditRepository(tx).for_resource("site", "s-1") == []


def test_other_tenant_sees_nothing_and_pages_are_stable(db: Database) -> None:
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    with db.tenant(a) as tx:
        for i in range(7):
            record(tx, Actor.system(), "thing.changed", "thing", i)
    with db.tenant(b) as tx:
        repo = AuditRepository(tx)
        assert repo.page().items == []
        assert repo.for_resource("thing", 1) == []
    seen: list[str] = []
    cursor = None
    with db.tenant(a) as tx:
        repo = AuditRepository(tx)
        while True:
            page = repo.page(limit=3, cursor=cursor)
            seen += [r.resource_id or "" for r in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert sorted(seen) == [str(i) for i in range(7)]
    assert len(seen) == len(set(seen))


def test_audit_outside_a_tenant_unit_of_work_is_refused(db: Database) -> None:
    with pytest.raises(NoTenant), db.transaction() as tx:
        record(tx, Actor.system(), "x", "y")
