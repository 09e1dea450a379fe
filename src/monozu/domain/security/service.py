"""Security rules: vulnerabilities per asset and CVE, their lifecycle, the risk view, alerts.

A vulnerability is one row per (tenant, asset, CVE). Recording a sighting of a CVE
the global catalog does not hold is refused; recording one already known refreshes
its score and ``last_seen_at``, and reopens it if it had been ``resolved``. A new
vulnerability whose CVE is in CISA KEV or scores at least the tenant's alert
threshold (``vuln_scanner_settings``, else 9.0) raises a ``cve_job`` security alert.

Status moves (:data:`VULNERABILITY_MOVES`): ``open`` and ``in_progress`` may go to any
other status (and to each other); ``mitigated`` may go to ``open``, ``in_progress`` or
``resolved``; ``resolved``, ``accepted_risk`` and ``false_positive`` only back to ``open``.

Risk order: the recorded CVSS base score (v4.0, else v3.1, else the catalog's), highest
first, unscored vulnerabilities after every scored one, ties by id. It is the order an
index on the tenant's own rows serves (``ix_vulnerabilities_tenant_status_cvss``); the
view shows beside each row what the global catalogs know: CVSS severity, CISA KEV, EPSS
and whether ExploitDB lists an exploit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from monozu.db import NotFound, UniqueViolation
from monozu.db.models import SecurityAlert, Vulnerability
from monozu.domain.common import (
    Service,
    check_ip,
    check_move,
    choice,
    choices,
    keyset,
    like_pattern,
    new_id,
)
from monozu.domain.errors import Conflict, InvalidTransition, ValidationError, check_text
from monozu.domain.paging import Page, page_size, paginate
from monozu.domain.security.repository import SecurityRepository
from monozu.domain.security.types import (
    ALERT_MOVES,
    ALERT_SEVERITIES,
    ALERT_SOURCES,
    ALERT_STATUSES,
    DEFAULT_ALERT_THRESHOLD,
    VULNERABILITY_MOVES,
    VULNERABILITY_SEVERITIES,
    VULNERABILITY_STATUSES,
    RiskRow,
)

_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")  # ASCII digits: \d takes any script's


def check_cve_id(value: str) -> str:
    cve = value.strip().upper()
    if not _CVE.match(cve):
        raise ValidationError(f"cve_id {value!r:.80} is not a CVE id like CVE-2024-3400")
    return cve


class _Moved(Conflict):
    """The vulnerability changed between the read and the conditional write."""

    def __init__(self) -> None:
        super().__init__("the vulnerability was changed by concurrent calls; try again")


_ATTEMPTS = 3  # of a record that concurrent calls keep overtaking


class SecurityService(Service):
    """Vulnerabilities and security alerts of the unit of work's tenant."""

    @property
    def repo(self) -> SecurityRepository:
        return SecurityRepository(self.tx)

    # -- vulnerabilities --------------------------------------------------------
    def record(self, asset_id: uuid.UUID, cve_id: str) -> Vulnerability:
        """Record that an asset is affected by a CVE of the catalog (see the module rules)."""
        cve = check_cve_id(cve_id)
        now = self.clock()
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._record(asset_id, cve, now)
            except (UniqueViolation, _Moved):
                # A concurrent call recorded the pair, or moved it, after this one looked:
                # the savepoint is undone, and again the pair is found and marked seen.
                continue
        return self._record(asset_id, cve, now)

    def _record(self, asset_id: uuid.UUID, cve: str, now: datetime) -> Vulnerability:
        with self.change():
            repo = self.repo
            if not repo.asset_exists(asset_id):
                raise NotFound(f"asset {asset_id} not found")
            scores = repo.catalog_scores(cve)
            if scores is None:
                raise ValidationError(f"{cve} is not in the CVE catalog")
            found = repo.find(asset_id, cve)
            if found is not None:
                was = found.status
                reopened = was == "resolved"
                found.status = "open" if reopened else was
                found.cvss_score, found.last_seen_at = scores.base_score, now
                if not repo.update_vulnerability(found, was=was):
                    raise _Moved  # by a concurrent call since the read: look again
                self.audit("vulnerability.reopened" if reopened else "vulnerability.seen",
                           "vulnerability", found.id, cve_id=cve)
                return found
            vuln = Vulnerability(id=new_id(), tenant_id=repo.tenant_id, cve_id=cve,
                                 cvss_score=scores.base_score, status="open", asset_id=asset_id,
                                 first_seen_at=now, last_seen_at=now)
            repo.insert_vulnerability(vuln)
            self.audit("vulnerability.recorded", "vulnerability", vuln.id, cve_id=cve,
                       asset_id=str(asset_id))
            threshold = repo.alert_threshold()
            limit = DEFAULT_ALERT_THRESHOLD if threshold is None else threshold
            score = scores.base_score
            if scores.is_kev or (score is not None and score >= limit):
                why = "in CISA KEV" if scores.is_kev else f"CVSS {score} >= {limit}"
                self._insert_alert(SecurityAlert(
                    id=new_id(), tenant_id=repo.tenant_id, title=f"{cve} on an asset ({why})",
                    severity="critical" if scores.is_kev or (score or 0) >= 9 else "high",
                    source="cve_job", source_ip=None, destination_ip=None, description=None,
                    cve_id=cve, asset_id=asset_id, device_id=None, status="open",
                    created_at=now))
        return vuln

    def transition(self, vulnerability_id: uuid.UUID, status: str) -> Vulnerability:
        with self.change():
            vuln = self.repo.vulnerability(vulnerability_id)
            old = vuln.status
            vuln.status = check_move("vulnerability", VULNERABILITY_MOVES, old, status)
            if not self.repo.update_vulnerability(vuln, was=old):
                # another unit of work moved it between this call's read and its write
                raise InvalidTransition("vulnerability",
                                        self.repo.vulnerability(vulnerability_id).status, status)
            self.audit("vulnerability.status_changed", "vulnerability", vuln.id, old=old,
                       new=status)
        return vuln

    def get(self, vulnerability_id: uuid.UUID) -> Vulnerability:
        return self.repo.vulnerability(vulnerability_id)

    def by_risk(self, status: str = "open", *, severities: Iterable[str] | None = None,
                site_id: uuid.UUID | None = None, text: str | None = None, limit: int = 50,
                cursor: str | None = None) -> Page[RiskRow]:
        """Vulnerabilities of one status in risk order (see the module docstring).

        Filtered, when asked, by the CVSS band of the recorded score
        (:data:`VULNERABILITY_SEVERITIES`; unscored rows have none, so asking for bands
        leaves them out), by site, and by free text in the CVE id or the asset's name. A
        site that is not the tenant's is :class:`NotFound`.
        """
        wanted = choice("vulnerability status", status, VULNERABILITY_STATUSES)
        bands = None if severities is None else choices(
            "vulnerability severity", severities, VULNERABILITY_SEVERITIES)
        pattern = like_pattern(text)
        size = page_size(limit)
        after: tuple[float | None, uuid.UUID] | None = None
        if cursor is not None:
            score, after_id = keyset(cursor, (float, uuid.UUID), nullable=frozenset({0}))
            after = (score, after_id)
        if site_id is not None and not self.repo.site_exists(site_id):
            raise NotFound(f"site {site_id} not found")
        segment = partial(self.repo.risk_page, wanted, severities=bands, site_id=site_id,
                          pattern=pattern)
        rows: list[RiskRow] = []
        if after is None or after[0] is not None:
            rows = segment(scored=True, after=after, limit=size + 1)
        if len(rows) <= size and severities is None:
            rows += segment(scored=False, after=after if after and after[0] is None else None,
                            limit=size + 1 - len(rows))
        return paginate(rows, size, lambda r: (r.cvss_score, r.id))

    def of_asset(self, asset_id: uuid.UUID, *, limit: int = 50,
                 cursor: str | None = None) -> Page[RiskRow]:
        """One asset's vulnerabilities, by CVE id."""
        size = page_size(limit)
        if not self.repo.asset_exists(asset_id):
            raise NotFound(f"asset {asset_id} not found")
        after = None
        if cursor is not None:
            (after,) = keyset(cursor, (str,))
        rows = self.repo.asset_page(asset_id, after, size + 1)
        return paginate(rows, size, lambda r: (r.cve_id,))

    # -- security alerts ------------------------------------------------------
    def _insert_alert(self, alert: SecurityAlert) -> None:
        self.repo.insert_alert(alert)
        self.audit("security_alert.raised", "security_alert", alert.id,
                   severity=alert.severity, source=alert.source)

    def raise_alert(self, title: str, severity: str, source: str, *,
                    description: str | None = None, source_ip: str | None = None,
                    destination_ip: str | None = None, cve_id: str | None = None,
                    asset_id: uuid.UUID | None = None,
                    device_id: uuid.UUID | None = None) -> SecurityAlert:
        alert = SecurityAlert(
            id=new_id(), tenant_id=self.repo.tenant_id,
            title=check_text("alert title", title, max_length=500),
            severity=choice("alert severity", severity, ALERT_SEVERITIES),
            source=choice("alert source", source, ALERT_SOURCES),
            source_ip=check_ip("source_ip", source_ip),
            destination_ip=check_ip("destination_ip", destination_ip),
            description=None if description is None else check_text(
                "alert description", description, max_length=20_000, required=False),
            cve_id=None if cve_id is None else check_cve_id(cve_id), asset_id=asset_id,
            device_id=device_id, status="open", created_at=self.clock())
        with self.change():
            if asset_id is not None and not self.repo.asset_exists(asset_id):
                raise NotFound(f"asset {asset_id} not found")
            if device_id is not None and not self.repo.device_exists(device_id):
                raise NotFound(f"device {device_id} not found")
            self._insert_alert(alert)
        return alert

    def alert_transition(self, alert_id: uuid.UUID, status: str) -> SecurityAlert:
        """``open`` -> ``acknowledged`` -> ``resolved``; ``dismissed`` before resolution."""
        with self.change():
            alert = self.repo.alert(alert_id)
            old = alert.status
            alert.status = check_move("alert", ALERT_MOVES, old, status)
            if not self.repo.set_alert_status(alert_id, status, was=old):
                # another unit of work moved it between this call's read and its write
                raise InvalidTransition("alert", self.repo.alert(alert_id).status, status)
            self.audit("security_alert.status_changed", "security_alert", alert_id, old=old,
                       new=status)
        return alert

    def alert(self, alert_id: uuid.UUID) -> SecurityAlert:
        return self.repo.alert(alert_id)

    def alerts(self, *, statuses: Iterable[str] | None = None,
               severities: Iterable[str] | None = None, limit: int = 50,
               cursor: str | None = None) -> Page[SecurityAlert]:
        """Newest first, filtered by status and severity."""
        size = page_size(limit)
        wanted_status = choices("alert status", statuses,
                                ALERT_STATUSES)
        wanted_severity = choices("alert severity",
                                  severities,
                                  ALERT_SEVERITIES)
        after = None
        if cursor is not None:
            after = keyset(cursor, (datetime, uuid.UUID))
        rows = self.repo.alert_page(wanted_status, wanted_severity, after, size + 1)
        return paginate(rows, size, lambda a: (a.created_at, a.id))
