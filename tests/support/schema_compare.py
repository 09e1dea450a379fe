"""What "the same logical schema" means across SQL Server, PostgreSQL and SQLite.

``logical(schema)`` keeps what the three databases must agree on: per table, the columns
in order with logical type, length, nullability and whether a default exists; the names
and columns of the primary key, foreign keys, unique constraints and indexes; and the names
of the rule checks (enumerations, ranges). It drops what is only how a database stores a
type: SQLite's unnamed representation checks and the ``ck_<table>_<column>_json`` checks
SQL Server and SQLite need for JSON text (PostgreSQL's jsonb refuses bad JSON by type).
``db_type`` and check expressions are database-specific and are not compared.

Case rules (V29) are compared as rules, since each database states them its own way:
identifiers, hashes and enumerations compare exactly, email case-insensitively.
``case_rule_problems(schema, kind)`` finds every string column whose value decides identity
or validity (in a primary key or unique constraint, or named by a rule check that compares it
with text literals) and checks that its collation compares exactly, or, for the columns in
``NOCASE_COLUMNS``, case-insensitively: on SQL Server through the column's collation, on
SQLite and PostgreSQL through the unique index in ``NOCASE_INDEXES`` (which is therefore left
out of the index comparison).
"""

from __future__ import annotations

from typing import Any

from monozu.db.introspect import Schema, Table

GLOBAL_TABLES = frozenset({
    "tenants", "cve_feeds", "cve_catalog", "cve_cpe_matches", "cve_scores_cache",
    "exploitdb_exploits", "exploitdb_cves", "snap_releases",
})


# Compared without regard to case on every database; every other keyed string is exact.
NOCASE_COLUMNS = frozenset({("users", "email")})
# The unique index SQLite (COLLATE NOCASE) and PostgreSQL (lower()) keep the rule in; SQL
# Server keeps it in the column's collation instead.
NOCASE_INDEXES = {"ix_users_tenant_email_nocase": ("users", "email")}


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
        "indexes": sorted((i.name, i.columns, i.unique) for i in t.indexes
                          if i.name not in NOCASE_INDEXES),
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


def keyed_strings(t: Table) -> set[str]:
    """String columns in a primary key or unique constraint, or named by a rule check
    (``ck_<table>_<column>``) that compares them with a text literal."""
    strings = {c.name for c in t.columns if c.type in ("string", "text")}
    keyed = set(t.primary_key.columns) if t.primary_key else set()
    for u in t.unique_constraints:
        keyed |= set(u.columns)
    for c in t.check_constraints:
        column = (c.name or "").removeprefix(f"ck_{t.name}_")
        if c.name in rule_checks(t) and column in strings and "'" in c.expression:
            keyed.add(column)
    return keyed & strings


def collation_rule(kind: str, collation: str | None) -> str:
    """``exact``, ``nocase``, or what else the collation is, for one database."""
    name = (collation or "").upper()
    if kind == "sqlserver":
        if not name:
            return "the database default"
        if name.endswith(("_BIN", "_BIN2")) or "_CS_" in name:
            return "exact"
        return "nocase" if "_CI_" in name else name
    if kind == "sqlite":
        return {"": "exact", "BINARY": "exact", "NOCASE": "nocase"}.get(name, name)
    return name or "exact"  # PostgreSQL's default collations are deterministic


def case_rule_problems(schema: Schema, kind: str) -> list[str]:
    problems = []
    for name, t in sorted(schema.tables.items()):
        nocase_indexes = {ix_col for ix, (ix_table, ix_col) in NOCASE_INDEXES.items()
                          if ix_table == name and any(i.name == ix and i.unique
                                                      for i in t.indexes)}
        for col in sorted(keyed_strings(t) | {c for tb, c in NOCASE_COLUMNS if tb == name}):
            rule = collation_rule(kind, t.column(col).collation)
            if (name, col) in NOCASE_COLUMNS:
                if rule != "nocase" and not (rule == "exact" and col in nocase_indexes):
                    problems.append(f"{name}.{col}: compares {rule}, must ignore case")
            elif rule != "exact":
                problems.append(f"{name}.{col}: compares {rule}, must compare exactly")
    return problems
