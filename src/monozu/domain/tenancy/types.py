"""The values tenancy rules return."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from monozu.db.errors import ParameterError
from monozu.domain.errors import ValidationError
from monozu.domain.inputs import listed

FEATURES = frozenset({"security", "vpn", "backup"})

# tenant lifecycle: a new tenant waits for its first licence, an operator may suspend an
# active tenant and lift the suspension again; every other move is refused
STATUSES = ("pending", "active", "suspended")
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"active"}),
    "active": frozenset({"suspended"}),
    "suspended": frozenset({"active"}),
}


class UnknownFeature(ValidationError, ParameterError):
    """A feature name outside :data:`FEATURES` (also a ``ParameterError`` for older callers)."""


def check_features(features: Iterable[str]) -> frozenset[str]:
    """``features`` as a set, refused when it names one outside :data:`FEATURES`."""
    names = listed("features", features)
    if not all(isinstance(name, str) for name in names):
        raise UnknownFeature("features are names (text); known: "
                             f"{', '.join(sorted(FEATURES))}")
    wanted = frozenset(names)
    unknown = wanted - FEATURES
    if unknown:
        raise UnknownFeature(f"unknown feature(s): {', '.join(sorted(unknown)):.200}; "
                             f"known: {', '.join(sorted(FEATURES))}")
    return wanted


class Access(enum.Enum):
    """Why a tenant may or may not log in."""

    ALLOWED = "allowed"
    GRACE = "grace"  # licence expired, still inside the grace period: restricted features
    PENDING = "tenant_pending"
    SUSPENDED = "tenant_suspended"
    NO_LICENCE = "no_licence"
    EXPIRED = "licence_expired"


class LicenceState(enum.Enum):
    """Where a licence stands at a given moment."""

    ACTIVE = "active"
    GRACE = "grace"  # past its expiry, still inside the grace period
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class AccessDecision:
    access: Access
    plan: str | None = None
    expires_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.access in (Access.ALLOWED, Access.GRACE)


@dataclass(frozen=True, slots=True)
class Licence:
    """A tenant's licence as the service sees it now: plan, expiry, state, enabled features."""

    plan: str
    expires_at: datetime
    updated_at: datetime
    state: LicenceState
    features: frozenset[str]
