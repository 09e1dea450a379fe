"""Every public call of the domain contexts has its place in the isolation machine.

A call that takes an id, a cursor, a filter or a bulk of rows is where another tenant's
rows could get in, so each public method of each service (and of the audit repository) is
listed here with what drives it in the machine (``tests/domain/isolation/``): a call table,
whose foreign-id rule passes every entry another tenant's id and a missing one, or the
name of a rule. A method that takes a row id (or a device identity) needs a table naming
it; one that takes a cursor needs a rule that forges one from another tenant's row. A
method without an entry, an entry naming a table without the method, or a rule the machine
lacks, fails here: a new call cannot join a context without joining the machine.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from monozu.domain.audit import AuditRepository
from monozu.domain.cmdb import CmdbService
from monozu.domain.edge import EdgeService
from monozu.domain.identity import IdentityService
from monozu.domain.itsm import ChangeService, IncidentService, KnowledgeService, ProblemService
from monozu.domain.security import SecurityService
from monozu.domain.tenancy import TenancyService
from tests.domain.isolation import World, machine
from tests.domain.isolation.cmdb import (
    ASSET_CALLS,
    DIAGRAM_CALLS,
    SITE_CALLS,
    VLAN_CALLS,
    ZONE_CALLS,
)
from tests.domain.isolation.edge import COMMAND_CALLS, DEVICE_CALLS, KEY_CALLS
from tests.domain.isolation.identity import GROUP_CALLS, USER_CALLS
from tests.domain.isolation.itsm import (
    ARTICLE_CALLS,
    ASSIGNEE_CALLS,
    CHANGE_CALLS,
    INCIDENT_ASSET_CALLS,
    INCIDENT_CALLS,
    INCIDENT_SITE_CALLS,
    PROBLEM_CALLS,
)
from tests.domain.isolation.security import (
    ALERT_CALLS,
    ASSET_SECURITY_CALLS,
    SITE_SECURITY_CALLS,
    VULNERABILITY_CALLS,
)
from tests.domain.test_isolation import CONTEXTS

CLASSES = (CmdbService, IncidentService, ProblemService, ChangeService, KnowledgeService,
           SecurityService, IdentityService, TenancyService, EdgeService, AuditRepository)


class Why(str):
    """Why a method that takes no row id and no cursor is not driven by the machine."""


Table = dict[str, Any]
Ref = Table | str | Why
PLATFORM = Why("platform work over the global tables or every tenant, not a tenant's call")
NAMES_ITS_TENANT = Why("acts on the tenant it names, which is all it reaches")

COVERAGE: dict[str, tuple[Ref, ...]] = {
    # cmdb
    "CmdbService.create_site": ("create_site",),
    "CmdbService.rename_site": (SITE_CALLS,),
    "CmdbService.site": (SITE_CALLS,),
    "CmdbService.sites": ("list_cmdb",),
    "CmdbService.create_zone": (SITE_CALLS,),
    "CmdbService.zone": (ZONE_CALLS,),
    "CmdbService.create_vlan": (SITE_CALLS, ZONE_CALLS),
    "CmdbService.vlan": (VLAN_CALLS,),
    "CmdbService.create_asset": (SITE_CALLS,),
    "CmdbService.update_asset": (ASSET_CALLS, "update_asset"),
    "CmdbService.asset": (ASSET_CALLS,),
    "CmdbService.assets": (SITE_CALLS, "assets_after_another_tenants_asset"),
    "CmdbService.asset_counts": ("list_cmdb",),
    "CmdbService.link_vlan": (ASSET_CALLS, "asset_vlan"),
    "CmdbService.unlink_vlan": (ASSET_CALLS, "asset_vlan"),
    "CmdbService.vlans_of": (ASSET_CALLS,),
    "CmdbService.hierarchy": (SITE_CALLS,),
    "CmdbService.create_diagram": (SITE_CALLS, "create_diagram"),
    "CmdbService.save_diagram": (DIAGRAM_CALLS, "save_diagram"),
    "CmdbService.diagram": (DIAGRAM_CALLS,),
    "CmdbService.diagrams_at": (SITE_CALLS,),
    # itsm
    "IncidentService.set_priority": ("read_incident_settings",),
    "IncidentService.set_sla": ("read_incident_settings",),
    "IncidentService.priority_matrix": ("read_incident_settings",),
    "IncidentService.sla_policies": ("read_incident_settings",),
    "IncidentService.create": (ASSIGNEE_CALLS, INCIDENT_SITE_CALLS, INCIDENT_ASSET_CALLS),
    "IncidentService.transition": (INCIDENT_CALLS, "transition_incident"),
    "IncidentService.assign": (INCIDENT_CALLS, "assign_incident"),
    "IncidentService.comment": (INCIDENT_CALLS, "comment_incident"),
    "IncidentService.get": (INCIDENT_CALLS,),
    "IncidentService.timeline": (INCIDENT_CALLS,),
    "IncidentService.comments": (INCIDENT_CALLS,),
    "IncidentService.page": (INCIDENT_SITE_CALLS, INCIDENT_ASSET_CALLS,
                             "incidents_after_another_tenants_incident"),
    "IncidentService.open_by_priority": ("list_incidents",),
    "IncidentService.mark_breaches": ("mark_breaches",),
    "ProblemService.create": ("create_problem",),
    "ProblemService.transition": (PROBLEM_CALLS,),
    "ProblemService.get": (PROBLEM_CALLS,),
    "ProblemService.by_status": ("read_itsm_rows",),
    "ChangeService.create": ("create_change",),
    "ChangeService.transition": (CHANGE_CALLS,),
    "ChangeService.get": (CHANGE_CALLS,),
    "ChangeService.by_status": ("read_itsm_rows",),
    "KnowledgeService.create": ("create_article",),
    "KnowledgeService.edit": (ARTICLE_CALLS,),
    "KnowledgeService.get": (ARTICLE_CALLS,),
    "KnowledgeService.link_problem": (ARTICLE_CALLS, "article_problem"),
    "KnowledgeService.unlink_problem": (ARTICLE_CALLS, "article_problem"),
    "KnowledgeService.for_problem": (PROBLEM_CALLS,),
    "KnowledgeService.problems_of": (ARTICLE_CALLS,),
    # security
    "SecurityService.record": (ASSET_SECURITY_CALLS,),
    "SecurityService.transition": (VULNERABILITY_CALLS,),
    "SecurityService.get": (VULNERABILITY_CALLS,),
    "SecurityService.by_risk": (SITE_SECURITY_CALLS, "pages_after_another_tenants_rows"),
    "SecurityService.of_asset": (ASSET_SECURITY_CALLS, "pages_after_another_tenants_rows"),
    "SecurityService.raise_alert": (ASSET_SECURITY_CALLS, "foreign_device_is_a_missing_device"),
    "SecurityService.alert_transition": (ALERT_CALLS,),
    "SecurityService.alert": (ALERT_CALLS,),
    "SecurityService.alerts": ("pages_after_another_tenants_rows",),
    # identity
    "IdentityService.create_user": ("create_user",),
    "IdentityService.get_user": (USER_CALLS,),
    "IdentityService.find_user": ("sign_in",),
    "IdentityService.list_users": ("list_users_and_groups", "users_after_another_tenants_user"),
    "IdentityService.rename_user": (USER_CALLS,),
    "IdentityService.change_password": (USER_CALLS,),
    "IdentityService.authenticate": ("sign_in",),
    "IdentityService.login": ("sign_in",),
    "IdentityService.create_group": ("create_group",),
    "IdentityService.get_group": (GROUP_CALLS,),
    "IdentityService.list_groups": ("list_users_and_groups",),
    "IdentityService.rename_group": (GROUP_CALLS,),
    "IdentityService.delete_group": (GROUP_CALLS,),
    "IdentityService.add_member": (USER_CALLS, "membership"),
    "IdentityService.remove_member": (USER_CALLS, "membership"),
    "IdentityService.user_groups": (USER_CALLS,),
    "IdentityService.group_members": (GROUP_CALLS,),
    "IdentityService.grant": (GROUP_CALLS,),
    "IdentityService.revoke": (GROUP_CALLS,),
    "IdentityService.group_permissions": (GROUP_CALLS,),
    "IdentityService.effective_permissions": (USER_CALLS,),
    "IdentityService.has_permission": (USER_CALLS,),
    "IdentityService.settings": (USER_CALLS,),
    "IdentityService.update_settings": (USER_CALLS,),
    "IdentityService.issue_token": (USER_CALLS,),
    "IdentityService.rotate": ("rotate",),
    "IdentityService.revoke_session": ("end_another_tenants_session",),
    "IdentityService.sessions": (USER_CALLS,),
    # tenancy: the tenant is the row
    "TenancyService.register": (PLATFORM,),
    "TenancyService.get": ("read_tenancy",),
    "TenancyService.change_status": ("change_status",),
    "TenancyService.activate": (NAMES_ITS_TENANT,),
    "TenancyService.suspend": (NAMES_ITS_TENANT,),
    "TenancyService.apply_licence": ("apply_licence",),
    "TenancyService.licence": ("read_tenancy",),
    "TenancyService.login_access": (NAMES_ITS_TENANT,),
    "TenancyService.feature_enabled": ("read_tenancy",),
    "TenancyService.may_use": ("read_tenancy",),
    # edge
    "EdgeService.create_provisioning_key": ("create_key",),
    "EdgeService.revoke_provisioning_key": (KEY_CALLS,),
    "EdgeService.provisioning_keys": ("read_edge",),
    "EdgeService.register_device": ("register",),
    "EdgeService.authenticate": ("register",),
    "EdgeService.revoke_device": (DEVICE_CALLS,),
    "EdgeService.devices": ("read_edge",),
    "EdgeService.enqueue": (DEVICE_CALLS,),
    "EdgeService.poll": (DEVICE_CALLS, "poll"),
    "EdgeService.complete": (COMMAND_CALLS, "finish"),
    "EdgeService.fail": (COMMAND_CALLS, "finish"),
    "EdgeService.expire_commands": ("expire_commands",),
    "EdgeService.commands": (DEVICE_CALLS,),
    "EdgeService.publish_release": (PLATFORM,),
    "EdgeService.newest_release": (PLATFORM,),
    "EdgeService.report_update": (DEVICE_CALLS, "report_update"),
    "EdgeService.fleet": ("read_edge",),
    "EdgeService.ingest": (DEVICE_CALLS, "ingest"),
    "EdgeService.events": (DEVICE_CALLS, "events_after_another_tenants_event"),
    "EdgeService.purge": ("purge",),
    "EdgeService.purge_all": (PLATFORM,),
    # audit
    "AuditRepository.insert": ("read_audit",),
    "AuditRepository.page": ("read_audit",),
    "AuditRepository.for_resource": ("read_audit",),
}
# rules that drive a paginated read with a cursor carrying another tenant's row
CURSOR_RULES = {"assets_after_another_tenants_asset", "incidents_after_another_tenants_incident",
                "pages_after_another_tenants_rows", "users_after_another_tenants_user",
                "events_after_another_tenants_event", "read_audit"}
ROW_TYPES = ("UUID", "DeviceIdentity", "AssetSpec")  # annotations naming a row


def public_methods() -> dict[str, Callable[..., Any]]:
    found = {}
    for cls in CLASSES:
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            owner = next(c for c in cls.__mro__ if name in vars(c))
            if not name.startswith("_") and owner.__module__.startswith("monozu.domain.") \
                    and owner.__name__ not in ("Service", "Repository"):
                found[f"{cls.__name__}.{name}"] = member
    return found


def _takes(method: Callable[..., Any]) -> tuple[bool, bool]:
    """Whether ``method`` takes a row id (or a row-naming value) and a cursor."""
    params = [p for p in inspect.signature(method).parameters.values()
              if p.name not in ("self", "tenant_id")]
    row = any(any(t in str(p.annotation) for t in ROW_TYPES) for p in params)
    return row, any(p.name == "cursor" for p in params)


def test_every_public_call_is_listed() -> None:
    methods = public_methods()
    assert sorted(set(methods) - set(COVERAGE)) == [], "calls without an isolation case"
    assert sorted(set(COVERAGE) - set(methods)) == [], "cases of calls that no longer exist"


@pytest.mark.parametrize("qualified", sorted(COVERAGE))
def test_each_call_is_driven_by_the_machine(qualified: str) -> None:
    machine_class = machine(*CONTEXTS, world=World(None, None))  # type: ignore[arg-type]
    method = qualified.split(".")[1]
    refs = COVERAGE[qualified]
    for ref in refs:
        if isinstance(ref, dict):
            assert method in ref, f"{qualified}: its call table has no {method!r} entry"
        elif not isinstance(ref, Why):
            assert callable(getattr(machine_class, ref, None)), f"{qualified}: no rule {ref}"
    takes_row, takes_cursor = _takes(public_methods()[qualified])
    if takes_row:
        assert any(isinstance(r, dict) for r in refs), \
            f"{qualified} takes a row id: a call table must pass it another tenant's"
    if takes_cursor:
        assert CURSOR_RULES & {r for r in refs if isinstance(r, str)}, \
            f"{qualified} takes a cursor: a rule must forge one from another tenant's row"
    if any(isinstance(r, Why) for r in refs):
        assert not takes_row and not takes_cursor, f"{qualified}: a reason cannot stand in " \
            "for a row id or a cursor"
