"""Tenancy rules: registration, the tenant lifecycle, the licence update, login and features.

Every state-changing call writes its audit row on the same unit of work; a refused call
changes nothing and writes none.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from monozu.db import Database, NotFound, Tx, UniqueViolation
from monozu.db.models import Tenant, TenantLicense
from monozu.db.values import has_offset
from monozu.domain.audit import Actor, record
from monozu.domain.common import not_found
from monozu.domain.errors import Conflict, InvalidTransition, ValidationError, check_text
from monozu.domain.inputs import MAX_PERIOD, check_range, checked
from monozu.domain.tenancy.repository import TenancyRepository
from monozu.domain.tenancy.types import (
    FEATURES,
    TRANSITIONS,
    Access,
    AccessDecision,
    Licence,
    LicenceState,
    check_features,
)

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SYSTEM = Actor.system()


def _tenant(repo: TenancyRepository, tenant_id: uuid.UUID) -> Tenant:
    try:
        return repo.get_tenant(tenant_id)
    except NotFound:
        raise not_found("tenant", tenant_id) from None


@checked
class TenancyService:
    """``grace``: how long an expired licence still lets users in, with restricted features."""

    def __init__(self, db: Database, *, grace: timedelta = timedelta(0),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.grace = check_range("grace", grace, timedelta(0), MAX_PERIOD)
        self.clock = clock

    def register(self, name: str, slug: str, *, actor: Actor = _SYSTEM) -> Tenant:
        """A new tenant starts ``pending``: no login until a licence arrives."""
        name = check_text("tenant name", name, max_length=200)
        if not _SLUG.fullmatch(slug):
            raise ValidationError(f"tenant slug {slug[:80]!r} must be 1 to 63 lower-case "
                                  "letters, digits and inner hyphens")
        tenant = Tenant(id=uuid.uuid4(), name=name, status="pending", created_at=self.clock(),
                        slug=slug, onboarding_ot_completed=False)
        with self.db.tenant(tenant.id) as tx:
            try:
                TenancyRepository(tx).insert_tenant(tenant)
            except UniqueViolation:  # the slug is taken (the id is new)
                raise Conflict(f"tenant slug {slug!r} is in use") from None
            record(tx, actor, "tenant.registered", "tenant", tenant.id,
                   details={"name": name, "slug": slug}, at=tenant.created_at)
        return tenant

    def get(self, tenant_id: uuid.UUID) -> Tenant:
        with self.db.tenant(tenant_id) as tx:
            return _tenant(TenancyRepository(tx), tenant_id)

    # ------------------------------------------------------------------ lifecycle
    def change_status(self, tenant_id: uuid.UUID, wanted: str, *,
                      actor: Actor = _SYSTEM) -> Tenant:
        """Move the tenant along its lifecycle (:data:`TRANSITIONS`); other moves are refused."""
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            tenant = _tenant(repo, tenant_id)
            self._move(tx, repo, tenant, wanted, actor)
            return _tenant(repo, tenant_id)

    def activate(self, tenant_id: uuid.UUID, *, actor: Actor = _SYSTEM) -> Tenant:
        return self.change_status(tenant_id, "active", actor=actor)

    def suspend(self, tenant_id: uuid.UUID, *, actor: Actor = _SYSTEM) -> Tenant:
        return self.change_status(tenant_id, "suspended", actor=actor)

    def _move(self, tx: Tx, repo: TenancyRepository, tenant: Tenant, wanted: str,
              actor: Actor) -> None:
        if wanted not in TRANSITIONS.get(tenant.status, frozenset()):
            raise InvalidTransition("tenant", tenant.status, wanted)
        if repo.change_status(tenant.id, tenant.status, wanted) != 1:
            # another unit of work moved it between our read and this write
            raise InvalidTransition("tenant", _tenant(repo, tenant.id).status, wanted)
        record(tx, actor, "tenant.status_changed", "tenant", tenant.id,
               details={"from": tenant.status, "to": wanted}, at=self.clock())

    # ------------------------------------------------------------------ licence
    def apply_licence(self, tenant_id: uuid.UUID, plan: str, expires_at: datetime,
                      features: Iterable[str], *, actor: Actor = _SYSTEM) -> None:
        """The licence update, all or nothing: upsert the licence, replace the features,
        activate a pending tenant. A suspended tenant stays suspended."""
        wanted = check_features(features)
        plan = check_text("licence plan", plan, max_length=50)
        if not has_offset(expires_at):
            raise ValidationError("licence expiry must carry a time zone")
        now = self.clock()
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            tenant = _tenant(repo, tenant_id)  # before its rows: a missing one is NotFound
            repo.upsert_licence(plan, expires_at, now)
            for feature in sorted(FEATURES):
                repo.set_feature(feature, feature in wanted)
            record(tx, actor, "licence.applied", "tenant_license", tenant_id,
                   details={"plan": plan, "expires_at": expires_at.isoformat(),
                            "features": sorted(wanted)}, at=now)
            if tenant.status == "pending":
                self._move(tx, repo, tenant, "active", actor)

    def licence(self, tenant_id: uuid.UUID) -> Licence | None:
        """The tenant's licence and its state now; None before the first licence."""
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            _tenant(repo, tenant_id)
            row = repo.licence()
            enabled = frozenset(f.feature for f in repo.features() if f.enabled)
        if row is None:
            return None
        return Licence(row.plan, row.expires_at, row.updated_at, self._state(row), enabled)

    def _state(self, licence: TenantLicense) -> LicenceState:
        now = self.clock()
        if now < licence.expires_at:
            return LicenceState.ACTIVE
        if now - licence.expires_at < self.grace:  # no sum that could pass year 9999
            return LicenceState.GRACE
        return LicenceState.EXPIRED

    # ------------------------------------------------------------------ decisions
    def login_access(self, tenant_id: uuid.UUID) -> AccessDecision:
        """Login needs an active tenant and a licence that has not run out."""
        with self.db.tenant(tenant_id) as tx:
            return self._access(TenancyRepository(tx), tenant_id)

    def _access(self, repo: TenancyRepository, tenant_id: uuid.UUID) -> AccessDecision:
        tenant = _tenant(repo, tenant_id)
        if tenant.status == "pending":
            return AccessDecision(Access.PENDING)
        if tenant.status == "suspended":
            return AccessDecision(Access.SUSPENDED)
        licence = repo.licence()
        if licence is None:
            return AccessDecision(Access.NO_LICENCE)
        access = {LicenceState.ACTIVE: Access.ALLOWED, LicenceState.GRACE: Access.GRACE,
                  LicenceState.EXPIRED: Access.EXPIRED}[self._state(licence)]
        return AccessDecision(access, licence.plan, licence.expires_at)

    def feature_enabled(self, tenant_id: uuid.UUID, feature: str) -> bool:
        """May this tenant use ``feature`` now: an active tenant, a licence that has not
        expired (gated features are off during the grace period) and the feature on."""
        check_features([feature])
        with self.db.tenant(tenant_id) as tx:
            repo = TenancyRepository(tx)
            if self._access(repo, tenant_id).access is not Access.ALLOWED:
                return False
            return repo.feature_enabled(feature)

    may_use = feature_enabled
