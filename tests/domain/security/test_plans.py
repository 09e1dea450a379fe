"""The risk view's three reads use an index, in index order, on both databases.

"First page of open vulnerabilities by risk", "next page by cursor" and "one asset's
vulnerabilities" are explained on generated rows; PostgreSQL runs them as a
non-superuser application role with row-level security switched on, and checks the
generic plan of the prepared statement too (50 tenants of 100 assets each: the shape in
which a join to assets once planned a scan of the tenant's assets for every row).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monozu.db import Database, Tx, connect
from monozu.db import rls as rls_switch
from monozu.db.migrate import Migrator
from monozu.domain.security import SecurityService
from monozu.domain.security.repository import QUERIES, risk_filters
from tests.support.plans import (
    Plan,
    pg_application_role,
    postgresql_generic_plan,
    postgresql_plan,
    sqlite_index_columns,
    sqlite_plan,
)
from tests.support.vuln_data import Loaded, load

RISK_INDEX = "ix_vulnerabilities_tenant_status_cvss"
ASSET_KEYS = {"pk_assets", "uq_assets_tenant_id", "sqlite_autoindex_assets_1",
              "sqlite_autoindex_assets_2"}
Explain = Callable[[Tx, str, dict[str, Any]], Plan]


def reads(tx: Tx, data: Loaded) -> dict[str, tuple[str, dict[str, Any]]]:
    """The statements the service runs for the three reads, with their parameters."""
    tenant = data.tenants[0]
    first = SecurityService(tx).by_risk(limit=50)
    last = first.items[-1]
    assert last.cvss_score is not None
    base = {"tenant_id": tenant, "status": "open", "limit": 51}
    return {
        "first page": (QUERIES.risk_scored.sql(tx.dialect), base),
        "next page": (QUERIES.risk_scored_after.sql(tx.dialect),
                      {**base, "after_score": last.cvss_score, "after_id": last.id}),
        "unscored tail": (QUERIES.risk_unscored.sql(tx.dialect), base),
        # the filtered view: a site, text and two bands; the planner may sort what it finds
        "filtered first page": (QUERIES.risk_filtered_scored.sql(tx.dialect), {
            **base, **risk_filters(data.sites[tenant], "%cve-2%"),
            "severities": ["critical", "high"]}),
        "one asset": (QUERIES.asset_vulnerabilities.sql(tx.dialect),
                      {"tenant_id": tenant, "asset_id": data.assets[tenant][3], "limit": 51}),
    }


def check(tx: Tx, data: Loaded, explain: Explain,
          asset_index: Callable[[str], bool]) -> None:
    for what, (sql, params) in reads(tx, data).items():
        plan = explain(tx, sql, params)
        index = plan.indexes.get("v")
        assert index, f"{what}: vulnerabilities read without an index\n{plan.text}"
        if what in ("first page", "next page"):  # elsewhere few rows: it may sort them
            assert not plan.sorts, f"{what}: rows are sorted, not read in index order\n" \
                                   f"{plan.text}"
        if what == "one asset":
            assert asset_index(index), f"{what}\n{plan.text}"
        else:
            assert index == RISK_INDEX, f"{what}\n{plan.text}"
        # an asset's name is one key lookup per row, never a scan of the tenant's assets
        assert plan.indexes.get("a", "pk_assets") in ASSET_KEYS, f"{what}\n{plan.text}"


def test_sqlite_plans_use_the_indexes(sqlite_url: str) -> None:
    Migrator.from_url(sqlite_url).migrate()
    with connect(sqlite_url) as db:
        data = load(db, tenants=3, assets=300, vulnerabilities=6000, cves=400)
        db.exec("ANALYZE")
        with db.tenant(data.tenants[0]) as tx:
            check(tx, data, sqlite_plan,
                  lambda ix: sqlite_index_columns(tx, ix)[:2] == ["tenant_id", "asset_id"])


@pytest.fixture
def app_db(pg_url: str) -> Iterator[tuple[Database, Loaded]]:
    Migrator.from_url(pg_url).migrate()
    with connect(pg_url) as operator:
        data = load(operator, tenants=50, assets=5000, vulnerabilities=20000, cves=400)
        operator.exec("ANALYZE")
        rls_switch.enable(operator)
        with pg_application_role(operator, pg_url) as app_url, connect(app_url) as app:
            assert app.get_value("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                                 "WHERE rolname = current_user") is False
            yield app, data


def test_postgresql_plans_use_the_indexes_with_rls_on(
        app_db: tuple[Database, Loaded]) -> None:
    app, data = app_db
    with app.transaction(tenant_id=uuid.uuid4()) as tx:
        assert tx.select(int, "SELECT 1 FROM vulnerabilities") == []  # RLS is on
    with app.tenant(data.tenants[0]) as tx:
        check(tx, data, postgresql_plan,
              lambda ix: ix == "uq_vulnerabilities_tenant_asset_cve")
        # a statement run often is prepared, and its generic plan must hold up as well
        check(tx, data, postgresql_generic_plan,
              lambda ix: ix == "uq_vulnerabilities_tenant_asset_cve")
