"""Row types of the Monozu schema: one dataclass per table.

These mirror the final schema (migration V28), the same on SQL Server, PostgreSQL and
SQLite: one class per table, one field per column, in column order and with the column's
name. ``tests/db/test_models.py`` checks every class against the live schemas after a full
migrate, so a migration that adds, drops or renames a column must change its class here too.

Python types are the same whatever the database: ``uuid.UUID`` for ids, timezone-aware
``datetime`` in UTC for timestamps, ``bool``, ``float``, ``int`` and :data:`JSON` for JSON
documents; a nullable column is ``X | None``. The classes are plain mutable dataclasses with
slots: building them is on the hot path of every query, and ``frozen`` makes that slower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

JSON: TypeAlias = dict[str, Any] | list[Any]
"""A JSON document column: an object or an array."""


@dataclass(slots=True)
class Tenant:
    """A customer organisation; global (no tenant_id). ``status``: pending, active, suspended."""

    id: UUID
    name: str
    status: str
    created_at: datetime
    slug: str
    onboarding_ot_completed: bool


@dataclass(slots=True)
class User:
    """A user of one tenant; ``email`` unique per tenant, ``password_hash`` None for SSO users."""

    id: UUID
    tenant_id: UUID
    email: str
    # kept out of repr: a logged row must not hand out what an offline attack needs
    password_hash: str | None = field(repr=False)
    mfa_enabled: bool
    created_at: datetime
    display_name: str | None
    totp_secret_enc: str | None = field(repr=False)


@dataclass(slots=True)
class Group:
    """An RBAC group of one tenant; ``name`` unique per tenant."""

    id: UUID
    tenant_id: UUID
    name: str


@dataclass(slots=True)
class UserGroup:
    """Membership of a user in a group, both of the same tenant."""

    user_id: UUID
    group_id: UUID
    tenant_id: UUID


@dataclass(slots=True)
class GroupPermission:
    """A ``resource:action`` permission granted to a group."""

    tenant_id: UUID
    group_id: UUID
    permission: str


@dataclass(slots=True)
class TenantLicense:
    """The tenant's one licence, upserted by the licence webhook."""

    tenant_id: UUID
    plan: str
    expires_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class UserSettings:
    """Per-user preferences; ``theme``: light, dark, system."""

    user_id: UUID
    tenant_id: UUID
    locale: str
    timezone: str
    theme: str
    density: str
    accent_color: str | None


@dataclass(slots=True)
class Site:
    """A physical site of a tenant."""

    id: UUID
    tenant_id: UUID
    name: str
    address: str | None
    created_at: datetime


@dataclass(slots=True)
class Zone:
    """A network zone, optionally at a site."""

    id: UUID
    tenant_id: UUID
    name: str
    site_id: UUID | None


@dataclass(slots=True)
class Vlan:
    """A VLAN, optionally in a zone and at a site."""

    id: UUID
    tenant_id: UUID
    zone_id: UUID | None
    vlan_number: int
    name: str
    cidr: str | None
    site_id: UUID | None


@dataclass(slots=True)
class Asset:
    """An asset of the registry, located at a site; ``producer`` was ``vendor`` before V18."""

    id: UUID
    tenant_id: UUID
    name: str
    type: str
    site_id: UUID
    created_at: datetime
    ip_address: str | None
    mac_address: str | None
    model: str | None
    firmware_version: str | None
    cpe: str | None
    criticality: str | None
    lifecycle_state: str
    producer: str | None


@dataclass(slots=True)
class Device:
    """A registered edge device; only a hash of its device key is stored."""

    id: UUID
    tenant_id: UUID
    name: str
    type: str
    location: str | None
    device_key_hash: str
    status: str
    last_seen_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


@dataclass(slots=True)
class EdgeProvisioningKey:
    """A key for registering edge devices; only its hash is stored."""

    id: UUID
    tenant_id: UUID
    label: str
    key_hash: str
    expires_at: datetime | None
    max_uses: int | None
    use_count: int
    revoked_at: datetime | None
    created_at: datetime


@dataclass(slots=True)
class Incident:
    """An ITSM incident with its SLA deadlines and breach flags."""

    id: UUID
    tenant_id: UUID
    title: str
    status: str
    severity: str
    sla_response_due: datetime | None
    sla_resolve_due: datetime | None
    created_at: datetime
    impact: str | None
    urgency: str | None
    priority: str | None
    assigned_to: UUID | None
    sla_response_breached: bool
    sla_resolve_breached: bool
    resolution_note: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    site_id: UUID | None = None  # V33: the site and asset it concerns
    asset_id: UUID | None = None


@dataclass(slots=True)
class IncidentTimelineEvent:
    """One event in an incident's history, e.g. a status change."""

    id: UUID
    tenant_id: UUID
    incident_id: UUID
    event_type: str
    old_value: str | None
    new_value: str | None
    actor_id: UUID | None
    created_at: datetime


@dataclass(slots=True)
class IncidentComment:
    """A comment on an incident; ``mentions`` is a JSON array."""

    id: UUID
    tenant_id: UUID
    incident_id: UUID
    author_id: UUID
    body: str
    mentions: JSON
    created_at: datetime


@dataclass(slots=True)
class SlaPolicy:
    """Response and resolve times per priority, per tenant."""

    tenant_id: UUID
    priority: str
    response_minutes: int
    resolve_minutes: int


@dataclass(slots=True)
class PriorityMatrixEntry:
    """One cell of a tenant's (severity, impact, urgency) -> priority matrix."""

    tenant_id: UUID
    severity: str
    impact: str
    urgency: str
    priority: str


@dataclass(slots=True)
class Problem:
    """An ITSM problem."""

    id: UUID
    tenant_id: UUID
    title: str
    status: str
    root_cause: str | None
    created_at: datetime


@dataclass(slots=True)
class Change:
    """An ITSM change; ``type``: standard, normal, emergency."""

    id: UUID
    tenant_id: UUID
    title: str
    status: str
    type: str
    risk: str | None
    created_at: datetime


@dataclass(slots=True)
class KnowledgeArticle:
    """A knowledge base article."""

    id: UUID
    tenant_id: UUID
    title: str
    body: str
    created_at: datetime


@dataclass(slots=True)
class Diagram:
    """A network diagram of a site; ``data`` is the diagram document."""

    id: UUID
    tenant_id: UUID
    site_id: UUID
    name: str
    description: str | None
    data: JSON


@dataclass(slots=True)
class DiagramAssetLink:
    """An asset shown on a diagram."""

    diagram_id: UUID
    asset_id: UUID
    tenant_id: UUID


@dataclass(slots=True)
class Vulnerability:
    """A CVE affecting an asset; unique per (tenant, asset, CVE)."""

    id: UUID
    tenant_id: UUID
    cve_id: str
    cvss_score: float | None
    status: str
    asset_id: UUID
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(slots=True)
class VulnScannerSettings:
    """The tenant's vulnerability scanner settings (one row per tenant)."""

    tenant_id: UUID
    cvss_alert_threshold: float | None
    updated_at: datetime


@dataclass(slots=True)
class SecurityAlert:
    """A security alert from the ingestor, a webhook or the CVE job."""

    id: UUID
    tenant_id: UUID
    title: str
    severity: str
    source: str
    source_ip: str | None
    destination_ip: str | None
    description: str | None
    cve_id: str | None
    asset_id: UUID | None
    device_id: UUID | None
    status: str
    created_at: datetime


@dataclass(slots=True)
class AuditLog:
    """One audited action; ``user_id`` None for system actions."""

    id: UUID
    tenant_id: UUID
    user_id: UUID | None
    action: str
    resource_type: str
    resource_id: str | None
    created_at: datetime
    details: JSON | None


@dataclass(slots=True)
class CveFeed:
    """A CVE feed the platform synchronises; global. ``kind``: nvd, kev, cvelist5, epss,
    exploitdb."""

    id: UUID
    name: str
    kind: str
    url: str
    enabled: bool
    last_synced_at: datetime | None
    sync_cursor: str | None
    last_error: str | None


@dataclass(slots=True)
class CveCatalogEntry:
    """One CVE of the global catalog, with its CVSS and KEV data."""

    cve_id: str
    description: str | None
    published_at: datetime | None
    last_modified_at: datetime | None
    vuln_status: str | None
    cvss_score: float | None
    cvss_severity: str | None
    cvss_vector: str | None
    cvss_version: str | None
    is_kev: bool
    kev_date_added: datetime | None
    kev_due_date: datetime | None
    kev_ransomware: bool


@dataclass(slots=True)
class CveCpeMatch:
    """One CPE applicability rule of a CVE; global, keyed by a counter."""

    id: int
    cve_id: str
    config_group: int
    node_operator: str
    criteria: str
    vulnerable: bool
    version_start_including: str | None
    version_start_excluding: str | None
    version_end_including: str | None
    version_end_excluding: str | None


@dataclass(slots=True)
class RefreshToken:
    """An issued refresh token; only its hash is stored."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    token_hash: str
    expires_at: datetime
    revoked_at: datetime | None
    replaced_by: UUID | None
    created_at: datetime
    user_agent: str | None
    ip_address: str | None


@dataclass(slots=True)
class TenantFeature:
    """A licensed feature switch; ``feature``: security, vpn, backup."""

    tenant_id: UUID
    feature: str
    enabled: bool


@dataclass(slots=True)
class CveScoresCacheEntry:
    """Cached CVSS and EPSS scores of one CVE; global."""

    cve_id: str
    cvss_v31_score: float | None
    cvss_v31_vector: str | None
    cvss_v40_score: float | None
    cvss_v40_vector: str | None
    epss: float | None
    epss_percentile: float | None
    epss_model_version: str | None
    score_date: datetime | None
    fetched_at: datetime


@dataclass(slots=True)
class ExploitdbExploit:
    """One ExploitDB entry; global."""

    edb_id: int
    file_path: str
    description: str
    date_published: datetime | None
    author: str | None
    type: str | None
    platform: str | None
    port: int | None
    verified: bool
    date_added: datetime | None
    date_updated: datetime | None
    source_url: str | None


@dataclass(slots=True)
class ExploitdbCve:
    """A CVE an ExploitDB entry exploits; global."""

    edb_id: int
    cve_id: str


@dataclass(slots=True)
class SnapRelease:
    """A published snap release for edge devices; global."""

    id: UUID
    snap_name: str
    version: str
    channel: str
    sha256: str
    blob_path: str
    size_bytes: int
    published_at: datetime


@dataclass(slots=True)
class DeviceSnapUpdate:
    """A snap update reported by an edge device."""

    id: UUID
    tenant_id: UUID
    device_id: UUID
    snap_name: str
    from_version: str | None
    to_version: str
    status: str
    reported_at: datetime


@dataclass(slots=True)
class DeviceCommand:
    """A command queued for an edge device, with its status and result."""

    id: UUID
    tenant_id: UUID
    device_id: UUID
    command: str
    payload: JSON
    status: str
    created_by: UUID | None
    created_at: datetime
    acked_at: datetime | None
    completed_at: datetime | None
    result: JSON | None


@dataclass(slots=True)
class IngestEvent:
    """An event ingested from an edge device; keyed by a counter."""

    id: int
    tenant_id: UUID
    device_id: UUID
    kind: str
    event_at: datetime
    data: JSON
    received_at: datetime


@dataclass(slots=True)
class KnowledgeArticleProblem:
    """A link between a knowledge article and a problem."""

    tenant_id: UUID
    article_id: UUID
    problem_id: UUID


@dataclass(slots=True)
class AssetVlan:
    """An asset's membership in a VLAN."""

    tenant_id: UUID
    asset_id: UUID
    vlan_id: UUID


TABLES: dict[str, type] = {
    "tenants": Tenant,
    "users": User,
    "groups": Group,
    "user_groups": UserGroup,
    "group_permissions": GroupPermission,
    "tenant_licenses": TenantLicense,
    "user_settings": UserSettings,
    "sites": Site,
    "zones": Zone,
    "vlans": Vlan,
    "assets": Asset,
    "devices": Device,
    "edge_provisioning_keys": EdgeProvisioningKey,
    "incidents": Incident,
    "incident_timeline_events": IncidentTimelineEvent,
    "incident_comments": IncidentComment,
    "sla_policies": SlaPolicy,
    "priority_matrix": PriorityMatrixEntry,
    "problems": Problem,
    "changes": Change,
    "knowledge_articles": KnowledgeArticle,
    "diagrams": Diagram,
    "diagram_asset_links": DiagramAssetLink,
    "vulnerabilities": Vulnerability,
    "vuln_scanner_settings": VulnScannerSettings,
    "security_alerts": SecurityAlert,
    "audit_logs": AuditLog,
    "cve_feeds": CveFeed,
    "cve_catalog": CveCatalogEntry,
    "cve_cpe_matches": CveCpeMatch,
    "refresh_tokens": RefreshToken,
    "tenant_features": TenantFeature,
    "cve_scores_cache": CveScoresCacheEntry,
    "exploitdb_exploits": ExploitdbExploit,
    "exploitdb_cves": ExploitdbCve,
    "snap_releases": SnapRelease,
    "device_snap_updates": DeviceSnapUpdate,
    "device_commands": DeviceCommand,
    "ingest_events": IngestEvent,
    "knowledge_article_problems": KnowledgeArticleProblem,
    "asset_vlans": AssetVlan,
}
