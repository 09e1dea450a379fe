"""Identity: users, groups and their permissions, user settings, refresh-token sessions.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules (email unique per
tenant in any case, password strength, the permission catalogue, token rotation and
reuse detection), ``types`` the catalogue and the values the service returns,
``passwords`` the password rules and bcrypt hashing.
"""

from monozu.domain.identity.passwords import PasswordHasher, check_password
from monozu.domain.identity.repository import IdentityRepository
from monozu.domain.identity.service import (
    IdentityService,
    check_permission,
    normalise_email,
    token_digest,
)
from monozu.domain.identity.types import DENSITIES, PERMISSIONS, THEMES, Account, IssuedToken

__all__ = ["DENSITIES", "PERMISSIONS", "THEMES", "Account", "IdentityRepository",
           "IdentityService", "IssuedToken", "PasswordHasher", "check_password",
           "check_permission", "normalise_email", "token_digest"]
