"""Identity SQL: users, groups, memberships, permissions, settings and refresh tokens.

Every statement runs on the caller's tenant unit of work and filters on its tenant id
explicitly, so a row of another tenant is never read or written, with or without
row-level security. Methods stay one statement each.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from monozu.db import Tx
from monozu.db.models import Group, RefreshToken, User, UserSettings
from monozu.db.queries import Queries, load
from monozu.db.tenant import tenant_of

QUERIES: Queries = load("monozu.domain.identity")
T = TypeVar("T")


class IdentityRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.tenant_id = tenant_of(tx)

    def _sql(self, name: str) -> str:
        return QUERIES.sql(name, self.tx.dialect)

    def _exec(self, statement: str, /, **params: object) -> int:
        return self.tx.exec(self._sql(statement), tenant_id=self.tenant_id, **params)

    def _one(self, row: type[T], statement: str, /, **params: Any) -> T | None:
        found = self.tx.select(row, self._sql(statement), tenant_id=self.tenant_id, **params)
        return found[0] if found else None

    def _count(self, statement: str, /, **params: object) -> int:
        return int(self.tx.get_value(self._sql(statement), tenant_id=self.tenant_id,
                                     **params))

    # users
    def insert_user(self, user: User) -> None:
        self._exec("insert_user", id=user.id, email=user.email,
                   password_hash=user.password_hash, mfa_enabled=user.mfa_enabled,
                   created_at=user.created_at, display_name=user.display_name)

    def user(self, user_id: uuid.UUID) -> User | None:
        return self._one(User, "get_user", id=user_id)

    def user_by_email(self, email: str) -> User | None:
        return self._one(User, "get_user_by_email", email=email)

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> int:
        return self._exec("set_password_hash", id=user_id, password_hash=password_hash)

    def set_display_name(self, user_id: uuid.UUID, display_name: str | None) -> int:
        return self._exec("set_display_name", id=user_id, display_name=display_name)

    def users(self, pattern: str, limit: int,
              after: tuple[str, uuid.UUID] | None = None) -> list[User]:
        if after is None:
            return self.tx.select(User, self._sql("list_users"), tenant_id=self.tenant_id,
                                  pattern=pattern, limit=limit)
        return self.tx.select(User, self._sql("list_users_after"), tenant_id=self.tenant_id,
                              pattern=pattern, after_email=after[0], after_id=after[1],
                              limit=limit)

    # groups
    def insert_group(self, group: Group) -> None:
        self._exec("insert_group", id=group.id, name=group.name)

    def group(self, group_id: uuid.UUID) -> Group | None:
        return self._one(Group, "get_group", id=group_id)

    def group_by_name(self, name: str) -> Group | None:
        return self._one(Group, "get_group_by_name", name=name)

    def rename_group(self, group_id: uuid.UUID, name: str) -> int:
        return self._exec("rename_group", id=group_id, name=name)

    def delete_group(self, group_id: uuid.UUID) -> int:
        return self._exec("delete_group", id=group_id)

    def groups(self) -> list[Group]:
        return self.tx.select(Group, self._sql("list_groups"), tenant_id=self.tenant_id)

    # memberships
    def insert_membership(self, user_id: uuid.UUID, group_id: uuid.UUID) -> None:
        self._exec("insert_membership", user_id=user_id, group_id=group_id)

    def is_member(self, user_id: uuid.UUID, group_id: uuid.UUID) -> bool:
        return self._count("membership_count", user_id=user_id, group_id=group_id) > 0

    def delete_membership(self, user_id: uuid.UUID, group_id: uuid.UUID) -> int:
        return self._exec("delete_membership", user_id=user_id, group_id=group_id)

    def delete_group_memberships(self, group_id: uuid.UUID) -> int:
        return self._exec("delete_group_memberships", group_id=group_id)

    def user_groups(self, user_id: uuid.UUID) -> list[Group]:
        return self.tx.select(Group, self._sql("list_user_groups"), tenant_id=self.tenant_id,
                              user_id=user_id)

    def group_members(self, group_id: uuid.UUID) -> list[uuid.UUID]:
        return self.tx.select(uuid.UUID, self._sql("list_group_members"),
                              tenant_id=self.tenant_id, group_id=group_id)

    # permissions
    def insert_permission(self, group_id: uuid.UUID, permission: str) -> None:
        self._exec("insert_permission", group_id=group_id, permission=permission)

    def has_permission(self, group_id: uuid.UUID, permission: str) -> bool:
        return self._count("permission_count", group_id=group_id, permission=permission) > 0

    def delete_permission(self, group_id: uuid.UUID, permission: str) -> int:
        return self._exec("delete_permission", group_id=group_id, permission=permission)

    def delete_group_permissions(self, group_id: uuid.UUID) -> int:
        return self._exec("delete_group_permissions", group_id=group_id)

    def group_permissions(self, group_id: uuid.UUID) -> list[str]:
        return self.tx.select(str, self._sql("list_group_permissions"),
                              tenant_id=self.tenant_id, group_id=group_id)

    def user_permissions(self, user_id: uuid.UUID) -> list[str]:
        return self.tx.select(str, self._sql("user_permissions"), tenant_id=self.tenant_id,
                              user_id=user_id)

    # settings
    def settings(self, user_id: uuid.UUID) -> UserSettings | None:
        return self._one(UserSettings, "get_settings", user_id=user_id)

    def save_settings(self, s: UserSettings) -> None:
        """Update the row, or insert it when the user has none yet."""
        values = {"user_id": s.user_id, "locale": s.locale, "timezone": s.timezone,
                  "theme": s.theme, "density": s.density, "accent_color": s.accent_color}
        if self._exec("update_settings", **values) == 0:
            self._exec("insert_settings", **values)

    # refresh tokens
    def insert_token(self, token: RefreshToken) -> None:
        self._exec("insert_refresh_token", id=token.id, user_id=token.user_id,
                   token_hash=token.token_hash, expires_at=token.expires_at,
                   created_at=token.created_at, user_agent=token.user_agent,
                   ip_address=token.ip_address)

    def token_by_hash(self, token_hash: str) -> RefreshToken | None:
        return self._one(RefreshToken, "get_refresh_token_by_hash", token_hash=token_hash)

    def user_tokens(self, user_id: uuid.UUID) -> list[RefreshToken]:
        return self.tx.select(RefreshToken, self._sql("list_user_refresh_tokens"),
                              tenant_id=self.tenant_id, user_id=user_id)

    def mark_replaced(self, token_id: uuid.UUID, replaced_by: uuid.UUID) -> int:
        """0 when the token was rotated or revoked meanwhile."""
        return self._exec("mark_refresh_token_replaced", id=token_id, replaced_by=replaced_by)

    def token_family(self, token_id: uuid.UUID) -> list[uuid.UUID]:
        return self.tx.select(uuid.UUID, self._sql("refresh_token_family"),
                              tenant_id=self.tenant_id, id=token_id)

    def revoke_token(self, token_id: uuid.UUID, at: datetime) -> int:
        return self._exec("revoke_refresh_token", id=token_id, revoked_at=at)

    def revoke_user_tokens(self, user_id: uuid.UUID, at: datetime) -> int:
        return self._exec("revoke_user_refresh_tokens", user_id=user_id, revoked_at=at)
