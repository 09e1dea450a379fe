"""Identity values: the permission catalogue, appearance choices, and what the service returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from monozu.db.models import User

# Every permission a group may be granted, as ``resource:action``. A name outside this
# catalogue is refused, so a typo never becomes a grant that silently matches nothing.
PERMISSIONS: frozenset[str] = frozenset({
    "tenant:read", "tenant:admin",
    "users:read", "users:write",
    "groups:read", "groups:write",
    "audit:read",
    "settings:read", "settings:write",
    "sites:read", "sites:write",
    "assets:read", "assets:write",
    "diagrams:read", "diagrams:write",
    "incidents:read", "incidents:write", "incidents:assign",
    "problems:read", "problems:write",
    "changes:read", "changes:write", "changes:approve",
    "knowledge:read", "knowledge:write",
    "vulnerabilities:read", "vulnerabilities:write",
    "alerts:read", "alerts:write",
    "devices:read", "devices:write", "devices:command",
})

THEMES = ("light", "dark", "system")
DENSITIES = ("comfortable", "compact")


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the service hands it out: never the password hash."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: str | None
    sso: bool  # signs in through the identity provider only: no password
    mfa_enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(user.id, user.tenant_id, user.email, user.display_name,
                   user.password_hash is None, user.mfa_enabled, user.created_at)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A refresh token as handed to the client once: only its hash is stored."""

    token: str
    id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime

    def __repr__(self) -> str:  # the token is a credential: keep it out of logs
        return f"IssuedToken(id={self.id}, user_id={self.user_id}, expires_at={self.expires_at})"
