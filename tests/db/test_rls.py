"""Tenant row-level security: the switch (``monozu.db.rls``) and what it protects.

PostgreSQL: the full schema on a real server, RLS switched on through ``rls.enable``, and
the application connecting as a real login role that is neither superuser nor BYPASSRLS:
once with plain DML grants, once as the owner of every table (which only FORCE binds).
Statements inside a tenant's unit of work are deliberately unfiltered.

SQLite has no RLS: the switch says isolation is the application's and changes nothing.

SQL Server: no server here. The module runs against a stand-in connection that records
every statement and keeps the policies' states; each recorded statement is parsed with
sqlfluff's T-SQL grammar. Nothing here shows that SQL Server accepts them at run time.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from monozu.db import (
    Database,
    ProgrammingError,
    Timeout,
    connect,
    rls,
)
from monozu.db.introspect import introspect
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.stand_in import StandInCursor, stand_in_database
from tests.support.tsql import assert_parses

EXE = Path(sys.executable).with_name("monozu")
A, B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
ROWS = {A: 2, B: 1}  # rows each tested table gets per tenant: the counts differ on purpose


def uid(tenant: uuid.UUID, kind: int, n: int = 0) -> uuid.UUID:
    return uuid.UUID(int=(tenant.int << 32) | (kind << 8) | n)


def site(t: uuid.UUID) -> uuid.UUID:
    return uid(t, 1)


def device(t: uuid.UUID) -> uuid.UUID:
    return uid(t, 2)


def owner_user(t: uuid.UUID) -> uuid.UUID:
    return uid(t, 3)


@dataclass(frozen=True)
class Spec:
    """A tested table: how to build one of its rows, an UPDATE, and FK children to clear."""

    table: str
    kind: int
    row: Callable[[uuid.UUID, uuid.UUID], dict[str, Any]]
    update: tuple[str, Any]
    children: tuple[str, ...] = ()

    def insert_sql(self, row: dict[str, Any]) -> str:
        return (f"INSERT INTO {self.table} ({', '.join(row)}) "
                f"VALUES ({', '.join(':' + c for c in row)})")


SPECS = [
    Spec("incidents", 10, lambda t, i: {"id": i, "tenant_id": t, "title": f"incident {i.hex[-4:]}",
                                        "severity": "high"}, ("title", "rewritten")),
    Spec("assets", 11, lambda t, i: {"id": i, "tenant_id": t, "name": "PLC", "type": "plc",
                                     "site_id": site(t)}, ("name", "rewritten")),
    Spec("users", 12, lambda t, i: {"id": i, "tenant_id": t, "email": f"{i.hex}@tenant.test"},
         ("display_name", "rewritten"), children=("refresh_tokens",)),
    # created after V14 (V16, V22): their policies come from the migrations that create them
    Spec("refresh_tokens", 13, lambda t, i: {"id": i, "tenant_id": t, "user_id": owner_user(t),
                                             "token_hash": i.hex, "expires_at": NOW},
         ("user_agent", "rewritten")),
    Spec("device_commands", 14, lambda t, i: {"id": i, "tenant_id": t, "device_id": device(t),
                                              "command": "run_discovery",
                                              "payload": {"scope": "all"}},
         ("status", "expired")),
]
SPEC_IDS = [s.table for s in SPECS]


def seed(db: Database) -> dict[str, dict[uuid.UUID, int]]:
    """Two tenants; for each tested table ROWS[t] rows of tenant t. Returns the counts."""
    counts: dict[str, dict[uuid.UUID, int]] = {s.table: {A: 0, B: 0} for s in SPECS}
    with db.transaction() as tx:
        for t, slug in ((A, "acme"), (B, "globex")):
            tx.exec("INSERT INTO tenants (id, name, status, slug) VALUES (:id, :n, 'active', :n)",
                    id=t, n=slug)
            tx.exec("INSERT INTO sites (id, tenant_id, name) VALUES (:id, :t, 'Plant')",
                    id=site(t), t=t)
            tx.exec("INSERT INTO devices (id, tenant_id, name, type, device_key_hash) "
                    "VALUES (:id, :t, 'edge', 'sensor', :h)", id=device(t), t=t, h=f"dk-{slug}")
            tx.exec("INSERT INTO users (id, tenant_id, email) VALUES (:id, :t, :e)",
                    id=owner_user(t), t=t, e=f"owner@{slug}.test")
            counts["users"][t] += 1
            for spec in SPECS:
                for n in range(ROWS[t]):
                    row = spec.row(t, uid(t, spec.kind, n))
                    tx.exec(spec.insert_sql(row), row)
                    counts[spec.table][t] += 1
    return counts


def url_as(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{quote(user)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def tenant_tables(url: str) -> list[str]:
    """Tables with a tenant_id column, read from the catalog independently of ``rls``."""
    with psycopg.connect(url) as conn:
        schema = introspect(conn, "postgresql")
    return sorted(n for n, t in schema.tables.items() if "tenant_id" in t.column_names)


def pg_flags(url: str) -> dict[str, tuple[bool, bool]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@dataclass
class Env:
    url: str  # the superuser: owner of the schema, operator and platform connection
    role: str
    app_url: str
    operator: Database
    app: Database  # the application role; its platform connection is the superuser
    seeded: dict[str, dict[uuid.UUID, int]]
    mode: str
    extra_roles: list[str] = field(default_factory=list)

    def count_as_platform(self, table: str, tenant: uuid.UUID | None = None) -> int:
        platform = self.app.platform_admin()
        if tenant is None:
            return int(platform.get_value(f"SELECT count(*) FROM {table}"))
        return int(platform.get_value(f"SELECT count(*) FROM {table} WHERE tenant_id = :t",
                                      t=tenant))


def _drop_role(admin: Database, role: str) -> None:
    admin.exec(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
    admin.exec(f"DROP OWNED BY {role}")
    admin.exec(f"DROP ROLE {role}")


@pytest.fixture
def env(request: pytest.FixtureRequest, pg_url: str) -> Iterator[Env]:
    """The full schema, seeded, RLS still off, and an application login role.

    ``mode`` (indirect parameter): "grantee" has DML grants only; "owner" owns every table.
    """
    mode = getattr(request, "param", "grantee")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_postgresql(conn)
    operator = connect(pg_url)
    seeded = seed(operator)
    role = f"monozu_app_{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    operator.exec(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
    operator.exec(f"GRANT USAGE ON SCHEMA public TO {role}")
    operator.exec(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    if mode == "owner":
        for table in operator.select(str, "SELECT tablename FROM pg_tables "
                                          "WHERE schemaname = 'public'"):
            operator.exec(f'ALTER TABLE "{table}" OWNER TO {role}')
    app_url = url_as(pg_url, role, password)
    app = Database.open(app_url, environ={"DATABASE_URL_PLATFORM_ADMIN": pg_url})
    e = Env(pg_url, role, app_url, operator, app, seeded, mode)
    try:
        assert app.get_value("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                             "WHERE rolname = current_user") is False
        yield e
    finally:
        app.close()
        for r in [role, *e.extra_roles]:
            _drop_role(operator, r)
        operator.close()


BOTH = pytest.mark.parametrize("env", ["grantee", "owner"], indirect=True)


# --------------------------------------------------------------------------- PostgreSQL


@BOTH
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_a_tenant_reads_and_changes_only_its_own_rows(env: Env, spec: Spec) -> None:
    rls.enable(env.operator)
    table, (column, value) = spec.table, spec.update
    mine, theirs = env.seeded[table][A], env.seeded[table][B]
    assert env.count_as_platform(table) == mine + theirs

    with env.app.tenant(A) as tx:  # no WHERE tenant_id anywhere: the policy does it
        assert tx.get_value(f"SELECT count(*) FROM {table}") == mine
        assert set(tx.select(uuid.UUID, f"SELECT tenant_id FROM {table}")) == {A}
        assert tx.exec(f"UPDATE {table} SET {column} = :v", v=value) == mine
    assert env.count_as_platform(table, A) == mine
    platform = env.app.platform_admin()
    assert platform.get_value(f"SELECT count(*) FROM {table} WHERE {column} = :v "
                              "AND tenant_id = :t", v=value, t=B) == 0
    assert platform.get_value(f"SELECT count(*) FROM {table} WHERE {column} = :v "
                              "AND tenant_id = :t", v=value, t=A) == mine

    row = spec.row(B, uid(A, spec.kind, 99))  # tenant A's unit of work writing B's row
    with pytest.raises(ProgrammingError) as refused, env.app.tenant(A) as tx:
        tx.exec(spec.insert_sql(row), row)
    assert refused.value.code == "42501"
    assert "row-level security" in str(refused.value)
    with pytest.raises(ProgrammingError) as moved, env.app.tenant(A) as tx:
        tx.exec(f"UPDATE {table} SET tenant_id = :b", b=B)  # hand A's rows to B
    assert moved.value.code == "42501"
    assert (env.count_as_platform(table, A), env.count_as_platform(table, B)) == (mine, theirs)

    with env.app.tenant(A) as tx:
        for child in spec.children:
            tx.exec(f"DELETE FROM {child}")
        assert tx.exec(f"DELETE FROM {table}") == mine
    assert (env.count_as_platform(table, A), env.count_as_platform(table, B)) == (0, theirs)


@BOTH
@pytest.mark.parametrize("on", [True, False], ids=["rls-on", "rls-off"])
def test_bulk_insert_works_wherever_writes_do_and_keeps_the_policies(env: Env,
                                                                     on: bool) -> None:
    """COPY is refused under RLS (0A000): bulk_insert then stages and checks every row."""
    if on:
        rls.enable(env.operator)
    spec = SPECS[0]
    columns = tuple(spec.row(A, uid(A, spec.kind, 0)))
    mine = [spec.row(A, uid(A, spec.kind, 50 + n)) for n in range(3)]
    with env.app.tenant(A) as tx:
        assert tx.bulk_insert(spec.table, columns, [tuple(r.values()) for r in mine]) == 3
        assert tx.bulk_insert(spec.table, columns, []) == 0  # twice in one unit of work
    assert env.count_as_platform(spec.table, A) == env.seeded[spec.table][A] + 3

    theirs = [spec.row(A, uid(A, spec.kind, 60)), spec.row(B, uid(A, spec.kind, 61))]
    if on:
        with pytest.raises(ProgrammingError) as refused, env.app.tenant(A) as tx:
            tx.bulk_insert(spec.table, columns, [tuple(r.values()) for r in theirs])
        assert refused.value.code == "42501"
        assert env.count_as_platform(spec.table) == sum(env.seeded[spec.table].values()) + 3
    platform = env.app.platform_admin()
    both = [spec.row(t, uid(t, spec.kind, 70)) for t in (A, B)]
    assert platform.bulk_insert(spec.table, columns, [tuple(r.values()) for r in both]) == 2
    with env.app.tenant(B) as tx:  # the pooled connection kept no staging table
        assert tx.get_value("SELECT count(*) FROM pg_class WHERE relpersistence = 't'") == 0


@BOTH
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_many_rows_of_another_tenant_are_refused_by_every_bulk_verb(env: Env,
                                                                    spec: Spec) -> None:
    """``exec_many`` and ``bulk_insert``, on a unit of work and as one-shot calls of the
    ``Database``: with RLS on, a batch holding one row of another tenant (or, unbound, any
    row) is refused whole with 42501; the platform connection writes every tenant's."""
    rls.enable(env.operator)
    before = env.count_as_platform(spec.table)

    def exec_many(on: Any, rows: list[dict[str, Any]]) -> object:
        return on.exec_many(spec.insert_sql(rows[0]), rows)

    def bulk_insert(on: Any, rows: list[dict[str, Any]]) -> object:
        return on.bulk_insert(spec.table, tuple(rows[0]), [tuple(r.values()) for r in rows])

    for n, verb in enumerate((exec_many, bulk_insert)):
        batch = [spec.row(A, uid(A, spec.kind, 80 + n)), spec.row(B, uid(A, spec.kind, 82 + n))]
        with pytest.raises(ProgrammingError) as refused, env.app.tenant(A) as tx:
            verb(tx, batch)
        assert refused.value.code == "42501", verb.__name__
        with pytest.raises(ProgrammingError) as refused, env.app.transaction() as tx:
            verb(tx, batch[:1])  # no tenant bound: not even A's row
        assert refused.value.code == "42501", verb.__name__
        with pytest.raises(ProgrammingError) as refused:
            verb(env.app, batch[:1])  # a one-shot call binds no tenant either
        assert refused.value.code == "42501", verb.__name__
        assert env.count_as_platform(spec.table) == before, verb.__name__
    platform = env.app.platform_admin()
    for n, verb in enumerate((exec_many, bulk_insert)):
        verb(platform, [spec.row(t, uid(t, spec.kind, 90 + n)) for t in (A, B)])
        assert env.count_as_platform(spec.table) == before + 2 * (n + 1), verb.__name__


@BOTH
def test_without_a_tenant_nothing_is_visible_or_writable(env: Env) -> None:
    rls.enable(env.operator)
    for spec in SPECS:
        column, value = spec.update
        with env.app.transaction() as tx:
            assert tx.get_value(f"SELECT count(*) FROM {spec.table}") == 0, spec.table
            assert tx.exec(f"UPDATE {spec.table} SET {column} = :v", v=value) == 0
            assert tx.exec(f"DELETE FROM {spec.table}") == 0
        row = spec.row(A, uid(A, spec.kind, 98))
        with pytest.raises(ProgrammingError) as refused, env.app.transaction() as tx:
            tx.exec(spec.insert_sql(row), row)
        assert refused.value.code == "42501", spec.table
    for spec in SPECS:  # all there, as the platform connection sees
        assert env.count_as_platform(spec.table) == sum(env.seeded[spec.table].values())


def test_the_platform_connection_sees_every_tenant(env: Env) -> None:
    rls.enable(env.operator)
    platform = env.app.platform_admin()
    assert platform.platform
    assert platform.get_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    for spec in SPECS:
        rows = platform.select(
            dict, f"SELECT tenant_id, count(*) AS n FROM {spec.table} GROUP BY tenant_id")
        assert {r["tenant_id"]: r["n"] for r in rows} == env.seeded[spec.table], spec.table


def test_a_bypassrls_role_serves_as_platform_connection(env: Env) -> None:
    """Production need not hand out a superuser: BYPASSRLS plus DML grants is enough."""
    rls.enable(env.operator)
    role = f"monozu_platform_{uuid.uuid4().hex[:8]}"
    env.extra_roles.append(role)
    env.operator.exec(f"CREATE ROLE {role} LOGIN NOSUPERUSER BYPASSRLS PASSWORD 'p'")
    env.operator.exec(f"GRANT USAGE ON SCHEMA public TO {role}")
    env.operator.exec(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                      f"TO {role}")
    app = Database.open(env.app_url,
                        environ={"DATABASE_URL_PLATFORM_ADMIN": url_as(env.url, role, "p")})
    try:
        platform = app.platform_admin()
        assert platform.get_value("SELECT rolsuper FROM pg_roles "
                                  "WHERE rolname = current_user") is False
        assert platform.get_value("SELECT count(*) FROM incidents") == \
            sum(env.seeded["incidents"].values())
        with app.tenant(B) as tx:
            assert tx.get_value("SELECT count(*) FROM incidents") == env.seeded["incidents"][B]
    finally:
        app.close()


@BOTH
def test_force_is_what_binds_an_owning_role(env: Env) -> None:
    rls.enable(env.operator)
    env.operator.exec("ALTER TABLE incidents NO FORCE ROW LEVEL SECURITY")
    everyone = sum(env.seeded["incidents"].values())
    with env.app.tenant(A) as tx:
        seen = tx.get_value("SELECT count(*) FROM incidents")
    # Without FORCE the owner is exempt from its own table's policies; a grantee is not.
    assert seen == (everyone if env.mode == "owner" else env.seeded["incidents"][A])
    assert rls.describe(rls.status(env.operator)).startswith("row-level security is MIXED")
    result = rls.reapply(env.operator)
    assert result.changed == ("incidents",) and result.enabled is True
    with env.app.tenant(A) as tx:
        assert tx.get_value("SELECT count(*) FROM incidents") == env.seeded["incidents"][A]


def test_status_enable_disable(env: Env) -> None:
    expected = tenant_tables(env.url)
    # every tenant table, including those created after V14, and no global table
    assert {"incidents", "assets", "users", "refresh_tokens", "tenant_features",
            "device_commands", "ingest_events", "asset_vlans"} <= set(expected)
    assert not {"tenants", "cve_catalog", "snap_releases"} & set(expected)

    before = rls.status(env.operator)
    assert [t.table for t in before] == expected
    for t in before:
        assert (t.policy, t.schema, t.enforced_by) == (f"rls_{t.table}", "public", "database")
        assert (t.enabled, t.forced, t.state) == (False, False, "off")
    assert rls.describe(before) == f"row-level security off for all {len(expected)} tenant tables"

    on = rls.enable(env.operator)
    assert on.enabled is True and on.database == "postgresql"
    assert sorted(on.changed) == expected
    assert all(t.enabled and t.forced for t in on.tables)
    flags = pg_flags(env.url)
    assert all(flags[t] == (True, True) for t in expected)
    assert not any(flags[t][0] for t in flags if t not in expected)  # global tables untouched
    assert [t.state for t in rls.status(env.operator)] == ["on"] * len(expected)
    assert rls.enable(env.operator).changed == ()  # idempotent

    off = rls.disable(env.operator)
    assert off.enabled is False and sorted(off.changed) == expected
    assert all(pg_flags(env.url)[t] == (False, False) for t in expected)
    with env.app.tenant(A) as tx:  # the policies no longer apply
        assert tx.get_value("SELECT count(*) FROM incidents") == \
            sum(env.seeded["incidents"].values())


LATER_TABLE = """
CREATE TABLE later_notes (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    body text NOT NULL
)"""
LATER_POLICY = """
CREATE POLICY rls_later_notes ON later_notes
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))"""


def _add_later_table(env: Env) -> None:
    """What a migration after V14 does: a tenant table and its policy, created off."""
    env.operator.exec(LATER_TABLE)
    env.operator.exec(LATER_POLICY)
    env.operator.exec(f"GRANT SELECT, INSERT, UPDATE, DELETE ON later_notes TO {env.role}")
    env.operator.exec_many("INSERT INTO later_notes VALUES (:id, :t, :b)",
                           [{"id": uuid.uuid4(), "t": A, "b": "a"},
                            {"id": uuid.uuid4(), "t": B, "b": "b"}])


def test_reapply_protects_a_table_created_after_enable(env: Env) -> None:
    rls.enable(env.operator)
    _add_later_table(env)
    with env.app.tenant(A) as tx:  # the gap reapply closes
        assert tx.select(str, "SELECT body FROM later_notes ORDER BY body") == ["a", "b"]
    state = {t.table: t.state for t in rls.status(env.operator)}
    assert state["later_notes"] == "off" and state["incidents"] == "on"

    result = rls.reapply(env.operator)
    assert result.enabled is True and result.changed == ("later_notes",)
    assert {t.state for t in rls.status(env.operator)} == {"on"}
    with env.app.tenant(A) as tx:
        assert tx.select(str, "SELECT body FROM later_notes") == ["a"]
    assert rls.reapply(env.operator).changed == ()


def test_reapply_leaves_everything_off_when_rls_is_off(env: Env) -> None:
    _add_later_table(env)
    result = rls.reapply(env.operator)
    assert result.enabled is False and result.changed == ()
    assert {t.state for t in rls.status(env.operator)} == {"off"}
    with env.app.tenant(A) as tx:
        assert tx.get_value("SELECT count(*) FROM later_notes") == 2


def test_reapply_after_the_real_migrations_protects_their_new_tables(pg_url: str) -> None:
    """Enable at V15, apply V16..V28, reapply: the tables those created are switched on."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_postgresql(conn, up_to=15)
    db = connect(pg_url)
    try:
        rls.enable(db)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            apply_postgresql(conn, after=15)
        result = rls.reapply(db)
        assert sorted(result.changed) == sorted([
            "refresh_tokens", "tenant_features", "device_snap_updates", "device_commands",
            "ingest_events", "knowledge_article_problems", "asset_vlans"])
        assert {t.state for t in rls.status(db)} == {"on"}
        assert [t.table for t in rls.status(db)] == tenant_tables(pg_url)
    finally:
        db.close()


def test_migrate_reapplies_the_rls_state_to_tables_it_creates(pg_url: str) -> None:
    """V16's header and docs/schema-notes.md say ``migrate`` re-applies the RLS state."""
    from monozu.db.migrate import Migrator

    Migrator.from_url(pg_url, target="15").migrate()
    db = connect(pg_url)
    try:
        rls.enable(db)
        Migrator.from_url(pg_url).migrate()
        off = [t.table for t in rls.status(db) if t.state != "on"]
        assert off == [], f"left unprotected by migrate: {off}"
    finally:
        db.close()


def test_a_switch_that_fails_switches_nothing(env: Env) -> None:
    """The application role owns every table but one: it cannot finish, so nothing changes."""
    for table in tenant_tables(env.url):
        if table != "users":
            env.operator.exec(f'ALTER TABLE "{table}" OWNER TO {env.role}')
    as_app = Database.open(env.app_url, environ={})
    try:
        with pytest.raises(ProgrammingError, match="must be owner of table users"):
            rls.enable(as_app)
    finally:
        as_app.close()
    assert {t.state for t in rls.status(env.operator)} == {"off"}


def test_a_busy_table_makes_the_switch_give_up(env: Env,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rls, "LOCK_TIMEOUT_SECONDS", 0.5)
    holding = threading.Event()
    release = threading.Event()

    def reader() -> None:  # an application transaction still reading incidents
        with psycopg.connect(env.url) as conn:
            conn.execute("SELECT count(*) FROM incidents").fetchone()
            holding.set()
            release.wait(30)

    worker = threading.Thread(target=reader)
    worker.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Timeout) as info:
            rls.enable(env.operator)
        assert info.value.code == "55P03"
    finally:
        release.set()
        worker.join()
    assert {t.state for t in rls.status(env.operator)} == {"off"}


def test_enable_refuses_a_database_without_policies(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_postgresql(conn, up_to=13)
    db = connect(pg_url)
    try:
        assert rls.status(db) == []
        with pytest.raises(rls.RlsError, match="migrate it to V14"):
            rls.enable(db)
        result = rls.reapply(db)
        assert (result.enabled, result.changed, result.tables) == (False, (), ())
    finally:
        db.close()


# --------------------------------------------------------------------------- SQLite


def test_sqlite_isolation_is_the_applications_and_nothing_changes(sqlite_url: str) -> None:
    conn = connect_sqlite(sqlite_url)
    apply_sqlite(conn)
    expected = sorted(n for n, t in introspect(conn, "sqlite").tables.items()
                      if "tenant_id" in t.column_names)

    def snapshot() -> list[tuple[Any, ...]]:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()

    before = snapshot()
    db = connect(sqlite_url)
    try:
        status = rls.status(db)
        assert [t.table for t in status] == expected
        assert {(t.enforced_by, t.policy, t.state, t.forced) for t in status} == \
            {("application", None, "application", None)}
        assert rls.describe(status) == rls.APPLICATION_ENFORCED
        for switch in (rls.enable, rls.disable, rls.reapply):
            result = switch(db)
            assert (result.database, result.enforced_by, result.enabled, result.changed) == \
                ("sqlite", "application", None, ())
            assert result.message == rls.APPLICATION_ENFORCED
            assert "enforced by the application" in result.message
    finally:
        db.close()
    assert snapshot() == before
    conn.close()


# --------------------------------------------------------------------------- SQL Server

_ALTER = re.compile(r"ALTER SECURITY POLICY \[(?P<schema>(?:[^\]]|\]\])+)\]\."
                    r"\[(?P<policy>(?:[^\]]|\]\])+)\] WITH \(STATE = (?P<state>ON|OFF)\)")


class FakeSqlServer:
    """Stands in for an mssql-python connection: records statements, keeps policy states."""

    def __init__(self, policies: dict[str, bool]) -> None:
        self.policies = dict(policies)  # table -> policy enabled
        self.sent: list[str] = []
        self.commits = 0
        self.rollbacks = 0

    def cursor(self) -> _FakeCursor:
        return _FakeCursor(self)

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


class _FakeCursor(StandInCursor):
    server: FakeSqlServer

    def execute(self, sql: str, params: Any = None) -> None:
        self.server.sent.append(sql)
        if "sys.security_policies" in sql:
            self.answer(["table_schema", "table_name", "policy_name", "enabled"],
                        [("dbo", t, f"rls_{t}", on)
                         for t, on in sorted(self.server.policies.items())])
        elif (m := _ALTER.fullmatch(sql)) is not None:
            table = m["policy"].replace("]]", "]").removeprefix("rls_")
            assert m["schema"] == "dbo" and table in self.server.policies, sql
            self.server.policies[table] = m["state"] == "ON"
        elif not sql.startswith("EXEC sp_set_session_context"):
            raise AssertionError(f"statement the stand-in does not know: {sql!r}")


def sqlserver_db(server: FakeSqlServer, monkeypatch: pytest.MonkeyPatch) -> Database:
    return stand_in_database(server, monkeypatch)


POLICIES = {"assets": False, "incidents": True, "refresh_tokens": False, "users": True,
            "knowledge_article_problems": False}


def test_sqlserver_status_reads_the_security_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeSqlServer(POLICIES)
    status = rls.status(sqlserver_db(server, monkeypatch))
    assert [(t.table, t.policy, t.schema, t.enabled, t.forced) for t in status] == [
        (t, f"rls_{t}", "dbo", on, None) for t, on in sorted(POLICIES.items())]
    assert any("FROM sys.security_policies" in s for s in server.sent)
    for sql in server.sent:
        assert_parses(sql)


@pytest.mark.parametrize(("switch", "expected_on", "switched"), [
    (rls.enable, True, ["assets", "knowledge_article_problems", "refresh_tokens"]),
    (rls.disable, False, ["incidents", "users"]),
    (rls.reapply, True, ["assets", "knowledge_article_problems", "refresh_tokens"]),  # any on
], ids=["enable", "disable", "reapply"])
def test_sqlserver_switch_statements_parse_and_run_in_one_transaction(
        switch: Callable[[Database], rls.RlsResult], expected_on: bool, switched: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeSqlServer(POLICIES)
    result = switch(sqlserver_db(server, monkeypatch))
    assert result.enabled is expected_on and sorted(result.changed) == switched
    assert server.policies == dict.fromkeys(POLICIES, expected_on)
    alters = [s for s in server.sent if s.startswith("ALTER")]
    state = "ON" if expected_on else "OFF"
    assert alters == [f"ALTER SECURITY POLICY [dbo].[rls_{t}] WITH (STATE = {state})"
                      for t in switched]
    assert (server.commits, server.rollbacks) == (1, 0)
    for sql in server.sent:
        assert_parses(sql)


def test_sqlserver_names_are_bracket_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    # T-SQL doubles a "]" inside [...]; sqlfluff's grammar does not know that escape, so
    # this statement is compared as text instead of parsed.
    server = FakeSqlServer({"odd]name": False})
    rls.enable(sqlserver_db(server, monkeypatch))
    assert "ALTER SECURITY POLICY [dbo].[rls_odd]]name] WITH (STATE = ON)" in server.sent


def test_sqlserver_reapply_with_everything_off_sends_no_alter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeSqlServer(dict.fromkeys(POLICIES, False))
    result = rls.reapply(sqlserver_db(server, monkeypatch))
    assert result.enabled is False and result.changed == ()
    assert not [s for s in server.sent if s.startswith("ALTER")]


def test_sqlserver_enable_without_policies_is_refused_and_rolled_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeSqlServer({})
    with pytest.raises(rls.RlsError):
        rls.enable(sqlserver_db(server, monkeypatch))
    assert (server.commits, server.rollbacks) == (0, 1)


def test_the_tsql_check_is_not_a_rubber_stamp() -> None:
    with pytest.raises(AssertionError):
        assert_parses("ALTER SECURITY POLICY [dbo].[rls_users] WITH STATE = ON")


# --------------------------------------------------------------------------- CLI


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SQL_"))}
    return subprocess.run([str(EXE), "db", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**base, **(env or {})})


def test_cli_status_enable_disable(env: Env, tmp_path: Path) -> None:
    expected = tenant_tables(env.url)
    status = run("rls", "status", "--url", env.url, "--json", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert (doc["database"], doc["source"], doc["enforced_by"]) == \
        ("postgresql", "--url", "database")
    assert [t["table"] for t in doc["tables"]] == expected
    assert {t["state"] for t in doc["tables"]} == {"off"}

    enabled = run("rls", "enable", "--url", env.url, cwd=tmp_path)
    assert enabled.returncode == 0, enabled.stderr
    assert f"row-level security is on for all {len(expected)} tenant tables" in enabled.stdout
    text = run("rls", "status", "--url", env.url, cwd=tmp_path).stdout
    assert re.search(r"^incidents\s+rls_incidents\s+on\s+yes$", text, re.M), text
    assert f"row-level security on for all {len(expected)} tenant tables" in text

    disabled = run("rls", "disable", "--url", env.url, "--json", cwd=tmp_path)
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(disabled.stdout)["enabled"] is False
    assert set(pg_flags(env.url)[t] for t in expected) == {(False, False)}


def test_cli_switches_with_the_platform_connection_by_default(env: Env, tmp_path: Path) -> None:
    roles = {"DATABASE_URL": env.app_url, "DATABASE_URL_PLATFORM_ADMIN": env.url}
    done = run("rls", "enable", "--json", cwd=tmp_path, env=roles)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"] == "DATABASE_URL_PLATFORM_ADMIN" and doc["enabled"] is True
    app_password = urlsplit(env.app_url).password or ""
    assert app_password and app_password not in done.stdout + done.stderr

    # --url wins: the application role may not alter the tables, and says so in one line
    refused = run("rls", "disable", "--url", env.app_url, cwd=tmp_path, env=roles)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "must be owner" in lines[0]
    assert "Traceback" not in refused.stderr and app_password not in refused.stderr
    assert {t.state for t in rls.status(env.operator)} == {"on"}


def test_a_platform_connection_that_cannot_bypass_is_refused(env: Env, tmp_path: Path) -> None:
    """A platform URL whose role has neither BYPASSRLS nor superuser would see no tenant
    rows once RLS is on: refused on first use and by `rls status`, in one line."""
    app = Database.open(env.app_url, environ={"DATABASE_URL_PLATFORM_ADMIN": env.app_url})
    try:
        with pytest.raises(rls.RlsError, match="neither BYPASSRLS nor superuser"):
            app.platform_admin()
    finally:
        app.close()
    proc = run("rls", "status", cwd=tmp_path, env={"DATABASE_URL": env.app_url,
                                                  "DATABASE_URL_PLATFORM_ADMIN": env.app_url})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "neither BYPASSRLS nor superuser" in lines[0], proc.stderr


def test_cli_on_sqlite_says_the_application_isolates(sqlite_url: str, tmp_path: Path) -> None:
    conn = connect_sqlite(sqlite_url)
    apply_sqlite(conn)
    conn.close()
    for verb in ("status", "enable", "disable", "reapply"):
        proc = run("rls", verb, "--url", sqlite_url, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "enforced by the application" in proc.stdout
    doc = json.loads(run("rls", "status", "--url", sqlite_url, "--json", cwd=tmp_path).stdout)
    assert doc["enforced_by"] == "application"
    assert {t["state"] for t in doc["tables"]} == {"application"}
    assert sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).execute(
        "SELECT count(*) FROM incidents").fetchone() == (0,)
