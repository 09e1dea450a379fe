"""Identity SQL: users, groups, memberships, permissions, settings and refresh tokens.

Every statement runs on the caller's tenant unit of work and filters on its tenant id
explicitly, so a row of another tenant is never read or written, with or without
row-level security. Methods stay one statement each.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from monozu.db.models import Group, RefreshToken, User, UserSettings
from monozu.db.queries import QueryFile, many, optional, rowcount, value
from monozu.domain.common import Repository


class IdentityQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_user = rowcount()
    get_user = optional(User)
    get_user_by_email = optional(User)
    lock_user = rowcount()
    set_password_hash = rowcount()
    set_display_name = rowcount()
    list_users = many(User)
    list_users_after = many(User)
    insert_group = rowcount()
    get_group = optional(Group)
    get_group_by_name = optional(Group)
    rename_group = rowcount()
    delete_group = rowcount()
    list_groups = many(Group)
    insert_membership = rowcount()
    membership_count = value(int)
    delete_membership = rowcount()
    delete_group_memberships = rowcount()
    list_user_groups = many(Group)
    list_group_members = many(uuid.UUID)
    insert_permission = rowcount()
    permission_count = value(int)
    delete_permission = rowcount()
    delete_group_permissions = rowcount()
    list_group_permissions = many(str)
    user_permissions = many(str)
    get_settings = optional(UserSettings)
    upsert_settings = rowcount()
    insert_refresh_token = rowcount()
    get_refresh_token_by_hash = optional(RefreshToken)
    list_user_refresh_tokens = many(RefreshToken)
    mark_refresh_token_replaced = rowcount()
    refresh_token_family = many(uuid.UUID)
    revoke_refresh_token = rowcount()
    revoke_user_refresh_tokens = rowcount()


QUERIES = IdentityQueries("monozu.domain.identity")


class IdentityRepository(Repository):
    # users
    def insert_user(self, user: User) -> None:
        QUERIES.insert_user(self.tx, tenant_id=self.tenant_id, id=user.id, email=user.email,
                            password_hash=user.password_hash, mfa_enabled=user.mfa_enabled,
                            created_at=user.created_at, display_name=user.display_name)

    def user(self, user_id: uuid.UUID) -> User | None:
        return QUERIES.get_user(self.tx, tenant_id=self.tenant_id, id=user_id)

    def user_by_email(self, email: str) -> User | None:
        return QUERIES.get_user_by_email(self.tx, tenant_id=self.tenant_id, email=email)

    def lock_user(self, user_id: uuid.UUID) -> None:
        """Hold the user's row to the end of the unit of work (no row: nothing held)."""
        QUERIES.lock_user(self.tx, tenant_id=self.tenant_id, id=user_id)

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> int:
        return QUERIES.set_password_hash(self.tx, tenant_id=self.tenant_id, id=user_id,
                                         password_hash=password_hash)

    def set_display_name(self, user_id: uuid.UUID, display_name: str | None) -> int:
        return QUERIES.set_display_name(self.tx, tenant_id=self.tenant_id, id=user_id,
                                        display_name=display_name)

    def users(self, pattern: str, limit: int,
              after: tuple[str, uuid.UUID] | None = None) -> list[User]:
        if after is None:
            return QUERIES.list_users(self.tx, tenant_id=self.tenant_id, pattern=pattern,
                                      limit=limit)
        return QUERIES.list_users_after(self.tx, tenant_id=self.tenant_id, pattern=pattern,
                                        after_email=after[0], after_id=after[1], limit=limit)

    # groups
    def insert_group(self, group: Group) -> None:
        QUERIES.insert_group(self.tx, tenant_id=self.tenant_id, id=group.id, name=group.name)

    def group(self, group_id: uuid.UUID) -> Group | None:
        return QUERIES.get_group(self.tx, tenant_id=self.tenant_id, id=group_id)

    def group_by_name(self, name: str) -> Group | None:
        return QUERIES.get_group_by_name(self.tx, tenant_id=self.tenant_id, name=name)

    def rename_group(self, group_id: uuid.UUID, name: str) -> int:
        return QUERIES.rename_group(self.tx, tenant_id=self.tenant_id, id=group_id, name=name)

    def delete_group(self, group_id: uuid.UUID) -> int:
        return QUERIES.delete_group(self.tx, tenant_id=self.tenant_id, id=group_id)

    def groups(self) -> list[Group]:
        return QUERIES.list_groups(self.tx, tenant_id=self.tenant_id)

    # memberships
    def insert_membership(self, user_id: uuid.UUID, group_id: uuid.UUID) -> None:
        QUERIES.insert_membership(self.tx, tenant_id=self.tenant_id, user_id=user_id,
                                  group_id=group_id)

    def is_member(self, user_id: uuid.UUID, group_id: uuid.UUID) -> bool:
        return QUERIES.membership_count(self.tx, tenant_id=self.tenant_id, user_id=user_id,
                                        group_id=group_id) > 0

    def delete_membership(self, user_id: uuid.UUID, group_id: uuid.UUID) -> int:
        return QUERIES.delete_membership(self.tx, tenant_id=self.tenant_id, user_id=user_id,
                                         group_id=group_id)

    def delete_group_memberships(self, group_id: uuid.UUID) -> int:
        return QUERIES.delete_group_memberships(self.tx, tenant_id=self.tenant_id,
                                                group_id=group_id)

    def user_groups(self, user_id: uuid.UUID) -> list[Group]:
        return QUERIES.list_user_groups(self.tx, tenant_id=self.tenant_id, user_id=user_id)

    def group_members(self, group_id: uuid.UUID) -> list[uuid.UUID]:
        return QUERIES.list_group_members(self.tx, tenant_id=self.tenant_id, group_id=group_id)

    # permissions
    def insert_permission(self, group_id: uuid.UUID, permission: str) -> None:
        QUERIES.insert_permission(self.tx, tenant_id=self.tenant_id, group_id=group_id,
                                  permission=permission)

    def has_permission(self, group_id: uuid.UUID, permission: str) -> bool:
        return QUERIES.permission_count(self.tx, tenant_id=self.tenant_id, group_id=group_id,
                                        permission=permission) > 0

    def delete_permission(self, group_id: uuid.UUID, permission: str) -> int:
        return QUERIES.delete_permission(self.tx, tenant_id=self.tenant_id, group_id=group_id,
                                         permission=permission)

    def delete_group_permissions(self, group_id: uuid.UUID) -> int:
        return QUERIES.delete_group_permissions(self.tx, tenant_id=self.tenant_id,
                                                group_id=group_id)

    def group_permissions(self, group_id: uuid.UUID) -> list[str]:
        return QUERIES.list_group_permissions(self.tx, tenant_id=self.tenant_id, group_id=group_id)

    def user_permissions(self, user_id: uuid.UUID) -> list[str]:
        return QUERIES.user_permissions(self.tx, tenant_id=self.tenant_id, user_id=user_id)

    # settings
    def settings(self, user_id: uuid.UUID) -> UserSettings | None:
        return QUERIES.get_settings(self.tx, tenant_id=self.tenant_id, user_id=user_id)

    def save_settings(self, s: UserSettings) -> None:
        """Update the row, or insert it when the user has none yet."""
        QUERIES.upsert_settings(self.tx, tenant_id=self.tenant_id, user_id=s.user_id,
                                locale=s.locale, timezone=s.timezone, theme=s.theme,
                                density=s.density, accent_color=s.accent_color)

    # refresh tokens
    def insert_token(self, token: RefreshToken) -> None:
        QUERIES.insert_refresh_token(self.tx, tenant_id=self.tenant_id, id=token.id,
                                     user_id=token.user_id, token_hash=token.token_hash,
                                     expires_at=token.expires_at, created_at=token.created_at,
                                     user_agent=token.user_agent, ip_address=token.ip_address)

    def token_by_hash(self, token_hash: str) -> RefreshToken | None:
        return QUERIES.get_refresh_token_by_hash(self.tx, tenant_id=self.tenant_id,
                                                 token_hash=token_hash)

    def user_tokens(self, user_id: uuid.UUID) -> list[RefreshToken]:
        return QUERIES.list_user_refresh_tokens(self.tx, tenant_id=self.tenant_id, user_id=user_id)

    def mark_replaced(self, token_id: uuid.UUID, replaced_by: uuid.UUID) -> int:
        """0 when the token was rotated or revoked meanwhile."""
        return QUERIES.mark_refresh_token_replaced(self.tx, tenant_id=self.tenant_id, id=token_id,
                                                   replaced_by=replaced_by)

    def token_family(self, token_id: uuid.UUID) -> list[uuid.UUID]:
        return QUERIES.refresh_token_family(self.tx, tenant_id=self.tenant_id, id=token_id)

    def revoke_token(self, token_id: uuid.UUID, at: datetime) -> int:
        return QUERIES.revoke_refresh_token(self.tx, tenant_id=self.tenant_id, id=token_id,
                                            revoked_at=at)

    def revoke_user_tokens(self, user_id: uuid.UUID, at: datetime) -> int:
        return QUERIES.revoke_user_refresh_tokens(self.tx, tenant_id=self.tenant_id,
                                                  user_id=user_id, revoked_at=at)
