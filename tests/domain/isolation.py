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

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from monozu.db import Database, NotFound
from monozu.domain.errors import Conflict, InvalidTransition, Unauthorized
from monozu.domain.identity import IdentityService
from monozu.domain.tenancy import FEATURES, TRANSITIONS, TenancyService
from tests.domain.conftest import add_tenant

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TENANTS = 3
SETTINGS = settings(max_examples=25, stateful_step_count=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
E = TypeVar("E", bound=BaseException)


@dataclass(frozen=True)
class World:
    """``app``: the connection services use; ``platform``: sees every tenant's rows."""

    app: Database
    platform: Database


def refused(error: type[E], call: Callable[[], object], match: str | None = None) -> E:
    with pytest.raises(error, match=match) as info:
        call()
    return info.value


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

    @invariant()
    def audit_rows_are_written_only_for_each_tenants_own_changes(self) -> None:
        counts = self.platform_rows("SELECT tenant_id FROM audit_logs "
                                    "WHERE tenant_id IN (:tenants)")
        assert {n: len(rows) for n, rows in counts.items()} == \
            {n: self.audited[n] for n in range(TENANTS)}


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


Owned = tuple[int, uuid.UUID]  # (owning tenant, row id)
tenant_index = st.integers(0, TENANTS - 1)


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
