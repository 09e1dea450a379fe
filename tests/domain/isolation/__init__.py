"""Tenant isolation as a property: random sequences of service calls for three tenants.

:mod:`.base` holds :class:`IsolationMachine` (the three tenants, the audit bookkeeping, the
rule that another tenant's id is a missing id) and :func:`machine`; each context's mixin is
in its own module. See ``docs/domain.md``, "How isolation is proven".
"""

from tests.domain.isolation.base import SETTINGS, IsolationMachine, World, machine
from tests.domain.isolation.cmdb import CmdbRules
from tests.domain.isolation.edge import EdgeRules
from tests.domain.isolation.identity import IdentityRules
from tests.domain.isolation.itsm import ItsmRules
from tests.domain.isolation.security import SecurityRules
from tests.domain.isolation.tenancy import TenancyRules

__all__ = ["SETTINGS", "CmdbRules", "EdgeRules", "IdentityRules", "IsolationMachine", "ItsmRules",
           "SecurityRules", "TenancyRules", "World", "machine"]
