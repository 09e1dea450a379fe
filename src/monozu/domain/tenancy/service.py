"""Tenancy rules: registration, the licence webhook, login access, feature gates."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from monozu.db import Database, ParameterError
from monozu.db.models import Tenant
from monozu.domain.tenancy.repository import TenancyRepository
from monozu.domain.tenancy.types import FEATURES, Access, AccessDecision


class TenancyService:
    """``grace``: how long an expired licence still lets users in, with restricted features."""

    def __init__(self, db: Database, *, grace: timedelta = timedelta(0),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.grace = grace
        self.clock = clock

    def register(self, name: str, slug: str) -> Tenant:
        """A new tenant starts ``pending``: no login until a licence arrives."""
        tenant = Tenant(id=uuid.uuid4(), name=name, status="pending", created_at=self.clock(),
                        slug=slug, onboarding_ot_completed=False)
        with self.db.transaction() as tx:
            TenancyRepository(tx).insert_tenant(tenant)
        return tenant

    def apply_licence(self, tenant_id: uuid.UUID, plan: str, expires_at: datetime,
                      features: Iterable[str]) -> None:
        """The licence webhook: upsert the licence, replace the features, activate."""
        wanted = set(features)
        unknown = wanted - FEATURES
        if unknown:
            raise ParameterError(f"unknown feature(s): {', '.join(sorted(unknown))}")
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            repo.upsert_licence(plan, expires_at, self.clock())
            for feature in sorted(FEATURES):
                repo.set_feature(feature, feature in wanted)
            if repo.get_tenant(tenant_id).status == "pending":
                repo.set_status(tenant_id, "active")

    def login_access(self, tenant_id: uuid.UUID) -> AccessDecision:
        """Login needs an active tenant and a licence that has not run out."""
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            tenant = repo.get_tenant(tenant_id)
            if tenant.status == "pending":
                return AccessDecision(Access.PENDING)
            if tenant.status == "suspended":
                return AccessDecision(Access.SUSPENDED)
            licence = repo.licence()
        if licence is None:
            return AccessDecision(Access.NO_LICENCE)
        now = self.clock()
        if now < licence.expires_at:
            access = Access.ALLOWED
        elif now < licence.expires_at + self.grace:
            access = Access.GRACE
        else:
            access = Access.EXPIRED
        return AccessDecision(access, licence.plan, licence.expires_at)

    def feature_enabled(self, tenant_id: uuid.UUID, feature: str) -> bool:
        """Gated features are off during the grace period and after expiry."""
        if feature not in FEATURES:
            raise ParameterError(f"unknown feature {feature!r}")
        if self.login_access(tenant_id).access is not Access.ALLOWED:
            return False
        with self.db.tenant(tenant_id) as tx:
            return TenancyRepository(tx).feature_enabled(feature)
