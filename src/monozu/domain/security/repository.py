"""Security SQL on one tenant's unit of work (statements in ``queries.sql``).

The CVE catalog, the scores cache and ExploitDB are global and only ever read here.
"""

from __future__ import annotations

import uuid

from monozu.db.models import SecurityAlert, Vulnerability
from monozu.db.queries import Queries, load
from monozu.domain.common import Repository
from monozu.domain.security.types import CatalogScores, RiskRow

QUERIES: Queries = load("monozu.domain.security")


class SecurityRepository(Repository):
    QUERIES = QUERIES

    def catalog_scores(self, cve_id: str) -> CatalogScores | None:
        found = self.tx.select(CatalogScores, self.sql("catalog_scores"), cve_id=cve_id)
        return found[0] if found else None

    def asset_exists(self, asset_id: uuid.UUID) -> bool:
        return self.exists("asset_exists", id=asset_id)

    def device_exists(self, device_id: uuid.UUID) -> bool:
        return self.exists("device_exists", id=device_id)

    def alert_threshold(self) -> float | None:
        found = self.rows(float, "alert_threshold")
        return found[0] if found else None

    # vulnerabilities
    def insert_vulnerability(self, v: Vulnerability) -> None:
        self.run("insert_vulnerability", id=v.id, cve_id=v.cve_id, cvss_score=v.cvss_score,
                 status=v.status, asset_id=v.asset_id, first_seen_at=v.first_seen_at,
                 last_seen_at=v.last_seen_at)

    def update_vulnerability(self, v: Vulnerability) -> None:
        self.run("update_vulnerability", id=v.id, status=v.status, cvss_score=v.cvss_score,
                 last_seen_at=v.last_seen_at)

    def vulnerability(self, vulnerability_id: uuid.UUID) -> Vulnerability:
        return self.one(Vulnerability, "get_vulnerability", "vulnerability", id=vulnerability_id)

    def find(self, asset_id: uuid.UUID, cve_id: str) -> Vulnerability | None:
        found = self.rows(Vulnerability, "find_vulnerability", asset_id=asset_id, cve_id=cve_id)
        return found[0] if found else None

    def risk_page(self, status: str, *, scored: bool, after: tuple[float | None, uuid.UUID]
                  | None, limit: int) -> list[RiskRow]:
        """One segment of the risk order: scored rows (score desc, id) or unscored (id)."""
        name = "risk_scored" if scored else "risk_unscored"
        params: dict[str, object] = {"status": status, "limit": limit}
        if after is not None:
            name += "_after"
            params["after_id"] = after[1]
            if scored:
                params["after_score"] = after[0]
        return self.rows(RiskRow, name, **params)

    def asset_page(self, asset_id: uuid.UUID, after_cve_id: str | None,
                   limit: int) -> list[RiskRow]:
        if after_cve_id is None:
            return self.rows(RiskRow, "asset_vulnerabilities", asset_id=asset_id, limit=limit)
        return self.rows(RiskRow, "asset_vulnerabilities_after", asset_id=asset_id,
                         after_cve_id=after_cve_id, limit=limit)

    # alerts
    def insert_alert(self, a: SecurityAlert) -> None:
        self.run("insert_alert", id=a.id, title=a.title, severity=a.severity, source=a.source,
                 source_ip=a.source_ip, destination_ip=a.destination_ip,
                 description=a.description, cve_id=a.cve_id, asset_id=a.asset_id,
                 device_id=a.device_id, status=a.status, created_at=a.created_at)

    def alert(self, alert_id: uuid.UUID) -> SecurityAlert:
        return self.one(SecurityAlert, "get_alert", "security alert", id=alert_id)

    def set_alert_status(self, alert_id: uuid.UUID, status: str) -> None:
        self.run("update_alert_status", id=alert_id, status=status)

    def alert_page(self, statuses: list[str], severities: list[str],
                   after: tuple[object, uuid.UUID] | None, limit: int) -> list[SecurityAlert]:
        params: dict[str, object] = {"statuses": statuses, "severities": severities,
                                     "limit": limit}
        if after is None:
            return self.rows(SecurityAlert, "list_alerts", **params)
        return self.rows(SecurityAlert, "list_alerts_after", after_created_at=after[0],
                         after_id=after[1], **params)
