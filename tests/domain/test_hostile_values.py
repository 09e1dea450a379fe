"""Every public domain call, given one hostile argument at a time, answers with a named
refusal or does its work, and never leaves a half-written or another tenant's row.

Where ``test_hostile_inputs`` gives each plain-typed parameter a value of another kind,
this walk gives every parameter (and every field of a dataclass argument) the values a
caller could send that are of the right kind or close to it: lone surrogates, NUL, text of
100,000 characters, empty and invisible text, numbers past 64 bits, NaN, naive, pre-1900
and year-9999 times, documents 5,000 levels deep, ids of another tenant and of no row,
values outside a vocabulary, text with quotes, ``%``, ``_``, ``[``, ``\\`` and SQL. The
table of values is chosen by the parameter's annotation, so a new parameter is walked too;
each public method needs a valid call in :data:`CALLS`, so a new method is too.

Each call runs on a fresh set of the caller's rows, beside another tenant's, on SQLite
and on PostgreSQL as the application role with row-level security on. A call may succeed,
or refuse with a documented domain error or a ``ParameterError``; nothing else may
escape. A refusal names the argument it refuses (when it is a rule about the value), is
short, repeats no secret given to the call, and leaves every row as it was, even when
the caller's unit of work goes on and commits. A call that succeeds changes no row of the
other tenant and returns none of its ids.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest

from monozu.db import Database, MonozuError, NotFound, ParameterError, rls
from monozu.db.migrate import Migrator
from monozu.domain.audit import Actor, AuditRepository
from monozu.domain.cmdb import AssetSpec, CmdbService
from monozu.domain.common import Service
from monozu.domain.edge import EdgeService
from monozu.domain.edge.types import DeviceIdentity, EventIn
from monozu.domain.errors import Conflict, DomainError, ValidationError
from monozu.domain.identity import IdentityService
from monozu.domain.itsm import ChangeService, IncidentService, KnowledgeService, ProblemService
from monozu.domain.security import SecurityService
from monozu.domain.tenancy import TenancyService
from monozu.domain.vulnintel import service as vulnintel
from tests.domain.conftest import AppRole, add_tenant
from tests.domain.isolation.base import as_uuid
from tests.domain.test_hostile_inputs import FUNCTIONS, SERVICES
from tests.support.nesting import nested_lists

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
PASSWORD = "Correct-Horse-42"
CVE = "CVE-2024-3400"
# tables whose rows belong to a tenant, and the global ones a tenant's call must not touch
TENANT_TABLES = (
    "sites", "zones", "vlans", "assets", "asset_vlans", "diagrams", "diagram_asset_links",
    "incidents", "incident_comments", "incident_timeline_events", "priority_matrix",
    "sla_policies", "problems", "changes", "knowledge_articles", "knowledge_article_problems",
    "vulnerabilities", "security_alerts", "users", "groups", "user_groups",
    "group_permissions", "user_settings", "refresh_tokens", "devices", "device_commands",
    "device_snap_updates", "edge_provisioning_keys", "ingest_events", "tenant_licenses",
    "tenant_features", "vuln_scanner_settings", "audit_logs")
GLOBAL_TABLES = ("snap_releases", "cve_catalog")
# platform calls: they act on every tenant or on the global tables
PLATFORM = {"TenancyService.register", "EdgeService.purge_all", "EdgeService.publish_release",
            "match_tenants"}
# a secret a call is given is never repeated in its refusal
SECRETS = {"password", "new_password", "token", "device_key", "provisioning_key"}
# how a refusal names a parameter where its wording is not the parameter's name
SPOKEN = {"accent_color": "accent colour", "timezone": "time zone", "wanted": "status",
          "cve_id": "CVE", "features": "feature", "statuses": "status",
          "severities": "severity", "types": "type", "events": "event",
          "new_password": "password", "limit": "page size", "body": "comment",
          "tenants": "tenant id"}


class Color(Enum):
    RED = "red"


@dataclass
class Rows:
    """One tenant's planted rows, and the secrets that reach them."""

    tenant: uuid.UUID
    slug: str
    platform: Database
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def suspended(self) -> uuid.UUID:
        """The tenant, suspended (what activation starts from)."""
        self.platform.exec("UPDATE tenants SET status = 'suspended' WHERE id = :t",
                           t=self.tenant)
        return self.tenant

    @property
    def device(self) -> DeviceIdentity:
        return DeviceIdentity(self.tenant, self.ids["device"], "gw")


@dataclass
class Place:
    """The databases of one run: ``app`` runs the calls, ``platform`` sees every row."""

    app: Database
    platform: Database
    postgresql: bool = False


def plant(place: Place, slug: str) -> Rows:
    """A tenant with a row of every kind its calls take an id of."""
    slug = f"{slug}-{uuid.uuid4().hex[:10]}"
    tenant = add_tenant(place.platform, slug)
    rows = Rows(tenant, slug, place.platform)
    ids, app = rows.ids, place.app
    identity = IdentityService(app, bcrypt_rounds=4, clock=lambda: NOW)
    user = identity.create_user(tenant, f"ann-{uuid.uuid4().hex[:6]}@example.com",
                                password=PASSWORD)
    ids["user"] = user.id
    rows.secrets["email"] = user.email
    ids["group"] = identity.create_group(tenant, "Operators").id
    identity.add_member(tenant, user.id, ids["group"])
    identity.grant(tenant, ids["group"], "assets:read")
    rows.secrets["token"] = identity.issue_token(tenant, user.id).token
    TenancyService(app, clock=lambda: NOW).apply_licence(
        tenant, "standard", NOW + timedelta(days=365), ["vpn"])
    edge = EdgeService(app, clock=lambda: NOW)
    key = edge.create_provisioning_key(tenant, "bench")
    ids["key"] = key.key.id
    rows.secrets["provisioning_key"] = key.secret
    device = edge.register_device(key.secret, name="gw", type="gateway")
    ids["device"] = device.device.id
    rows.secrets["device_key"] = device.secret
    ids["command"] = edge.enqueue(tenant, device.device.id, "run_discovery").id
    edge.poll(rows.device)  # claimed: the device may complete or fail it
    edge.ingest(rows.device, [EventIn("log", NOW, {"line": 1})])
    edge.report_update(rows.device, "monozu-edge", to_version="1.0", status="installed")
    me = Actor(user.id)
    with app.tenant(tenant) as tx:
        cmdb = CmdbService(tx, me, clock=lambda: NOW)
        ids["site"] = cmdb.create_site("Plant", "Street 1").id
        ids["zone"] = cmdb.create_zone("Cell", ids["site"]).id
        ids["vlan"] = cmdb.create_vlan(10, "Control", zone_id=ids["zone"]).id
        ids["asset"] = cmdb.create_asset(AssetSpec(
            name="PLC", type="plc", site_id=ids["site"], producer="Siemens",
            cpe="cpe:2.3:h:siemens:s7-1500:2.9:*:*:*:*:*:*:*")).id
        cmdb.link_vlan(ids["asset"], ids["vlan"])
        ids["diagram"] = cmdb.create_diagram(ids["site"], "Line",
                                             asset_ids=[ids["asset"]]).diagram.id
        incidents = IncidentService(tx, me, clock=lambda: NOW)
        incidents.set_priority("high", "high", "high", "P1")
        incidents.set_sla("P1", 30, 240)
        ids["incident"] = incidents.create("Pump down", "high", "high", "high",
                                           assigned_to=user.id, site_id=ids["site"],
                                           asset_id=ids["asset"]).id
        incidents.comment(ids["incident"], "Looking", [user.id])
        ids["problem"] = ProblemService(tx, me, clock=lambda: NOW).create("Pumps fail").id
        ids["change"] = ChangeService(tx, me, clock=lambda: NOW).create(
            "Swap pump", "normal", "low").id
        knowledge = KnowledgeService(tx, me, clock=lambda: NOW)
        ids["article"] = knowledge.create("Pump restart", "Press the button").id
        knowledge.link_problem(ids["article"], ids["problem"])
        security = SecurityService(tx, me, clock=lambda: NOW)
        ids["vulnerability"] = security.record(ids["asset"], CVE).id
        ids["alert"] = security.raise_alert("Scan", "high", "manual", asset_id=ids["asset"],
                                            device_id=ids["device"]).id
    return rows


# -- the valid call of every public method ---------------------------------------------------

Args = dict[str, Any]
Call = Callable[[Rows], Args]
# valid calls that first change the caller's rows (activation starts from a suspension)
PREPARED = {"TenancyService.activate"}
ACTOR = "(actor)"  # the path of the actor a service on a unit of work is built with


def _spec(r: Rows) -> AssetSpec:
    return AssetSpec(name="PLC 2", type="plc", site_id=r.ids["site"], producer="Siemens",
                     model="S7", firmware_version="2.9", ip_address="10.0.0.5",
                     mac_address="00:1d:9c:0a:0b:0c", criticality="high",
                     cpe="cpe:2.3:h:siemens:s7-1500:2.9:*:*:*:*:*:*:*")


CALLS: dict[str, Call] = {
    # cmdb
    "CmdbService.asset": lambda r: {"asset_id": r.ids["asset"]},
    "CmdbService.asset_counts": lambda r: {},
    "CmdbService.assets": lambda r: {"site_id": r.ids["site"], "types": ["plc"], "text": "pl",
                                     "limit": 5, "cursor": None},
    "CmdbService.create_asset": lambda r: {"spec": _spec(r)},
    "CmdbService.create_diagram": lambda r: {"site_id": r.ids["site"], "name": "Line 2",
                                             "description": "d", "data": {"nodes": []},
                                             "asset_ids": [r.ids["asset"]]},
    "CmdbService.create_site": lambda r: {"name": "Plant 2", "address": "Street 2"},
    "CmdbService.create_vlan": lambda r: {"vlan_number": 20, "name": "Field",
                                          "zone_id": r.ids["zone"], "site_id": r.ids["site"],
                                          "cidr": "10.20.0.0/24"},
    "CmdbService.create_zone": lambda r: {"name": "Cell 2", "site_id": r.ids["site"]},
    "CmdbService.diagram": lambda r: {"diagram_id": r.ids["diagram"]},
    "CmdbService.diagrams_at": lambda r: {"site_id": r.ids["site"]},
    "CmdbService.hierarchy": lambda r: {"site_id": r.ids["site"]},
    "CmdbService.link_vlan": lambda r: {"asset_id": r.ids["asset"], "vlan_id": r.ids["vlan"]},
    "CmdbService.rename_site": lambda r: {"site_id": r.ids["site"], "name": "Plant West",
                                          "address": "Street 3"},
    "CmdbService.save_diagram": lambda r: {"diagram_id": r.ids["diagram"], "name": "Line 3",
                                           "description": "d", "data": {"nodes": [1]},
                                           "asset_ids": [r.ids["asset"]]},
    "CmdbService.site": lambda r: {"site_id": r.ids["site"]},
    "CmdbService.sites": lambda r: {},
    "CmdbService.unlink_vlan": lambda r: {"asset_id": r.ids["asset"],
                                          "vlan_id": r.ids["vlan"]},
    "CmdbService.update_asset": lambda r: {"asset_id": r.ids["asset"], "spec": _spec(r)},
    "CmdbService.vlan": lambda r: {"vlan_id": r.ids["vlan"]},
    "CmdbService.vlans_of": lambda r: {"asset_id": r.ids["asset"]},
    "CmdbService.zone": lambda r: {"zone_id": r.ids["zone"]},
    # itsm
    "IncidentService.assign": lambda r: {"incident_id": r.ids["incident"],
                                         "user_id": r.ids["user"]},
    "IncidentService.comment": lambda r: {"incident_id": r.ids["incident"], "body": "Done",
                                          "mentions": [r.ids["user"]]},
    "IncidentService.comments": lambda r: {"incident_id": r.ids["incident"]},
    "IncidentService.create": lambda r: {"title": "Valve", "severity": "high",
                                         "impact": "high", "urgency": "high",
                                         "assigned_to": r.ids["user"],
                                         "site_id": r.ids["site"], "asset_id": r.ids["asset"]},
    "IncidentService.get": lambda r: {"incident_id": r.ids["incident"], "now": NOW},
    "IncidentService.mark_breaches": lambda r: {"now": NOW},
    "IncidentService.open_by_priority": lambda r: {"now": NOW},
    "IncidentService.page": lambda r: {"now": NOW, "statuses": ["open"], "severities": ["high"],
                                       "site_id": r.ids["site"], "asset_id": r.ids["asset"],
                                       "text": "pump", "limit": 5, "cursor": None},
    "IncidentService.priority_matrix": lambda r: {},
    "IncidentService.set_priority": lambda r: {"severity": "low", "impact": "low",
                                               "urgency": "low", "priority": "P4"},
    "IncidentService.set_sla": lambda r: {"priority": "P4", "response_minutes": 60,
                                          "resolve_minutes": 600},
    "IncidentService.sla_policies": lambda r: {},
    "IncidentService.timeline": lambda r: {"incident_id": r.ids["incident"]},
    "IncidentService.transition": lambda r: {"incident_id": r.ids["incident"],
                                             "status": "in_progress", "resolution_note": "n",
                                             "assigned_to": r.ids["user"]},
    "ProblemService.by_status": lambda r: {"statuses": ["open"]},
    "ProblemService.create": lambda r: {"title": "Leaks", "root_cause": "Seals"},
    "ProblemService.get": lambda r: {"problem_id": r.ids["problem"]},
    "ProblemService.transition": lambda r: {"problem_id": r.ids["problem"],
                                            "status": "investigating", "root_cause": "Seals"},
    "ChangeService.by_status": lambda r: {"statuses": ["requested"]},
    "ChangeService.create": lambda r: {"title": "Patch", "type": "normal", "risk": "low"},
    "ChangeService.get": lambda r: {"change_id": r.ids["change"]},
    "ChangeService.transition": lambda r: {"change_id": r.ids["change"], "status": "approved"},
    "KnowledgeService.create": lambda r: {"title": "Valves", "body": "Turn"},
    "KnowledgeService.edit": lambda r: {"article_id": r.ids["article"], "title": "Pumps",
                                        "body": "Press twice"},
    "KnowledgeService.for_problem": lambda r: {"problem_id": r.ids["problem"]},
    "KnowledgeService.get": lambda r: {"article_id": r.ids["article"]},
    "KnowledgeService.link_problem": lambda r: {"article_id": r.ids["article"],
                                                "problem_id": r.ids["problem"]},
    "KnowledgeService.problems_of": lambda r: {"article_id": r.ids["article"]},
    "KnowledgeService.unlink_problem": lambda r: {"article_id": r.ids["article"],
                                                  "problem_id": r.ids["problem"]},
    # security
    "SecurityService.alert": lambda r: {"alert_id": r.ids["alert"]},
    "SecurityService.alert_transition": lambda r: {"alert_id": r.ids["alert"],
                                                   "status": "acknowledged"},
    "SecurityService.alerts": lambda r: {"statuses": ["open"], "severities": ["high"],
                                         "limit": 5, "cursor": None},
    "SecurityService.by_risk": lambda r: {"status": "open", "severities": ["critical"],
                                          "site_id": r.ids["site"], "text": "plc", "limit": 5,
                                          "cursor": None},
    "SecurityService.get": lambda r: {"vulnerability_id": r.ids["vulnerability"]},
    "SecurityService.of_asset": lambda r: {"asset_id": r.ids["asset"], "limit": 5,
                                           "cursor": None},
    "SecurityService.raise_alert": lambda r: {
        "title": "Port scan", "severity": "high", "source": "manual", "description": "d",
        "source_ip": "10.0.0.1", "destination_ip": "10.0.0.2", "cve_id": CVE,
        "asset_id": r.ids["asset"], "device_id": r.ids["device"]},
    "SecurityService.record": lambda r: {"asset_id": r.ids["asset"], "cve_id": CVE},
    "SecurityService.transition": lambda r: {"vulnerability_id": r.ids["vulnerability"],
                                             "status": "in_progress"},
    # identity
    "IdentityService.add_member": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"],
                                             "group_id": r.ids["group"],
                                             "actor": Actor(r.ids["user"])},
    "IdentityService.authenticate": lambda r: {"tenant_id": r.tenant,
                                               "email": r.secrets["email"],
                                               "password": PASSWORD},
    "IdentityService.change_password": lambda r: {"tenant_id": r.tenant,
                                                  "user_id": r.ids["user"],
                                                  "new_password": "Another-Horse-43",
                                                  "actor": Actor(r.ids["user"])},
    "IdentityService.create_group": lambda r: {"tenant_id": r.tenant, "name": "Engineers",
                                               "actor": Actor(r.ids["user"])},
    "IdentityService.create_user": lambda r: {"tenant_id": r.tenant,
                                              "email": "bob@example.com",
                                              "password": "Bobs-Password-1",
                                              "display_name": "Bob",
                                              "actor": Actor(r.ids["user"])},
    "IdentityService.delete_group": lambda r: {"tenant_id": r.tenant,
                                               "group_id": r.ids["group"],
                                               "actor": Actor(r.ids["user"])},
    "IdentityService.effective_permissions": lambda r: {"tenant_id": r.tenant,
                                                        "user_id": r.ids["user"]},
    "IdentityService.find_user": lambda r: {"tenant_id": r.tenant,
                                            "email": r.secrets["email"]},
    "IdentityService.get_group": lambda r: {"tenant_id": r.tenant, "group_id": r.ids["group"]},
    "IdentityService.get_user": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"]},
    "IdentityService.grant": lambda r: {"tenant_id": r.tenant, "group_id": r.ids["group"],
                                        "permission": "users:read",
                                        "actor": Actor(r.ids["user"])},
    "IdentityService.group_members": lambda r: {"tenant_id": r.tenant,
                                                "group_id": r.ids["group"]},
    "IdentityService.group_permissions": lambda r: {"tenant_id": r.tenant,
                                                    "group_id": r.ids["group"]},
    "IdentityService.has_permission": lambda r: {"tenant_id": r.tenant,
                                                 "user_id": r.ids["user"],
                                                 "permission": "assets:read"},
    "IdentityService.issue_token": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"],
                                              "user_agent": "curl/8", "ip_address": "10.0.0.1",
                                              "actor": Actor(r.ids["user"])},
    "IdentityService.list_groups": lambda r: {"tenant_id": r.tenant},
    "IdentityService.list_users": lambda r: {"tenant_id": r.tenant, "search": "ann",
                                             "limit": 5, "cursor": None},
    "IdentityService.login": lambda r: {"tenant_id": r.tenant, "email": r.secrets["email"],
                                        "password": PASSWORD, "user_agent": "curl/8",
                                        "ip_address": "10.0.0.1"},
    "IdentityService.remove_member": lambda r: {"tenant_id": r.tenant,
                                                "user_id": r.ids["user"],
                                                "group_id": r.ids["group"],
                                                "actor": Actor(r.ids["user"])},
    "IdentityService.rename_group": lambda r: {"tenant_id": r.tenant,
                                               "group_id": r.ids["group"], "name": "Ops",
                                               "actor": Actor(r.ids["user"])},
    "IdentityService.rename_user": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"],
                                              "display_name": "Ann",
                                              "actor": Actor(r.ids["user"])},
    "IdentityService.revoke": lambda r: {"tenant_id": r.tenant, "group_id": r.ids["group"],
                                         "permission": "assets:read",
                                         "actor": Actor(r.ids["user"])},
    "IdentityService.revoke_session": lambda r: {"tenant_id": r.tenant,
                                                 "token": r.secrets["token"]},
    "IdentityService.rotate": lambda r: {"tenant_id": r.tenant, "token": r.secrets["token"],
                                         "user_agent": "curl/8", "ip_address": "10.0.0.1"},
    "IdentityService.sessions": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"]},
    "IdentityService.settings": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"]},
    "IdentityService.update_settings": lambda r: {
        "tenant_id": r.tenant, "user_id": r.ids["user"], "locale": "en-GB",
        "timezone": "Europe/Berlin", "theme": "dark", "density": "compact",
        "accent_color": "#112233", "actor": Actor(r.ids["user"])},
    "IdentityService.user_groups": lambda r: {"tenant_id": r.tenant, "user_id": r.ids["user"]},
    # tenancy
    "TenancyService.activate": lambda r: {"tenant_id": r.suspended(),
                                          "actor": Actor(r.ids["user"])},
    "TenancyService.apply_licence": lambda r: {"tenant_id": r.tenant, "plan": "premium",
                                               "expires_at": NOW + timedelta(days=30),
                                               "features": ["vpn", "backup"],
                                               "actor": Actor(r.ids["user"])},
    "TenancyService.change_status": lambda r: {"tenant_id": r.tenant, "wanted": "suspended",
                                               "actor": Actor(r.ids["user"])},
    "TenancyService.feature_enabled": lambda r: {"tenant_id": r.tenant, "feature": "vpn"},
    "TenancyService.get": lambda r: {"tenant_id": r.tenant},
    "TenancyService.licence": lambda r: {"tenant_id": r.tenant},
    "TenancyService.login_access": lambda r: {"tenant_id": r.tenant},
    "TenancyService.may_use": lambda r: {"tenant_id": r.tenant, "feature": "vpn"},
    "TenancyService.register": lambda r: {"name": "Initech",
                                          "slug": f"initech-{uuid.uuid4().hex[:8]}",
                                          "actor": Actor()},
    "TenancyService.suspend": lambda r: {"tenant_id": r.tenant, "actor": Actor(r.ids["user"])},
    # edge
    "EdgeService.authenticate": lambda r: {"device_key": r.secrets["device_key"]},
    "EdgeService.commands": lambda r: {"tenant_id": r.tenant, "device_id": r.ids["device"]},
    "EdgeService.complete": lambda r: {"device": r.device, "command_id": r.ids["command"],
                                       "result": {"ok": True}},
    "EdgeService.create_provisioning_key": lambda r: {
        "tenant_id": r.tenant, "label": "rack 2", "expires_at": NOW + timedelta(days=1),
        "max_uses": 5, "actor": Actor(r.ids["user"])},
    "EdgeService.devices": lambda r: {"tenant_id": r.tenant},
    "EdgeService.enqueue": lambda r: {"tenant_id": r.tenant, "device_id": r.ids["device"],
                                      "command": "restart_service", "payload": {"unit": "x"},
                                      "actor": Actor(r.ids["user"])},
    "EdgeService.events": lambda r: {"tenant_id": r.tenant, "since": NOW - timedelta(days=1),
                                     "until": NOW + timedelta(days=1),
                                     "device_id": r.ids["device"], "kind": "log", "limit": 5,
                                     "cursor": None},
    "EdgeService.expire_commands": lambda r: {"tenant_id": r.tenant,
                                              "older_than": timedelta(hours=1)},
    "EdgeService.fail": lambda r: {"device": r.device, "command_id": r.ids["command"],
                                   "result": {"error": "x"}},
    "EdgeService.fleet": lambda r: {"tenant_id": r.tenant},
    "EdgeService.ingest": lambda r: {"device": r.device,
                                     "events": [EventIn("telemetry", NOW, {"t": 20.5})]},
    "EdgeService.newest_release": lambda r: {"snap_name": "monozu-edge", "channel": "stable"},
    "EdgeService.poll": lambda r: {"device": r.device, "limit": 5},
    "EdgeService.provisioning_keys": lambda r: {"tenant_id": r.tenant},
    "EdgeService.publish_release": lambda r: {
        "snap_name": "monozu-edge", "version": f"1.{uuid.uuid4().int % 10**6}",
        "channel": "stable", "sha256": "a" * 64, "blob_path": "/blobs/edge.snap",
        "size_bytes": 1024},
    "EdgeService.purge": lambda r: {"tenant_id": r.tenant, "older_than": timedelta(days=30)},
    "EdgeService.purge_all": lambda r: {"older_than": timedelta(days=30)},
    "EdgeService.register_device": lambda r: {"provisioning_key": r.secrets["provisioning_key"],
                                              "name": "gw 2", "type": "gateway",
                                              "location": "rack"},
    "EdgeService.report_update": lambda r: {"device": r.device, "snap_name": "monozu-edge",
                                            "to_version": "1.1", "status": "installing",
                                            "from_version": "1.0"},
    "EdgeService.revoke_device": lambda r: {"tenant_id": r.tenant, "device_id": r.ids["device"],
                                            "actor": Actor(r.ids["user"])},
    "EdgeService.revoke_provisioning_key": lambda r: {"tenant_id": r.tenant,
                                                      "key_id": r.ids["key"],
                                                      "actor": Actor(r.ids["user"])},
    # audit
    "AuditRepository.for_resource": lambda r: {"resource_type": "site",
                                               "resource_id": r.ids["site"]},
    "AuditRepository.insert": lambda r: {"actor": Actor(r.ids["user"]), "action": "site.seen",
                                         "resource_type": "site",
                                         "resource_id": str(r.ids["site"]),
                                         "details": {"why": "test"}, "at": NOW},
    "AuditRepository.page": lambda r: {"limit": 5, "cursor": None},
    # vulnintel
    "check_tenant": lambda r: {"tenant_id": r.tenant},
    "match_tenants": lambda r: {"tenants": [r.tenant], "now": NOW},
    "explain": lambda r: {"tenant_id": r.tenant, "asset_id": r.ids["asset"], "cve_id": CVE},
    "asset_tenant": lambda r: {"asset_id": r.ids["asset"]},
}


def _methods() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for cls in SERVICES:
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and name not in vars(Service):
                found[f"{cls.__name__}.{name}"] = method
    for function in FUNCTIONS:
        found[function.__name__] = function
    return found


METHODS = _methods()


# -- the hostile values, by annotation ---------------------------------------------------------

class Lying(str):
    """Text whose own methods lie: a rule must read the characters, not ask the object."""

    def strip(self, *args: object) -> str:  # type: ignore[override]
        return 5  # type: ignore[return-value]

    def lower(self) -> str:
        return ""


HUGE = "x" * 100_000
LONG_SHAPED = "a:" + "b" * 100_000  # long, yet of the shape a pattern takes (resource:action)
SQL_TEXT = ["O'Brien \"q\" 100% a_b [x] back\\slash", "'; DROP TABLE sites; --", "%", "_",
            "%_[\\", "x'||(SELECT 1)||' $1 :name ?"]
BAD_TEXT = ["a\ud800b", "a\x00b", HUGE, LONG_SHAPED, "", "   ", "\u200b\u202e", "a" * 201,
            *SQL_TEXT, Lying("lying"), "\U0001f600 \u0130stanbul", "x\r\ny"]
# values of other kinds (test_hostile_inputs gives a plain parameter every other kind)
NOT_TEXT: list[object] = [5, b"bytes", ["x"], Color.RED]
INTS: list[object] = ["5", True, float("nan"), 2**63, -2**63 - 1, 10**400, -10**5000,
                      Decimal("NaN"), 0, -1]
DATETIMES: list[object] = [
    datetime(2026, 6, 1), date(2026, 6, 1), "2026-06-01T00:00:00+00:00", NOW.timestamp(),
    datetime(1850, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))]
DELTAS: list[object] = [5, "1 day", timedelta.max, timedelta.min, timedelta(days=-1),
                        timedelta(0), timedelta(days=999_999_999), float("nan")]
JSONS: list[object] = [
    "text", 5, (1, 2), {"a": float("nan")}, {"a": {1, 2}}, nested_lists(5000), {"a": "\ud800"},
    {"a": "a\x00b"}, {"a\x00": 1}, {1: "int key"}, {"a": 2**70}, {"a": -2**63 - 1},
    {"a": Decimal("1.5")}, {"a": Decimal("NaN")}, {"a": b"x"}, {"a": float("inf")},
    [], {"": None}, {"q": SQL_TEXT}, {"big": "y" * 70_000}, {"a": 10**5000}]
BOOLS: list[object] = [1, 0, "true", 1.0]


def taken(param: str, r: Rows, other: Rows) -> list[object]:
    """Values already in use where a parameter must be unique."""
    return {"slug": [other.slug], "email": [r.secrets["email"].upper()]}.get(param, [])


def _uuids(r: Rows, other: Rows, kind: str | None) -> list[object]:
    values: list[object] = ["not-a-uuid", "' OR 1=1 --", 7, b"\x00" * 16, uuid.UUID(int=0),
                            uuid.UUID(int=2**128 - 1), uuid.uuid4()]
    if kind is not None:
        values += [str(r.ids[kind]), other.ids[kind]]
        values += [v for k, v in r.ids.items() if k != kind][:2]  # a row of another kind
    return values


KIND_OF = {"site_id": "site", "zone_id": "zone", "vlan_id": "vlan", "asset_id": "asset",
           "diagram_id": "diagram", "incident_id": "incident", "user_id": "user",
           "assigned_to": "user", "problem_id": "problem", "change_id": "change",
           "article_id": "article", "vulnerability_id": "vulnerability", "alert_id": "alert",
           "group_id": "group", "device_id": "device", "command_id": "command",
           "key_id": "key", "asset_ids": "asset", "mentions": "user", "tenants": None}


def _plain(hint: object) -> tuple[type, bool] | None:
    """The one plain type a hint names, and whether it takes None."""
    args = typing.get_args(hint) if isinstance(hint, typing.types.UnionType) else (hint,)
    kinds = [a for a in args if a is not type(None)]
    if len(kinds) == 1 and kinds[0] in (str, int, bool, uuid.UUID, datetime, timedelta):
        return kinds[0], type(None) in args
    return None


def hostile(param: str, hint: object, r: Rows, other: Rows) -> list[object]:
    """The hostile values for one parameter, by its annotation."""
    text = str(hint)
    if typing.get_origin(hint) is typing.Annotated:  # a credential presented by a caller
        own = [s for k, s in r.secrets.items() if k in SECRETS and k != param][:1]
        return [None, *NOT_TEXT, *BAD_TEXT, other.secrets[param], *own,
                r.secrets[param] + "x", r.secrets[param].upper()]
    if hint is Actor:
        return [None, "system", Actor(uuid.uuid4()), Actor(other.ids["user"]),
                Actor("x"), Actor(r.ids["site"])]  # type: ignore[arg-type]
    if hint in (DeviceIdentity, AssetSpec):  # its fields are walked one by one
        return [None, "x", {"name": "x"}, (r.tenant, r.ids["device"], "gw")]
    if "EventIn" in text:
        good = EventIn("log", NOW, {"x": 1})
        events: list[object] = [None, "events", good, [], [None], {"a": good}, (good,),
                                [good] * 1001]
        events += [[dataclasses.replace(good, kind=v)] for v in [*NOT_TEXT, *BAD_TEXT,
                                                                  "bogus"]]
        events += [[dataclasses.replace(good, event_at=v)] for v in DATETIMES]
        events += [[dataclasses.replace(good, data=v)] for v in JSONS]
        return events
    if "JSON" in text or "dict[str, Any]" in text:
        return ([] if "None" in text else [None]) + JSONS
    if "Iterable" in text or "list[" in text:
        kind = KIND_OF.get(param)
        if "UUID" in text:
            items = _uuids(r, other, kind)
            return [None, "x", 5, b"", {"a": 1}, *[[v] for v in items],
                    [r.ids[kind]] * 5000 if kind else [uuid.uuid4()] * 5000]
        listed: list[object] = [None] if "None" not in text else []
        return [*listed, "plc", b"x", 5, {"a": 1}, [], [None], [5], [b"x"], [["x"]],
                         [Color.RED], ["bogus"], iter(["x"]), ["x"] * 10_000,
                         *[[v] for v in BAD_TEXT]]
    if hint is object:
        return [None, b"x", "a\x00b", HUGE, "a\ud800b", object(), 2**70, 10**5000]
    plain = _plain(hint)
    if plain is None:
        raise AssertionError(f"{param}: no hostile values for {hint}")
    kind, optional = plain
    values: list[object] = [] if optional else [None]
    if kind is str:
        values += [*NOT_TEXT, *BAD_TEXT, "bogus", "Operators", *taken(param, r, other)]
    elif kind is int:
        values += INTS
    elif kind is bool:
        values += BOOLS
    elif kind is uuid.UUID:
        values += _uuids(r, other, KIND_OF.get(param))
    elif kind is datetime:
        values += DATETIMES
    elif kind is timedelta:
        values += DELTAS
    return values


# -- one call, and what it must leave behind ----------------------------------------------------

def dump(place: Place, mine: uuid.UUID, theirs: uuid.UUID) -> dict[str, list[str]]:
    """Every row of both tenants, table by table (``table@mine``, ``table@theirs``), and
    of the global tables."""
    db = place.platform
    rows: dict[str, list[str]] = {}
    if place.postgresql:  # one round trip instead of one per table
        for row in db.select(dict, PG_DUMP, a=mine, b=theirs):
            rows.setdefault(row["k"], []).append(row["v"])
        return {k: sorted(v) for k, v in rows.items()}
    for table in TENANT_TABLES:
        found = db.select(dict, f"SELECT * FROM {table} WHERE tenant_id IN (:a, :b)",
                          a=mine, b=theirs)
        for tenant, side in ((mine, "mine"), (theirs, "theirs")):
            rows[f"{table}@{side}"] = sorted(repr(sorted(row.items())) for row in found
                                             if as_uuid(row["tenant_id"]) == tenant)
    rows["tenants"] = [repr(db.get_value("SELECT count(*) FROM tenants")), *sorted(
        repr(sorted(row.items())) for row in db.select(
            dict, "SELECT * FROM tenants WHERE id IN (:a, :b)", a=mine, b=theirs))]
    for table in GLOBAL_TABLES:
        rows[table] = sorted(repr(sorted(row.items()))
                             for row in db.select(dict, f"SELECT * FROM {table}"))
    return rows


PG_DUMP = " UNION ALL ".join(
    [f"SELECT '{t}@' || CASE WHEN tenant_id = :a THEN 'mine' ELSE 'theirs' END AS k, "
     f"CAST(row_to_json(x) AS text) AS v FROM {t} x WHERE tenant_id IN (:a, :b)"
     for t in TENANT_TABLES]
    + ["SELECT 'tenants' AS k, CAST(row_to_json(x) AS text) AS v FROM tenants x "
       "WHERE id IN (:a, :b)",
       "SELECT 'tenants' AS k, CAST(count(*) AS text) AS v FROM tenants"]
    + [f"SELECT '{t}' AS k, CAST(row_to_json(x) AS text) AS v FROM {t} x"
       for t in GLOBAL_TABLES])


def call(place: Place, qualified: str, args: Args, rows: Rows) -> object:
    """``qualified`` with ``args``; a service on a unit of work runs in the tenant's, which
    then commits whatever the call did or left behind."""
    owner, _, name = qualified.rpartition(".")
    if not owner:  # the catalog's platform look-ups run on the platform connection
        db = place.platform if name in ("asset_tenant", "check_tenant") else place.app
        return getattr(vulnintel, name)(db, **args)
    cls = next(c for c in SERVICES if c.__name__ == owner)
    if cls in (IdentityService,):
        return getattr(cls(place.app, bcrypt_rounds=4, clock=lambda: NOW), name)(**args)
    if cls in (TenancyService, EdgeService):
        return getattr(cls(place.app, clock=lambda: NOW), name)(**args)
    outcome: object = None
    actor = args.pop(ACTOR, Actor(rows.ids["user"]))
    with place.app.tenant(rows.tenant) as tx:
        service = cls(tx, actor, clock=lambda: NOW) if issubclass(cls, Service) else cls(tx)
        try:
            outcome = getattr(service, name)(**args)
        except MonozuError as exc:
            outcome = exc
        tx.select(int, "SELECT 1")  # the unit of work goes on after a refusal
    if isinstance(outcome, MonozuError):
        raise outcome
    return outcome


def _names(param: str, message: str) -> bool:
    leaf = "actor" if param == ACTOR else param.rpartition(".")[2]
    spoken = {leaf, leaf.replace("_", " "), SPOKEN.get(leaf, leaf)}
    return any(s.lower() in message.lower() for s in spoken)


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # too deep, or an int of too many digits
        return f"<a {type(value).__name__} too large to print>"
    return text if len(text) <= 60 else f"{text[:40]}...({len(text)} chars)"


@dataclass
class Walk:
    place: Place
    other: Rows
    failures: list[str] = field(default_factory=list)
    calls: int = 0
    last: tuple[Rows, dict[str, list[str]]] | None = None  # the rows after the last call

    def check(self, qualified: str, param: str, index: int, rows: Rows) -> Rows:
        """One call with ``param`` set to its hostile value ``index`` (no parameter: the
        valid call); the rows to use for the next one (a call that succeeded may have
        used them up, so they are planted again)."""
        args = CALLS[qualified](rows)
        value: object = None
        if param:
            value = values(qualified, param, rows, self.other)[index]
            head, _, leaf = param.partition(".") if param != ACTOR else (param, "", "")
            args[head] = dataclasses.replace(args[head], **{leaf: value}) if leaf else value
        fresh = self.last is None or self.last[0] is not rows or qualified in PREPARED
        before = dump(self.place, rows.tenant, self.other.tenant) if fresh \
            else typing.cast(tuple[Rows, dict[str, list[str]]], self.last)[1]
        self.last = None
        where = f"{qualified}({param}={_shown(value)})" if param else f"valid {qualified}"
        self.calls += 1
        try:
            result = call(self.place, qualified, args, rows)
        except (DomainError, NotFound, ParameterError) as exc:
            if not param:
                self.failures.append(f"{where} refused: {exc}")
                return plant(self.place, "caller")
            message = str(exc)
            if isinstance(exc, ValidationError | ParameterError) and not _names(param, message):
                self.failures.append(f"{where}: the refusal does not name {param}: "
                                     f"{message[:150]}")
            if len(message) > 600:
                self.failures.append(f"{where}: a refusal of {len(message)} characters")
            for name, given in args.items():
                if name in SECRETS and isinstance(given, str) and len(given) >= 6 \
                        and given in message:
                    self.failures.append(f"{where}: the refusal repeats {name}")
            after = dump(self.place, rows.tenant, self.other.tenant)
            if after != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                self.failures.append(f"{where}: refused with {type(exc).__name__} but "
                                     f"changed {changed}")
                return plant(self.place, "caller")
            self.last = (rows, after)
            return rows
        except Exception as exc:  # every other escape is the finding
            self.failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:150]}")
            return plant(self.place, "caller")
        after = dump(self.place, rows.tenant, self.other.tenant)
        foreign = {k for k in after if k.endswith("@theirs") and after[k] != before.get(k)}
        # a device or provisioning key names its own tenant, which the call then acts for
        theirs = param in ("device_key", "provisioning_key") \
            and value == self.other.secrets[param]
        if qualified not in PLATFORM and not theirs:
            if foreign:
                self.failures.append(f"{where}: changed the other tenant's {sorted(foreign)}")
            shown = repr(result)
            leaked = [k for k, v in self.other.ids.items() if str(v) in shown]
            if leaked:
                self.failures.append(f"{where}: returned the other tenant's {leaked}")
        if after != before:
            return plant(self.place, "caller")
        self.last = (rows, after)
        return rows


def values(qualified: str, path: str, rows: Rows, other: Rows) -> list[object]:
    """The hostile values of one parameter, or field of one (``spec.name``), made for the
    caller's current rows."""
    if path == ACTOR:
        return hostile("actor", Actor, rows, other)
    head, _, leaf = path.partition(".")
    hint = typing.get_type_hints(METHODS[qualified], include_extras=True)[head]
    if leaf:
        hint = typing.get_type_hints(hint)[leaf]
    if path == "tenant_id":
        return [None, uuid.uuid4(), "x", str(rows.tenant)]
    if path == "device.tenant_id":  # a forged identity naming another tenant or none
        return [*_uuids(rows, other, None), other.tenant]
    return hostile(leaf or head, hint, rows, other)


def paths(qualified: str) -> Iterator[str]:
    """Every parameter of a call, and every field of a dataclass parameter."""
    hints = typing.get_type_hints(METHODS[qualified], include_extras=True)
    owner = next((c for c in SERVICES if qualified.startswith(f"{c.__name__}.")), None)
    if owner is not None and issubclass(owner, Service):
        yield ACTOR  # a service on a unit of work takes its actor when it is built
    for param in list(inspect.signature(METHODS[qualified]).parameters)[1:]:
        yield param
        hint = hints[param]
        if hint in (DeviceIdentity, AssetSpec):
            yield from (f"{param}.{f.name}" for f in dataclasses.fields(hint))


def cases(rows: Rows, other: Rows) -> Iterator[tuple[str, str, int]]:
    """(method, parameter path, index of the hostile value) for every call."""
    for qualified in sorted(CALLS):
        for path in paths(qualified):
            for index in range(len(values(qualified, path, rows, other))):
                yield qualified, path, index


def test_every_public_call_has_a_valid_call() -> None:
    assert sorted(set(METHODS) - set(CALLS)) == [], "calls without a valid call to vary"
    assert sorted(set(CALLS) - set(METHODS)) == [], "valid calls of methods that are gone"


CONTEXTS = sorted({q.partition(".")[0] if "." in q else "vulnintel" for q in CALLS})


def _context(qualified: str) -> str:
    return qualified.partition(".")[0] if "." in qualified else "vulnintel"


def walk(place: Place, context: str) -> None:
    """Every case of one context's calls on ``place``."""
    other = plant(place, "other")
    walker = Walk(place, other)
    rows = plant(place, "caller")
    mine = sorted(q for q in CALLS if _context(q) == context)
    for qualified in mine:  # the valid call itself is accepted
        rows = walker.check(qualified, "", 0, rows)
    for qualified, param, index in cases(rows, other):
        if qualified in mine:
            rows = walker.check(qualified, param, index, rows)
    if os.environ.get("HOSTILE_OUT"):
        with open(f"{os.environ['HOSTILE_OUT']}.{context}", "w") as out:
            out.write("\n".join(walker.failures))
    assert walker.failures == [], "\n".join(walker.failures)


@pytest.mark.parametrize("context", CONTEXTS)
def test_hostile_arguments_on_sqlite(sqlite_url: str, context: str) -> None:
    Migrator.from_url(sqlite_url).migrate()
    db = Database.open(sqlite_url)
    try:
        db.exec("INSERT INTO cve_catalog (cve_id, cvss_score, is_kev, kev_ransomware) "
                "VALUES (:cve, 9.8, :y, :n)", cve=CVE, y=True, n=False)
        walk(Place(db, db), context)
    finally:
        db.close()


@pytest.mark.parametrize("context", CONTEXTS)
def test_hostile_arguments_on_postgresql_as_the_application_role(app_role: AppRole,
                                                                 context: str) -> None:
    assert rls.enable(app_role.owner).enabled
    app_role.owner.exec("INSERT INTO cve_catalog (cve_id, cvss_score, is_kev, kev_ransomware) "
                        "VALUES (:cve, 9.8, true, false)", cve=CVE)
    walk(Place(app_role.app, app_role.owner, postgresql=True), context)


# -- the refusals the walk found, one by one ----------------------------------------------------

def _two_tenants(db: Database) -> tuple[Rows, Rows]:
    db.exec("INSERT INTO cve_catalog (cve_id, cvss_score, is_kev, kev_ransomware) "
            "VALUES (:cve, 9.8, :y, :n)", cve=CVE, y=True, n=False)
    place = Place(db, db)
    return plant(place, "acme"), plant(place, "globex")


def _on_tx(db: Database, rows: Rows, cls: type) -> Callable[..., object]:
    """A call of a method of ``cls`` (as the tenant's user), each in its own unit of work."""
    def run(method: str, *args: object, **kwargs: object) -> object:
        with db.tenant(rows.tenant) as tx:
            service = cls(tx, Actor(rows.ids["user"])) if issubclass(cls, Service) else cls(tx)
            return getattr(service, method)(*args, **kwargs)
    return run


def _refused(db: Database, rows: Rows, other: Rows, error: type[Exception], match: str,
             work: Callable[[], object]) -> None:
    """``work`` refused with ``error`` (its text matching), and no row of either tenant
    changed."""
    place = Place(db, db)
    before = dump(place, rows.tenant, other.tenant)
    with pytest.raises(error, match=match) as refusal:
        work()
    assert len(str(refusal.value)) < 300
    assert dump(place, rows.tenant, other.tenant) == before


def test_an_actor_who_is_no_user_of_the_tenant_is_not_found(db: Database) -> None:
    # the audit row's, the command's and the timeline event's user reference broke instead
    acme, globex = _two_tenants(db)
    edge = EdgeService(db, clock=lambda: NOW)
    identity = IdentityService(db, bcrypt_rounds=4)
    for actor in (Actor(globex.ids["user"]), Actor(uuid.uuid4()), Actor(acme.ids["site"])):
        calls: list[Callable[[], object]] = [
            lambda a=actor: identity.create_group(acme.tenant, "Engineers", actor=a),
            lambda a=actor: edge.enqueue(acme.tenant, acme.ids["device"], "run_discovery",
                                         actor=a),
            lambda a=actor: TenancyService(db).suspend(acme.tenant, actor=a)]
        for service, method, args in (
                (CmdbService, "create_site", ("Plant 2",)),
                (IncidentService, "create", ("Valve", "high", "high", "high")),
                (IncidentService, "assign", (acme.ids["incident"], acme.ids["user"]))):
            def in_tx(s: Any = service, m: str = method, a: Any = args,
                      who: Actor = actor) -> object:
                with db.tenant(acme.tenant) as tx:
                    return getattr(s(tx, who), m)(*a)
            calls.append(in_tx)
        for work in calls:
            _refused(db, acme, globex, NotFound, f"^actor user {actor.user_id} not found$",
                     work)


@pytest.mark.parametrize("actor", ["system", Actor("x"), 5],  # type: ignore[arg-type]
                         ids=repr)
def test_a_service_checks_its_actor_when_it_is_built(db: Database, actor: object) -> None:
    # it was used as it was, failing at the first change (AttributeError) or its audit row
    tenant = add_tenant(db, "acme")
    with db.tenant(tenant) as tx:
        for service in (CmdbService, IncidentService, SecurityService):
            with pytest.raises(ValidationError, match=r"^actor"):
                service(tx, actor)  # type: ignore[arg-type]


def test_a_row_for_a_tenant_that_does_not_exist_is_not_found(db: Database) -> None:
    # the tenant's foreign key broke instead (an apply_licence wrote the licence first)
    acme, globex = _two_tenants(db)
    missing = uuid.uuid4()
    identity = IdentityService(db, bcrypt_rounds=4)
    for work in (lambda: identity.create_user(missing, "bob@example.com"),
                 lambda: identity.create_group(missing, "Engineers"),
                 lambda: EdgeService(db).create_provisioning_key(missing, "rack"),
                 lambda: TenancyService(db).apply_licence(missing, "standard",
                                                          NOW + timedelta(days=1), ["vpn"])):
        _refused(db, acme, globex, NotFound, f"^tenant {missing} not found$", work)


def test_a_tenant_slug_in_use_is_a_conflict(db: Database) -> None:
    acme, globex = _two_tenants(db)
    _refused(db, acme, globex, Conflict, "slug",
             lambda: TenancyService(db).register("Acme again", acme.slug))


def test_a_refusal_shows_only_the_start_of_a_long_value(db: Database) -> None:
    # each repeated the whole 100,000 characters it refused
    acme, globex = _two_tenants(db)
    edge, device = EdgeService(db, clock=lambda: NOW), acme.device
    window = {"since": NOW - timedelta(days=1), "until": NOW}
    security = _on_tx(db, acme, SecurityService)
    for field_name, work in (
            ("command", lambda: edge.enqueue(acme.tenant, acme.ids["device"], HUGE)),
            ("kind", lambda: edge.events(acme.tenant, kind=HUGE, **window)),
            ("kind", lambda: edge.ingest(device, [EventIn(HUGE, NOW, {})])),
            ("update status", lambda: edge.report_update(device, "edge", to_version="1",
                                                         status=HUGE)),
            ("cve_id", lambda: security("record", acme.ids["asset"], HUGE)),
            ("cve_id", lambda: security("raise_alert", "x", "high", "manual", cve_id=HUGE)),
            ("permission", lambda: IdentityService(db).grant(acme.tenant, acme.ids["group"],
                                                             LONG_SHAPED)),
            ("tenant cannot go", lambda: TenancyService(db).change_status(acme.tenant,
                                                                          HUGE))):
        _refused(db, acme, globex, DomainError, field_name, work)


@pytest.mark.parametrize("kind", [["log"], {"log": 1}], ids=repr)
def test_an_event_kind_of_any_type_is_refused_by_name(db: Database, kind: object) -> None:
    # an unhashable kind raised TypeError from the vocabulary's look-up
    acme, globex = _two_tenants(db)
    _refused(db, acme, globex, ValidationError, "event 1: kind must be",
             lambda: EdgeService(db, clock=lambda: NOW).ingest(
                 acme.device, [EventIn(kind, NOW, {})]))  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [None, 5, "x"], ids=repr)
def test_a_list_of_ids_is_a_list(db: Database, given: object) -> None:
    # None or a number raised TypeError from iterating it
    acme, globex = _two_tenants(db)
    incidents = _on_tx(db, acme, IncidentService)
    _refused(db, acme, globex, ValidationError, "mentions",
             lambda: incidents("comment", acme.ids["incident"], "Hi", given))
    _refused(db, acme, globex, ValidationError, "tenants",
             lambda: vulnintel.match_tenants(db, given))  # type: ignore[arg-type]


@pytest.mark.parametrize(("field_name", "change"), [
    ("action", {"action": "a" * 101}), ("resource_type", {"resource_type": "r" * 101}),
    ("resource_id", {"resource_id": "9" * 101}), ("details", {"details": "text"}),
    ("details", {"details": {"a": float("nan")}})], ids=lambda v: str(v)[:20])
def test_an_audit_row_is_checked_before_it_is_written(db: Database, field_name: str,
                                                      change: Args) -> None:
    # the schema's CHECK constraints refused them instead (a CheckViolation)
    acme, globex = _two_tenants(db)
    args = {**CALLS["AuditRepository.insert"](acme), **change}
    _refused(db, acme, globex, ValidationError, field_name,
             lambda: _on_tx(db, acme, AuditRepository)("insert", **args))


@pytest.mark.parametrize("number", [10**5000, -10**5000], ids=["10**5000", "-10**5000"])
def test_a_number_too_long_to_print_is_refused_by_its_size(db: Database, number: int) -> None:
    # turning it into the refusal's text raised ValueError (more than 4,300 digits)
    acme, globex = _two_tenants(db)
    for field_name, work in (
            ("vlan_number", lambda: _on_tx(db, acme, CmdbService)("create_vlan", number, "V")),
            ("purge_batch", lambda: EdgeService(db, purge_batch=number)),
            ("bcrypt_rounds", lambda: IdentityService(db, bcrypt_rounds=number))):
        _refused(db, acme, globex, ValidationError, f"^{field_name} .*a whole number of "
                 f"{number.bit_length()} bits", work)


def test_an_audit_trail_of_an_id_too_long_to_print_is_empty(db: Database) -> None:
    # str() of it raised ValueError; no stored id is longer than 100 characters
    acme, _ = _two_tenants(db)
    trail = _on_tx(db, acme, AuditRepository)
    assert trail("for_resource", "site", 10**5000) == []
    assert trail("for_resource", "site", acme.ids["site"]) != []
