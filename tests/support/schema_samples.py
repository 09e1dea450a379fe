"""One fully filled sample row per table, built from the live schema, and the way back.

``sample_rows(schema)`` gives, in an order that satisfies every foreign key, one row per
table with every column set: strings at their full declared length (with non-ASCII
characters), timestamps with microseconds, JSON with nesting. Foreign keys point at the
sample row of the parent table; enumerations and ranges use the values in ``VALID``.
Identity/counter keys are left to the database.

``from_db(kind, column, value)`` turns what a driver returns into the Python type the row
models use, as the query layer will.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from monozu.db.introspect import Column, Schema, Table

T = datetime(2026, 11, 28, 13, 14, 15, 123456, tzinfo=UTC)

# Columns whose check constraint restricts the value.
VALID: dict[tuple[str, str], object] = {
    ("tenants", "status"): "suspended",
    ("assets", "criticality"): "critical",
    ("assets", "lifecycle_state"): "decommissioned",
    ("group_permissions", "permission"): "incidents:read",
    ("changes", "type"): "emergency",
    ("vulnerabilities", "cve_id"): "CVE-2024-3400",
    ("cve_feeds", "kind"): "cvelist5",
    ("cve_catalog", "cve_id"): "CVE-2024-3400",
    ("cve_cpe_matches", "node_operator"): "AND",
    ("cve_scores_cache", "cve_id"): "CVE-2024-3400",
    ("cve_scores_cache", "epss"): 0.97125,
    ("cve_scores_cache", "epss_percentile"): 0.99,
    ("exploitdb_cves", "cve_id"): "CVE-2024-3400",
    ("tenant_features", "feature"): "backup",
    ("device_commands", "command"): "config_update",
    ("device_commands", "status"): "completed",
    ("ingest_events", "kind"): "security_alert",
    ("user_settings", "theme"): "dark",
}


def _string(n: int, seed: int) -> str:
    base = f"{seed}:Zürich–Ωμέγα✓"
    return (base * (n // len(base) + 1))[:n]


def _counter(t: Table, c: Column) -> bool:
    return c.type == "bigint" and c.has_default and t.primary_key is not None \
        and t.primary_key.columns == (c.name,)


def _value(t: Table, c: Column, seed: int) -> object:
    if (t.name, c.name) in VALID:
        return VALID[(t.name, c.name)]
    match c.type:
        case "uuid":
            return uuid.uuid5(uuid.NAMESPACE_URL, f"{t.name}.{c.name}.{seed}")
        case "string":
            assert c.max_length is not None
            return _string(c.max_length, seed)
        case "text":
            return _string(5000, seed)
        case "timestamp":
            return T
        case "bool":
            return True
        case "float":
            return 7.25
        case "int":
            return 4094
        case "bigint":
            return 2**40 + seed
        case "json":
            return {"seed": seed, "nested": [1, 2.5, "ü", None, {"ok": True}]}
    raise AssertionError(f"no sample for {t.name}.{c.name} ({c.type})")


def fk_order(schema: Schema) -> list[str]:
    """Table names, parents before children (self-references ignored)."""
    done: list[str] = []
    pending = sorted(schema.tables)
    while pending:
        for name in pending:
            parents = {f.ref_table for f in schema.table(name).foreign_keys} - {name}
            if parents <= set(done):
                done.append(name)
                pending.remove(name)
                break
        else:
            raise AssertionError(f"foreign key cycle among {pending}")
    return done


def sample_rows(schema: Schema) -> list[tuple[str, dict[str, object]]]:
    rows: dict[str, dict[str, object]] = {}
    out = []
    for seed, name in enumerate(fk_order(schema)):
        t = schema.table(name)
        row = {c.name: _value(t, c, seed) for c in t.columns if not _counter(t, c)}
        for f in t.foreign_keys:
            parent = row if f.ref_table == name else rows[f.ref_table]
            for col, ref in zip(f.columns, f.ref_columns, strict=True):
                row[col] = parent[ref]
        rows[name] = row
        out.append((name, row))
    return out


def from_db(kind: str, column: Column, value: Any) -> Any:
    if value is None:
        return None
    if kind == "sqlite":
        match column.type:
            case "uuid":
                return uuid.UUID(bytes=value)
            case "timestamp":
                return datetime.fromisoformat(value)
            case "bool":
                return bool(value)
            case "json":
                return json.loads(value)
    return value
