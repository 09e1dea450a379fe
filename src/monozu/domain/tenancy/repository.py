"""Tenancy SQL: every statement runs on a unit of work handed in by the caller.

Tenant-owned rows (licence, features) are read and written only inside that
tenant's unit of work, and filtered on its id explicitly as well, so SQLite (no
row-level security) is as safe as the databases that enforce it. The statements
are the named queries of ``queries.sql``; which database runs them is the unit of
work's business, not the repository's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from monozu.db import Tx
from monozu.db.models import Tenant, TenantFeature, TenantLicense
from monozu.db.queries import QueryFile, many, one, optional, rowcount
from monozu.db.tenant import tenant_of


class TenancyQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_tenant = rowcount()
    get_tenant = one(Tenant)
    get_tenant_by_slug = one(Tenant)
    set_tenant_status = rowcount()
    change_tenant_status = rowcount()
    get_licence = optional(TenantLicense)
    upsert_licence = rowcount()
    list_features = many(TenantFeature)
    upsert_feature = rowcount()
    feature_enabled = optional(bool)


QUERIES = TenancyQueries("monozu.domain.tenancy")


class TenancyRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # tenants: a global table (the tenant itself is not tenant-owned)
    def insert_tenant(self, tenant: Tenant) -> None:
        QUERIES.insert_tenant(self.tx, id=tenant.id, name=tenant.name, status=tenant.status,
                              slug=tenant.slug, created_at=tenant.created_at,
                              onboarding_ot_completed=tenant.onboarding_ot_completed)

    def get_tenant(self, tenant_id: uuid.UUID) -> Tenant:
        return QUERIES.get_tenant(self.tx, id=tenant_id)

    def get_tenant_by_slug(self, slug: str) -> Tenant:
        return QUERIES.get_tenant_by_slug(self.tx, slug=slug)

    def set_status(self, tenant_id: uuid.UUID, status: str) -> int:
        return QUERIES.set_tenant_status(self.tx, id=tenant_id, status=status)

    def change_status(self, tenant_id: uuid.UUID, current: str, status: str) -> int:
        """Only while the tenant is still ``current``: 0 rows when it moved meanwhile."""
        return QUERIES.change_tenant_status(self.tx, id=tenant_id, current=current,
                                            status=status)

    # tenant-owned rows: only the bound tenant's
    def licence(self) -> TenantLicense | None:
        return QUERIES.get_licence(self.tx, tenant_id=tenant_of(self.tx))

    def upsert_licence(self, plan: str, expires_at: datetime, updated_at: datetime) -> None:
        QUERIES.upsert_licence(self.tx, tenant_id=tenant_of(self.tx), plan=plan,
                               expires_at=expires_at, updated_at=updated_at)

    def features(self) -> list[TenantFeature]:
        return QUERIES.list_features(self.tx, tenant_id=tenant_of(self.tx))

    def set_feature(self, feature: str, enabled: bool) -> None:
        QUERIES.upsert_feature(self.tx, tenant_id=tenant_of(self.tx), feature=feature,
                               enabled=enabled)

    def feature_enabled(self, feature: str) -> bool:
        return bool(QUERIES.feature_enabled(self.tx, tenant_id=tenant_of(self.tx),
                                            feature=feature))
