"""The migrations build the same logical schema on SQLite, PostgreSQL and (on paper) SQL Server.

SQLite and PostgreSQL are real databases; the SQL Server folder is replayed with sqlglot
(``tests/support/schema_tsql.py``). Each version is checked, not only the end state, so a
migration that does something different on one database is caught where it happens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from monozu.db.introspect import Schema, introspect
from tests.support import pgserver
from tests.support.schema_apply import (
    FOLDERS,
    apply_postgresql,
    apply_postgresql_all_at_once,
    apply_sqlite,
    apply_sqlite_all_at_once,
    connect_sqlite,
    folder,
    migration_files,
    versions,
)
from tests.support.schema_compare import (
    GLOBAL_TABLES,
    case_rule_problems,
    differences,
    keyed_strings,
    logical,
    tenant_rule_problems,
    tenant_tables,
    unindexed_foreign_keys,
)
from tests.support.schema_tsql import replay, sqlserver_schema_from_files

# The file names the schema plan fixes; Flyway derives each version's description from them.
PLANNED_FILES = [
    "V1__base_schema.sql",
    "V10__cve_feed_catalog.sql",
    "V11__vuln_scanner_drop_tenant_api_keys.sql",
    "V12__vuln_scanner_drop_feed_sync_enabled.sql",
    "V13__asset_registry_vendor.sql",
    "V14__disable_tenant_rls.sql",
    "V15__user_settings_appearance.sql",
    "V16__refresh_tokens.sql",
    "V17__tenant_features.sql",
    "V18__assets_vendor_to_producer.sql",
    "V19__cve_scores_cache.sql",
    "V20__exploitdb_catalog.sql",
    "V21__edge_snap_updates.sql",
    "V22__edge_device_control.sql",
    "V23__edge_ingest_events.sql",
    "V24__onboarding_ot_completed.sql",
    "V25__knowledge_article_problem_links.sql",
    "V26__zones_vlans_site_id.sql",
    "V27__network_hierarchy_links.sql",
    "V28__drop_diagram_change_id.sql",
    "V29__case_rules.sql",
    "V30__vulnerability_risk_index.sql",
    "V31__edge_queue_and_retention_indexes.sql",
    "V32__tenant_leading_keys.sql",
    "V33__incident_site_asset.sql",
    "V35__tenant_policies_read_tenant_once.sql",
]


@pytest.fixture
def lite(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    conn = connect_sqlite(sqlite_url)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def pg(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url) as conn:
        yield conn


@pytest.fixture
def pg2(pg_server: pgserver.PgServer) -> Iterator[psycopg.Connection[Any]]:
    """A second fresh PostgreSQL database, for comparing two ways of migrating."""
    name = pg_server.create_database()
    try:
        with psycopg.connect(pg_server.url_for(name)) as conn:
            yield conn
    finally:
        pg_server.drop_database(name)


def sqlite_problems(conn: sqlite3.Connection) -> list[Any]:
    return (conn.execute("PRAGMA foreign_key_check").fetchall()
            + [r for r in conn.execute("PRAGMA integrity_check").fetchall() if r != ("ok",)])


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("kind", FOLDERS)
def test_each_folder_holds_exactly_the_planned_files(kind: str) -> None:
    names = sorted(p.name for p in folder(kind).iterdir())
    assert names == sorted(PLANNED_FILES)
    assert [f.name for _v, f in migration_files(folder(kind))] == PLANNED_FILES


@pytest.mark.parametrize("kind", FOLDERS)
def test_files_are_plain_utf8_without_placeholders(kind: str) -> None:
    for _v, f in migration_files(folder(kind)):
        raw = f.read_bytes()
        text = raw.decode("utf-8")
        assert not raw.startswith(b"\xef\xbb\xbf"), f.name
        assert "${" not in text, f"{f.name}: Flyway would try to replace a placeholder"
        assert "\r" not in text and "\t" not in text, f.name
        assert all(line == line.rstrip() for line in text.splitlines()), \
            f"{f.name}: trailing whitespace changes the checksum on reformatting"


# --------------------------------------------------------------------------- end state


def test_sqlite_migrates_cleanly_with_and_without_foreign_keys(tmp_path: Path) -> None:
    schemas = []
    for fk in (True, False):
        conn = connect_sqlite(f"sqlite:///{tmp_path / f'fk{fk}.db'}", foreign_keys=fk)
        assert apply_sqlite(conn) == versions("sqlite")
        assert sqlite_problems(conn) == []
        schemas.append(introspect(conn, "sqlite"))
        conn.close()
    assert schemas[0] == schemas[1]


def test_sqlite_step_by_step_equals_all_at_once(lite: sqlite3.Connection,
                                                tmp_path: Path) -> None:
    previous = 0
    conn = lite
    for v in versions("sqlite"):
        assert apply_sqlite(conn, after=previous, up_to=v) == [v]
        previous = v
        conn.close()
        # a fresh connection for each step, as separate migrate runs would have
        conn = connect_sqlite(f"sqlite:///{tmp_path / 'test.db'}")
    stepwise = introspect(conn, "sqlite")
    conn.close()

    other = connect_sqlite(f"sqlite:///{tmp_path / 'once.db'}")
    apply_sqlite_all_at_once(other)
    once = introspect(other, "sqlite")
    other.close()
    assert len(stepwise.tables) > 1
    assert stepwise == once


@pytest.mark.postgres
def test_postgresql_step_by_step_equals_all_at_once(pg: psycopg.Connection[Any],
                                                    pg2: psycopg.Connection[Any]) -> None:
    previous = 0
    for v in versions("postgresql"):
        assert apply_postgresql(pg, after=previous, up_to=v) == [v]
        previous = v
    apply_postgresql_all_at_once(pg2)
    stepwise, once = introspect(pg, "postgresql"), introspect(pg2, "postgresql")
    assert len(stepwise.tables) > 1
    assert stepwise == once


@pytest.mark.postgres
def test_three_databases_agree_at_every_version(lite: sqlite3.Connection,
                                                pg: psycopg.Connection[Any]) -> None:
    ss_files = [f for _v, f in migration_files(folder("sqlserver"))]
    assert versions("sqlserver") == versions("postgresql") == versions("sqlite")
    previous = 0
    for i, v in enumerate(versions("postgresql")):
        apply_sqlite(lite, after=previous, up_to=v)
        apply_postgresql(pg, after=previous, up_to=v)
        previous = v
        s_lite, s_pg = introspect(lite, "sqlite"), introspect(pg, "postgresql")
        s_ss = replay(ss_files[: i + 1]).schema()
        assert differences(s_lite, s_pg, "sqlite", "postgresql") == [], f"at V{v}"
        assert differences(s_ss, s_pg, "sqlserver", "postgresql") == [], f"at V{v}"
    assert sqlite_problems(lite) == []


def test_comparison_notices_a_difference(lite: sqlite3.Connection) -> None:
    """The comparison the test above relies on does see a changed column."""
    apply_sqlite(lite)
    a = introspect(lite, "sqlite")
    lite.executescript("ALTER TABLE sites ADD COLUMN extra TEXT NULL;")
    b = introspect(lite, "sqlite")
    diffs = differences(a, b)
    assert len(diffs) == 1 and diffs[0].startswith("sites.columns")
    assert logical(a) != logical(b)


# --------------------------------------------------------------------------- rules


def final_schemas(lite: sqlite3.Connection, pg: psycopg.Connection[Any]) -> dict[str, Schema]:
    apply_sqlite(lite)
    apply_postgresql(pg)
    return {
        "sqlite": introspect(lite, "sqlite"),
        "postgresql": introspect(pg, "postgresql"),
        "sqlserver": sqlserver_schema_from_files(folder("sqlserver")),
    }


@pytest.mark.postgres
def test_tenant_and_global_table_rules(lite: sqlite3.Connection,
                                       pg: psycopg.Connection[Any]) -> None:
    for kind, schema in final_schemas(lite, pg).items():
        assert set(schema.tables) >= GLOBAL_TABLES, kind
        assert len(tenant_tables(schema)) > 0
        assert tenant_rule_problems(schema) == [], kind


@pytest.mark.postgres
def test_every_foreign_key_is_indexed(lite: sqlite3.Connection,
                                      pg: psycopg.Connection[Any]) -> None:
    for kind, schema in final_schemas(lite, pg).items():
        assert sum(len(t.foreign_keys) for t in schema.tables.values()) > 0
        assert unindexed_foreign_keys(schema) == [], kind


@pytest.mark.postgres
def test_case_rules_identifiers_exact_email_nocase(lite: sqlite3.Connection,
                                                   pg: psycopg.Connection[Any]) -> None:
    for kind, schema in final_schemas(lite, pg).items():
        assert len(keyed_strings(schema.table("tenants"))) >= 2, kind  # slug, status
        assert case_rule_problems(schema, kind) == [], kind


def test_case_rules_are_checked_before_v29(lite: sqlite3.Connection) -> None:
    """Before V29 SQL Server compared every keyed string as its database default does, and
    nothing kept one email per tenant regardless of case: the rule check sees both."""
    before = sqlserver_schema_from_files(folder("sqlserver"), up_to=28)
    problems = case_rule_problems(before, "sqlserver")
    assert "tenants.slug: compares the database default, must compare exactly" in problems
    assert "users.email: compares the database default, must ignore case" in problems
    assert "cve_catalog.cve_id: compares the database default, must compare exactly" in problems
    apply_sqlite(lite, up_to=28)
    assert case_rule_problems(introspect(lite, "sqlite"), "sqlite") == [
        "users.email: compares exact, must ignore case"]


def test_rule_checkers_report_broken_tables(lite: sqlite3.Connection) -> None:
    """A tenant table without tenant index, a single-column cross-tenant FK and an unindexed
    FK are all reported: the rule tests above can fail."""
    apply_sqlite(lite)
    lite.executescript("""
        CREATE TABLE widgets (
            id BLOB NOT NULL, tenant_id BLOB NOT NULL, site_id BLOB NOT NULL,
            CONSTRAINT pk_widgets PRIMARY KEY (id),
            CONSTRAINT fk_widgets_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
            CONSTRAINT fk_widgets_site_id FOREIGN KEY (site_id) REFERENCES sites (id));
    """)
    schema = introspect(lite, "sqlite")
    problems = tenant_rule_problems(schema)
    assert any("widgets: no index" in p for p in problems)
    assert any("fk_widgets_site_id" in p and "tenant_id" in p for p in problems)
    assert {p.split(" ")[0] for p in unindexed_foreign_keys(schema)} == {
        "widgets.fk_widgets_tenant_id", "widgets.fk_widgets_site_id"}


@pytest.mark.postgres
def test_enumerations_and_natural_keys_are_constraints_everywhere(
        lite: sqlite3.Connection, pg: psycopg.Connection[Any]) -> None:
    checks = {
        "tenants": "ck_tenants_status", "changes": "ck_changes_type",
        "device_commands": "ck_device_commands_command",
        "tenant_features": "ck_tenant_features_feature", "ingest_events": "ck_ingest_events_kind",
        "user_settings": "ck_user_settings_theme",
    }
    keys = {
        "users": ("tenant_id", "email"), "devices": ("device_key_hash",),
        "refresh_tokens": ("token_hash",), "edge_provisioning_keys": ("key_hash",),
        "tenants": ("slug",),
    }
    for kind, schema in final_schemas(lite, pg).items():
        for table, name in checks.items():
            assert name in {c.name for c in schema.table(table).check_constraints}, kind
        assert "ck_device_commands_status" in {
            c.name for c in schema.table("device_commands").check_constraints}
        for table, cols in keys.items():
            assert cols in {u.columns for u in schema.table(table).unique_constraints}, kind
        pk = schema.table("cve_catalog").primary_key
        assert pk is not None and pk.columns == ("cve_id",)


@pytest.mark.postgres
def test_rls_policies_defined_for_every_tenant_table_and_left_off(
        lite: sqlite3.Connection, pg: psycopg.Connection[Any]) -> None:
    schemas = final_schemas(lite, pg)
    for kind in ("postgresql", "sqlserver"):
        schema = schemas[kind]
        for t in tenant_tables(schema):
            assert t.policies == (f"rls_{t.name}",), (kind, t.name)
            assert t.rls_enabled is False, (kind, t.name)
        for name in GLOBAL_TABLES:
            assert schema.table(name).policies == (), (kind, name)
    for t in schemas["sqlite"].tables.values():
        assert t.policies == ()
    r = replay([f for _v, f in migration_files(folder("sqlserver"))])
    assert r.functions == {"fn_rls_tenant"}
    assert r.policy_kinds and all(k == {"FILTER", "BLOCK"} for k in r.policy_kinds.values())
    assert all(col == "tenant_id" for _t, col in r.policy_columns.values())


@pytest.mark.postgres
def test_v14_policies_on_postgresql_check_the_session_tenant(pg: psycopg.Connection[Any]) -> None:
    apply_postgresql(pg, up_to=13)
    assert pg.execute("SELECT count(*) FROM pg_policy").fetchone() == (0,)
    apply_postgresql(pg, after=13, up_to=14)
    rows = pg.execute(
        "SELECT tablename, policyname, cmd, permissive, qual, with_check FROM pg_policies"
    ).fetchall()
    tables = set(introspect(pg, "postgresql").tables)
    assert {r[0] for r in rows} == tables - GLOBAL_TABLES
    assert "tenants" in tables and "users" in tables
    for table, policy, cmd, permissive, qual, with_check in rows:
        assert policy == f"rls_{table}" and cmd == "ALL" and permissive == "PERMISSIVE"
        assert "current_setting('app.tenant_id'::text, true)" in qual
        assert qual == with_check
    enabled = pg.execute(
        "SELECT count(*) FROM pg_class WHERE relrowsecurity OR relforcerowsecurity"
    ).fetchone()
    assert enabled == (0,)


@pytest.mark.postgres
def test_v35_policies_read_the_tenant_once_per_statement(pg: psycopg.Connection[Any]) -> None:
    apply_postgresql(pg, up_to=34)
    before = dict(pg.execute("SELECT tablename, qual FROM pg_policies").fetchall())
    apply_postgresql(pg, after=34)
    rows = pg.execute("SELECT tablename, qual, with_check FROM pg_policies").fetchall()
    assert {r[0] for r in rows} == set(before)  # the same policies, every one rewritten
    for table, qual, with_check in rows:
        assert qual == with_check
        # the V14 expression, as a scalar subquery (an InitPlan: evaluated once)
        old = before[table][len("(tenant_id = "):-1]
        assert qual == f'(tenant_id = ( SELECT {old} AS "nullif"))', table
    pg.execute("SELECT set_config('app.tenant_id', gen_random_uuid()::text, false)")
    plan = "\n".join(r[0] for r in pg.execute(
        "EXPLAIN SELECT * FROM assets WHERE tenant_id = (SELECT nullif(current_setting("
        "'app.tenant_id', true), '')::uuid)").fetchall())
    assert "InitPlan" in plan


@pytest.mark.postgres
def test_no_name_is_a_reserved_word_on_postgresql(pg: psycopg.Connection[Any]) -> None:
    apply_postgresql(pg)
    schema = introspect(pg, "postgresql")
    names = set(schema.tables) | {c.name for t in schema.tables.values() for c in t.columns}
    category = dict(pg.execute("SELECT word, catcode FROM pg_get_keywords()").fetchall())
    assert category.get("select") == "R"
    assert sorted(n for n in names if category.get(n, "U") != "U") == []


# --------------------------------------------------------------------------- versions


def column_names(schema: Schema, table: str) -> list[str]:
    return list(schema.table(table).column_names)


def index_names(schema: Schema, table: str) -> set[str]:
    return {i.name for i in schema.table(table).indexes}


def check_version_effects(schema_at: Any) -> None:
    """``schema_at(v)`` gives the schema after version v; walks the versions in order."""
    s = schema_at(10)
    assert {"nvd_api_key", "feed_sync_enabled"} <= set(column_names(s, "vuln_scanner_settings"))
    s = schema_at(11)
    assert "nvd_api_key" not in column_names(s, "vuln_scanner_settings")
    assert "feed_sync_enabled" in column_names(s, "vuln_scanner_settings")
    assert "vendor" not in column_names(s, "assets")
    s = schema_at(12)
    assert column_names(s, "vuln_scanner_settings") == [
        "tenant_id", "cvss_alert_threshold", "updated_at"]
    s = schema_at(13)
    assert column_names(s, "assets")[-1] == "vendor"
    assert s.table("assets").column("vendor").nullable
    assert "ix_assets_tenant_vendor" in index_names(s, "assets")
    s = schema_at(17)
    assert "vendor" in column_names(s, "assets")
    s = schema_at(18)
    assert "vendor" not in column_names(s, "assets")
    assert column_names(s, "assets")[-1] == "producer"
    assert "ix_assets_tenant_vendor" not in index_names(s, "assets")
    ix = {i.name: i for i in s.table("assets").indexes}["ix_assets_tenant_producer"]
    assert ix.columns == ("tenant_id", "producer")
    s = schema_at(27)
    assert column_names(s, "diagrams")[-1] == "change_id"
    assert "fk_diagrams_change_id" in {f.name for f in s.table("diagrams").foreign_keys}
    assert "ix_diagrams_tenant_change" in index_names(s, "diagrams")
    s = schema_at(28)
    assert "change_id" not in column_names(s, "diagrams")
    assert "fk_diagrams_change_id" not in {f.name for f in s.table("diagrams").foreign_keys}
    assert "ix_diagrams_tenant_change" not in index_names(s, "diagrams")
    assert {f.name for f in s.table("diagram_asset_links").foreign_keys} >= {
        "fk_diagram_asset_links_diagram_id"}


def test_version_effects_sqlite(lite: sqlite3.Connection) -> None:
    state = {"at": 0}

    def schema_at(v: int) -> Schema:
        apply_sqlite(lite, after=state["at"], up_to=v)
        state["at"] = v
        return introspect(lite, "sqlite")

    check_version_effects(schema_at)


@pytest.mark.postgres
def test_version_effects_postgresql(pg: psycopg.Connection[Any]) -> None:
    state = {"at": 0}

    def schema_at(v: int) -> Schema:
        apply_postgresql(pg, after=state["at"], up_to=v)
        state["at"] = v
        return introspect(pg, "postgresql")

    check_version_effects(schema_at)


def test_version_effects_sqlserver() -> None:
    check_version_effects(
        lambda v: sqlserver_schema_from_files(folder("sqlserver"), up_to=v))
