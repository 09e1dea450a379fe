"""The security context in the isolation machine: vulnerabilities and alerts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, rule

from monozu.db import NotFound
from monozu.db.models import SecurityAlert, Vulnerability
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.paging import encode_cursor
from monozu.domain.security import SecurityService
from monozu.domain.security.types import (
    ALERT_MOVES,
    ALERT_STATUSES,
    VULNERABILITY_MOVES,
    VULNERABILITY_STATUSES,
)
from tests.domain.isolation.base import (
    NOW,
    TENANTS,
    E,
    Owned,
    R,
    as_uuid,
    foreign_id_rule,
    not_found,
    other_tenant,
    tenant_index,
)
from tests.domain.isolation.cmdb import CmdbRules

# ---------------------------------------------------------------------------- security

# CVEs of the global catalog the machine records: (CVSS, in CISA KEV); the last one is not
# in the catalog, so recording it is refused
CVES = {"CVE-2024-3400": (10.0, True), "CVE-2023-27407": (7.2, False),
        "CVE-2024-9137": (None, False), "CVE-2099-0001": None}


@dataclass
class SecurityModel:
    vulns: dict[uuid.UUID, tuple[uuid.UUID, str, str]] = field(default_factory=dict)
    alerts: dict[uuid.UUID, str] = field(default_factory=dict)  # id -> status


SecurityCall = Callable[[SecurityService, uuid.UUID], object]
VULNERABILITY_CALLS: dict[str, SecurityCall] = {
    "get": SecurityService.get,
    "transition": lambda svc, i: svc.transition(i, "in_progress"),
}
ALERT_CALLS: dict[str, SecurityCall] = {
    "alert": SecurityService.alert,
    "alert_transition": lambda svc, i: svc.alert_transition(i, "acknowledged"),
}
ASSET_SECURITY_CALLS: dict[str, SecurityCall] = {
    "record": lambda svc, i: svc.record(i, "CVE-2024-3400"),
    "of_asset": SecurityService.of_asset,
    "raise_alert": lambda svc, i: svc.raise_alert("Scan", "high", "manual", asset_id=i),
}

SITE_SECURITY_CALLS: dict[str, SecurityCall] = {
    "by_risk": lambda svc, i: svc.by_risk(site_id=i),
}


class SecurityRules(CmdbRules):
    """Vulnerabilities of the CMDB context's assets, and security alerts (of assets and of
    each tenant's edge device)."""

    vulnerabilities = Bundle("vulnerabilities")
    alerts = Bundle("alerts")

    def __init__(self) -> None:
        super().__init__()
        self.security_model = [SecurityModel() for _ in range(TENANTS)]
        platform = self.world.platform
        for cve, facts in CVES.items():
            if facts is not None and not platform.select(
                    str, "SELECT cve_id FROM cve_catalog WHERE cve_id = :cve", cve=cve):
                platform.exec("INSERT INTO cve_catalog (cve_id, cvss_score, is_kev, "
                              "kev_ransomware) VALUES (:cve, :score, :kev, :no)",
                              cve=cve, score=facts[0], kev=facts[1], no=False)
        self.devices = [uuid.uuid4() for _ in range(TENANTS)]
        for tenant, device in zip(self.tenants, self.devices, strict=True):
            platform.exec("INSERT INTO devices (id, tenant_id, name, type, device_key_hash, "
                          "status, created_at) VALUES (:id, :t, 'edge', 'edge', :hash, "
                          "'active', :at)", id=device, t=tenant, hash=device.hex, at=NOW)

    def security(self, t: int, work: Callable[[SecurityService], R]) -> R:
        return self.in_tenant(t, lambda tx: work(SecurityService(tx, clock=lambda: NOW)))

    def security_refused(self, t: int, error: type[E],
                         work: Callable[[SecurityService], object],
                         match: str | None = None) -> E:
        return self.refused_in(t, error, lambda tx: work(SecurityService(tx, clock=lambda: NOW)),
                               match)

    def _security_call(self, call: SecurityCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: self.security(t, lambda svc: call(svc, row_id))

    # another tenant's id, passed to any call taking one
    foreign_vulnerabilities_in_security_calls = foreign_id_rule(
        vulnerabilities, VULNERABILITY_CALLS, "_security_call")
    foreign_alerts_in_security_calls = foreign_id_rule(alerts, ALERT_CALLS, "_security_call")
    foreign_assets_in_security_calls = foreign_id_rule(
        CmdbRules.assets, ASSET_SECURITY_CALLS, "_security_call")
    foreign_sites_in_security_calls = foreign_id_rule(
        CmdbRules.sites, SITE_SECURITY_CALLS, "_security_call")

    @rule(owner=tenant_index, shift=other_tenant)
    def foreign_device_is_a_missing_device(self, owner: int, shift: int) -> None:
        self.same_as_missing((owner + shift) % TENANTS, self._security_call(
            lambda svc, i: svc.raise_alert("Beacon", "low", "ingestor", device_id=i)),
            self.devices[owner])

    # vulnerabilities
    @initialize(target=vulnerabilities, t=tenant_index)
    def seed_vulnerability(self, t: int) -> Owned:
        return self.record(t, self.create_asset(t, self.create_site(t, "Plant F"), "FW-1"),
                           "CVE-2023-27407")

    @rule(target=vulnerabilities, t=tenant_index, asset=CmdbRules.assets,
          cve=st.sampled_from(sorted(CVES)))
    def record(self, t: int, asset: Owned, cve: str) -> Owned:
        m, facts = self.security_model[t], CVES[cve]

        def call(svc: SecurityService) -> Vulnerability:
            return svc.record(asset[1], cve)
        if not self.owns(t, asset, self.cmdb_model[t].assets):
            self.security_refused(t, NotFound, call, not_found("asset", asset[1]))
            return (t, uuid.uuid4())
        if facts is None:
            self.security_refused(t, ValidationError, call, "not in the CVE catalog")
            return (t, uuid.uuid4())
        known = next((i for i, (a, c, _) in m.vulns.items() if (a, c) == (asset[1], cve)), None)
        vuln = self.security(t, call)
        if known is None:
            self.audited[t] += 1
            if facts[1]:  # in CISA KEV: an alert too
                alert = self.security(t, lambda svc: svc.alerts(limit=500)).items
                raised = {a.id for a in alert} - set(m.alerts)
                assert len(raised) == 1
                m.alerts[raised.pop()] = "open"
                self.audited[t] += 1
        else:
            assert vuln.id == known
            self.audited[t] += 1
        status = m.vulns[known][2] if known else "open"
        m.vulns[vuln.id] = (asset[1], cve, "open" if status == "resolved" else status)
        assert vuln.status == m.vulns[vuln.id][2]
        return (t, vuln.id)

    @rule(t=tenant_index, vuln=vulnerabilities,
          status=st.sampled_from(sorted(VULNERABILITY_STATUSES)))
    def transition_vulnerability(self, t: int, vuln: Owned, status: str) -> None:
        m = self.security_model[t]

        def call(svc: SecurityService) -> Vulnerability:
            return svc.transition(vuln[1], status)
        if not self.owns(t, vuln, m.vulns):
            self.security_refused(t, NotFound, call, not_found("vulnerability", vuln[1]))
            return
        asset, cve, current = m.vulns[vuln[1]]
        if status not in VULNERABILITY_MOVES[current]:
            self.security_refused(t, InvalidTransition, call)
            return
        self.security(t, call)
        m.vulns[vuln[1]] = (asset, cve, status)
        self.audited[t] += 1

    # alerts
    @initialize(target=alerts, t=tenant_index)
    def seed_alert(self, t: int) -> Owned:
        return self.raise_alert(t, (t, uuid.uuid4()), False, t)

    @rule(target=alerts, t=tenant_index, asset=CmdbRules.assets, of_asset=st.booleans(),
          device=st.integers(0, TENANTS))  # TENANTS: no device
    def raise_alert(self, t: int, asset: Owned, of_asset: bool, device: int) -> Owned:
        asset_id = asset[1] if of_asset else None
        device_id = self.devices[device] if device < TENANTS else None

        def call(svc: SecurityService) -> SecurityAlert:
            return svc.raise_alert("Port scan", "medium", "ingestor", source_ip="10.0.0.9",
                                   asset_id=asset_id, device_id=device_id)
        if of_asset and not self.owns(t, asset, self.cmdb_model[t].assets):
            self.security_refused(t, NotFound, call, not_found("asset", asset[1]))
        elif device_id is not None and device != t:
            self.security_refused(t, NotFound, call, not_found("device", device_id))
        else:
            alert = self.security(t, call)
            self.security_model[t].alerts[alert.id] = "open"
            self.audited[t] += 1
            return (t, alert.id)
        return (t, uuid.uuid4())

    @rule(t=tenant_index, alert=alerts, status=st.sampled_from(sorted(ALERT_STATUSES)))
    def transition_alert(self, t: int, alert: Owned, status: str) -> None:
        m = self.security_model[t]

        def call(svc: SecurityService) -> SecurityAlert:
            return svc.alert_transition(alert[1], status)
        if not self.owns(t, alert, m.alerts):
            self.security_refused(t, NotFound, call, not_found("security alert", alert[1]))
        elif status not in ALERT_MOVES[m.alerts[alert[1]]]:
            self.security_refused(t, InvalidTransition, call)
        else:
            self.security(t, call)
            m.alerts[alert[1]] = status
            self.audited[t] += 1

    # what each tenant reads
    @rule(t=tenant_index, vuln=vulnerabilities, alert=alerts, asset=CmdbRules.assets)
    def read_security(self, t: int, vuln: Owned, alert: Owned, asset: Owned) -> None:
        m = self.security_model[t]
        if self.owns(t, vuln, m.vulns):
            found = self.security(t, lambda svc: svc.get(vuln[1]))
            assert (found.asset_id, found.cve_id, found.status) == m.vulns[vuln[1]]
        else:
            self.security_refused(t, NotFound, lambda svc: svc.get(vuln[1]),
                                  not_found("vulnerability", vuln[1]))
        if self.owns(t, alert, m.alerts):
            assert self.security(t, lambda svc: svc.alert(alert[1])).status == m.alerts[alert[1]]
        else:
            self.security_refused(t, NotFound, lambda svc: svc.alert(alert[1]),
                                  not_found("security alert", alert[1]))
        if self.owns(t, asset, self.cmdb_model[t].assets):
            page = self.security(t, lambda svc: svc.of_asset(asset[1], limit=500))
            assert {r.id for r in page.items} == \
                {i for i, (a, _, _) in m.vulns.items() if a == asset[1]}
        else:
            self.security_refused(t, NotFound, lambda svc: svc.of_asset(asset[1]),
                                  not_found("asset", asset[1]))

    @rule(t=tenant_index, status=st.sampled_from(["open", "in_progress"]))
    def list_security(self, t: int, status: str) -> None:
        m = self.security_model[t]
        page = self.security(t, lambda svc: svc.by_risk(status, limit=500))
        assert {r.id for r in page.items} == {i for i, v in m.vulns.items() if v[2] == status}
        alerts = self.security(t, lambda svc: svc.alerts(limit=500))
        assert {a.id: a.status for a in alerts.items} == m.alerts

    @rule(t=tenant_index, site=CmdbRules.sites)
    def risk_view_of_a_site(self, t: int, site: Owned) -> None:
        if not self.owns(t, site, self.cmdb_model[t].sites):
            self.security_refused(t, NotFound, lambda svc: svc.by_risk(site_id=site[1]),
                                  not_found("site", site[1]))
            return
        page = self.security(t, lambda svc: svc.by_risk(site_id=site[1], limit=500))
        at_site = {a for a, row in self.cmdb_model[t].assets.items() if row[1] == site[1]}
        assert {r.id for r in page.items} == \
            {i for i, v in self.security_model[t].vulns.items()
             if v[2] == "open" and v[0] in at_site}

    @rule(t=tenant_index, shift=other_tenant)
    def pages_after_another_tenants_rows(self, t: int, shift: int) -> None:
        """Cursors carrying another tenant's vulnerability (score and id, or its CVE for an
        asset's own list) or alert (time and id) page the caller's own rows only."""
        m = self.security_model[t]
        for vuln in self.foreign_rows(t, shift, Vulnerability, "vulnerabilities")[:1]:
            page = self.security(t, lambda svc, v=vuln: svc.by_risk(
                v.status, limit=500, cursor=encode_cursor((v.cvss_score, v.id))))
            assert {r.id for r in page.items} <= set(m.vulns)
            for asset in sorted(self.cmdb_model[t].assets)[:1]:
                of_asset = self.security(t, lambda svc, a=asset, v=vuln: svc.of_asset(
                    a, limit=500, cursor=encode_cursor((v.cve_id,))))
                assert {r.id for r in of_asset.items} <= \
                    {i for i, (a, _, _) in m.vulns.items() if a == asset}
        for alert in self.foreign_rows(t, shift, SecurityAlert, "security_alerts")[:1]:
            alerts = self.security(t, lambda svc, a=alert: svc.alerts(
                limit=500, cursor=encode_cursor((a.created_at, a.id))))
            assert {a.id for a in alerts.items} <= set(m.alerts)

    @invariant()
    def each_tenants_stored_security_rows_are_its_own(self) -> None:
        vulns = self.platform_rows("SELECT tenant_id, id, asset_id, cve_id, status "
                                   "FROM vulnerabilities WHERE tenant_id IN (:tenants)")
        alerts = self.platform_rows("SELECT tenant_id, id, status FROM security_alerts "
                                    "WHERE tenant_id IN (:tenants)")
        for n in range(TENANTS):
            m = self.security_model[n]
            assert {as_uuid(i): (as_uuid(a), c, s) for i, a, c, s in vulns[n]} == m.vulns
            assert {as_uuid(i): s for i, s in alerts[n]} == m.alerts
