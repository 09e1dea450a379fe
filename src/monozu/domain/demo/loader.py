"""Load the demo idempotently, then read each tenant's overview back through the services.

Ids of the rows the demo writes itself are derived from names (UUID v5), and each
tenant's content is written in one unit of work that ends with its administrator's
row: a tenant whose administrator exists is complete and is left alone, so running
the demo again changes nothing. Global CVE rows are added only where missing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from monozu.db import Database, NotFound, Tx, UniqueViolation
from monozu.db.queries import QueryFile, rowcount, value
from monozu.db.tenant import tenant_of
from monozu.domain.audit import Actor
from monozu.domain.cmdb import AssetSpec, CmdbService, SiteAssetCount
from monozu.domain.demo.data import (
    CVES,
    DEMO_NOW,
    EXPLOITS,
    GROUPS,
    LEVEL_RANK,
    SEVERITY_RANK,
    SLA,
    TENANTS,
    USERS,
    IncidentDemo,
    SiteDemo,
    TenantDemo,
    ago,
    priority,
)
from monozu.domain.errors import Conflict
from monozu.domain.itsm import (
    ChangeService,
    IncidentService,
    IncidentView,
    KnowledgeService,
    ProblemService,
)
from monozu.domain.security import RiskRow, SecurityService
from monozu.domain.tenancy import TenancyRepository, TenancyService
from monozu.text import cell


class DemoQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    user_exists = value(int)
    insert_user = rowcount()
    insert_group = rowcount()
    insert_group_permission = rowcount()
    insert_membership = rowcount()
    insert_device = rowcount()
    insert_device_command = rowcount()
    insert_ingest_event = rowcount()
    catalog_has = value(int)
    insert_catalog_entry = rowcount()
    scores_have = value(int)
    insert_scores = rowcount()
    exploit_has = value(int)
    insert_exploit = rowcount()
    insert_exploit_cve = rowcount()


QUERIES = DemoQueries("monozu.domain.demo")
NAMESPACE = uuid.UUID("6f1c1d3e-5a0b-4a57-9d1e-2f4b8c0d7a11")


def demo_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    """The demo's clock: services read it, the loader moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True, slots=True)
class TenantOverview:
    name: str
    slug: str
    incidents: list[IncidentView]
    risks: list[RiskRow]
    sites: list[SiteAssetCount]


def load_catalog(db: Database) -> int:
    """Add the demo's CVEs to the global catalog, scores cache and ExploitDB where missing."""
    added = 0
    with db.transaction() as tx:
        for c in CVES:
            if not QUERIES.catalog_has(tx, cve_id=c.cve_id):
                added += 1
                QUERIES.insert_catalog_entry(
                    tx, cve_id=c.cve_id, description=c.description,
                    published_at=_day(c.published), vuln_status=c.status, cvss_score=c.score,
                    cvss_severity=c.severity, cvss_vector=c.vector, cvss_version=c.version,
                    is_kev=c.kev is not None,
                    kev_date_added=_day(c.kev[0]) if c.kev else None,
                    kev_due_date=_day(c.kev[1]) if c.kev else None, kev_ransomware=False)
            if not QUERIES.scores_have(tx, cve_id=c.cve_id):
                v4 = c.version == "4.0"
                QUERIES.insert_scores(
                    tx, cve_id=c.cve_id, cvss_v31_score=None if v4 else c.score,
                    cvss_v31_vector=None if v4 else c.vector,
                    cvss_v40_score=c.score if v4 else None,
                    cvss_v40_vector=c.vector if v4 else None, epss=c.epss,
                    epss_percentile=c.percentile, epss_model_version="v2026.06.15",
                    score_date=_day("2026-09-29"), fetched_at=_day("2026-09-29"))
        for edb_id, path, text, published, author, kind, platform, cve in EXPLOITS:
            if not QUERIES.exploit_has(tx, edb_id=edb_id):
                QUERIES.insert_exploit(
                    tx, edb_id=edb_id, file_path=path, description=text,
                    date_published=_day(published), author=author, type=kind,
                    platform=platform, verified=False, date_added=_day(published))
                QUERIES.insert_exploit_cve(tx, edb_id=edb_id, cve_id=cve)
    return added


def _tenant_id(db: Database, demo: TenantDemo) -> uuid.UUID:
    """The tenant of that slug, registered and licensed first if it does not exist."""
    with db.transaction() as tx:
        try:
            return TenancyRepository(tx).get_tenant_by_slug(demo.slug).id
        except NotFound:
            pass
    tenancy = TenancyService(db, clock=lambda: DEMO_NOW - timedelta(days=60))
    tenant = tenancy.register(demo.name, demo.slug)
    tenancy.apply_licence(tenant.id, demo.plan, DEMO_NOW + timedelta(days=365), demo.features)
    return tenant.id


def load_tenant(db: Database, demo: TenantDemo) -> tuple[uuid.UUID, bool]:
    """Load one tenant's content unless it is complete; whether anything was written."""
    tenant_id = _tenant_id(db, demo)
    admin = demo_id(demo.slug, "user", "admin")
    with db.tenant(tenant_id) as tx:
        if QUERIES.user_exists(tx, tenant_id=tenant_id, id=admin):
            return tenant_id, False
        _Content(tx, demo).write()
    return tenant_id, True


class _Content:
    """Everything of one tenant, written in the unit of work ``tx``."""

    def __init__(self, tx: Tx, demo: TenantDemo) -> None:
        self.tx = tx
        self.demo = demo
        self.tenant_id = tenant_of(tx)
        self.clock = Clock(ago(days=30))
        self.users = {local: demo_id(demo.slug, "user", local) for local, _n, _g in USERS}
        self.assets: dict[str, uuid.UUID] = {}

    def actor(self, local: str) -> Actor:
        return Actor(self.users[local])

    def write(self) -> None:
        self.people()
        self.settings()
        for site in self.demo.sites:
            self.site(site)
        self.devices()
        for incident in self.demo.incidents:
            self.incident(incident)
        if self.demo.problems:
            self.problem_management()
        self.vulnerabilities()
        # last: the administrator's row marks the tenant's content complete
        self.user("admin", "Tenant Administrator", ("Administrators",))

    def people(self) -> None:
        for group, permissions in GROUPS.items():
            group_id = demo_id(self.demo.slug, "group", group)
            QUERIES.insert_group(self.tx, tenant_id=self.tenant_id, id=group_id, name=group)
            for permission in permissions:
                QUERIES.insert_group_permission(self.tx, tenant_id=self.tenant_id,
                                                group_id=group_id, permission=permission)
        for local, name, groups in USERS:
            if local != "admin":
                self.user(local, name, groups)

    def user(self, local: str, name: str, groups: tuple[str, ...]) -> None:
        QUERIES.insert_user(self.tx, tenant_id=self.tenant_id, id=self.users[local],
                            created_at=ago(days=60), email=f"{local}@{self.demo.domain}",
                            mfa_enabled=True, display_name=name)
        for group in groups:
            QUERIES.insert_membership(self.tx, tenant_id=self.tenant_id,
                                      user_id=self.users[local],
                                      group_id=demo_id(self.demo.slug, "group", group))

    def settings(self) -> None:
        svc = IncidentService(self.tx, self.actor("engineer"), clock=self.clock)
        for severity in SEVERITY_RANK:
            for impact in LEVEL_RANK:
                for urgency in LEVEL_RANK:
                    svc.set_priority(severity, impact, urgency,
                                     priority(severity, impact, urgency))
        for level, (response, resolve) in SLA.items():
            svc.set_sla(level, response, resolve)

    def site(self, demo: SiteDemo) -> None:
        cmdb = CmdbService(self.tx, self.actor("engineer"), clock=self.clock)
        site = cmdb.create_site(demo.name, demo.address)
        vlans: dict[int, uuid.UUID] = {}
        for zone_name, zone_vlans in demo.zones:
            zone = cmdb.create_zone(zone_name, site.id)
            for number, name, cidr in zone_vlans:
                vlans[number] = cmdb.create_vlan(number, name, zone_id=zone.id, cidr=cidr).id
        for a in demo.assets:
            asset = cmdb.create_asset(AssetSpec(
                name=a.name, type=a.type, site_id=site.id, producer=a.producer, model=a.model,
                firmware_version=a.firmware, cpe=a.cpe, ip_address=a.ip,
                criticality=a.criticality))
            self.assets[a.name] = asset.id
            for number in a.vlans:
                cmdb.link_vlan(asset.id, vlans[number])
        if demo.zones:
            nodes = [{"id": a.name, "itsm_ref": f"asset:{self.assets[a.name]}"}
                     for a in demo.assets]
            cmdb.create_diagram(site.id, f"{demo.name} network", data={"nodes": nodes},
                                description="Imported from the site hierarchy",
                                asset_ids=[self.assets[a.name] for a in demo.assets])

    def devices(self) -> None:
        for name, site in self.demo.devices:
            device = demo_id(self.demo.slug, "device", name)
            QUERIES.insert_device(self.tx, tenant_id=self.tenant_id, id=device, name=name,
                                  type="network-sensor", location=site,
                                  device_key_hash=hashlib.sha256(
                                      f"dvc_demo_{self.demo.slug}_{name}".encode()).hexdigest(),
                                  status="active", last_seen_at=ago(minutes=1),
                                  created_at=ago(days=45))
            self.command(device, "run_discovery", {"subnets": ["10.0.0.0/8"]},
                         status="completed", at=ago(days=1), result={"found": len(self.assets)})
            self.command(device, "update_snap", {"snap": "edgezu", "version": "2.4.1"},
                         status="pending", at=ago(minutes=20), result=None)
            for n, (kind, data) in enumerate([
                    ("telemetry", {"cpu": 12.5, "mem_mb": 812, "uptime_s": 86400}),
                    ("discovery", {"ip": "10.30.0.77", "mac": "00:0c:29:aa:bb:cc"}),
                    ("security_alert", {"title": "Port scan", "severity": "high",
                                        "source_ip": "10.30.0.77",
                                        "destination_ip": "10.20.0.10"})]):
                QUERIES.insert_ingest_event(self.tx, tenant_id=self.tenant_id, device_id=device,
                                            kind=kind, event_at=ago(minutes=15 - n), data=data,
                                            received_at=ago(minutes=14 - n))
            self.clock.at = ago(minutes=12)
            SecurityService(self.tx, clock=self.clock).raise_alert(
                f"Port scan from 10.30.0.77 seen by {name}", "high", "ingestor",
                source_ip="10.30.0.77", destination_ip="10.20.0.10", device_id=device,
                description="Sequential SYN probes across the control VLAN.")

    def command(self, device: uuid.UUID, command: str, payload: dict[str, object], *,
                status: str, at: datetime, result: dict[str, object] | None) -> None:
        done = status == "completed"
        QUERIES.insert_device_command(
            self.tx, tenant_id=self.tenant_id, id=demo_id(str(device), command),
            device_id=device, command=command, payload=payload, status=status,
            created_by=self.users["engineer"], created_at=at,
            acked_at=at + timedelta(seconds=30) if done else None,
            completed_at=at + timedelta(minutes=2) if done else None, result=result)

    def incident(self, demo: IncidentDemo) -> None:
        self.clock.at = demo.created
        svc = IncidentService(self.tx, self.actor("analyst"), clock=self.clock)
        incident = svc.create(demo.title, demo.severity, demo.impact, demo.urgency,
                              asset_id=self.assets[demo.asset] if demo.asset else None)
        for status, at in demo.steps:
            self.clock.at = at
            svc.transition(incident.id, status,
                           assigned_to=self.users["engineer"] if status == "in_progress"
                           else None,
                           resolution_note="Root cause fixed and verified with operations"
                           if status == "resolved" else None)
        if demo.comment:
            svc.comment(incident.id, demo.comment, [self.users["engineer"]])

    def problem_management(self) -> None:
        self.clock.at = ago(days=8)
        problems = ProblemService(self.tx, self.actor("engineer"), clock=self.clock)
        en2t = problems.create("Recurring 1756-EN2T lockups on packaging line 2")
        problems.transition(en2t.id, "investigating")
        problems.transition(en2t.id, "known_error",
                            root_cause="Firmware 11.002 stops answering CIP after a storm of "
                                       "malformed packets; fixed in 11.004.")
        gaps = problems.create("Historian data gaps after core switch reloads")
        problems.transition(gaps.id, "investigating")
        changes = ChangeService(self.tx, self.actor("engineer"), clock=self.clock)
        changes.create("Monthly patching of engineering workstations", "standard")
        upgrade = changes.create("Upgrade 1756-EN2T firmware to 11.004 on line 2", "normal",
                                 "medium")
        changes.transition(upgrade.id, "approved")
        portal = changes.create("Disable the GlobalProtect portal on RTM-FW-01", "emergency",
                                "high")
        changes.transition(portal.id, "approved")
        changes.transition(portal.id, "implemented")
        kb = KnowledgeService(self.tx, self.actor("engineer"), clock=self.clock)
        reset = kb.create("Resetting a 1756-EN2T module safely",
                          "1. Put line 2 in maintenance mode on the HMI.\n"
                          "2. Pull and reseat the module; the PLC keeps its program.\n"
                          "3. Check the CIP connection count in RSLinx before restart.")
        kb.link_problem(reset.id, en2t.id)
        isolate = kb.create("Isolating a suspicious HMI from the control VLAN",
                            "Shut the access port on RTM-SW-CELL1, keep the HMI powered for "
                            "forensics, and call the OT on-call engineer.")
        kb.link_problem(isolate.id, gaps.id)

    def vulnerabilities(self) -> None:
        self.clock.at = ago(days=20)
        sec = SecurityService(self.tx, clock=self.clock)
        found: dict[tuple[str, str], uuid.UUID] = {}
        for site in self.demo.sites:
            for a in site.assets:
                for cve in a.cves:
                    found[(a.name, cve)] = sec.record(self.assets[a.name], cve).id
        self.clock.at = ago(days=5)
        sec = SecurityService(self.tx, self.actor("analyst"), clock=self.clock)
        for asset, cve, status in self.demo.vulnerability_moves:
            sec.transition(found[(asset, cve)], status)


def overview(db: Database, tenant_id: uuid.UUID, demo: TenantDemo) -> TenantOverview:
    """What the demo prints for one tenant, read back through the services."""
    with db.tenant(tenant_id) as tx:
        return TenantOverview(
            demo.name, demo.slug, IncidentService(tx).open_by_priority(DEMO_NOW),
            SecurityService(tx).by_risk("open", limit=5).items,
            CmdbService(tx).asset_counts())


def run_demo(db: Database) -> tuple[list[TenantOverview], list[str]]:
    """Load what is missing; the overviews, and the slugs of the tenants loaded now."""
    _settled(lambda: load_catalog(db))
    overviews: list[TenantOverview] = []
    loaded: list[str] = []
    for demo in TENANTS:
        tenant_id, wrote = _settled(lambda: load_tenant(db, demo))  # noqa: B023 - called now
        if wrote:
            loaded.append(demo.slug)
        overviews.append(overview(db, tenant_id, demo))
    return overviews, loaded


T = TypeVar("T")


def _settled(step: Callable[[], T]) -> T:
    """``step``, run again if a concurrent demo wrote the same rows first.

    Each step is one transaction that writes only what it finds missing. Two demos
    started together can both find a tenant missing; the second to insert waits for
    the first to commit and then hits its unique key (a taken tenant slug is a
    ``Conflict``), its transaction rolled back.
    Run again, the step finds the rows and writes nothing.
    """
    for _ in range(2):
        try:
            return step()
        except (UniqueViolation, Conflict):  # a registration refuses a taken slug as Conflict
            continue
    return step()


def render(overviews: list[TenantOverview]) -> list[str]:
    """The overview as text lines, the same for the same data. Every value from the
    database is escaped before it is padded: the columns line up as printed."""
    lines = [f"Monozu demo as of {DEMO_NOW:%Y-%m-%d %H:%M} UTC"]
    for o in overviews:
        lines += ["", f"{cell(o.name)} ({cell(o.slug)})", "  Open incidents by priority:"]
        for view in o.incidents:
            i, b = view.incident, view.breach
            flags = ", ".join(f for f, on in (("response SLA breached", b.response),
                                              ("resolve SLA breached", b.resolve)) if on)
            lines.append(f"    {cell(i.priority or '-'):3} {cell(i.status):12} {cell(i.title)}"
                         + (f"  [{flags}]" if flags else ""))
        if not o.incidents:
            lines.append("    (none)")
        lines.append("  Five riskiest open vulnerabilities:")
        for r in o.risks:
            score = "  -" if r.cvss_score is None else f"{r.cvss_score:4.1f}"
            epss = "-" if r.epss is None else f"{r.epss:.3f}"
            lines.append(f"    {score}  {cell(r.cve_id):15} {cell(r.asset_name):16} "
                         f"KEV {'yes' if r.is_kev else 'no ':3}  EPSS {epss:5}  "
                         f"exploit {'known' if r.exploit_known else '-'}")
        if not o.risks:
            lines.append("    (none)")
        lines.append("  Assets per site:")
        lines += [f"    {cell(s.site_name):32} {s.assets:3}" for s in o.sites]
    return lines
