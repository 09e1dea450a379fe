"""Security SQL on one tenant's unit of work: the typed statements of ``queries.sql``.

The CVE catalog, the scores cache and ExploitDB are global and only ever read here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from monozu.db.models import SecurityAlert, Vulnerability
from monozu.db.queries import QueryFile, many, optional, rowcount, value
from monozu.domain.common import NO_ID, Repository, found
from monozu.domain.security.types import VULNERABILITY_SEVERITIES, CatalogScores, RiskRow


def risk_filters(site_id: uuid.UUID | None = None, pattern: str = "%") -> dict[str, object]:
    """The site and text parameters of the risk statements (the defaults filter nothing);
    the scored ones also take ``severities``, the bands to keep."""
    return {"any_site": int(site_id is None), "site_id": site_id or NO_ID,
            "any_text": int(pattern == "%"), "pattern": pattern}


class SecurityQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    catalog_scores = optional(CatalogScores)
    insert_vulnerability = rowcount()
    get_vulnerability = optional(Vulnerability)
    find_vulnerability = optional(Vulnerability)
    update_vulnerability = rowcount()
    asset_exists = value(int)
    site_exists = value(int)
    device_exists = value(int)
    alert_threshold = optional(float)
    risk_scored = many(RiskRow)
    risk_scored_after = many(RiskRow)
    risk_unscored = many(RiskRow)
    risk_unscored_after = many(RiskRow)
    risk_filtered_scored = many(RiskRow)
    risk_filtered_scored_after = many(RiskRow)
    risk_filtered_unscored = many(RiskRow)
    risk_filtered_unscored_after = many(RiskRow)
    asset_vulnerabilities = many(RiskRow)
    asset_vulnerabilities_after = many(RiskRow)
    insert_alert = rowcount()
    get_alert = optional(SecurityAlert)
    update_alert_status = rowcount()
    list_alerts = many(SecurityAlert)
    list_alerts_after = many(SecurityAlert)


QUERIES = SecurityQueries("monozu.domain.security")


class SecurityRepository(Repository):
    def catalog_scores(self, cve_id: str) -> CatalogScores | None:
        return QUERIES.catalog_scores(self.tx, cve_id=cve_id)

    def asset_exists(self, asset_id: uuid.UUID) -> bool:
        return QUERIES.asset_exists(self.tx, tenant_id=self.tenant_id, id=asset_id) > 0

    def site_exists(self, site_id: uuid.UUID) -> bool:
        return QUERIES.site_exists(self.tx, tenant_id=self.tenant_id, id=site_id) > 0

    def device_exists(self, device_id: uuid.UUID) -> bool:
        return QUERIES.device_exists(self.tx, tenant_id=self.tenant_id, id=device_id) > 0

    def alert_threshold(self) -> float | None:
        return QUERIES.alert_threshold(self.tx, tenant_id=self.tenant_id)

    # vulnerabilities
    def insert_vulnerability(self, v: Vulnerability) -> None:
        QUERIES.insert_vulnerability(self.tx, tenant_id=self.tenant_id, id=v.id,
                                     cve_id=v.cve_id, cvss_score=v.cvss_score, status=v.status,
                                     asset_id=v.asset_id, first_seen_at=v.first_seen_at,
                                     last_seen_at=v.last_seen_at)

    def update_vulnerability(self, v: Vulnerability, *, was: str) -> int:
        """Write ``v`` if its status is still ``was`` (0 rows: a concurrent call changed
        it first)."""
        return QUERIES.update_vulnerability(self.tx, tenant_id=self.tenant_id, id=v.id,
                                            status=v.status, cvss_score=v.cvss_score,
                                            last_seen_at=v.last_seen_at, was=was)

    def vulnerability(self, vulnerability_id: uuid.UUID) -> Vulnerability:
        return found(QUERIES.get_vulnerability(self.tx, tenant_id=self.tenant_id,
                                               id=vulnerability_id),
                     "vulnerability", vulnerability_id)

    def find(self, asset_id: uuid.UUID, cve_id: str) -> Vulnerability | None:
        return QUERIES.find_vulnerability(self.tx, tenant_id=self.tenant_id, asset_id=asset_id,
                                          cve_id=cve_id)

    def risk_page(self, status: str, *, scored: bool, after: tuple[float | None, uuid.UUID]
                  | None, limit: int, severities: list[str] | None = None,
                  site_id: uuid.UUID | None = None, pattern: str = "%") -> list[RiskRow]:
        """One segment of the risk order: scored rows (score desc, id) or unscored (id).

        ``None`` severities and site and a ``%`` pattern do not filter; then the
        unfiltered statements run, whose plans the filters' estimates cannot change.
        """
        params: dict[str, object] = {"tenant_id": self.tenant_id, "status": status,
                                     "limit": limit}
        filtered = severities is not None or site_id is not None or pattern != "%"
        if filtered:
            params.update(risk_filters(site_id, pattern))
            if scored:
                params["severities"] = severities or sorted(VULNERABILITY_SEVERITIES)
        q = QUERIES
        if after is None:
            if filtered:
                query = q.risk_filtered_scored if scored else q.risk_filtered_unscored
            else:
                query = q.risk_scored if scored else q.risk_unscored
        elif scored:
            query = q.risk_filtered_scored_after if filtered else q.risk_scored_after
            params.update(after_score=after[0], after_id=after[1])
        else:
            query = q.risk_filtered_unscored_after if filtered else q.risk_unscored_after
            params["after_id"] = after[1]
        return query(self.tx, **params)

    def asset_page(self, asset_id: uuid.UUID, after_cve_id: str | None,
                   limit: int) -> list[RiskRow]:
        if after_cve_id is None:
            return QUERIES.asset_vulnerabilities(self.tx, tenant_id=self.tenant_id,
                                                 asset_id=asset_id, limit=limit)
        return QUERIES.asset_vulnerabilities_after(self.tx, tenant_id=self.tenant_id,
                                                   asset_id=asset_id,
                                                   after_cve_id=after_cve_id, limit=limit)

    # alerts
    def insert_alert(self, a: SecurityAlert) -> None:
        QUERIES.insert_alert(self.tx, tenant_id=self.tenant_id, id=a.id, title=a.title,
                             severity=a.severity, source=a.source, source_ip=a.source_ip,
                             destination_ip=a.destination_ip, description=a.description,
                             cve_id=a.cve_id, asset_id=a.asset_id, device_id=a.device_id,
                             status=a.status, created_at=a.created_at)

    def alert(self, alert_id: uuid.UUID) -> SecurityAlert:
        return found(QUERIES.get_alert(self.tx, tenant_id=self.tenant_id, id=alert_id),
                     "security alert", alert_id)

    def set_alert_status(self, alert_id: uuid.UUID, status: str, *, was: str) -> int:
        return QUERIES.update_alert_status(self.tx, tenant_id=self.tenant_id, id=alert_id,
                                           status=status, was=was)

    def alert_page(self, statuses: list[str], severities: list[str],
                   after: tuple[datetime, uuid.UUID] | None,
                   limit: int) -> list[SecurityAlert]:
        params: dict[str, object] = {"tenant_id": self.tenant_id, "statuses": statuses,
                                     "severities": severities, "limit": limit}
        if after is None:
            return QUERIES.list_alerts(self.tx, **params)
        return QUERIES.list_alerts_after(self.tx, after_created_at=after[0],
                                         after_id=after[1], **params)
