"""The values tenancy rules return."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

FEATURES = frozenset({"security", "vpn", "backup"})


class Access(enum.Enum):
    """Why a tenant may or may not log in."""

    ALLOWED = "allowed"
    GRACE = "grace"  # licence expired, still inside the grace period: restricted features
    PENDING = "tenant_pending"
    SUSPENDED = "tenant_suspended"
    NO_LICENCE = "no_licence"
    EXPIRED = "licence_expired"


@dataclass(frozen=True, slots=True)
class AccessDecision:
    access: Access
    plan: str | None = None
    expires_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.access in (Access.ALLOWED, Access.GRACE)
