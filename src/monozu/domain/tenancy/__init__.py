"""Tenancy: tenants, their licence and their licensed features.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules (the tenant
lifecycle, may this tenant log in, may it use a feature now, the licence update),
``types`` the richer values the rules return.
"""

from monozu.domain.tenancy.repository import TenancyRepository
from monozu.domain.tenancy.service import TenancyService
from monozu.domain.tenancy.types import (
    FEATURES,
    STATUSES,
    TRANSITIONS,
    Access,
    AccessDecision,
    Licence,
    LicenceState,
    UnknownFeature,
    check_features,
)

__all__ = ["FEATURES", "STATUSES", "TRANSITIONS", "Access", "AccessDecision", "Licence",
           "LicenceState", "TenancyRepository", "TenancyService", "UnknownFeature",
           "check_features"]
