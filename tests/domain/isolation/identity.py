"""The identity context in the isolation machine: users, groups, permissions, settings, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, rule

from monozu.db import NotFound
from monozu.db.models import User
from monozu.domain.errors import Conflict, Unauthorized
from monozu.domain.identity import IdentityService
from monozu.domain.paging import encode_cursor
from tests.domain.isolation.base import (
    NIL,
    NOW,
    TENANTS,
    IsolationMachine,
    Owned,
    as_uuid,
    foreign_id_rule,
    other_tenant,
    refused,
    tenant_index,
)

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
    passwords: set[uuid.UUID] = field(default_factory=set)  # users who sign in by password




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
    "change_password": lambda svc, tenant, i: svc.change_password(tenant, i, PASSWORD),
    "has_permission": lambda svc, tenant, i: svc.has_permission(tenant, i, PERMISSIONS[0]),
    "add_member": lambda svc, tenant, i: svc.add_member(tenant, i, NIL),
    "remove_member": lambda svc, tenant, i: svc.remove_member(tenant, i, NIL),
}
GROUP_CALLS: dict[str, IdCall] = {
    "get_group": IdentityService.get_group,
    "rename_group": lambda svc, tenant, i: svc.rename_group(tenant, i, "NOC"),
    "delete_group": IdentityService.delete_group,
    "group_members": IdentityService.group_members,
    "group_permissions": IdentityService.group_permissions,
    "grant": lambda svc, tenant, i: svc.grant(tenant, i, PERMISSIONS[0]),
    "revoke": lambda svc, tenant, i: svc.revoke(tenant, i, PERMISSIONS[0]),
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
        if password:
            self.model[t].passwords.add(account.id)
        self.audited[t] += 1
        return (t, account.id)

    @rule(t=tenant_index, user=users)
    def sign_in(self, t: int, user: Owned) -> None:
        """Tenant ``t`` looking up, and signing in as, the email of any tenant's user: only
        its own user of that email is found or let in, and a refusal writes nothing."""
        if user[1] not in self.model[user[0]].users:
            return
        m, tenant, email = self.model[t], self.tenants[t], self.model[user[0]].users[user[1]][0]
        mine = next((u for u, (e, _) in m.users.items() if e == email), None)
        find = partial(self.identity.find_user, tenant, email)
        check = partial(self.identity.authenticate, tenant, email, PASSWORD)
        if mine is None:
            refused(NotFound, find)
            refused(Unauthorized, check)
            refused(Unauthorized, partial(self.identity.login, tenant, email, PASSWORD))
            return
        assert find().id == mine
        if mine in m.passwords:
            assert check().id == mine
        else:
            refused(Unauthorized, check)

    @rule(t=tenant_index, token=tokens)
    def end_another_tenants_session(self, t: int, token: str) -> None:
        """Another tenant's refresh token is unknown to ``t``: logging it out is refused
        and revokes nothing."""
        known = self.token_model.get(token)
        if known is None or known.owner != t:
            refused(Unauthorized, partial(self.identity.revoke_session, self.tenants[t], token),
                    "not recognised")

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

    @rule(t=tenant_index, shift=other_tenant)
    def users_after_another_tenants_user(self, t: int, shift: int) -> None:
        """A cursor carrying another tenant's user (email and id) pages the caller's own."""
        for user in self.foreign_rows(t, shift, User, "users")[:1]:
            page = self.identity.list_users(self.tenants[t], limit=100,
                                            cursor=encode_cursor((user.email, user.id)))
            assert {a.id for a in page.items} <= set(self.model[t].users)

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
            assert {as_uuid(u): (e, d) for u, e, d in users[n]} == m.users
            assert {as_uuid(g): name for g, name in groups[n]} == m.groups
            assert {(as_uuid(u), as_uuid(g)) for u, g in members[n]} == m.members
            assert {(as_uuid(g), p) for g, p in grants[n]} == m.grants
            assert {as_uuid(u): theme for u, theme in themes[n]} == m.themes
            stored = {as_uuid(i): (r is not None, v is not None) for i, r, v in tokens[n]}
            assert stored == {k.id: (k.replaced, k.revoked)
                              for k in self.token_model.values() if k.owner == n}
