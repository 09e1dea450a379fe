"""What "the same logical schema" means across SQL Server, PostgreSQL and SQLite.

``logical(schema)`` keeps what the three databases must agree on: per table, the columns
in order with logical type, length, nullability and whether a default exists; the names
and columns of the primary key, foreign keys, unique constraints and indexes; and the names
of the rule checks (enumerations, ranges). It drops what is only how a database stores a
type: SQLite's unnamed representation checks and the ``ck_<table>_<column>_json`` checks
SQL Server and SQLite need for JSON text (PostgreSQL's jsonb refuses bad JSON by type).
``db_type`` and check expressions are database-specific and are not compared.
"""

from __future__ import annotations

from typing import Any

from monozu.db.introspect import Schema, Table

GLOBAL_TABLES = frozenset({
    "tenants", "cve_feeds", "cve_catalog", "cve_cpe_matches", "cve_scores_cache",
    "exploitdb_exploits", "exploitdb_cves", "snap_releases",
})


def json_checks(t: Table) -> set[str]:
    return {f"ck_{t.name}_{c.name}_json" for c in t.columns if c.type == "json"}


def rule_checks(t: Table) -> list[str]:
    skip = json_checks(t)
    return sorted(c.name for c in t.check_constraints if c.name and c.name not in skip)


def logical_table(t: Table) -> dict[str, Any]:
    return {
        "columns": [(c.name, c.type, c.max_length, c.nullable, c.has_default)
                    for c in t.columns],
        "primary_key": (t.primary_key.name, t.primary_key.columns) if t.primary_key else None,
        "foreign_keys": sorted((f.name or "", f.columns, f.ref_table, f.ref_columns)
                               for f in t.foreign_keys),
        "unique": sorted((u.name or "", u.columns) for u in t.unique_constraints),
        "checks": rule_checks(t),
        "indexes": sorted((i.name, i.columns, i.unique) for i in t.indexes),
    }


def logical(schema: Schema) -> dict[str, dict[str, Any]]:
    return {name: logical_table(t) for name, t in sorted(schema.tables.items())}


def differences(a: Schema, b: Schema, a_name: str = "a", b_name: str = "b") -> list[str]:
    """Readable list of what differs (empty when the logical schemas agree)."""
    la, lb = logical(a), logical(b)
    out = []
    for name in sorted(set(la) | set(lb)):
        if name not in la:
            out.append(f"{name}: only in {b_name}")
        elif name not in lb:
            out.append(f"{name}: only in {a_name}")
        else:
            for key, va in la[name].items():
                vb = lb[name][key]
                if va != vb:
                    out.append(f"{name}.{key}:\n  {a_name}: {va}\n  {b_name}: {vb}")
    return out


def tenant_tables(schema: Schema) -> list[Table]:
    return [t for n, t in sorted(schema.tables.items()) if n not in GLOBAL_TABLES]


def tenant_rule_problems(schema: Schema) -> list[str]:
    """Every tenant table: tenant_id uuid NOT NULL, FK to tenants(id), a key leading with it;
    every reference to another tenant table goes through tenant_id. Global tables: no
    tenant_id."""
    problems = []
    for name, t in sorted(schema.tables.items()):
        if name in GLOBAL_TABLES:
            if "tenant_id" in t.column_names:
                problems.append(f"{name}: global table has tenant_id")
            continue
        if "tenant_id" not in t.column_names:
            problems.append(f"{name}: no tenant_id")
            continue
        col = t.column("tenant_id")
        if col.type != "uuid" or col.nullable:
            problems.append(f"{name}: tenant_id is {col.type}, nullable={col.nullable}")
        if not any(f.columns == ("tenant_id",) and f.ref_table == "tenants"
                   and f.ref_columns == ("id",) for f in t.foreign_keys):
            problems.append(f"{name}: no FK tenant_id -> tenants(id)")
        if not any(k and k[0] == "tenant_id" for k in t.key_prefixes()):
            problems.append(f"{name}: no index, primary key or unique leading with tenant_id")
        for f in t.foreign_keys:
            if f.ref_table in GLOBAL_TABLES:
                continue
            pairs = dict(zip(f.columns, f.ref_columns, strict=True))
            if pairs.get("tenant_id") != "tenant_id":
                problems.append(f"{name}.{f.name}: reference to tenant table {f.ref_table} "
                                "does not carry tenant_id")
    return problems


def unindexed_foreign_keys(schema: Schema) -> list[str]:
    """Foreign keys with no index, primary key or unique whose leading columns are exactly
    the FK's columns (in any order)."""
    out = []
    for name, t in sorted(schema.tables.items()):
        keys = t.key_prefixes()
        for f in t.foreign_keys:
            n = len(f.columns)
            if not any(len(k) >= n and set(k[:n]) == set(f.columns) for k in keys):
                out.append(f"{name}.{f.name} {f.columns}")
    return out
