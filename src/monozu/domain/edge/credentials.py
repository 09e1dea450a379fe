"""Provisioning and device secrets: shown once, stored only as a SHA-256 hash.

A secret reads ``<kind>_<tenant id as 32 hex digits>_<43 random URL-safe characters>``
(256 random bits). Carrying the tenant lets every lookup run inside that tenant's
unit of work, filtered on its id and under its row-level-security policies, with
no cross-tenant search; the random part is what makes it secret. A fast hash is
enough for 256-bit random values (nothing to brute-force), and lets the lookup be
one indexed equality.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Literal

from monozu.domain.errors import Unauthorized

Kind = Literal["mzp", "mzd"]  # provisioning key, device key
PROVISIONING: Kind = "mzp"
DEVICE: Kind = "mzd"
_SHAPE = re.compile(r"(mzp|mzd)_([0-9a-f]{32})_([A-Za-z0-9_-]{43})")
_NAMES = {PROVISIONING: "provisioning key", DEVICE: "device key"}


class CredentialError(Unauthorized):
    """A provisioning or device key was refused; the message never repeats the key."""


def issue(kind: Kind, tenant_id: uuid.UUID) -> tuple[str, str]:
    """A new secret of ``kind`` for ``tenant_id`` and the hash to store."""
    secret = f"{kind}_{tenant_id.hex}_{secrets.token_urlsafe(32)}"
    return secret, digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def read(kind: Kind, secret: object) -> tuple[uuid.UUID, str]:
    """The tenant a secret belongs to and its hash; malformed secrets are refused."""
    m = _SHAPE.fullmatch(secret) if isinstance(secret, str) else None
    if m is None or m.group(1) != kind:
        raise CredentialError(f"unknown {_NAMES[kind]}")
    return uuid.UUID(hex=m.group(2)), digest(secret)  # type: ignore[arg-type]
