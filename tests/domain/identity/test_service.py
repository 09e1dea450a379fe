"""Identity rules on real SQLite and PostgreSQL: accounts, groups, permissions, settings,
refresh-token sessions, and the refusals that change nothing."""

from __future__ import annotations

import functools
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monozu.db import Database, NotFound, UniqueViolation, connect
from monozu.db.migrate import Migrator
from monozu.domain.audit import Actor
from monozu.domain.errors import Conflict, SecondFactorRequired, Unauthorized, ValidationError
from monozu.domain.identity import (
    IdentityRepository,
    IdentityService,
    IssuedToken,
    token_digest,
)
from tests.domain.conftest import Clock, add_tenant, audit_actions, table_rows

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-42"
TABLES = ("users", "groups", "user_groups", "group_permissions", "user_settings",
          "refresh_tokens", "audit_logs")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def ids(db: Database, clock: Clock) -> IdentityService:
    return IdentityService(db, bcrypt_rounds=4, refresh_ttl=timedelta(days=30), clock=clock)


@pytest.fixture
def acme(db: Database) -> uuid.UUID:
    return add_tenant(db, "acme")


@pytest.fixture
def globex(db: Database) -> uuid.UUID:
    return add_tenant(db, "globex")


def unchanged(db: Database, call: Callable[[], object], error: type[Exception],
              match: str | None = None) -> None:
    """``call`` is refused with ``error`` and leaves every identity row and audit row as is."""
    before = table_rows(db, *TABLES)
    with pytest.raises(error, match=match):
        call()
    assert table_rows(db, *TABLES) == before


# ---------------------------------------------------------------------- accounts


def test_password_and_sso_users(ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "  Alice@ACME.test ", password=PASSWORD, display_name="Alice")
    bob = ids.create_user(acme, "bob@acme.test")  # SSO: no password
    assert (alice.email, alice.sso, bob.sso) == ("alice@acme.test", False, True)
    stored = db.get_value("SELECT password_hash FROM users WHERE id = :id", id=alice.id)
    assert stored.startswith("$2b$04$") and PASSWORD not in stored
    assert db.get_value("SELECT password_hash FROM users WHERE id = :id", id=bob.id) is None
    assert ids.find_user(acme, "ALICE@acme.TEST").id == alice.id
    assert ids.authenticate(acme, "aLiCe@Acme.Test", PASSWORD).id == alice.id
    for email, password in [("alice@acme.test", "Wrong-Horse-42"), ("bob@acme.test", ""),
                            ("bob@acme.test", PASSWORD), ("carol@acme.test", PASSWORD)]:
        with pytest.raises(Unauthorized, match="email or password is wrong"):
            ids.authenticate(acme, email, password)
    assert ids.rename_user(acme, bob.id, " Bob B ").display_name == "Bob B"
    assert audit_actions(db, acme) == ["user.created", "user.created", "user.renamed"]


def test_email_is_unique_per_tenant_in_any_case(ids: IdentityService, db: Database,
                                                acme: uuid.UUID, globex: uuid.UUID) -> None:
    ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    for again in ("alice@acme.test", "ALICE@Acme.Test", " Alice@acme.test"):
        unchanged(db, functools.partial(ids.create_user, acme, again), Conflict,
                  "already exists")
    assert ids.create_user(globex, "Alice@Acme.test").tenant_id == globex  # another tenant


def test_rows_written_in_another_case_are_found_and_block_duplicates(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    """A row written before emails were stored lower-case still counts, in any case."""
    legacy = uuid.uuid4()
    db.exec("INSERT INTO users (id, tenant_id, email) VALUES (:id, :t, 'Carol@Acme.TEST')",
            id=legacy, t=acme)
    assert ids.find_user(acme, "carol@acme.test").id == legacy
    unchanged(db, lambda: ids.create_user(acme, "CAROL@acme.test"), Conflict, "already exists")


@pytest.mark.parametrize(("email", "password", "error", "match"), [
    ("carol@acme.test", "", ValidationError, "must not be empty"),
    ("carol@acme.test", "short", ValidationError, "at least 10"),
    ("carol@acme.test", "Carol-is-great-1", ValidationError, "contains the email"),
    ("carol@acme.test", "Aa1!" + "x" * 80, ValidationError, "at most 72"),
    ("not-an-address", PASSWORD, ValidationError, "not an address"),
    ("", PASSWORD, ValidationError, "email must not be empty"),
    ("c" * 311 + "@acme.test", PASSWORD, ValidationError, "at most 320"),
    ("İ" * 200 + "@acme.test", PASSWORD, ValidationError, "410 characters long; at most 320"),
])
def test_bad_accounts_are_refused(ids: IdentityService, db: Database, acme: uuid.UUID,
                                  email: str, password: str, error: type[Exception],
                                  match: str) -> None:
    unchanged(db, lambda: ids.create_user(acme, email, password=password), error, match)


def test_oversize_display_name_is_refused(ids: IdentityService, db: Database,
                                          acme: uuid.UUID) -> None:
    bob = ids.create_user(acme, "bob@acme.test")
    unchanged(db, lambda: ids.rename_user(acme, bob.id, "b" * 201), ValidationError,
              "at most 200")


def test_users_page_by_keyset_with_search(ids: IdentityService, acme: uuid.UUID,
                                          globex: uuid.UUID) -> None:
    for n in range(7):
        ids.create_user(acme, f"user{n}@acme.test", display_name=f"Person {n % 2}")
    ids.create_user(acme, "odd_100%@acme.test")
    ids.create_user(globex, "user9@globex.test")
    seen: list[str] = []
    cursor = None
    while True:
        page = ids.list_users(acme, limit=3, cursor=cursor)
        seen += [a.email for a in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen) and len(seen) == 8 and not any("globex" in e for e in seen)
    assert [a.email for a in ids.list_users(acme, search="PERSON 1").items] == \
        ["user1@acme.test", "user3@acme.test", "user5@acme.test"]
    assert [a.email for a in ids.list_users(acme, search="_100%").items] == \
        ["odd_100%@acme.test"]  # LIKE wildcards in the search are literal
    ids.create_user(acme, "ops@acme.test", display_name="[ops] On call")
    assert [a.email for a in ids.list_users(acme, search="[ops]").items] == ["ops@acme.test"]
    with pytest.raises(ValidationError, match="cursor"):
        ids.list_users(acme, cursor="garbage")


def test_change_password_revokes_sessions(ids: IdentityService, db: Database,
                                          acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    token = ids.login(acme, "alice@acme.test", PASSWORD)
    ids.change_password(acme, alice.id, "Another-Horse-43")
    assert all(t.revoked_at is not None for t in ids.sessions(acme, alice.id))
    with pytest.raises(Unauthorized):
        ids.rotate(acme, token.token)
    assert ids.authenticate(acme, "alice@acme.test", "Another-Horse-43").id == alice.id
    unchanged(db, lambda: ids.change_password(acme, alice.id, "weak"), ValidationError, "weak")
    sso = ids.create_user(acme, "bob@acme.test")
    unchanged(db, lambda: ids.change_password(acme, sso.id, PASSWORD), ValidationError, "SSO")


# ---------------------------------------------------------------------- groups, permissions


def test_effective_permissions_are_the_union_over_groups(ids: IdentityService, db: Database,
                                                         acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ops = ids.create_group(acme, "Operators")
    sec = ids.create_group(acme, "Security")
    assert ids.grant(acme, ops.id, "incidents:write")
    assert ids.grant(acme, ops.id, "assets:read")
    assert not ids.grant(acme, ops.id, "assets:read")  # already granted: nothing written
    assert ids.grant(acme, sec.id, "vulnerabilities:write")
    assert ids.grant(acme, sec.id, "assets:read")
    assert ids.effective_permissions(acme, alice.id) == frozenset()
    assert ids.add_member(acme, alice.id, ops.id) and ids.add_member(acme, alice.id, sec.id)
    assert not ids.add_member(acme, alice.id, sec.id)
    assert ids.effective_permissions(acme, alice.id) == \
        {"incidents:write", "assets:read", "vulnerabilities:write"}
    assert ids.has_permission(acme, alice.id, "incidents:write")
    assert not ids.has_permission(acme, alice.id, "changes:approve")
    assert ids.remove_member(acme, alice.id, ops.id)
    assert not ids.remove_member(acme, alice.id, ops.id)
    assert ids.effective_permissions(acme, alice.id) == {"assets:read", "vulnerabilities:write"}
    assert ids.revoke(acme, sec.id, "assets:read") and not ids.revoke(acme, sec.id, "assets:read")
    assert [g.name for g in ids.user_groups(acme, alice.id)] == ["Security"]
    assert ids.rename_group(acme, sec.id, "SecOps").name == "SecOps"
    ids.delete_group(acme, sec.id)
    assert ids.effective_permissions(acme, alice.id) == frozenset()
    assert [g.name for g in ids.list_groups(acme)] == ["Operators"]
    assert audit_actions(db, acme).count("group.permission_granted") == 4
    assert "group.deleted" in audit_actions(db, acme)


def test_unknown_permissions_and_duplicate_groups_are_refused(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    ops = ids.create_group(acme, "Operators")
    ids.create_group(acme, "Security")
    unchanged(db, lambda: ids.grant(acme, ops.id, "incidents:teleport"), ValidationError,
              "unknown permission 'incidents:teleport'")
    unchanged(db, lambda: ids.grant(acme, ops.id, "admin"), ValidationError, "resource:action")
    unchanged(db, lambda: ids.revoke(acme, ops.id, "x:y"), ValidationError, "unknown")
    unchanged(db, lambda: ids.create_group(acme, "Operators"), Conflict, "already exists")
    unchanged(db, lambda: ids.rename_group(acme, ops.id, "Security"), Conflict, "already")
    unchanged(db, lambda: ids.create_group(acme, "  "), ValidationError, "must not be empty")
    unchanged(db, lambda: ids.create_group(acme, "g" * 201), ValidationError, "at most 200")


# ---------------------------------------------------------------------- settings


def test_settings_with_appearance(ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    defaults = ids.settings(acme, alice.id)
    assert (defaults.locale, defaults.timezone, defaults.theme, defaults.density,
            defaults.accent_color) == ("en", "UTC", "system", "comfortable", None)
    ids.update_settings(acme, alice.id, theme="dark", accent_color="#1A2B3C")
    ids.update_settings(acme, alice.id, locale="de-DE", timezone="Europe/Berlin",
                        density="compact")
    s = ids.settings(acme, alice.id)
    assert (s.locale, s.timezone, s.theme, s.density, s.accent_color) == \
        ("de-DE", "Europe/Berlin", "dark", "compact", "#1a2b3c")
    assert ids.update_settings(acme, alice.id, accent_color="").accent_color is None
    assert audit_actions(db, acme).count("user.settings_changed") == 3
    cases: list[tuple[dict[str, Any], str]] = [
        ({"theme": "neon"}, "theme"), ({"density": "cosy"}, "density"),
        ({"accent_color": "red"}, "#RRGGBB"), ({"timezone": "Mars/Base"}, "zone"),
        ({"timezone": "../etc"}, "zone"), ({"locale": "english please"}, "locale"),
        ({}, "no setting")]
    for bad, match in cases:
        unchanged(db, functools.partial(ids.update_settings, acme, alice.id, **bad),
                  ValidationError, match)


# ---------------------------------------------------------------------- refresh tokens


def test_rotation_and_reuse_detection(ids: IdentityService, db: Database,
                                      acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    first = ids.login(acme, "alice@acme.test", PASSWORD, user_agent="browser", ip_address="::1")
    assert first.token not in repr(first)
    stored = db.select(str, "SELECT token_hash FROM refresh_tokens")
    assert stored == [token_digest(first.token)] and first.token not in stored[0]
    second = ids.rotate(acme, first.token)
    third = ids.rotate(acme, second.token)
    rows = {t.id: t for t in ids.sessions(acme, alice.id)}
    assert rows[first.id].replaced_by == second.id and rows[second.id].replaced_by == third.id
    assert rows[third.id].replaced_by is None and rows[third.id].revoked_at is None
    other = ids.login(acme, "alice@acme.test", PASSWORD)  # a second session, another family

    with pytest.raises(Unauthorized, match="already used"):
        ids.rotate(acme, first.token)  # a stolen, already rotated token comes back
    rows = {t.id: t for t in ids.sessions(acme, alice.id)}
    assert all(rows[t].revoked_at is not None for t in (first.id, second.id, third.id))
    assert rows[other.id].revoked_at is None  # the other session is untouched
    with pytest.raises(Unauthorized):
        ids.rotate(acme, third.token)  # the legitimate holder is logged out too
    assert ids.rotate(acme, other.token).user_id == alice.id
    actions = audit_actions(db, acme)
    assert actions.count("refresh_token.reuse_detected") == 2
    assert actions.count("refresh_token.rotated") == 3


def test_unknown_expired_and_foreign_tokens_change_nothing(
        ids: IdentityService, db: Database, clock: Clock, acme: uuid.UUID,
        globex: uuid.UUID) -> None:
    ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    bob = ids.create_user(globex, "bob@globex.test")
    token = ids.login(acme, "alice@acme.test", PASSWORD)
    bobs = ids.issue_token(globex, bob.id)
    unchanged(db, lambda: ids.rotate(acme, "made-up"), Unauthorized, "not recognised")
    unchanged(db, lambda: ids.rotate(acme, bobs.token), Unauthorized, "not recognised")
    unchanged(db, lambda: ids.revoke_session(acme, bobs.token), Unauthorized, "not recognised")
    clock.now = NOW + timedelta(days=31)
    unchanged(db, lambda: ids.rotate(acme, token.token), Unauthorized, "expired")
    clock.now = NOW
    ids.revoke_session(acme, token.token)
    assert "refresh_token.revoked" in audit_actions(db, acme)
    with pytest.raises(Unauthorized):
        ids.rotate(acme, token.token)
    assert ids.rotate(globex, bobs.token).user_id == bob.id


# ---------------------------------------------------------------------- other tenants' ids


def test_another_tenants_ids_behave_like_missing_ones(ids: IdentityService, db: Database,
                                                      acme: uuid.UUID,
                                                      globex: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ops = ids.create_group(acme, "Operators")
    bob = ids.create_user(globex, "bob@globex.test")
    admins = ids.create_group(globex, "Admins")
    ids.add_member(globex, bob.id, admins.id)
    ids.grant(globex, admins.id, "users:write")
    calls: list[Callable[[uuid.UUID, uuid.UUID], object]] = [
        lambda u, g: ids.get_user(acme, u),
        lambda u, g: ids.rename_user(acme, u, "Mallory"),
        lambda u, g: ids.change_password(acme, u, PASSWORD),
        lambda u, g: ids.settings(acme, u),
        lambda u, g: ids.update_settings(acme, u, theme="dark"),
        lambda u, g: ids.effective_permissions(acme, u),
        lambda u, g: ids.user_groups(acme, u),
        lambda u, g: ids.issue_token(acme, u),
        lambda u, g: ids.sessions(acme, u),
        lambda u, g: ids.get_group(acme, g),
        lambda u, g: ids.rename_group(acme, g, "Mine now"),
        lambda u, g: ids.delete_group(acme, g),
        lambda u, g: ids.group_members(acme, g),
        lambda u, g: ids.group_permissions(acme, g),
        lambda u, g: ids.grant(acme, g, "audit:read"),
        lambda u, g: ids.revoke(acme, g, "users:write"),
        lambda u, g: ids.add_member(acme, alice.id, g),  # acme's user into globex's group
        lambda u, g: ids.add_member(acme, u, ops.id),  # globex's user into acme's group
        lambda u, g: ids.remove_member(acme, u, g),
    ]
    for call in calls:
        missing = uuid.uuid4()
        with pytest.raises(NotFound) as absent:
            call(missing, missing)
        before = table_rows(db, *TABLES)
        with pytest.raises(NotFound) as foreign:
            call(bob.id, admins.id)
        assert table_rows(db, *TABLES) == before
        normalised = str(foreign.value).replace(str(bob.id), "<id>").replace(str(admins.id),
                                                                             "<id>")
        assert normalised == str(absent.value).replace(str(missing), "<id>")
    assert ids.effective_permissions(globex, bob.id) == {"users:write"}
    assert ids.group_members(globex, admins.id) == [bob.id]


def test_an_actor_of_another_tenant_is_refused(ids: IdentityService, db: Database,
                                               acme: uuid.UUID, globex: uuid.UUID) -> None:
    bob = ids.create_user(globex, "bob@globex.test")
    # the audit row's (tenant, user) reference cannot point into another tenant: the actor
    # is as unknown there as a missing user
    unchanged(db, lambda: ids.create_group(acme, "Operators", actor=Actor(bob.id)),
              NotFound, match=f"actor user {bob.id} not found")
    assert ids.create_group(globex, "Operators", actor=Actor(bob.id)).tenant_id == globex


def test_a_rotation_lost_to_a_concurrent_one_counts_as_reuse(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    token = ids.issue_token(acme, alice.id)
    # another call marks the token replaced between this call's read and its write
    monkeypatch.setattr(IdentityRepository, "mark_replaced", lambda *_args: 0)
    with pytest.raises(Unauthorized, match="already used"):
        ids.rotate(acme, token.token)
    [row] = ids.sessions(acme, alice.id)  # the new token was rolled back with the call
    assert row.id == token.id and row.revoked_at is not None


def test_oversize_session_details_are_refused(ids: IdentityService, db: Database,
                                              acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    unchanged(db, lambda: ids.issue_token(acme, alice.id, user_agent="u" * 501),
              ValidationError, "user agent is 501 characters long")
    unchanged(db, lambda: ids.issue_token(acme, alice.id, ip_address="1" * 46),
              ValidationError, "IP address")


def test_a_user_row_never_shows_its_password_hash_or_totp_secret(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    db.exec("UPDATE users SET totp_secret_enc = 'enc:totp-secret' WHERE id = :id", id=alice.id)
    with db.tenant(acme) as tx:
        row = IdentityRepository(tx).user(alice.id)
    assert row is not None and row.password_hash and row.totp_secret_enc
    for shown in (repr(row), str(row), repr([row])):
        assert row.password_hash not in shown and "totp-secret" not in shown
        assert "alice@acme.test" in shown


def test_an_address_typed_composed_or_decomposed_is_one_user(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    composed = unicodedata.normalize("NFC", "José@acme.test")
    decomposed = unicodedata.normalize("NFD", composed)
    jose = ids.create_user(acme, decomposed, password=PASSWORD)
    assert jose.email == composed.lower()
    unchanged(db, lambda: ids.create_user(acme, composed), Conflict, "already exists")
    for typed in (composed, decomposed, decomposed.upper()):
        assert ids.find_user(acme, typed).id == jose.id
        assert ids.authenticate(acme, typed, PASSWORD).id == jose.id


@pytest.mark.parametrize("email", [
    "alice@acme.test\u200b", "\u200balice@acme.test", "ali\u202ece@acme.test",
    "ali\u00adce@acme.test", "ali\x07ce@acme.test", "alice@acme\u2060.test",
])
def test_invisible_and_control_characters_in_an_address_are_refused(
        ids: IdentityService, db: Database, acme: uuid.UUID, email: str) -> None:
    """Each would make a second account that shows as alice@acme.test."""
    ids.create_user(acme, "alice@acme.test")
    unchanged(db, lambda: ids.create_user(acme, email), ValidationError,
              "invisible or control character")


@pytest.mark.parametrize("token", [
    None, 5, b"bytes", ["list"], "nul\x00inside", "lone\ud800surrogate", "t" * 100_000,
])
def test_anything_that_cannot_be_a_token_is_an_unknown_token(
        ids: IdentityService, db: Database, acme: uuid.UUID, token: object) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ids.issue_token(acme, alice.id)
    for call in (ids.rotate, ids.revoke_session):
        unchanged(db, lambda: call(acme, token),  # type: ignore[arg-type]  # noqa: B023
                  Unauthorized, "^refresh token not recognised$")


@pytest.fixture
def pg_ids(pg_url: str) -> Iterator[tuple[Database, IdentityService, uuid.UUID]]:
    """PostgreSQL only, for races: SQLite runs one writer at a time, so two units of
    work cannot interleave there."""
    Migrator.from_url(pg_url).migrate()
    db = connect(pg_url)
    try:
        yield db, IdentityService(db, bcrypt_rounds=4), add_tenant(db, "acme")
    finally:
        db.close()


def while_a_rotation_holds(db: Database, ids: IdentityService, tenant_id: uuid.UUID,
                           token: IssuedToken, call: Callable[[], object],
                           monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """Rotate ``token`` and hold that unit of work open, the token's row locked, while
    ``call`` runs until it waits on that lock; then let both finish. What each returned
    or raised (``Unauthorized``)."""
    marked, release = threading.Event(), threading.Event()
    mark = IdentityRepository.mark_replaced

    def held(repo: IdentityRepository, token_id: uuid.UUID, by: uuid.UUID) -> int:
        changed = mark(repo, token_id, by)
        if token_id == token.id:
            marked.set()
            release.wait(60)
        return changed

    monkeypatch.setattr(IdentityRepository, "mark_replaced", held)
    outcome: dict[str, object] = {}

    def run(name: str, work: Callable[[], object]) -> threading.Thread:
        def target() -> None:
            try:
                outcome[name] = work()
            except Unauthorized as refused:
                outcome[name] = refused
        thread = threading.Thread(target=target)
        thread.start()
        return thread

    holder = run("rotation", lambda: ids.rotate(tenant_id, token.token))
    assert marked.wait(60)
    other = run("call", call)
    for _ in range(1200):  # hang guard: until the call waits on the row lock
        if db.get_value("SELECT count(*) FROM pg_stat_activity WHERE "
                        "datname = current_database() AND wait_event_type = 'Lock'"):
            break
        threading.Event().wait(0.05)
    release.set()
    holder.join(60)
    other.join(60)
    monkeypatch.setattr(IdentityRepository, "mark_replaced", mark)
    return outcome["rotation"], outcome.get("call")


def test_a_replayed_token_revokes_the_token_rotated_while_it_was_revoking(
        pg_ids: tuple[Database, IdentityService, uuid.UUID],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A thief replays an old token while the holder rotates the newest one: the token
    that rotation commits is revoked with the rest of the family, not left live."""
    db, ids, acme = pg_ids
    alice = ids.create_user(acme, "alice@acme.test")
    first = ids.issue_token(acme, alice.id)
    second = ids.rotate(acme, first.token)
    third, thief = while_a_rotation_holds(db, ids, acme, second,
                                          lambda: ids.rotate(acme, first.token), monkeypatch)
    assert isinstance(third, IssuedToken) and isinstance(thief, Unauthorized)
    rows = {t.id: t for t in ids.sessions(acme, alice.id)}
    assert set(rows) == {first.id, second.id, third.id}
    assert all(t.revoked_at is not None for t in rows.values())


def test_a_password_change_revokes_the_token_rotated_while_it_was_revoking(
        pg_ids: tuple[Database, IdentityService, uuid.UUID],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner changes the password while a thief's refresh is under way: the token
    that refresh commits is revoked with every other one of the user."""
    db, ids, acme = pg_ids
    alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    stolen = ids.login(acme, "alice@acme.test", PASSWORD)
    fresh, _ = while_a_rotation_holds(
        db, ids, acme, stolen,
        lambda: ids.change_password(acme, alice.id, "Another-Horse-43"), monkeypatch)
    assert isinstance(fresh, IssuedToken)
    rows = ids.sessions(acme, alice.id)
    assert {t.id for t in rows} == {stolen.id, fresh.id}
    assert all(t.revoked_at is not None for t in rows)



def test_bad_session_details_are_refused_before_the_password_is_checked(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    """A right and a wrong password get the same refusal: the details do not make a
    way to try passwords that starts no session and leaves no login behind."""
    ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    token = ids.login(acme, "alice@acme.test", PASSWORD)
    for password in (PASSWORD, "Wrong-Horse-42"):
        unchanged(db, lambda: ids.login(acme, "alice@acme.test", password,  # noqa: B023
                                        user_agent="u" * 501),
                  ValidationError, "user agent is 501 characters long")
    for presented in (token.token, "made-up"):
        unchanged(db, lambda: ids.rotate(acme, presented, ip_address="1" * 46),  # noqa: B023
                  ValidationError, "IP address")


def test_a_user_with_mfa_on_gets_no_session_from_the_password_alone(
        ids: IdentityService, db: Database, acme: uuid.UUID) -> None:
    alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
    db.exec("UPDATE users SET mfa_enabled = :on, totp_secret_enc = 'enc' WHERE id = :id",
            on=True, id=alice.id)
    unchanged(db, lambda: ids.login(acme, "alice@acme.test", PASSWORD),
              SecondFactorRequired, "second factor")
    with pytest.raises(Unauthorized, match="email or password is wrong") as wrong:
        ids.login(acme, "alice@acme.test", "Wrong-Horse-42")
    assert not isinstance(wrong.value, SecondFactorRequired)  # only the right password says so
    # the caller's way: the password, then the TOTP code (the caller's), then the session
    assert ids.authenticate(acme, "alice@acme.test", PASSWORD).mfa_enabled
    assert ids.issue_token(acme, alice.id).user_id == alice.id


# ---------------------------------------------------------------------- concurrent calls


def test_a_group_name_taken_by_a_concurrent_call_is_a_conflict(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ops = ids.create_group(acme, "Operators")
    other = ids.create_group(acme, "Engineers")
    # another call took the name between this call's check and its write
    monkeypatch.setattr(IdentityRepository, "group_by_name", lambda *_args: None)
    unchanged(db, lambda: ids.create_group(acme, "Operators"), Conflict,
              "a group named 'Operators' already exists")
    unchanged(db, lambda: ids.rename_group(acme, other.id, "Operators"), Conflict,
              "a group named 'Operators' already exists")
    assert [g.id for g in ids.list_groups(acme) if g.name == "Operators"] == [ops.id]


def test_a_membership_or_grant_made_by_a_concurrent_call_is_already_there(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ops = ids.create_group(acme, "Operators")
    assert ids.add_member(acme, alice.id, ops.id) is True
    assert ids.grant(acme, ops.id, "incidents:read") is True
    # another call added the row between this call's check and its write
    monkeypatch.setattr(IdentityRepository, "is_member", lambda *_args: False)
    monkeypatch.setattr(IdentityRepository, "has_permission", lambda *_args: False)
    before = table_rows(db, *TABLES)
    assert ids.add_member(acme, alice.id, ops.id) is False
    assert ids.grant(acme, ops.id, "incidents:read") is False
    assert table_rows(db, *TABLES) == before


def test_a_first_save_of_settings_lost_to_a_concurrent_one_is_saved_again(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two first saves at once on PostgreSQL: the upsert guards the (tenant_id, user_id)
    key, and the second insert fails on the primary key instead, in a window no test can
    hold open; the call meets that failure here, the other save committed."""
    alice = ids.create_user(acme, "alice@acme.test")
    ids.update_settings(acme, alice.id, locale="de")  # the concurrent first save
    save = IdentityRepository.save_settings
    lost: list[bool] = []

    def losing(repo: IdentityRepository, settings: Any) -> None:
        if not lost:  # this call's first attempt, which read no row yet
            lost.append(True)
            raise UniqueViolation("duplicate key value violates unique constraint "
                                  "\"pk_user_settings\"", constraint="pk_user_settings")
        save(repo, settings)

    monkeypatch.setattr(IdentityRepository, "save_settings", losing)
    saved = ids.update_settings(acme, alice.id, theme="dark")
    assert (saved.locale, saved.theme) == ("de", "dark")
    assert (ids.settings(acme, alice.id).locale, ids.settings(acme, alice.id).theme) == \
        ("de", "dark")
    assert audit_actions(db, acme).count("user.settings_changed") == 2


def test_a_membership_or_grant_for_a_group_deleted_meanwhile_is_not_found(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ops = ids.create_group(acme, "Operators")
    ids.delete_group(acme, ops.id)  # the concurrent call, after this one's check
    real = IdentityRepository.group
    for call in (lambda: ids.add_member(acme, alice.id, ops.id),
                 lambda: ids.grant(acme, ops.id, "incidents:read")):
        found_once = [ops]  # this call's check still found the group

        def stale(repo: IdentityRepository, group_id: uuid.UUID,
                  once: list[Any] = found_once) -> Any:
            return once.pop() if once else real(repo, group_id)

        with monkeypatch.context() as patch:
            patch.setattr(IdentityRepository, "group", stale)
            unchanged(db, call, NotFound, f"^group {ops.id} not found$")


def test_a_group_that_gains_a_member_while_being_deleted_is_deleted_with_it(
        ids: IdentityService, db: Database, acme: uuid.UUID,
        monkeypatch: pytest.MonkeyPatch) -> None:
    alice = ids.create_user(acme, "alice@acme.test")
    ops = ids.create_group(acme, "Operators")
    ids.add_member(acme, alice.id, ops.id)  # as if added just after the memberships went
    real = IdentityRepository.delete_group_memberships
    missed: list[bool] = []

    def late(repo: IdentityRepository, group_id: uuid.UUID) -> int:
        if not missed:
            missed.append(True)
            return 0
        return real(repo, group_id)

    monkeypatch.setattr(IdentityRepository, "delete_group_memberships", late)
    ids.delete_group(acme, ops.id)
    assert ids.list_groups(acme) == []
    assert ids.user_groups(acme, alice.id) == []
    assert audit_actions(db, acme).count("group.deleted") == 1


@pytest.mark.parametrize(("start", "end"), [("login", "change_password"),
                                            ("issue_token", "change_password"),
                                            ("rotate", "change_password"),
                                            ("rotate", "revoke_session")])
def test_a_password_change_or_logout_revokes_a_session_started_at_the_same_time(
        pg_url: str, start: str, end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a login, SSO sign-in or rotation has written its new token, not yet
    committed, when the password changes or the session logs out; the revocation must not
    miss it (a statement does not see rows inserted by a unit of work that ends after it
    began)."""
    import threading
    import time

    from monozu.db import connect
    from monozu.db.migrate import Migrator

    Migrator.from_url(pg_url).migrate()
    db = connect(pg_url)
    try:
        ids = IdentityService(db, bcrypt_rounds=4)
        acme = add_tenant(db, "acme")
        alice = ids.create_user(acme, "alice@acme.test", password=PASSWORD)
        old = ids.login(acme, "alice@acme.test", PASSWORD)
        written, go = threading.Event(), threading.Event()
        step = "mark_replaced" if start == "rotate" else "insert_token"
        real = getattr(IdentityRepository, step)

        def held(repo: IdentityRepository, *args: Any) -> Any:
            done = real(repo, *args)
            written.set()
            go.wait(60)  # the session's unit of work stays open while the change runs
            return done

        monkeypatch.setattr(IdentityRepository, step, held)
        calls: dict[str, Callable[[], object]] = {
            "login": lambda: ids.login(acme, "alice@acme.test", PASSWORD),
            "issue_token": lambda: ids.issue_token(acme, alice.id),
            "rotate": lambda: ids.rotate(acme, old.token)}
        outcome: list[object] = []
        session = threading.Thread(target=lambda: outcome.append(calls[start]()))
        session.start()
        assert written.wait(60)
        ends: dict[str, Callable[[], object]] = {
            "change_password": lambda: ids.change_password(acme, alice.id, "Battery-Staple-77"),
            "revoke_session": lambda: ids.revoke_session(acme, old.token)}
        change = threading.Thread(target=ends[end])
        change.start()
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND datname = current_database()")
        for _ in range(6000):  # a hang guard: the change waits or ends long before
            if not change.is_alive() or db.get_value(waiting):
                break
            time.sleep(0.01)
        go.set()
        session.join(60)
        change.join(60)
        assert [type(o).__name__ for o in outcome] == ["IssuedToken"]
        assert [t.id for t in ids.sessions(acme, alice.id) if t.revoked_at is None] == []
    finally:
        db.close()
