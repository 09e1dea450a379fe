"""Identity rules: accounts, groups, permissions, settings and refresh-token sessions.

Every call takes the tenant it acts for and runs in that tenant's unit of work. A row
id of another tenant is reported exactly like a missing one (:class:`NotFound`). Every
state-changing call writes its audit row in the same transaction; a refused call
changes nothing and writes none. The one deliberate exception is a reused refresh
token: the revocation of its family (and its audit row) commits before the call is
refused, since the reuse itself is the signal of a stolen token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypedDict, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monozu.db import Database, ForeignKeyViolation, NotFound, UniqueViolation
from monozu.db.models import Group, RefreshToken, User, UserSettings
from monozu.domain.audit import Actor, record
from monozu.domain.common import NO_ID, found, not_found
from monozu.domain.errors import (
    Conflict,
    SecondFactorRequired,
    Unauthorized,
    ValidationError,
    check_text,
)
from monozu.domain.identity.passwords import DEFAULT_ROUNDS, PasswordHasher, check_password
from monozu.domain.identity.repository import IdentityRepository
from monozu.domain.identity.types import DENSITIES, PERMISSIONS, THEMES, Account, IssuedToken
from monozu.domain.inputs import MAX_PERIOD, Credential, check_range, checked
from monozu.domain.paging import Page, decode_cursor, page_size, paginate

_SYSTEM = Actor.system()
T = TypeVar("T")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PERMISSION = re.compile(r"[a-z][a-z_]*:[a-z][a-z_]*")
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_MAX_TOKEN = 512
_Client = tuple[str | None, str | None]  # a session's user agent and IP address


def normalise_email(email: str) -> str:
    """The stored form of an email: stripped, lower-case and in Unicode NFC, so uniqueness
    ignores case and how an accented letter was typed (é or e + U+0301)."""
    # the length is the folded one: lower-casing may lengthen (İ is i and a dot above)
    text = check_text("email", _folded(email), max_length=320)
    if not _EMAIL.fullmatch(text):
        raise ValidationError(f"email {text[:80]!r} is not an address (name@domain)")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        # a zero-width, direction or control character makes a look-alike of another address
        raise ValidationError(f"email {text[:80]!r} contains an invisible or control "
                              "character")
    return text


def _folded(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip().lower())


def search_pattern(text: str) -> str:
    """A ``LIKE ... ESCAPE '!'`` pattern matching ``text`` anywhere, in lower case. Every
    character LIKE reads specially is escaped: ``%``, ``_``, ``!`` and ``[``, which opens a
    character class on SQL Server (escaped, it is literal on every database)."""
    return "%" + re.sub(r"([!%_\[])", r"!\1", text.lower()) + "%"


def check_permission(permission: str) -> str:
    """``permission`` when it is ``resource:action`` and in the catalogue."""
    if not _PERMISSION.fullmatch(permission):
        raise ValidationError(f"permission {permission[:100]!r} is not resource:action")
    if permission not in PERMISSIONS:
        raise ValidationError(f"unknown permission {permission!r:.100}")
    return permission


def token_digest(token: str) -> str:
    """What is stored of a refresh token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _presented_digest(token: object) -> str:
    """The digest of a token a client presents. Whatever cannot be one (not text, far
    longer than the 43 characters issued, unencodable) is an unknown token, not a
    validation error, and is never hashed or repeated."""
    if isinstance(token, str) and len(token) <= _MAX_TOKEN:
        try:
            return token_digest(str.__str__(token))
        except UnicodeEncodeError:
            pass
    raise Unauthorized("refresh token not recognised")



class _Joined(Conflict):
    """A member or grant was added to a group while it was being deleted."""

    def __init__(self, group_id: uuid.UUID) -> None:
        super().__init__(f"group {group_id} gained members or grants while it was being "
                         "deleted; try again")


_ATTEMPTS = 3  # of a group deletion that concurrent calls keep overtaking


class _Reused(Exception):
    """Internal: a rotated or revoked token was presented again (rolls the unit back)."""

    def __init__(self, token: RefreshToken) -> None:
        super().__init__(str(token.id))
        self.token = token


@checked
class IdentityService:
    """``bcrypt_rounds``: bcrypt's cost; ``refresh_ttl``: how long a refresh token lives."""

    def __init__(self, db: Database, *, bcrypt_rounds: int = DEFAULT_ROUNDS,
                 refresh_ttl: timedelta = timedelta(days=30),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.hasher = PasswordHasher(check_range("bcrypt_rounds", bcrypt_rounds, 4, 31))
        self.refresh_ttl = check_range("refresh_ttl", refresh_ttl, timedelta(seconds=1),
                                       MAX_PERIOD)
        self.clock = clock

    # ------------------------------------------------------------------ lookups
    # another tenant's row is not found either: the message is the same as for a missing id
    @staticmethod
    def _user(repo: IdentityRepository, user_id: uuid.UUID) -> User:
        return found(repo.user(user_id), "user", user_id)

    @staticmethod
    def _group(repo: IdentityRepository, group_id: uuid.UUID) -> Group:
        return found(repo.group(group_id), "group", group_id)

    # ------------------------------------------------------------------ users
    def create_user(self, tenant_id: uuid.UUID, email: str, *, password: str | None = None,
                    display_name: str | None = None, actor: Actor = _SYSTEM) -> Account:
        """A password user, or an SSO user when ``password`` is None."""
        address = normalise_email(email)
        name = self._display_name(display_name)
        password_hash = None
        if password is not None:
            check_password(password, email=address)
            password_hash = self.hasher.hash(password)
        user = User(id=uuid.uuid4(), tenant_id=tenant_id, email=address,
                    password_hash=password_hash, mfa_enabled=False, created_at=self.clock(),
                    display_name=name, totp_secret_enc=None)
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            if repo.user_by_email(address) is not None:
                raise Conflict(f"a user with email {address!r} already exists")
            try:
                repo.insert_user(user)
            except UniqueViolation:
                raise Conflict(f"a user with email {address!r} already exists") from None
            except ForeignKeyViolation:  # a user's one reference is its tenant
                raise not_found("tenant", tenant_id) from None
            record(tx, actor, "user.created", "user", user.id,
                   details={"email": address, "sso": password is None}, at=user.created_at)
        return Account.of(user)

    def get_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Account:
        with self.db.tenant(tenant_id) as tx:
            return Account.of(self._user(IdentityRepository(tx), user_id))

    def find_user(self, tenant_id: uuid.UUID, email: str) -> Account:
        """The user with this email, in any case."""
        address = normalise_email(email)
        with self.db.tenant(tenant_id) as tx:
            user = IdentityRepository(tx).user_by_email(address)
        if user is None:
            raise NotFound(f"no user with email {address!r}")
        return Account.of(user)

    def list_users(self, tenant_id: uuid.UUID, *, search: str = "", limit: int = 50,
                   cursor: str | None = None) -> Page[Account]:
        """Ordered by email; ``search`` matches part of the email or display name."""
        size = page_size(limit)
        pattern = search_pattern(check_text("search", search, max_length=200, required=False))
        after = None
        if cursor is not None:
            email, after_id = decode_cursor(cursor, (str, uuid.UUID))
            assert isinstance(email, str) and isinstance(after_id, uuid.UUID)
            after = (email, after_id)
        with self.db.tenant(tenant_id) as tx:
            rows = IdentityRepository(tx).users(pattern, size + 1, after)
        page = paginate(rows, size, lambda u: (u.email, u.id))
        return Page([Account.of(u) for u in page.items], page.next_cursor)

    def rename_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID, display_name: str | None,
                    *, actor: Actor = _SYSTEM) -> Account:
        name = self._display_name(display_name)
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            self._user(repo, user_id)
            repo.set_display_name(user_id, name)
            record(tx, actor, "user.renamed", "user", user_id, details={"display_name": name},
                   at=self.clock())
            return Account.of(self._user(repo, user_id))

    @staticmethod
    def _display_name(display_name: str | None) -> str | None:
        if display_name is None:
            return None
        return check_text("display name", display_name, max_length=200, required=False) or None

    def change_password(self, tenant_id: uuid.UUID, user_id: uuid.UUID, new_password: str, *,
                        actor: Actor = _SYSTEM) -> None:
        """A password user's new password; every refresh token of the user is revoked."""
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            user = self._user(repo, user_id)
            if user.password_hash is None:
                raise ValidationError("an SSO user signs in through the identity provider "
                                      "and has no password")
            check_password(new_password, email=user.email)
            now = self.clock()
            repo.set_password_hash(user_id, self.hasher.hash(new_password))
            # as for a family: a rotation that commits while this waits on its row lock
            # adds a token the first update could not see, so update until none is left
            revoked = last = repo.revoke_user_tokens(user_id, now)
            while last:
                last = repo.revoke_user_tokens(user_id, now)
                revoked += last
            record(tx, actor, "user.password_changed", "user", user_id,
                   details={"revoked_tokens": revoked}, at=now)

    def authenticate(self, tenant_id: uuid.UUID, email: str, password: str) -> Account:
        """The user whose password this is; :class:`Unauthorized` otherwise (SSO users too)."""
        with self.db.tenant(tenant_id) as tx:
            return Account.of(self._check_login(IdentityRepository(tx), email, password))

    def _check_login(self, repo: IdentityRepository, email: str, password: str, *,
                     hold: bool = False) -> User:
        """``hold``: keep the user's row held (:meth:`IdentityRepository.lock_user`) and
        check the password it has then, one a concurrent change may have just replaced."""
        address = _folded(email)
        user = repo.user_by_email(address) if len(address) <= 320 else None
        if hold:  # the same statements for an unknown email: no time difference
            repo.lock_user(user.id if user else NO_ID)
            user = repo.user(user.id if user else NO_ID)
        if not self.hasher.verify(password, user.password_hash if user else None):
            raise Unauthorized("email or password is wrong")
        assert user is not None
        return user

    def login(self, tenant_id: uuid.UUID, email: str, password: str, *,
              user_agent: str | None = None, ip_address: str | None = None) -> IssuedToken:
        """Check the password and start a session: a new refresh-token family.

        A user with MFA on gets :class:`SecondFactorRequired` and no session: the caller
        checks the password (:meth:`authenticate`), then the TOTP code, then starts the
        session with :meth:`issue_token`.
        """
        client = self._client(user_agent, ip_address)
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            user = self._check_login(repo, email, password, hold=True)
            if user.mfa_enabled:
                raise SecondFactorRequired("this user signs in with a second factor as well: "
                                           "check it, then start the session")
            issued = self._issue(repo, user.id, client)
            record(tx, Actor(user.id), "user.logged_in", "refresh_token", issued.id,
                   at=self.clock())
        return issued

    # ------------------------------------------------------------------ groups
    def create_group(self, tenant_id: uuid.UUID, name: str, *,
                     actor: Actor = _SYSTEM) -> Group:
        group = Group(id=uuid.uuid4(), tenant_id=tenant_id,
                      name=check_text("group name", name, max_length=200))
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            self._name_free(repo, group.name)
            try:
                repo.insert_group(group)
            except UniqueViolation:  # a concurrent call took the name after the check
                raise Conflict(f"a group named {group.name!r} already exists") from None
            except ForeignKeyViolation:  # a group's one reference is its tenant
                raise not_found("tenant", tenant_id) from None
            record(tx, actor, "group.created", "group", group.id, details={"name": group.name},
                   at=self.clock())
        return group

    @staticmethod
    def _name_free(repo: IdentityRepository, name: str) -> None:
        if repo.group_by_name(name) is not None:
            raise Conflict(f"a group named {name!r} already exists")

    def get_group(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> Group:
        with self.db.tenant(tenant_id) as tx:
            return self._group(IdentityRepository(tx), group_id)

    def list_groups(self, tenant_id: uuid.UUID) -> list[Group]:
        with self.db.tenant(tenant_id) as tx:
            return IdentityRepository(tx).groups()

    def rename_group(self, tenant_id: uuid.UUID, group_id: uuid.UUID, name: str, *,
                     actor: Actor = _SYSTEM) -> Group:
        name = check_text("group name", name, max_length=200)
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            group = self._group(repo, group_id)
            if group.name == name:
                return group
            self._name_free(repo, name)
            try:
                repo.rename_group(group_id, name)
            except UniqueViolation:  # a concurrent call took the name after the check
                raise Conflict(f"a group named {name!r} already exists") from None
            record(tx, actor, "group.renamed", "group", group_id,
                   details={"from": group.name, "to": name}, at=self.clock())
            return self._group(repo, group_id)

    def delete_group(self, tenant_id: uuid.UUID, group_id: uuid.UUID, *,
                     actor: Actor = _SYSTEM) -> None:
        """The group with its memberships and permissions."""
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._delete_group(tenant_id, group_id, actor)
            except _Joined:
                continue  # undone; deleted again with what was added meanwhile
        return self._delete_group(tenant_id, group_id, actor)

    def _delete_group(self, tenant_id: uuid.UUID, group_id: uuid.UUID, actor: Actor) -> None:
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            group = self._group(repo, group_id)
            members = repo.delete_group_memberships(group_id)
            repo.delete_group_permissions(group_id)
            try:
                repo.delete_group(group_id)
            except ForeignKeyViolation:
                # a concurrent call added a member or a grant after they were deleted
                raise _Joined(group_id) from None
            record(tx, actor, "group.deleted", "group", group_id,
                   details={"name": group.name, "members": members}, at=self.clock())

    # ------------------------------------------------------------------ memberships
    def add_member(self, tenant_id: uuid.UUID, user_id: uuid.UUID, group_id: uuid.UUID, *,
                   actor: Actor = _SYSTEM) -> bool:
        """True when the user joined; False when already a member (nothing written)."""
        return self._membership(tenant_id, user_id, group_id, True, actor)

    def remove_member(self, tenant_id: uuid.UUID, user_id: uuid.UUID, group_id: uuid.UUID, *,
                      actor: Actor = _SYSTEM) -> bool:
        """True when the user left; False when not a member (nothing written)."""
        return self._membership(tenant_id, user_id, group_id, False, actor)

    def _membership(self, tenant_id: uuid.UUID, user_id: uuid.UUID, group_id: uuid.UUID,
                    join: bool, actor: Actor) -> bool:
        return self._switch(
            tenant_id, group_id, want=join, actor=actor,
            action="group.member_added" if join else "group.member_removed",
            details={"user_id": str(user_id)},
            present=lambda repo: repo.is_member(user_id, group_id),
            change=lambda repo: (repo.insert_membership if join else repo.delete_membership)(
                user_id, group_id),
            user_id=user_id)

    def _switch(self, tenant_id: uuid.UUID, group_id: uuid.UUID, *, want: bool, actor: Actor,
                action: str, details: dict[str, str],
                present: Callable[[IdentityRepository], bool],
                change: Callable[[IdentityRepository], object],
                user_id: uuid.UUID | None = None) -> bool:
        """Make a group's membership or grant present (``want``) or absent: False when it
        already was (nothing written), else the change and its audit row."""
        try:
            with self.db.tenant(tenant_id) as tx:
                repo = IdentityRepository(tx)
                if user_id is not None:
                    self._user(repo, user_id)
                self._group(repo, group_id)
                if want == present(repo):
                    return False
                change(repo)
                record(tx, actor, action, "group", group_id, details=dict(details),
                       at=self.clock())
                return True
        except UniqueViolation:
            # A concurrent call added the same row after the check: it is present, as
            # wanted, and this unit of work (rolled back) wrote nothing.
            return False
        except ForeignKeyViolation:
            # NotFound when a concurrent call deleted the group after the check; any
            # other reference stands as it is
            self._read(tenant_id, lambda _repo: None, user_id=user_id, group_id=group_id)
            raise

    def _read(self, tenant_id: uuid.UUID, read: Callable[[IdentityRepository], T], *,
              user_id: uuid.UUID | None = None, group_id: uuid.UUID | None = None) -> T:
        """``read`` once the given user and group are found to be the tenant's."""
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            if user_id is not None:
                self._user(repo, user_id)
            if group_id is not None:
                self._group(repo, group_id)
            return read(repo)

    def user_groups(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[Group]:
        return self._read(tenant_id, lambda repo: repo.user_groups(user_id), user_id=user_id)

    def group_members(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> list[uuid.UUID]:
        return self._read(tenant_id, lambda repo: repo.group_members(group_id),
                          group_id=group_id)

    # ------------------------------------------------------------------ permissions
    def grant(self, tenant_id: uuid.UUID, group_id: uuid.UUID, permission: str, *,
              actor: Actor = _SYSTEM) -> bool:
        """True when granted; False when the group already had it (nothing written)."""
        return self._permission(tenant_id, group_id, permission, True, actor)

    def revoke(self, tenant_id: uuid.UUID, group_id: uuid.UUID, permission: str, *,
               actor: Actor = _SYSTEM) -> bool:
        """True when revoked; False when the group did not have it (nothing written)."""
        return self._permission(tenant_id, group_id, permission, False, actor)

    def _permission(self, tenant_id: uuid.UUID, group_id: uuid.UUID, permission: str,
                    give: bool, actor: Actor) -> bool:
        check_permission(permission)
        return self._switch(
            tenant_id, group_id, want=give, actor=actor,
            action="group.permission_granted" if give else "group.permission_revoked",
            details={"permission": permission},
            present=lambda repo: repo.has_permission(group_id, permission),
            change=lambda repo: (repo.insert_permission if give else repo.delete_permission)(
                group_id, permission))

    def group_permissions(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> frozenset[str]:
        return self._read(tenant_id, lambda repo: frozenset(repo.group_permissions(group_id)),
                          group_id=group_id)

    def effective_permissions(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> frozenset[str]:
        """The union of the permissions of every group the user is in."""
        return self._read(tenant_id, lambda repo: frozenset(repo.user_permissions(user_id)),
                          user_id=user_id)

    def has_permission(self, tenant_id: uuid.UUID, user_id: uuid.UUID,
                       permission: str) -> bool:
        return check_permission(permission) in self.effective_permissions(tenant_id, user_id)

    # ------------------------------------------------------------------ settings
    def settings(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserSettings:
        """The user's settings; the defaults while the user has saved none."""
        with self.db.tenant(tenant_id) as tx:
            return self._settings(IdentityRepository(tx), tenant_id, user_id)

    def _settings(self, repo: IdentityRepository, tenant_id: uuid.UUID,
                  user_id: uuid.UUID) -> UserSettings:
        self._user(repo, user_id)
        return repo.settings(user_id) or UserSettings(
            user_id=user_id, tenant_id=tenant_id, locale="en", timezone="UTC", theme="system",
            density="comfortable", accent_color=None)

    def update_settings(self, tenant_id: uuid.UUID, user_id: uuid.UUID, *,
                        locale: str | None = None, timezone: str | None = None,
                        theme: str | None = None, density: str | None = None,
                        accent_color: str | None = None,
                        actor: Actor = _SYSTEM) -> UserSettings:
        """Change the given settings (None keeps one; ``accent_color=""`` clears it)."""
        changes = _checked_settings(locale, timezone, theme, density, accent_color)
        try:
            return self._update_settings(tenant_id, user_id, changes, actor)
        except UniqueViolation:
            # Two first saves at once: PostgreSQL's upsert guards one of the table's two
            # unique keys, so the second insert fails on the other. Its unit of work was
            # rolled back; again, it finds the row and updates it.
            return self._update_settings(tenant_id, user_id, changes, actor)

    def _update_settings(self, tenant_id: uuid.UUID, user_id: uuid.UUID,
                         changes: _SettingsChange, actor: Actor) -> UserSettings:
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            current = self._settings(repo, tenant_id, user_id)
            merged = dataclasses.replace(current, **changes)
            repo.save_settings(merged)
            record(tx, actor, "user.settings_changed", "user_settings", user_id,
                   details=dict(changes), at=self.clock())
        return merged

    # ------------------------------------------------------------------ refresh tokens
    def issue_token(self, tenant_id: uuid.UUID, user_id: uuid.UUID, *,
                    user_agent: str | None = None, ip_address: str | None = None,
                    actor: Actor = _SYSTEM) -> IssuedToken:
        """A new session for the user (an SSO sign-in): a new refresh-token family."""
        client = self._client(user_agent, ip_address)
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            repo.lock_user(user_id)  # a concurrent password change comes first, or waits
            self._user(repo, user_id)
            issued = self._issue(repo, user_id, client)
            record(tx, actor, "refresh_token.issued", "refresh_token", issued.id,
                   details={"user_id": str(user_id)}, at=self.clock())
        return issued

    @staticmethod
    def _client(user_agent: str | None, ip_address: str | None) -> _Client:
        """The session's details, checked before any credential is: a bad one refuses a
        right and a wrong password alike, so it tells nothing about the password."""
        agent = None if user_agent is None else check_text(
            "user agent", user_agent, max_length=500, required=False) or None
        ip = None if ip_address is None else check_text(
            "IP address", ip_address, max_length=45, required=False) or None
        return agent, ip

    def _issue(self, repo: IdentityRepository, user_id: uuid.UUID,
               client: _Client) -> IssuedToken:
        agent, ip = client
        token = secrets.token_urlsafe(32)
        now = self.clock()
        row = RefreshToken(id=uuid.uuid4(), tenant_id=repo.tenant_id, user_id=user_id,
                           token_hash=token_digest(token), expires_at=now + self.refresh_ttl,
                           revoked_at=None, replaced_by=None, created_at=now,
                           user_agent=agent, ip_address=ip)
        repo.insert_token(row)
        return IssuedToken(token, row.id, user_id, row.expires_at)

    def rotate(self, tenant_id: uuid.UUID, token: Credential, *,
               user_agent: str | None = None, ip_address: str | None = None) -> IssuedToken:
        """Trade a refresh token for a new one; the old one is marked replaced.

        Presenting a token that was already rotated or revoked revokes every token of
        its family and raises :class:`Unauthorized`.
        """
        client = self._client(user_agent, ip_address)
        digest = _presented_digest(token)
        try:
            with self.db.tenant(tenant_id) as tx:
                repo = IdentityRepository(tx)
                row = repo.token_by_hash(digest)
                if row is None:
                    raise Unauthorized("refresh token not recognised")
                if row.revoked_at is not None or row.replaced_by is not None:
                    raise _Reused(row)
                if row.expires_at <= self.clock():
                    raise Unauthorized("refresh token has expired")
                # A concurrent password change either waits for this rotation and then
                # revokes the new token too, or came first and revoked the old one, which
                # mark_replaced then finds
                repo.lock_user(row.user_id)
                issued = self._issue(repo, row.user_id, client)
                if repo.mark_replaced(row.id, issued.id) != 1:
                    raise _Reused(row)  # rotated by a concurrent call: a second use
                record(tx, Actor(row.user_id), "refresh_token.rotated", "refresh_token",
                       row.id, details={"replaced_by": str(issued.id)}, at=self.clock())
                return issued
        except _Reused as reused:
            self._revoke_family(tenant_id, reused.token, "refresh_token.reuse_detected")
        raise Unauthorized("refresh token was already used; its session is revoked")

    def revoke_session(self, tenant_id: uuid.UUID, token: Credential) -> None:
        """Log out: revoke the token's whole family."""
        digest = _presented_digest(token)
        with self.db.tenant(tenant_id) as tx:
            row = IdentityRepository(tx).token_by_hash(digest)
        if row is None:
            raise Unauthorized("refresh token not recognised")
        if row.revoked_at is None:  # logging out twice changes nothing
            self._revoke_family(tenant_id, row, "refresh_token.revoked")

    def _revoke_family(self, tenant_id: uuid.UUID, token: RefreshToken, action: str) -> int:
        now = self.clock()
        with self.db.tenant(tenant_id) as tx:
            repo = IdentityRepository(tx)
            # a rotation of the family running now finishes first, and its token is read
            repo.lock_user(token.user_id)
            revoked, seen = 0, set[uuid.UUID]()
            # A rotation that commits while a revocation waits on its row lock adds a
            # token the first read could not see: read again until nothing is new.
            while fresh := set(repo.token_family(token.id)) - seen:
                seen |= fresh
                revoked += sum(repo.revoke_token(t, now) for t in fresh)
            record(tx, Actor(token.user_id), action, "refresh_token", token.id,
                   details={"revoked": revoked}, at=now)
        return revoked

    def sessions(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[RefreshToken]:
        """Every refresh token of the user (hashes only), oldest first."""
        return self._read(tenant_id, lambda repo: repo.user_tokens(user_id), user_id=user_id)


class _SettingsChange(TypedDict, total=False):
    locale: str
    timezone: str
    theme: str
    density: str
    accent_color: str | None


def _checked_settings(locale: str | None, timezone: str | None, theme: str | None,
                      density: str | None, accent_color: str | None) -> _SettingsChange:
    changes: _SettingsChange = {}
    if locale is not None:
        if len(locale) > 35 or not _LOCALE.fullmatch(locale):
            raise ValidationError(f"locale {locale[:40]!r} is not a language tag like 'en-GB'")
        changes["locale"] = locale
    if timezone is not None:
        changes["timezone"] = _checked_zone(timezone)
    if theme is not None:
        if theme not in THEMES:
            raise ValidationError(f"theme {theme[:40]!r} is not one of {', '.join(THEMES)}")
        changes["theme"] = theme
    if density is not None:
        if density not in DENSITIES:
            raise ValidationError(f"density {density[:40]!r} is not one of "
                                  f"{', '.join(DENSITIES)}")
        changes["density"] = density
    if accent_color is not None:
        if accent_color and not _COLOUR.fullmatch(accent_color):
            raise ValidationError(f"accent colour {accent_color[:40]!r} is not #RRGGBB")
        changes["accent_color"] = accent_color.lower() or None
    if not changes:
        raise ValidationError("no setting to change")
    return changes


def _checked_zone(timezone: str) -> str:
    if len(timezone) <= 64 and timezone and not timezone.startswith(("/", ".")):
        try:
            ZoneInfo(timezone)
            return timezone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValidationError(f"time zone {timezone[:70]!r} is not a known IANA zone")
