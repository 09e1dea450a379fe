"""Tenant isolation as a property: random sequences of service calls for three tenants.

:class:`IsolationMachine` owns the three tenants and the audit bookkeeping. Each context
adds a mixin (``class XRules(IsolationMachine)``) that keeps a model of what every tenant
owns and drives that context's calls, writes and reads alike, with ids drawn from all
three tenants: each call's result is compared with the model (another tenant's id must
behave like a missing one: ``NotFound``, or ``Unauthorized`` for a token). After every
step its ``@invariant`` compares the rows stored for each tenant, read over the platform
connection that sees every tenant, with the model, so a call that changed or deleted
another tenant's row, or wrote an audit row for a refused call, fails the run.
:func:`machine` combines the mixins into one state machine, so the contexts' calls
interleave.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar, cast

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from monozu.db import Database, MonozuError, NotFound, Tx
from monozu.db.models import Incident, SecurityAlert, Vulnerability
from monozu.domain.audit import Actor
from monozu.domain.cmdb import AssetSpec, CmdbService, DiagramView
from monozu.domain.errors import Conflict, InvalidTransition, Unauthorized, ValidationError
from monozu.domain.identity import IdentityService
from monozu.domain.itsm import (
    ChangeService,
    IncidentService,
    IncidentView,
    KnowledgeService,
    ProblemService,
)
from monozu.domain.itsm.types import (
    ACTIVE_INCIDENT,
    CHANGE_MOVES,
    CHANGE_STATUSES,
    CHANGE_TYPES,
    INCIDENT_MOVES,
    INCIDENT_STATUSES,
    PROBLEM_MOVES,
    PROBLEM_STATUSES,
)
from monozu.domain.paging import Page
from monozu.domain.security import SecurityService
from monozu.domain.security.types import (
    ALERT_MOVES,
    ALERT_STATUSES,
    VULNERABILITY_MOVES,
    VULNERABILITY_STATUSES,
)
from monozu.domain.tenancy import FEATURES, TRANSITIONS, TenancyService
from tests.domain.conftest import add_tenant

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TENANTS = 3
SETTINGS = settings(max_examples=15, stateful_step_count=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
E = TypeVar("E", bound=BaseException)
R = TypeVar("R")
NIL = uuid.UUID(int=0)  # a second id of a call that takes two: never any tenant's row
Owned = tuple[int, uuid.UUID]  # (owning tenant, row id)
tenant_index = st.integers(0, TENANTS - 1)
other_tenant = st.integers(1, TENANTS - 1)  # added to the owner: another tenant


@dataclass(frozen=True)
class World:
    """``app``: the connection services use; ``platform``: sees every tenant's rows."""

    app: Database
    platform: Database


def refused(error: type[E], call: Callable[[], object], match: str | None = None) -> E:
    with pytest.raises(error, match=match) as info:
        call()
    return info.value


def not_found(what: str, row_id: uuid.UUID) -> str:
    """The message of a missing row, as every service words it (a pattern for ``match``)."""
    return f"^{re.escape(what)} {row_id} not found$"


class IsolationMachine(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        self.tenants = [add_tenant(self.world.platform, f"iso-{n}-{uuid.uuid4().hex[:12]}")
                        for n in range(TENANTS)]
        self.audited: Counter[int] = Counter()

    def platform_rows(self, sql: str) -> dict[int, list[tuple[Any, ...]]]:
        """Rows of ``sql`` (first column the tenant id, filtered to ``:tenants``) per tenant."""
        index = {t: n for n, t in enumerate(self.tenants)}
        found: dict[int, list[tuple[Any, ...]]] = {n: [] for n in range(TENANTS)}
        params = {f"tenant{n}": t for n, t in enumerate(self.tenants)}
        sql = sql.replace(":tenants", ", ".join(f":{p}" for p in params))
        for row in self.world.platform.select(dict, sql, params):
            tenant, *rest = row.values()
            found[index[_uuid(tenant)]].append(tuple(rest))
        return found

    def owns(self, t: int, row: Owned, table: Container[uuid.UUID]) -> bool:
        """Whether ``row`` is one of tenant ``t``'s live rows (not another's, nor deleted)."""
        return row[0] == t and row[1] in table

    def in_tenant(self, t: int, work: Callable[[Tx], R]) -> R:
        """``work`` in one unit of work of tenant ``t``, committed."""
        with self.world.app.tenant(self.tenants[t]) as tx:
            return work(tx)

    def refused_in(self, t: int, error: type[E], work: Callable[[Tx], object],
                   match: str | None = None) -> E:
        """``work`` refused with ``error`` inside a unit of work that then commits, so
        whatever the refused call left behind would be stored (and seen by the invariants)."""
        return self.in_tenant(t, lambda tx: refused(error, lambda: work(tx), match))

    def same_as_missing(self, t: int, call: Callable[[int, uuid.UUID], object],
                        foreign: uuid.UUID) -> None:
        """Tenant ``t`` passing another tenant's id to ``call`` gets what a missing id gets:
        ``NotFound`` of the same wording; the invariants then show nothing changed."""
        seen = []
        for row_id in (foreign, uuid.uuid4()):
            error = refused(MonozuError, partial(call, t, row_id))
            seen.append((type(error), str(error).replace(str(row_id), "<id>")))
        assert seen[0] == seen[1]
        assert seen[0][0] is NotFound, seen[0]

    @invariant()
    def audit_rows_are_written_only_for_each_tenants_own_changes(self) -> None:
        counts = self.platform_rows("SELECT tenant_id FROM audit_logs "
                                    "WHERE tenant_id IN (:tenants)")
        assert {n: len(rows) for n, rows in counts.items()} == \
            {n: self.audited[n] for n in range(TENANTS)}


def foreign_id_rule(bundle: Bundle[Owned], calls: dict[str, Any],
                    bind: str) -> Callable[..., None]:
    """A rule: a row of ``bundle`` passed to any of ``calls`` by another tenant than its owner
    is a missing id there (:meth:`IsolationMachine.same_as_missing`); ``bind`` names the
    machine's method that makes a call of the table callable as ``(tenant index, id)``. The
    rule is named ``foreign_<bundle>_in_<context>_calls``, as the mixins name its attribute."""
    def foreign_id_is_a_missing_id(self: IsolationMachine, row: Owned, shift: int,
                                   call: str) -> None:
        self.same_as_missing((row[0] + shift) % TENANTS, getattr(self, bind)(calls[call]),
                             row[1])
    foreign_id_is_a_missing_id.__name__ = f"foreign_{bundle.name}_in_{bind[1:-5]}_calls"
    return rule(row=bundle, shift=other_tenant,
                call=st.sampled_from(sorted(calls)))(foreign_id_is_a_missing_id)


def machine(*contexts: type[IsolationMachine], world: World) -> type[RuleBasedStateMachine]:
    """One state machine driving every context's rules against ``world``."""
    return type("Isolation", contexts, {"world": world})


# ---------------------------------------------------------------------------- tenancy


class TenancyRules(IsolationMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tenancy = TenancyService(self.world.app, grace=timedelta(days=7), clock=lambda: NOW)
        self.status = ["active"] * TENANTS
        self.licence: list[tuple[str, frozenset[str]] | None] = [None] * TENANTS

    @rule(t=st.integers(0, TENANTS - 1), wanted=st.sampled_from(["pending", "active",
                                                                 "suspended"]))
    def change_status(self, t: int, wanted: str) -> None:
        call = partial(self.tenancy.change_status, self.tenants[t], wanted)
        if wanted in TRANSITIONS[self.status[t]]:
            assert call().status == wanted
            self.status[t] = wanted
            self.audited[t] += 1
        else:
            refused(InvalidTransition, call)

    @rule(t=st.integers(0, TENANTS - 1), plan=st.sampled_from(["standard", "enterprise"]),
          features=st.frozensets(st.sampled_from(sorted(FEATURES))))
    def apply_licence(self, t: int, plan: str, features: frozenset[str]) -> None:
        self.tenancy.apply_licence(self.tenants[t], plan, NOW + timedelta(days=30), features)
        self.licence[t] = (plan, features)
        self.audited[t] += 1

    @rule(t=st.integers(0, TENANTS - 1))
    def read_tenancy(self, t: int) -> None:
        tenant, licence = self.tenants[t], self.tenancy.licence(self.tenants[t])
        assert self.tenancy.get(tenant).status == self.status[t]
        seen = None if licence is None else (licence.plan, licence.features)
        assert seen == self.licence[t]
        assert self.tenancy.may_use(tenant, "vpn") == (
            self.status[t] == "active" and seen is not None and "vpn" in seen[1])

    @invariant()
    def each_tenants_stored_tenancy_rows_are_its_own(self) -> None:
        status = self.platform_rows("SELECT id, status FROM tenants WHERE id IN (:tenants)")
        plans = self.platform_rows("SELECT tenant_id, plan FROM tenant_licenses "
                                   "WHERE tenant_id IN (:tenants)")
        features = self.platform_rows("SELECT tenant_id, feature FROM tenant_features "
                                      "WHERE tenant_id IN (:tenants) AND enabled = TRUE")
        for n in range(TENANTS):
            licence = self.licence[n]
            assert status[n] == [(self.status[n],)]
            assert plans[n] == ([] if licence is None else [(licence[0],)])
            assert {f for (f,) in features[n]} == (licence[1] if licence else set())


# ---------------------------------------------------------------------------- identity

PASSWORD = "Correct-Horse-42"
PERMISSIONS = ["incidents:write", "assets:read", "users:write"]


@dataclass
class TokenModel:
    id: uuid.UUID
    owner: int
    user_id: uuid.UUID
    family: int
    replaced: bool = False
    revoked: bool = False


@dataclass
class IdentityModel:
    users: dict[uuid.UUID, tuple[str, str | None]] = field(default_factory=dict)
    groups: dict[uuid.UUID, str] = field(default_factory=dict)
    members: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    grants: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    themes: dict[uuid.UUID, str] = field(default_factory=dict)




IdCall = Callable[[Any, uuid.UUID, uuid.UUID], object]  # (service, tenant, row id)
USER_CALLS: dict[str, IdCall] = {
    "get_user": IdentityService.get_user,
    "rename_user": lambda svc, tenant, i: svc.rename_user(tenant, i, "Eve"),
    "update_settings": lambda svc, tenant, i: svc.update_settings(tenant, i, theme="dark"),
    "settings": IdentityService.settings,
    "user_groups": IdentityService.user_groups,
    "effective_permissions": IdentityService.effective_permissions,
    "sessions": IdentityService.sessions,
    "issue_token": IdentityService.issue_token,
}
GROUP_CALLS: dict[str, IdCall] = {
    "get_group": IdentityService.get_group,
    "rename_group": lambda svc, tenant, i: svc.rename_group(tenant, i, "NOC"),
    "delete_group": IdentityService.delete_group,
    "group_members": IdentityService.group_members,
    "group_permissions": IdentityService.group_permissions,
    "grant": lambda svc, tenant, i: svc.grant(tenant, i, PERMISSIONS[0]),
}


class IdentityRules(IsolationMachine):
    users = Bundle("users")
    groups = Bundle("groups")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.identity = IdentityService(self.world.app, bcrypt_rounds=4, clock=lambda: NOW)
        self.model = [IdentityModel() for _ in range(TENANTS)]
        self.token_model: dict[str, TokenModel] = {}
        self.families = 0

    def _missing(self, t: int, *rows: tuple[Owned, dict[uuid.UUID, Any]]) -> bool:
        """Whether any of ``rows`` is not one of tenant ``t``'s (another's or deleted)."""
        return any(owner != t or row_id not in table for (owner, row_id), table in rows)

    # another tenant's id, passed to any call taking one
    def _identity_call(self, call: IdCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: call(self.identity, self.tenants[t], row_id)

    foreign_users_in_identity_calls = foreign_id_rule(users, USER_CALLS, "_identity_call")
    foreign_groups_in_identity_calls = foreign_id_rule(groups, GROUP_CALLS, "_identity_call")

    @initialize(target=users, t=tenant_index)
    def seed_user(self, t: int) -> Owned:
        return self.create_user(t, "dee", False, False)

    @initialize(target=groups, t=tenant_index)
    def seed_group(self, t: int) -> Owned:
        return self.create_group(t, "Ops")

    # users
    @rule(target=users, t=tenant_index, name=st.sampled_from(["ann", "bob", "cy"]),
          shout=st.booleans(), password=st.booleans())
    def create_user(self, t: int, name: str, shout: bool, password: bool) -> Owned:
        email = f"{name}@tenant.test"
        call = partial(self.identity.create_user, self.tenants[t],
                       email.upper() if shout else email,
                       password=PASSWORD if password else None)
        if any(e == email for e, _ in self.model[t].users.values()):
            refused(Conflict, call)
            return (t, uuid.uuid4())  # never created: a missing id from now on
        account = call()
        self.model[t].users[account.id] = (email, None)
        self.audited[t] += 1
        return (t, account.id)

    @rule(t=tenant_index, user=users, name=st.sampled_from(["Ann", "Mallory"]))
    def rename_user(self, t: int, user: Owned, name: str) -> None:
        call = partial(self.identity.rename_user, self.tenants[t], user[1], name)
        if self._missing(t, (user, self.model[t].users)):
            refused(NotFound, call)
            return
        call()
        self.model[t].users[user[1]] = (self.model[t].users[user[1]][0], name)
        self.audited[t] += 1

    @rule(t=tenant_index, user=users, theme=st.sampled_from(["light", "dark"]))
    def change_theme(self, t: int, user: Owned, theme: str) -> None:
        call = partial(self.identity.update_settings, self.tenants[t], user[1], theme=theme)
        if self._missing(t, (user, self.model[t].users)):
            refused(NotFound, call)
            return
        call()
        self.model[t].themes[user[1]] = theme
        self.audited[t] += 1

    # groups
    @rule(target=groups, t=tenant_index, name=st.sampled_from(["Ops", "Sec"]))
    def create_group(self, t: int, name: str) -> Owned:
        call = partial(self.identity.create_group, self.tenants[t], name)
        if name in self.model[t].groups.values():
            refused(Conflict, call)
            return (t, uuid.uuid4())
        group = call()
        self.model[t].groups[group.id] = name
        self.audited[t] += 1
        return (t, group.id)

    @rule(t=tenant_index, group=groups, name=st.sampled_from(["Ops", "Sec", "NOC"]))
    def rename_group(self, t: int, group: Owned, name: str) -> None:
        call = partial(self.identity.rename_group, self.tenants[t], group[1], name)
        groups = self.model[t].groups
        if self._missing(t, (group, groups)):
            refused(NotFound, call)
        elif groups[group[1]] == name:
            call()  # unchanged: no audit row
        elif name in groups.values():
            refused(Conflict, call)
        else:
            call()
            groups[group[1]] = name
            self.audited[t] += 1

    @rule(t=tenant_index, group=groups)
    def delete_group(self, t: int, group: Owned) -> None:
        call = partial(self.identity.delete_group, self.tenants[t], group[1])
        m = self.model[t]
        if self._missing(t, (group, m.groups)):
            refused(NotFound, call)
            return
        call()
        del m.groups[group[1]]
        m.members = {(u, g) for u, g in m.members if g != group[1]}
        m.grants = {(g, p) for g, p in m.grants if g != group[1]}
        self.audited[t] += 1

    @rule(t=tenant_index, user=users, group=groups, join=st.booleans())
    def membership(self, t: int, user: Owned, group: Owned, join: bool) -> None:
        m = self.model[t]
        verb = self.identity.add_member if join else self.identity.remove_member
        call = partial(verb, self.tenants[t], user[1], group[1])
        if self._missing(t, (user, m.users), (group, m.groups)):
            refused(NotFound, call)
            return
        pair = (user[1], group[1])
        changed = (pair not in m.members) if join else (pair in m.members)
        assert call() is changed
        if changed:
            (m.members.add if join else m.members.discard)(pair)
            self.audited[t] += 1

    @rule(t=tenant_index, group=groups, permission=st.sampled_from(PERMISSIONS),
          give=st.booleans())
    def permission(self, t: int, group: Owned, permission: str, give: bool) -> None:
        m = self.model[t]
        verb = self.identity.grant if give else self.identity.revoke
        call = partial(verb, self.tenants[t], group[1], permission)
        if self._missing(t, (group, m.groups)):
            refused(NotFound, call)
            return
        pair = (group[1], permission)
        changed = (pair not in m.grants) if give else (pair in m.grants)
        assert call() is changed
        if changed:
            (m.grants.add if give else m.grants.discard)(pair)
            self.audited[t] += 1

    # refresh tokens
    @rule(target=tokens, t=tenant_index, user=users)
    def issue_token(self, t: int, user: Owned) -> str:
        call = partial(self.identity.issue_token, self.tenants[t], user[1])
        if self._missing(t, (user, self.model[t].users)):
            refused(NotFound, call)
            return "never-issued"
        issued = call()
        self.families += 1
        self.token_model[issued.token] = TokenModel(issued.id, t, user[1], self.families)
        self.audited[t] += 1
        return issued.token

    @rule(target=tokens, t=tenant_index, token=tokens)
    def rotate(self, t: int, token: str) -> str:
        known = self.token_model.get(token)
        call = partial(self.identity.rotate, self.tenants[t], token)
        if known is None or known.owner != t:
            refused(Unauthorized, call, "not recognised")
            return "never-issued"
        self.audited[t] += 1
        if known.replaced or known.revoked:
            refused(Unauthorized, call, "already used")
            for other in self.token_model.values():
                if other.family == known.family:
                    other.revoked = True
            return "never-issued"
        issued = call()
        known.replaced = True
        self.token_model[issued.token] = TokenModel(issued.id, t, known.user_id, known.family)
        return issued.token

    # what each tenant reads, and what is stored for it
    @rule(t=tenant_index, user=users)
    def read_user(self, t: int, user: Owned) -> None:
        """A user's groups, permissions, settings and sessions as tenant ``t`` reads them."""
        m, user_id, tenant = self.model[t], user[1], self.tenants[t]
        reads: list[Callable[[], object]] = [
            partial(self.identity.get_user, tenant, user_id),
            partial(self.identity.user_groups, tenant, user_id),
            partial(self.identity.effective_permissions, tenant, user_id),
            partial(self.identity.settings, tenant, user_id),
            partial(self.identity.sessions, tenant, user_id)]
        if self._missing(t, (user, m.users)):
            for read in reads:
                refused(NotFound, read)
            return
        assert self.identity.get_user(tenant, user_id).email == m.users[user_id][0]
        groups = {g for u, g in m.members if u == user_id}
        assert {g.id for g in self.identity.user_groups(tenant, user_id)} == groups
        assert self.identity.effective_permissions(tenant, user_id) == \
            {p for g, p in m.grants if g in groups}
        assert self.identity.settings(tenant, user_id).theme == m.themes.get(user_id, "system")
        assert {k.id for k in self.identity.sessions(tenant, user_id)} == \
            {k.id for k in self.token_model.values() if k.owner == t and k.user_id == user_id}

    @rule(t=tenant_index, group=groups)
    def read_group(self, t: int, group: Owned) -> None:
        m, group_id, tenant = self.model[t], group[1], self.tenants[t]
        reads: list[Callable[[], object]] = [
            partial(self.identity.get_group, tenant, group_id),
            partial(self.identity.group_members, tenant, group_id),
            partial(self.identity.group_permissions, tenant, group_id)]
        if self._missing(t, (group, m.groups)):
            for read in reads:
                refused(NotFound, read)
            return
        assert self.identity.get_group(tenant, group_id).name == m.groups[group_id]
        assert set(self.identity.group_members(tenant, group_id)) == \
            {u for u, g in m.members if g == group_id}
        assert self.identity.group_permissions(tenant, group_id) == \
            {p for g, p in m.grants if g == group_id}

    @rule(t=tenant_index)
    def list_users_and_groups(self, t: int) -> None:
        m, tenant = self.model[t], self.tenants[t]
        page = self.identity.list_users(tenant, limit=100)
        assert {(a.id, a.email, a.display_name) for a in page.items} == \
            {(u, e, d) for u, (e, d) in m.users.items()}
        assert {g.id: g.name for g in self.identity.list_groups(tenant)} == m.groups

    @invariant()
    def each_tenants_stored_identity_rows_are_its_own(self) -> None:
        users = self.platform_rows("SELECT tenant_id, id, email, display_name FROM users "
                                   "WHERE tenant_id IN (:tenants)")
        groups = self.platform_rows("SELECT tenant_id, id, name FROM groups "
                                    "WHERE tenant_id IN (:tenants)")
        members = self.platform_rows("SELECT tenant_id, user_id, group_id FROM user_groups "
                                     "WHERE tenant_id IN (:tenants)")
        grants = self.platform_rows("SELECT tenant_id, group_id, permission "
                                    "FROM group_permissions WHERE tenant_id IN (:tenants)")
        tokens = self.platform_rows("SELECT tenant_id, id, replaced_by, revoked_at "
                                    "FROM refresh_tokens WHERE tenant_id IN (:tenants)")
        themes = self.platform_rows("SELECT tenant_id, user_id, theme FROM user_settings "
                                    "WHERE tenant_id IN (:tenants)")
        for n in range(TENANTS):
            m = self.model[n]
            assert {_uuid(u): (e, d) for u, e, d in users[n]} == m.users
            assert {_uuid(g): name for g, name in groups[n]} == m.groups
            assert {(_uuid(u), _uuid(g)) for u, g in members[n]} == m.members
            assert {(_uuid(g), p) for g, p in grants[n]} == m.grants
            assert {_uuid(u): theme for u, theme in themes[n]} == m.themes
            stored = {_uuid(i): (r is not None, v is not None) for i, r, v in tokens[n]}
            assert stored == {k.id: (k.replaced, k.revoked)
                              for k in self.token_model.values() if k.owner == n}


def _uuid(value: object) -> uuid.UUID:
    """A uuid column read as a plain value (SQLite keeps the 16 bytes)."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value)
    return uuid.UUID(str(value))



# ---------------------------------------------------------------------------- cmdb

@dataclass
class CmdbModel:
    sites: dict[uuid.UUID, str] = field(default_factory=dict)             # id -> name
    zones: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)  # id -> site
    vlans: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)  # id -> site
    assets: dict[uuid.UUID, tuple[str, uuid.UUID]] = field(default_factory=dict)  # name, site
    links: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)  # (asset, VLAN)
    diagrams: dict[uuid.UUID, tuple[uuid.UUID, str, frozenset[uuid.UUID]]] = field(
        default_factory=dict)  # id -> (site, name, linked assets)

    def at_site(self, table: dict[uuid.UUID, Any], site: uuid.UUID) -> set[uuid.UUID]:
        return {i for i, v in table.items() if (v[-1] if isinstance(v, tuple) else v) == site}


def _spec(site_id: uuid.UUID, name: str = "PLC") -> AssetSpec:
    return AssetSpec(name=name, type="plc", site_id=site_id)


CmdbCall = Callable[[CmdbService, uuid.UUID], object]
SITE_CALLS: dict[str, CmdbCall] = {
    "site": CmdbService.site,
    "rename_site": lambda svc, i: svc.rename_site(i, "Plant"),
    "create_zone": lambda svc, i: svc.create_zone("Cell", site_id=i),
    "create_vlan": lambda svc, i: svc.create_vlan(10, "Ctl", site_id=i),
    "create_asset": lambda svc, i: svc.create_asset(_spec(i)),
    "assets": lambda svc, i: svc.assets(site_id=i),
    "hierarchy": CmdbService.hierarchy,
    "create_diagram": lambda svc, i: svc.create_diagram(i, "Net"),
    "diagrams_at": CmdbService.diagrams_at,
}
ZONE_CALLS: dict[str, CmdbCall] = {
    "zone": CmdbService.zone,
    "create_vlan": lambda svc, i: svc.create_vlan(10, "Ctl", zone_id=i),
}
VLAN_CALLS: dict[str, CmdbCall] = {
    "vlan": CmdbService.vlan,
}
ASSET_CALLS: dict[str, CmdbCall] = {
    "asset": CmdbService.asset,
    "update_asset": lambda svc, i: svc.update_asset(i, _spec(NIL)),
    "vlans_of": CmdbService.vlans_of,
    "link_vlan": lambda svc, i: svc.link_vlan(i, NIL),
    "unlink_vlan": lambda svc, i: svc.unlink_vlan(i, NIL),
}
DIAGRAM_CALLS: dict[str, CmdbCall] = {
    "diagram": CmdbService.diagram,
    "save_diagram": lambda svc, i: svc.save_diagram(i, "Net"),
}


class CmdbRules(IsolationMachine):
    sites = Bundle("sites")
    zones = Bundle("zones")
    vlans = Bundle("vlans")
    assets = Bundle("assets")
    diagrams = Bundle("diagrams")

    def __init__(self) -> None:
        super().__init__()
        self.cmdb_model = [CmdbModel() for _ in range(TENANTS)]

    def cmdb(self, t: int, work: Callable[[CmdbService], R]) -> R:
        return self.in_tenant(t, lambda tx: work(CmdbService(tx, clock=lambda: NOW)))

    def cmdb_refused(self, t: int, error: type[E], work: Callable[[CmdbService], object],
                     match: str | None = None) -> E:
        return self.refused_in(t, error, lambda tx: work(CmdbService(tx, clock=lambda: NOW)),
                               match)

    def _cmdb_call(self, call: CmdbCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: self.cmdb(t, lambda svc: call(svc, row_id))

    # another tenant's id, passed to any call taking one
    foreign_sites_in_cmdb_calls = foreign_id_rule(sites, SITE_CALLS, "_cmdb_call")
    foreign_zones_in_cmdb_calls = foreign_id_rule(zones, ZONE_CALLS, "_cmdb_call")
    foreign_vlans_in_cmdb_calls = foreign_id_rule(vlans, VLAN_CALLS, "_cmdb_call")
    foreign_assets_in_cmdb_calls = foreign_id_rule(assets, ASSET_CALLS, "_cmdb_call")
    foreign_diagrams_in_cmdb_calls = foreign_id_rule(diagrams, DIAGRAM_CALLS, "_cmdb_call")

    # one row of each kind to start from, so every rule can run from the first step
    @initialize(target=sites, t=tenant_index)
    def seed_site(self, t: int) -> Owned:
        return self.create_site(t, "Plant A")

    @initialize(target=zones, t=tenant_index)
    def seed_zone(self, t: int) -> Owned:
        return self.create_zone(t, self.create_site(t, "Plant B"), True)

    @initialize(target=vlans, t=tenant_index)
    def seed_vlan(self, t: int) -> Owned:
        return self.create_vlan(t, (t, uuid.uuid4()), self.create_site(t, "Plant C"),
                                False, True)

    @initialize(target=assets, t=tenant_index)
    def seed_asset(self, t: int) -> Owned:
        return self.create_asset(t, self.create_site(t, "Plant D"), "PLC-1")

    @initialize(target=diagrams, t=tenant_index)
    def seed_diagram(self, t: int) -> Owned:
        return self.create_diagram(t, self.create_site(t, "Plant E"), [])

    # sites, zones, VLANs
    @rule(target=sites, t=tenant_index, name=st.sampled_from(["Plant A", "Plant B"]))
    def create_site(self, t: int, name: str) -> Owned:
        site = self.cmdb(t, lambda svc: svc.create_site(name))
        self.cmdb_model[t].sites[site.id] = name
        self.audited[t] += 1
        return (t, site.id)

    @rule(t=tenant_index, site=sites, name=st.sampled_from(["Plant A", "Office"]))
    def rename_site(self, t: int, site: Owned, name: str) -> None:
        m = self.cmdb_model[t]
        if not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.rename_site(site[1], name),
                              not_found("site", site[1]))
            return
        assert self.cmdb(t, lambda svc: svc.rename_site(site[1], name)).name == name
        m.sites[site[1]] = name
        self.audited[t] += 1

    @rule(target=zones, t=tenant_index, site=sites, at_site=st.booleans())
    def create_zone(self, t: int, site: Owned, at_site: bool) -> Owned:
        m, site_id = self.cmdb_model[t], site[1] if at_site else None
        if at_site and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.create_zone("Cell", site_id),
                              not_found("site", site[1]))
            return (t, uuid.uuid4())
        zone = self.cmdb(t, lambda svc: svc.create_zone("Cell", site_id))
        m.zones[zone.id] = site_id
        self.audited[t] += 1
        return (t, zone.id)

    @rule(target=vlans, t=tenant_index, zone=zones, site=sites, in_zone=st.booleans(),
          at_site=st.booleans())
    def create_vlan(self, t: int, zone: Owned, site: Owned, in_zone: bool,
                    at_site: bool) -> Owned:
        m = self.cmdb_model[t]
        zone_id, site_id = zone[1] if in_zone else None, site[1] if at_site else None

        def call(svc: CmdbService) -> object:
            return svc.create_vlan(20, "Control", zone_id=zone_id, site_id=site_id)
        if at_site and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
        elif in_zone and not self.owns(t, zone, m.zones):
            self.cmdb_refused(t, NotFound, call, not_found("zone", zone[1]))
        elif in_zone and m.zones[zone[1]] is not None \
                and site_id not in (None, m.zones[zone[1]]):
            self.cmdb_refused(t, ValidationError, call, "belongs to another site")
        else:
            vlan = self.cmdb(t, call)
            m.vlans[vlan.id] = (m.zones[zone[1]] if in_zone else None) or site_id
            self.audited[t] += 1
            return (t, vlan.id)
        return (t, uuid.uuid4())

    # assets and their VLANs
    @rule(target=assets, t=tenant_index, site=sites, name=st.sampled_from(["PLC-1", "HMI-1"]))
    def create_asset(self, t: int, site: Owned, name: str) -> Owned:
        m = self.cmdb_model[t]
        if not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.create_asset(_spec(site[1], name)),
                              not_found("site", site[1]))
            return (t, uuid.uuid4())
        asset = self.cmdb(t, lambda svc: svc.create_asset(_spec(site[1], name)))
        m.assets[asset.id] = (name, site[1])
        self.audited[t] += 1
        return (t, asset.id)

    @rule(t=tenant_index, asset=assets, site=sites, name=st.sampled_from(["PLC-1", "PLC-2"]))
    def update_asset(self, t: int, asset: Owned, site: Owned, name: str) -> None:
        m = self.cmdb_model[t]

        def call(svc: CmdbService) -> object:
            return svc.update_asset(asset[1], _spec(site[1], name))
        if not self.owns(t, asset, m.assets):
            self.cmdb_refused(t, NotFound, call, not_found("asset", asset[1]))
            return
        if m.assets[asset[1]][1] != site[1]:
            if not self.owns(t, site, m.sites):
                self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
                return
            if any(a == asset[1] and m.vlans[v] not in (None, site[1]) for a, v in m.links):
                self.cmdb_refused(t, ValidationError, call, "belongs to another site")
                return
        self.cmdb(t, call)
        m.assets[asset[1]] = (name, site[1])
        self.audited[t] += 1

    @rule(t=tenant_index, asset=assets, vlan=vlans, join=st.booleans())
    def asset_vlan(self, t: int, asset: Owned, vlan: Owned, join: bool) -> None:
        m, pair = self.cmdb_model[t], (asset[1], vlan[1])

        def call(svc: CmdbService) -> None:
            (svc.link_vlan if join else svc.unlink_vlan)(*pair)
        if not self.owns(t, asset, m.assets):
            self.cmdb_refused(t, NotFound, call, not_found("asset", asset[1]))
        elif not self.owns(t, vlan, m.vlans):
            self.cmdb_refused(t, NotFound, call, not_found("VLAN", vlan[1]))
        elif join and m.vlans[vlan[1]] not in (None, m.assets[asset[1]][1]):
            self.cmdb_refused(t, ValidationError, call, "belongs to another site")
        else:
            self.cmdb(t, call)
            if (pair in m.links) != join:
                (m.links.add if join else m.links.discard)(pair)
                self.audited[t] += 1

    # diagrams
    def _diagram_refusal(self, t: int, site: Owned | None, assets: list[Owned],
                         call: Callable[[CmdbService], object]) -> bool:
        """Refuse ``call`` as the service must when the site or an asset is not ``t``'s."""
        m = self.cmdb_model[t]
        if site is not None and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
            return True
        owned = {a[1] for a in assets if self.owns(t, a, m.assets)}
        missing = sorted({a[1] for a in assets} - owned)
        if missing:
            self.cmdb_refused(t, NotFound, call, not_found("asset", missing[0]))
        return bool(missing)

    @rule(target=diagrams, t=tenant_index, site=sites, assets=st.lists(assets, max_size=3))
    def create_diagram(self, t: int, site: Owned, assets: list[Owned]) -> Owned:
        ids = [a[1] for a in assets]

        def call(svc: CmdbService) -> DiagramView:
            return svc.create_diagram(site[1], "Network", data={"nodes": []}, asset_ids=ids)
        if self._diagram_refusal(t, site, assets, call):
            return (t, uuid.uuid4())
        view = self.cmdb(t, call)
        self.cmdb_model[t].diagrams[view.diagram.id] = (site[1], "Network", frozenset(ids))
        self.audited[t] += 1
        return (t, view.diagram.id)

    @rule(t=tenant_index, diagram=diagrams, assets=st.lists(assets, max_size=3),
          name=st.sampled_from(["Network", "Cell 1"]))
    def save_diagram(self, t: int, diagram: Owned, assets: list[Owned], name: str) -> None:
        m, ids = self.cmdb_model[t], [a[1] for a in assets]

        def call(svc: CmdbService) -> DiagramView:
            return svc.save_diagram(diagram[1], name, asset_ids=ids)
        if not self.owns(t, diagram, m.diagrams):
            self.cmdb_refused(t, NotFound, call, not_found("diagram", diagram[1]))
        elif not self._diagram_refusal(t, None, assets, call):
            assert set(self.cmdb(t, call).asset_ids) == set(ids)
            m.diagrams[diagram[1]] = (m.diagrams[diagram[1]][0], name, frozenset(ids))
            self.audited[t] += 1

    # what each tenant reads
    @rule(t=tenant_index, site=sites)
    def read_site(self, t: int, site: Owned) -> None:
        m, site_id = self.cmdb_model[t], site[1]
        reads: list[Callable[[CmdbService], object]] = [
            partial(CmdbService.site, site_id=site_id),
            partial(CmdbService.hierarchy, site_id=site_id),
            partial(CmdbService.diagrams_at, site_id=site_id),
            lambda svc: svc.assets(site_id=site_id)]
        if not self.owns(t, site, m.sites):
            for read in reads:
                self.cmdb_refused(t, NotFound, read, not_found("site", site_id))
            return
        tree = self.cmdb(t, lambda svc: svc.hierarchy(site_id))
        assert tree.site.name == m.sites[site_id]
        assert {z.zone.id for z in tree.zones} == m.at_site(m.zones, site_id)
        nodes = [n for z in tree.zones for n in z.vlans] + tree.loose_vlans
        assert {n.vlan.id for n in nodes} == m.at_site(m.vlans, site_id)
        here = m.at_site(m.assets, site_id)
        linked = {(a, v) for a, v in m.links if a in here and m.vlans[v] == site_id}
        assert {(a.id, n.vlan.id) for n in nodes for a in n.assets} == linked
        assert {a.id for a in tree.unlinked_assets} == here - {a for a, _ in linked}
        page = self.cmdb(t, lambda svc: svc.assets(site_id=site_id, limit=500))
        assert {a.id for a in page.items} == here
        assert {d.id: d.name for d in self.cmdb(t, lambda svc: svc.diagrams_at(site_id))} == \
            {d: name for d, (s, name, _) in m.diagrams.items() if s == site_id}

    @rule(t=tenant_index, asset=assets, zone=zones, vlan=vlans, diagram=diagrams)
    def read_cmdb_rows(self, t: int, asset: Owned, zone: Owned, vlan: Owned,
                       diagram: Owned) -> None:
        m = self.cmdb_model[t]
        for row, what, table, read in (
                (asset, "asset", m.assets, CmdbService.asset),
                (asset, "asset", m.assets, CmdbService.vlans_of),
                (zone, "zone", m.zones, CmdbService.zone),
                (vlan, "VLAN", m.vlans, CmdbService.vlan),
                (diagram, "diagram", m.diagrams, CmdbService.diagram)):
            if not self.owns(t, row, table):
                self.cmdb_refused(t, NotFound, lambda svc, r=read, i=row[1]: r(svc, i),
                                  not_found(what, row[1]))
        if self.owns(t, asset, m.assets):
            found = self.cmdb(t, lambda svc: svc.asset(asset[1]))
            assert (found.name, found.site_id) == m.assets[asset[1]]
            assert {v.id for v in self.cmdb(t, lambda svc: svc.vlans_of(asset[1]))} == \
                {v for a, v in m.links if a == asset[1]}
        if self.owns(t, zone, m.zones):
            assert self.cmdb(t, lambda svc: svc.zone(zone[1])).site_id == m.zones[zone[1]]
        if self.owns(t, vlan, m.vlans):
            assert self.cmdb(t, lambda svc: svc.vlan(vlan[1])).site_id == m.vlans[vlan[1]]
        if self.owns(t, diagram, m.diagrams):
            view = self.cmdb(t, lambda svc: svc.diagram(diagram[1]))
            assert (view.diagram.site_id, view.diagram.name, frozenset(view.asset_ids)) == \
                m.diagrams[diagram[1]]

    @rule(t=tenant_index)
    def list_cmdb(self, t: int) -> None:
        m = self.cmdb_model[t]
        assert {s.id: s.name for s in self.cmdb(t, CmdbService.sites)} == m.sites
        assert {c.site_id: c.assets for c in self.cmdb(t, CmdbService.asset_counts)} == \
            {s: len(m.at_site(m.assets, s)) for s in m.sites}
        page = self.cmdb(t, lambda svc: svc.assets(limit=500))
        assert {a.id for a in page.items} == set(m.assets)

    @invariant()
    def each_tenants_stored_cmdb_rows_are_its_own(self) -> None:
        rows = {table: self.platform_rows(f"SELECT tenant_id, {columns} FROM {table} "
                                          "WHERE tenant_id IN (:tenants)")
                for table, columns in (("sites", "id, name"), ("zones", "id, site_id"),
                                       ("vlans", "id, site_id"),
                                       ("assets", "id, name, site_id"),
                                       ("asset_vlans", "asset_id, vlan_id"),
                                       ("diagrams", "id, site_id, name"),
                                       ("diagram_asset_links", "diagram_id, asset_id"))}
        for n in range(TENANTS):
            m = self.cmdb_model[n]
            assert {_uuid(i): name for i, name in rows["sites"][n]} == m.sites
            assert {_uuid(i): _maybe_uuid(s) for i, s in rows["zones"][n]} == m.zones
            assert {_uuid(i): _maybe_uuid(s) for i, s in rows["vlans"][n]} == m.vlans
            assert {_uuid(i): (name, _uuid(s)) for i, name, s in rows["assets"][n]} == m.assets
            assert {(_uuid(a), _uuid(v)) for a, v in rows["asset_vlans"][n]} == m.links
            links = {(_uuid(d), _uuid(a)) for d, a in rows["diagram_asset_links"][n]}
            assert {_uuid(d): (_uuid(s), name, frozenset(a for x, a in links if x == _uuid(d)))
                    for d, s, name in rows["diagrams"][n]} == m.diagrams


def _maybe_uuid(value: object) -> uuid.UUID | None:
    return None if value is None else _uuid(value)


# ---------------------------------------------------------------------------- itsm

@dataclass
class IncidentModel:
    status: str
    assigned_to: uuid.UUID | None
    has_sla: bool
    site: uuid.UUID | None = None
    asset: uuid.UUID | None = None
    events: int = 1
    comments: int = 0
    response_breached: bool = False
    resolve_breached: bool = False


@dataclass
class ItsmModel:
    incidents: dict[uuid.UUID, IncidentModel] = field(default_factory=dict)
    problems: dict[uuid.UUID, tuple[str, bool]] = field(default_factory=dict)  # status, cause
    changes: dict[uuid.UUID, str] = field(default_factory=dict)
    articles: dict[uuid.UUID, str] = field(default_factory=dict)
    article_problems: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)


# severity -> (impact, urgency, priority): the matrix cells every tenant gets; only P1 has
# an SLA policy, so P4 incidents are never breached
CELLS = {"critical": ("high", "high", "P1"), "low": ("low", "low", "P4")}
LATER = NOW + timedelta(days=1)  # past every P1 deadline

ItsmCall = Callable[[Tx, uuid.UUID], object]
INCIDENT_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: IncidentService(tx).get(i, NOW),
    "transition": lambda tx, i: IncidentService(tx).transition(i, "in_progress"),
    "assign": lambda tx, i: IncidentService(tx).assign(i, NIL),
    "timeline": lambda tx, i: IncidentService(tx).timeline(i),
    "comments": lambda tx, i: IncidentService(tx).comments(i),
}
PROBLEM_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: ProblemService(tx).get(i),
    "transition": lambda tx, i: ProblemService(tx).transition(i, "investigating"),
    "for_problem": lambda tx, i: KnowledgeService(tx).for_problem(i),
}
CHANGE_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: ChangeService(tx).get(i),
    "transition": lambda tx, i: ChangeService(tx).transition(i, "approved"),
}
ARTICLE_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: KnowledgeService(tx).get(i),
    "edit": lambda tx, i: KnowledgeService(tx).edit(i, "Runbook", "Restart it."),
    "problems_of": lambda tx, i: KnowledgeService(tx).problems_of(i),
    "link_problem": lambda tx, i: KnowledgeService(tx).link_problem(i, NIL),
}
ASSIGNEE_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low",
                                                       assigned_to=i),
}
INCIDENT_SITE_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low", site_id=i),
    "page": lambda tx, i: IncidentService(tx).page(NOW, site_id=i),
}
INCIDENT_ASSET_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low", asset_id=i),
    "page": lambda tx, i: IncidentService(tx).page(NOW, asset_id=i),
}


class ItsmRules(IdentityRules, CmdbRules):
    """Incidents (assignees and commenters are the identity context's users), problems,
    changes, knowledge articles and their links."""

    incidents = Bundle("incidents")
    problems = Bundle("problems")
    changes = Bundle("changes")
    articles = Bundle("articles")

    def __init__(self) -> None:
        super().__init__()
        self.itsm_model = [ItsmModel() for _ in range(TENANTS)]
        for t in range(TENANTS):
            self.in_tenant(t, self._settings)
            self.audited[t] += len(CELLS) + 1

    @staticmethod
    def _settings(tx: Tx) -> None:
        incidents = IncidentService(tx)
        for severity, (impact, urgency, priority) in CELLS.items():
            incidents.set_priority(severity, impact, urgency, priority)
        incidents.set_sla("P1", 15, 240)

    def _itsm_call(self, call: ItsmCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: self.in_tenant(t, lambda tx: call(tx, row_id))

    def _user(self, t: int, user: Owned) -> bool:
        return self.owns(t, user, self.model[t].users)

    # another tenant's id, passed to any call taking one
    foreign_incidents_in_itsm_calls = foreign_id_rule(incidents, INCIDENT_CALLS, "_itsm_call")
    foreign_problems_in_itsm_calls = foreign_id_rule(problems, PROBLEM_CALLS, "_itsm_call")
    foreign_changes_in_itsm_calls = foreign_id_rule(changes, CHANGE_CALLS, "_itsm_call")
    foreign_articles_in_itsm_calls = foreign_id_rule(articles, ARTICLE_CALLS, "_itsm_call")
    foreign_users_in_itsm_calls = foreign_id_rule(IdentityRules.users, ASSIGNEE_CALLS, "_itsm_call")

    @initialize(target=incidents, t=tenant_index)
    def seed_incident(self, t: int) -> Owned:
        nowhere = (t, uuid.uuid4())
        return self.create_incident(t, "critical", nowhere, False, nowhere, False, nowhere,
                                    False)

    @initialize(target=problems, t=tenant_index)
    def seed_problem(self, t: int) -> Owned:
        return self.create_problem(t, False)

    @initialize(target=changes, t=tenant_index)
    def seed_change(self, t: int) -> Owned:
        return self.create_change(t, "normal")

    @initialize(target=articles, t=tenant_index)
    def seed_article(self, t: int) -> Owned:
        return self.create_article(t)

    foreign_sites_in_itsm_calls = foreign_id_rule(
        CmdbRules.sites, INCIDENT_SITE_CALLS, "_itsm_call")
    foreign_assets_in_itsm_calls = foreign_id_rule(
        CmdbRules.assets, INCIDENT_ASSET_CALLS, "_itsm_call")

    # incidents
    @rule(target=incidents, t=tenant_index, severity=st.sampled_from(sorted(CELLS)),
          user=IdentityRules.users, assign=st.booleans(), site=CmdbRules.sites,
          at_site=st.booleans(), asset=CmdbRules.assets, of_asset=st.booleans())
    def create_incident(self, t: int, severity: str, user: Owned, assign: bool, site: Owned,
                        at_site: bool, asset: Owned, of_asset: bool) -> Owned:
        impact, urgency, priority = CELLS[severity]
        assignee = user[1] if assign else None
        site_id, asset_id = site[1] if at_site else None, asset[1] if of_asset else None
        cmdb = self.cmdb_model[t]

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).create(
                "Line 2 PLC in fault", severity, impact, urgency, assigned_to=assignee,
                site_id=site_id, asset_id=asset_id)
        if assign and not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        elif at_site and not self.owns(t, site, cmdb.sites):
            self.refused_in(t, NotFound, call, not_found("site", site[1]))
        elif of_asset and not self.owns(t, asset, cmdb.assets):
            self.refused_in(t, NotFound, call, not_found("asset", asset[1]))
        elif of_asset and at_site and cmdb.assets[asset[1]][1] != site[1]:
            self.refused_in(t, ValidationError, call, "is not at site")
        else:
            incident = self.in_tenant(t, call)
            assert incident.priority == priority
            place = cmdb.assets[asset[1]][1] if of_asset else site_id
            assert (incident.site_id, incident.asset_id) == (place, asset_id)
            self.itsm_model[t].incidents[incident.id] = IncidentModel(
                "open", assignee, priority == "P1", place, asset_id)
            self.audited[t] += 1
            return (t, incident.id)
        return (t, uuid.uuid4())

    @rule(t=tenant_index, incident=incidents, status=st.sampled_from(sorted(INCIDENT_STATUSES)),
          user=IdentityRules.users, assign=st.booleans())
    def transition_incident(self, t: int, incident: Owned, status: str, user: Owned,
                            assign: bool) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None
        assignee = user[1] if assign else None

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).transition(
                incident[1], status, resolution_note="Replaced the module.",
                assigned_to=assignee)
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif status not in INCIDENT_MOVES[found.status]:
            self.refused_in(t, InvalidTransition, call)
        elif assign and not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        else:
            assert self.in_tenant(t, call).status == status
            found.status, found.events = status, found.events + 1
            found.assigned_to = assignee or found.assigned_to
            self.audited[t] += 1

    @rule(t=tenant_index, incident=incidents, user=IdentityRules.users)
    def assign_incident(self, t: int, incident: Owned, user: Owned) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).assign(incident[1], user[1])
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif found.status not in ACTIVE_INCIDENT:
            self.refused_in(t, ValidationError, call, "cannot be reassigned")
        elif not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        else:
            self.in_tenant(t, call)
            found.assigned_to, found.events = user[1], found.events + 1
            self.audited[t] += 1

    @rule(t=tenant_index, incident=incidents, author=IdentityRules.users,
          mentions=st.lists(IdentityRules.users, max_size=2))
    def comment_incident(self, t: int, incident: Owned, author: Owned,
                         mentions: list[Owned]) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None

        def call(tx: Tx) -> object:
            return IncidentService(tx, Actor(author[1]), clock=lambda: NOW).comment(
                incident[1], "Seen on the HMI too.", [m[1] for m in mentions])
        people = [author, *sorted(set(mentions), key=lambda m: m[1])]
        stranger = next((p for p in people if not self._user(t, p)), None)
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif stranger is not None:
            self.refused_in(t, NotFound, call, not_found("user", stranger[1]))
        else:
            self.in_tenant(t, call)
            found.comments += 1
            self.audited[t] += 1

    @rule(t=tenant_index)
    def mark_breaches(self, t: int) -> None:
        m = self.itsm_model[t]
        response = [i for i in m.incidents.values()
                    if i.has_sla and i.status == "open" and not i.response_breached]
        resolve = [i for i in m.incidents.values()
                   if i.has_sla and i.status in ACTIVE_INCIDENT and not i.resolve_breached]
        counts = self.in_tenant(t, lambda tx: IncidentService(tx).mark_breaches(LATER))
        assert counts == (len(response), len(resolve))
        for i in response:
            i.response_breached = True
        for i in resolve:
            i.resolve_breached = True
        self.audited[t] += bool(response or resolve)

    @rule(t=tenant_index, incident=incidents)
    def read_incident(self, t: int, incident: Owned) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None
        reads = {name: INCIDENT_CALLS[name] for name in ("get", "timeline", "comments")}
        if found is None:
            for read in reads.values():
                self.refused_in(t, NotFound, lambda tx, r=read: r(tx, incident[1]),
                                not_found("incident", incident[1]))
            return
        view = self.in_tenant(t, lambda tx: IncidentService(tx).get(incident[1], NOW))
        assert (view.incident.status, view.incident.assigned_to) == \
            (found.status, found.assigned_to)
        assert len(self.in_tenant(t, lambda tx: IncidentService(tx).timeline(incident[1]))) \
            == found.events
        assert len(self.in_tenant(t, lambda tx: IncidentService(tx).comments(incident[1]))) \
            == found.comments

    @rule(t=tenant_index)
    def list_incidents(self, t: int) -> None:
        m = self.itsm_model[t]
        page = self.in_tenant(t, lambda tx: IncidentService(tx).page(NOW, limit=500))
        assert {v.incident.id: v.incident.status for v in page.items} == \
            {i: x.status for i, x in m.incidents.items()}
        active = self.in_tenant(t, lambda tx: IncidentService(tx).open_by_priority(NOW))
        assert {v.incident.id for v in active} == \
            {i for i, x in m.incidents.items() if x.status in ACTIVE_INCIDENT}

    @rule(t=tenant_index, site=CmdbRules.sites, asset=CmdbRules.assets)
    def incidents_by_site_and_asset(self, t: int, site: Owned, asset: Owned) -> None:
        m, cmdb = self.itsm_model[t], self.cmdb_model[t]
        for row, what, table, field_name in ((site, "site", cmdb.sites, "site"),
                                             (asset, "asset", cmdb.assets, "asset")):
            def read(tx: Tx, key: str = f"{field_name}_id", i: uuid.UUID = row[1]) -> object:
                return IncidentService(tx).page(NOW, limit=500, **{key: i})
            if not self.owns(t, row, table):
                self.refused_in(t, NotFound, read, not_found(what, row[1]))
                continue
            page = cast(Page[IncidentView], self.in_tenant(t, read))
            assert {v.incident.id for v in page.items} == \
                {i for i, x in m.incidents.items() if getattr(x, field_name) == row[1]}

    # problems, changes, knowledge
    @rule(target=problems, t=tenant_index, cause=st.booleans())
    def create_problem(self, t: int, cause: bool) -> Owned:
        problem = self.in_tenant(t, lambda tx: ProblemService(tx).create(
            "PLC faults after firmware 33", "Watchdog bug" if cause else None))
        self.itsm_model[t].problems[problem.id] = ("open", cause)
        self.audited[t] += 1
        return (t, problem.id)

    @rule(t=tenant_index, problem=problems, status=st.sampled_from(sorted(PROBLEM_STATUSES)),
          cause=st.booleans())
    def transition_problem(self, t: int, problem: Owned, status: str, cause: bool) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return ProblemService(tx).transition(problem[1], status,
                                                 root_cause="Watchdog bug" if cause else None)
        if not self.owns(t, problem, m.problems):
            self.refused_in(t, NotFound, call, not_found("problem", problem[1]))
            return
        current, has_cause = m.problems[problem[1]]
        if status not in PROBLEM_MOVES[current]:
            self.refused_in(t, InvalidTransition, call)
        elif status == "known_error" and not (cause or has_cause):
            self.refused_in(t, ValidationError, call, "root cause")
        else:
            self.in_tenant(t, call)
            m.problems[problem[1]] = (status, cause or has_cause)
            self.audited[t] += 1

    @rule(target=changes, t=tenant_index, kind=st.sampled_from(sorted(CHANGE_TYPES)))
    def create_change(self, t: int, kind: str) -> Owned:
        change = self.in_tenant(t, lambda tx: ChangeService(tx).create(
            "Upgrade firmware", kind, None if kind == "standard" else "high"))
        self.itsm_model[t].changes[change.id] = change.status
        self.audited[t] += 1
        return (t, change.id)

    @rule(t=tenant_index, change=changes, status=st.sampled_from(sorted(CHANGE_STATUSES)))
    def transition_change(self, t: int, change: Owned, status: str) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return ChangeService(tx).transition(change[1], status)
        if not self.owns(t, change, m.changes):
            self.refused_in(t, NotFound, call, not_found("change", change[1]))
        elif status not in CHANGE_MOVES[m.changes[change[1]]]:
            self.refused_in(t, InvalidTransition, call)
        else:
            self.in_tenant(t, call)
            m.changes[change[1]] = status
            self.audited[t] += 1

    @rule(target=articles, t=tenant_index)
    def create_article(self, t: int) -> Owned:
        article = self.in_tenant(t, lambda tx: KnowledgeService(tx).create(
            "Restart a faulted PLC", "1. Check the fault LED."))
        self.itsm_model[t].articles[article.id] = article.title
        self.audited[t] += 1
        return (t, article.id)

    @rule(t=tenant_index, article=articles, title=st.sampled_from(["Runbook", "Recovery"]))
    def edit_article(self, t: int, article: Owned, title: str) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return KnowledgeService(tx).edit(article[1], title, "Steps.")
        if not self.owns(t, article, m.articles):
            self.refused_in(t, NotFound, call, not_found("knowledge article", article[1]))
            return
        self.in_tenant(t, call)
        m.articles[article[1]] = title
        self.audited[t] += 1

    @rule(t=tenant_index, article=articles, problem=problems, link=st.booleans())
    def article_problem(self, t: int, article: Owned, problem: Owned, link: bool) -> None:
        m, pair = self.itsm_model[t], (article[1], problem[1])

        def call(tx: Tx) -> None:
            service = KnowledgeService(tx)
            (service.link_problem if link else service.unlink_problem)(*pair)
        if not self.owns(t, article, m.articles):
            self.refused_in(t, NotFound, call, not_found("knowledge article", article[1]))
        elif not self.owns(t, problem, m.problems):
            self.refused_in(t, NotFound, call, not_found("problem", problem[1]))
        else:
            self.in_tenant(t, call)
            if (pair in m.article_problems) != link:
                (m.article_problems.add if link else m.article_problems.discard)(pair)
                self.audited[t] += 1

    @rule(t=tenant_index, article=articles, problem=problems, change=changes)
    def read_itsm_rows(self, t: int, article: Owned, problem: Owned, change: Owned) -> None:
        m = self.itsm_model[t]
        for row, what, table, read in (
                (problem, "problem", m.problems, PROBLEM_CALLS["get"]),
                (problem, "problem", m.problems, PROBLEM_CALLS["for_problem"]),
                (change, "change", m.changes, CHANGE_CALLS["get"]),
                (article, "knowledge article", m.articles, ARTICLE_CALLS["get"]),
                (article, "knowledge article", m.articles, ARTICLE_CALLS["problems_of"])):
            if not self.owns(t, row, table):
                self.refused_in(t, NotFound, lambda tx, r=read, i=row[1]: r(tx, i),
                                not_found(what, row[1]))
        if self.owns(t, problem, m.problems):
            assert self.in_tenant(t, lambda tx: ProblemService(tx).get(problem[1])).status \
                == m.problems[problem[1]][0]
            assert {a.id for a in self.in_tenant(
                t, lambda tx: KnowledgeService(tx).for_problem(problem[1]))} == \
                {a for a, p in m.article_problems if p == problem[1]}
        if self.owns(t, change, m.changes):
            assert self.in_tenant(t, lambda tx: ChangeService(tx).get(change[1])).status \
                == m.changes[change[1]]
        if self.owns(t, article, m.articles):
            assert {p.id for p in self.in_tenant(
                t, lambda tx: KnowledgeService(tx).problems_of(article[1]))} == \
                {p for a, p in m.article_problems if a == article[1]}
        assert {p.id: p.status for p in self.in_tenant(
            t, lambda tx: ProblemService(tx).by_status())} == \
            {p: s for p, (s, _) in m.problems.items()}
        assert {c.id: c.status for c in self.in_tenant(
            t, lambda tx: ChangeService(tx).by_status())} == m.changes

    @invariant()
    def each_tenants_stored_itsm_rows_are_its_own(self) -> None:
        rows = {table: self.platform_rows(f"SELECT tenant_id, {columns} FROM {table} "
                                          "WHERE tenant_id IN (:tenants)")
                for table, columns in (
                    ("incidents", "id, status, assigned_to, sla_response_breached, "
                                  "sla_resolve_breached, site_id, asset_id"),
                    ("incident_timeline_events", "incident_id"),
                    ("incident_comments", "incident_id"),
                    ("problems", "id, status"), ("changes", "id, status"),
                    ("knowledge_articles", "id, title"),
                    ("knowledge_article_problems", "article_id, problem_id"))}
        for n in range(TENANTS):
            m = self.itsm_model[n]
            assert {_uuid(i): (s, _maybe_uuid(a), bool(r1), bool(r2), _maybe_uuid(site),
                               _maybe_uuid(asset))
                    for i, s, a, r1, r2, site, asset in rows["incidents"][n]} == \
                {i: (x.status, x.assigned_to, x.response_breached, x.resolve_breached, x.site,
                     x.asset) for i, x in m.incidents.items()}
            assert Counter(_uuid(i) for (i,) in rows["incident_timeline_events"][n]) == \
                Counter({i: x.events for i, x in m.incidents.items()})
            assert Counter(_uuid(i) for (i,) in rows["incident_comments"][n]) == \
                Counter({i: x.comments for i, x in m.incidents.items() if x.comments})
            assert {_uuid(i): s for i, s in rows["problems"][n]} == \
                {p: s for p, (s, _) in m.problems.items()}
            assert {_uuid(i): s for i, s in rows["changes"][n]} == m.changes
            assert {_uuid(i): title for i, title in rows["knowledge_articles"][n]} == m.articles
            assert {(_uuid(a), _uuid(p)) for a, p in rows["knowledge_article_problems"][n]} \
                == m.article_problems


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

    @invariant()
    def each_tenants_stored_security_rows_are_its_own(self) -> None:
        vulns = self.platform_rows("SELECT tenant_id, id, asset_id, cve_id, status "
                                   "FROM vulnerabilities WHERE tenant_id IN (:tenants)")
        alerts = self.platform_rows("SELECT tenant_id, id, status FROM security_alerts "
                                    "WHERE tenant_id IN (:tenants)")
        for n in range(TENANTS):
            m = self.security_model[n]
            assert {_uuid(i): (_uuid(a), c, s) for i, a, c, s in vulns[n]} == m.vulns
            assert {_uuid(i): s for i, s in alerts[n]} == m.alerts
