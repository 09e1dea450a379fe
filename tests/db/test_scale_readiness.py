"""What sharding by tenant needs from the schema and the SQL (see docs/scale.md).

Azure SQL with the elastic database tools and PostgreSQL with Citus both place each
tenant's rows by ``tenant_id``. That works when every tenant-owned table has a key led
by ``tenant_id``, every reference between tenant tables carries it, and no statement
joins two tenant tables without equating it. These tests read the migrated schema of
real SQLite and PostgreSQL and every named SQL file in ``src/``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from monozu.db import connect, models
from monozu.db.dialects import dialect_for
from monozu.db.introspect import Schema, Table, introspect
from monozu.db.migrate import Migrator
from monozu.db.queries import load

SRC = Path(__file__).resolve().parents[2] / "src" / "monozu"
GLOBAL_TABLES = frozenset({
    "tenants", "cve_feeds", "cve_catalog", "cve_cpe_matches", "cve_scores_cache",
    "exploitdb_exploits", "exploitdb_cves", "snap_releases", "flyway_schema_history",
})
# Keys without tenant_id that docs/scale.md explains: primary keys on the row's own id
# (each such table also has UNIQUE (tenant_id, id), the key tenant references use), and
# secret hashes that are unique across all tenants.
DOCUMENTED_KEYS_WITHOUT_TENANT = frozenset({
    *((t, ("id",)) for t in (
        "assets", "audit_logs", "changes", "device_commands", "device_snap_updates",
        "devices", "diagrams", "edge_provisioning_keys", "groups", "incident_comments",
        "incident_timeline_events", "incidents", "ingest_events", "knowledge_articles",
        "problems", "refresh_tokens", "security_alerts", "sites", "users", "vlans",
        "vulnerabilities", "zones")),
    ("user_settings", ("user_id",)),
    ("devices", ("device_key_hash",)),
    ("edge_provisioning_keys", ("key_hash",)),
    ("refresh_tokens", ("token_hash",)),
})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Schema:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'scale.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.url_for(server.create_database())
    Migrator.from_url(url).migrate()
    with connect(url) as db, db.connection() as conn:
        return introspect(conn, db.dialect.kind)


def tenant_tables(schema: Schema) -> list[Table]:
    return [t for t in schema.tables.values() if t.name not in GLOBAL_TABLES]


def test_every_table_is_tenant_owned_or_listed_global(schema: Schema) -> None:
    unowned = [t.name for t in tenant_tables(schema) if "tenant_id" not in t.column_names]
    assert unowned == []
    assert GLOBAL_TABLES - {"flyway_schema_history"} <= set(schema.tables)


def test_references_between_tenant_tables_carry_tenant_id(schema: Schema) -> None:
    bad = []
    for table in tenant_tables(schema):
        for fk in table.foreign_keys:
            if fk.ref_table in GLOBAL_TABLES:
                continue
            pairs = dict(zip(fk.columns, fk.ref_columns, strict=True))
            if pairs.get("tenant_id") != "tenant_id":
                bad.append(f"{table.name}{fk.columns} -> {fk.ref_table}{fk.ref_columns}")
    assert bad == []


def test_every_tenant_table_has_a_key_led_by_tenant_id(schema: Schema) -> None:
    missing = []
    for table in tenant_tables(schema):
        pk = table.primary_key.columns if table.primary_key else ()
        keys = [u.columns for u in table.unique_constraints]
        keys += [i.columns for i in table.indexes if i.unique] + [pk]
        if not any(k and k[0] == "tenant_id" and set(pk) <= set(k) for k in keys):
            missing.append(table.name)
    assert missing == []


def test_keys_without_tenant_id_are_only_the_documented_ones(schema: Schema) -> None:
    found = set()
    for table in tenant_tables(schema):
        keys = [u.columns for u in table.unique_constraints]
        keys += [i.columns for i in table.indexes if i.unique]
        if table.primary_key:
            keys.append(table.primary_key.columns)
        found |= {(table.name, k) for k in keys if "tenant_id" not in k}
    assert found == DOCUMENTED_KEYS_WITHOUT_TENANT
    doc = (SRC.parents[1] / "docs" / "scale.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in doc for name, _ in DOCUMENTED_KEYS_WITHOUT_TENANT)


# -- statements -----------------------------------------------------------------------

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# Tenant tables by name, from the row models (checked against both live schemas elsewhere).
TENANT_TABLES = frozenset(
    name for name, cls in models.TABLES.items()
    if "tenant_id" in {f.name for f in dataclasses.fields(cls)}
)
_DIALECTS = {"sqlserver": "tsql", "sqlite": "sqlite", "postgresql": "postgres"}


def statements() -> list[tuple[str, str, str]]:
    """(origin, dialect, sql) for every statement of every named SQL file under src/:
    each base statement as PostgreSQL runs it, each override as its database does
    (read by the query-file loader, snippets expanded)."""
    found = []
    for path in sorted(SRC.rglob("queries.sql")):
        package = ".".join(path.parent.relative_to(SRC.parent).parts)
        for name, query in sorted(load(package).queries.items()):
            for kind in ("postgresql", *sorted(query.overrides)):
                written = query.overrides.get(kind, query.base)
                found.append((f"{written.source}:{name}", _DIALECTS[kind],
                              query.sql_for(dialect_for(kind))))
    return found


def unconnected_tenant_tables(sql: str, dialect: str) -> list[str]:
    """Tenant tables a statement reads together without equating their tenant_id.

    Every ``x.tenant_id = y.tenant_id`` (or both sides equal to one parameter) joins
    two references; the statement passes when all its tenant-table references are
    joined this way.
    """
    text = _PARAM.sub(r"@\1", sql) if dialect == "tsql" else sql
    tree = sqlglot.parse_one(text, read=dialect)
    refs: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if table.name in TENANT_TABLES:
            refs[table.alias_or_name] = table.name
    if len(refs) < 2:
        return []
    parent = {a: a for a in refs}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            a = parent[a]
        return a

    def node(side: exp.Expression) -> str | None:
        if isinstance(side, exp.Placeholder | exp.Parameter):
            return f"param:{side.name}"
        if isinstance(side, exp.Column) and side.name == "tenant_id":
            if side.table:
                return side.table
            scope = side.find_ancestor(exp.Select, exp.Update, exp.Delete)
            tables = list(scope.find_all(exp.Table)) if scope else []
            return tables[0].alias_or_name if len(tables) == 1 else None
        return None

    pairs = [(node(eq.left), node(eq.right)) for eq in tree.find_all(exp.EQ)]
    pairs.append(_inserted_tenant(tree, node))
    for left, right in pairs:
        if left and right:
            parent[find(left)] = find(right)
    roots = {find(a) for a in refs}
    return [] if len(roots) == 1 else sorted(f"{a} ({t})" for a, t in refs.items())


def _inserted_tenant(tree: exp.Expression, node: Callable[[exp.Expression], str | None]
                     ) -> tuple[str | None, str | None]:
    """An ``INSERT INTO t (..., tenant_id, ...) SELECT ...``: ``t`` joined to what the
    select gives its tenant_id (a parameter, or another table's tenant_id)."""
    if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Schema) \
            or not isinstance(tree.expression, exp.Select):
        return None, None
    names = [c.name for c in tree.this.expressions]
    values = tree.expression.expressions
    if "tenant_id" not in names or len(values) != len(names):
        return None, None
    target = tree.this.this
    return target.alias_or_name, node(values[names.index("tenant_id")])


def test_tenant_tables_are_known() -> None:
    assert {"incidents", "ingest_events", "user_groups"} <= TENANT_TABLES
    assert not TENANT_TABLES & GLOBAL_TABLES


def test_statements_are_found() -> None:
    origins = [origin for origin, _d, _s in statements()]
    assert any("edge" in o for o in origins) and len(origins) > 20


@pytest.mark.parametrize(("origin", "dialect", "sql"), statements(),
                         ids=[s[0] for s in statements()])
def test_no_statement_joins_tenant_tables_without_equating_tenant_id(
        origin: str, dialect: str, sql: str) -> None:
    assert unconnected_tenant_tables(sql, dialect) == [], origin


@pytest.mark.parametrize("sql", [
    "SELECT * FROM incidents i JOIN assets a ON a.id = i.asset_id WHERE i.tenant_id = :t",
    "SELECT * FROM users u WHERE u.tenant_id = :t AND EXISTS "
    "(SELECT 1 FROM user_groups g WHERE g.user_id = u.id)",
    "SELECT * FROM sites s, zones z WHERE s.tenant_id = :a AND z.tenant_id = :b",
    "INSERT INTO audit_logs (id, tenant_id) SELECT :id, :a "
    "WHERE EXISTS (SELECT 1 FROM users WHERE tenant_id = :b AND id = :u)",
    "INSERT INTO audit_logs (id, tenant_id) SELECT :id, :a "
    "WHERE EXISTS (SELECT 1 FROM users WHERE id = :u)",
])
def test_the_join_check_catches_a_missing_tenant_equality(sql: str) -> None:
    assert unconnected_tenant_tables(sql, "postgres") != []


@pytest.mark.parametrize("sql", [
    "SELECT * FROM incidents i JOIN assets a ON a.tenant_id = i.tenant_id "
    "AND a.id = i.asset_id WHERE i.tenant_id = :t",
    # the inserted row's tenant is the parameter the subquery's rows are equated to
    "INSERT INTO audit_logs (id, tenant_id) SELECT :id, :t "
    "WHERE EXISTS (SELECT 1 FROM users WHERE tenant_id = :t AND id = :u)",
])
def test_the_join_check_accepts_equated_tenants(sql: str) -> None:
    assert unconnected_tenant_tables(sql, "postgres") == []
