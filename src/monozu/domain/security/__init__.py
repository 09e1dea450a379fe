"""Security: vulnerabilities (per asset and CVE) with their risk view over the global CVE
catalog, scores cache and ExploitDB, and security alerts.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules, ``types`` the
vocabularies, the vulnerability lifecycle and the risk view's row.
"""

from monozu.domain.security.repository import SecurityRepository
from monozu.domain.security.service import SecurityService, check_cve_id
from monozu.domain.security.types import (
    ALERT_MOVES,
    VULNERABILITY_MOVES,
    VULNERABILITY_STATUSES,
    CatalogScores,
    RiskRow,
)

__all__ = ["ALERT_MOVES", "VULNERABILITY_MOVES", "VULNERABILITY_STATUSES", "CatalogScores",
           "RiskRow", "SecurityRepository", "SecurityService", "check_cve_id"]
