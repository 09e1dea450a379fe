"""Tenancy: tenants, their licence and their licensed features.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules (may this
tenant log in, is a feature on), ``types`` the richer values the rules return.
"""

from monozu.domain.tenancy.repository import TenancyRepository
from monozu.domain.tenancy.service import TenancyService
from monozu.domain.tenancy.types import FEATURES, Access, AccessDecision

__all__ = ["FEATURES", "Access", "AccessDecision", "TenancyRepository", "TenancyService"]
