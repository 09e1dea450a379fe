"""Tenancy SQL: every statement runs on a unit of work handed in by the caller.

Tenant-owned rows (licence, features) are read and written only inside that
tenant's unit of work, and filtered on its id explicitly as well, so SQLite (no
row-level security) is as safe as the databases that enforce it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from monozu.db import Tx
from monozu.db.models import Tenant, TenantFeature, TenantLicense
from monozu.db.queries import Queries, load
from monozu.db.tenant import tenant_of

QUERIES: Queries = load("monozu.domain.tenancy")


class TenancyRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.kind = tx.dialect.kind

    def _sql(self, name: str) -> str:
        return QUERIES.sql(name, self.kind)

    # tenants: a global table (the tenant itself is not tenant-owned)
    def insert_tenant(self, tenant: Tenant) -> None:
        self.tx.exec(self._sql("insert_tenant"), id=tenant.id, name=tenant.name,
                     status=tenant.status, slug=tenant.slug, created_at=tenant.created_at,
                     onboarding_ot_completed=tenant.onboarding_ot_completed)

    def get_tenant(self, tenant_id: uuid.UUID) -> Tenant:
        return self.tx.get(Tenant, self._sql("get_tenant"), id=tenant_id)

    def get_tenant_by_slug(self, slug: str) -> Tenant:
        return self.tx.get(Tenant, self._sql("get_tenant_by_slug"), slug=slug)

    def set_status(self, tenant_id: uuid.UUID, status: str) -> int:
        return self.tx.exec(self._sql("set_tenant_status"), id=tenant_id, status=status)

    def change_status(self, tenant_id: uuid.UUID, current: str, status: str) -> int:
        """Only while the tenant is still ``current``: 0 rows when it moved meanwhile."""
        return self.tx.exec(self._sql("change_tenant_status"), id=tenant_id, current=current,
                            status=status)

    # tenant-owned rows: only the bound tenant's
    def licence(self) -> TenantLicense | None:
        found = self.tx.select(TenantLicense, self._sql("get_licence"),
                               tenant_id=tenant_of(self.tx))
        return found[0] if found else None

    def upsert_licence(self, plan: str, expires_at: datetime, updated_at: datetime) -> None:
        self.tx.exec(self._sql("upsert_licence"), tenant_id=tenant_of(self.tx), plan=plan,
                     expires_at=expires_at, updated_at=updated_at)

    def features(self) -> list[TenantFeature]:
        return self.tx.select(TenantFeature, self._sql("list_features"),
                              tenant_id=tenant_of(self.tx))

    def set_feature(self, feature: str, enabled: bool) -> None:
        self.tx.exec(self._sql("upsert_feature"), tenant_id=tenant_of(self.tx),
                     feature=feature, enabled=enabled)

    def feature_enabled(self, feature: str) -> bool:
        found = self.tx.select(bool, self._sql("feature_enabled"),
                               tenant_id=tenant_of(self.tx), feature=feature)
        return bool(found and found[0])
