"""Upgrading a database that holds data: rows loaded at V13 survive the way to V28.

V13 is the last version before the assets vendor column is renamed (V18), zones and VLANs are
rebuilt on SQLite (V26) and diagrams lose change_id (V28, rebuilt on SQLite together with
diagram_asset_links), and incidents gain site_id and asset_id (V33, rebuilt on SQLite together
with their timeline and comments). Every row present at V13 must come out equal, apart from
exactly those changes; the rebuilt tables must still enforce their references.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from monozu.db.introspect import introspect
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.schema_rows import Conn, insert, select_all

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


TA, TB = uid(1), uid(2)
UA, UB = uid(11), uid(12)
SA1, SA2, SB1 = uid(21), uid(22), uid(23)
ZA1 = uid(31)
VA1, VA2 = uid(41), uid(42)
AA1, AA2, AA3, AA4, AB1 = uid(51), uid(52), uid(53), uid(54), uid(55)
CA1, CA2, CB1 = uid(61), uid(62), uid(63)
DA1, DA2, DB1 = uid(71), uid(72), uid(73)

VENDORS = {AA1: "Siemens", AA2: "Rockwell Automation", AA3: None,
           AA4: "Schneider Électrique", AB1: "ABB"}

V13_ROWS: list[tuple[str, dict[str, object]]] = [
    ("tenants", {"id": TA, "name": "Acme", "status": "active", "slug": "acme",
                 "created_at": T0}),
    ("tenants", {"id": TB, "name": "Globex", "status": "pending", "slug": "globex"}),
    ("users", {"id": UA, "tenant_id": TA, "email": "ana@acme.test", "mfa_enabled": True,
               "password_hash": "$2b$12$abc", "created_at": T0}),
    ("users", {"id": UB, "tenant_id": TB, "email": "bo@globex.test"}),
    ("user_settings", {"user_id": UA, "tenant_id": TA, "locale": "de-CH",
                       "timezone": "Europe/Zurich"}),
    ("sites", {"id": SA1, "tenant_id": TA, "name": "Plant 1", "address": "Main St 1"}),
    ("sites", {"id": SA2, "tenant_id": TA, "name": "Plant 2"}),
    ("sites", {"id": SB1, "tenant_id": TB, "name": "HQ"}),
    ("zones", {"id": ZA1, "tenant_id": TA, "name": "Cell zone"}),
    ("vlans", {"id": VA1, "tenant_id": TA, "zone_id": ZA1, "vlan_number": 10,
               "name": "ot", "cidr": "10.0.10.0/24"}),
    ("vlans", {"id": VA2, "tenant_id": TA, "zone_id": None, "vlan_number": 4094,
               "name": "mgmt", "cidr": None}),
    *[("assets", {"id": a, "tenant_id": TB if a == AB1 else TA, "name": f"asset {i}",
                  "type": "plc", "site_id": SB1 if a == AB1 else (SA1 if i % 2 else SA2),
                  "vendor": v, "created_at": T0, "criticality": "high", "cpe":
                  "cpe:2.3:h:siemens:s7-1500:-:*:*:*:*:*:*:*"})
      for i, (a, v) in enumerate(VENDORS.items())],
    ("changes", {"id": CA1, "tenant_id": TA, "title": "Firmware", "status": "approved",
                 "type": "normal", "risk": "low"}),
    ("changes", {"id": CA2, "tenant_id": TA, "title": "Cabling", "status": "new",
                 "type": "standard"}),
    ("changes", {"id": CB1, "tenant_id": TB, "title": "Swap", "status": "new",
                 "type": "emergency"}),
    ("diagrams", {"id": DA1, "tenant_id": TA, "site_id": SA1, "name": "Line 1",
                  "description": "main line",
                  "data": {"nodes": [{"id": "n1", "itsm_ref": "CHG-1", "xy": [1.5, -2]}],
                           "edges": [], "title": "Zürich ✓"},
                  "change_id": CA1}),
    ("diagrams", {"id": DA2, "tenant_id": TA, "site_id": SA2, "name": "Line 2",
                  "data": [], "change_id": None}),
    ("diagrams", {"id": DB1, "tenant_id": TB, "site_id": SB1, "name": "HQ",
                  "data": {}, "change_id": CB1}),
    ("diagram_asset_links", {"diagram_id": DA1, "asset_id": AA1, "tenant_id": TA}),
    ("diagram_asset_links", {"diagram_id": DA1, "asset_id": AA2, "tenant_id": TA}),
    ("diagram_asset_links", {"diagram_id": DB1, "asset_id": AB1, "tenant_id": TB}),
    ("vulnerabilities", {"id": uid(81), "tenant_id": TA, "cve_id": "CVE-2024-3400",
                         "cvss_score": 10.0, "asset_id": AA1, "first_seen_at": T0,
                         "last_seen_at": T0}),
    ("vuln_scanner_settings", {"tenant_id": TA, "cvss_alert_threshold": 7.5}),
    ("incidents", {"id": uid(91), "tenant_id": TA, "title": "PLC down", "severity": "high",
                   "sla_response_due": T0, "assigned_to": UA, "created_at": T0}),
    ("incident_timeline_events", {"id": uid(92), "tenant_id": TA, "incident_id": uid(91),
                                  "event_type": "created", "actor_id": UA, "created_at": T0}),
]


def expected_after(kind: str, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """What a V13 row must look like at V28."""
    out = dict(row)
    false = 0 if kind == "sqlite" else False
    if table == "assets":
        out["producer"] = out.pop("vendor")
    elif table == "diagrams":
        del out["change_id"]
    elif table == "tenants":
        out["onboarding_ot_completed"] = false
    elif table == "user_settings":
        out.update(theme="system", density="comfortable", accent_color=None)
    elif table in ("zones", "vlans"):
        out["site_id"] = None
    elif table == "incidents":
        out.update(site_id=None, asset_id=None)  # V33, rebuilt on SQLite with its timeline
    return out


@pytest.fixture(params=["sqlite-fk-on", "sqlite-fk-off",
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[str, Conn]]:
    if request.param.startswith("sqlite"):
        conn = connect_sqlite(f"sqlite:///{tmp_path / 'test.db'}",
                              foreign_keys=request.param.endswith("on"))
        yield "sqlite", conn
        conn.close()
    else:
        with psycopg.connect(request.getfixturevalue("pg_url"), autocommit=True) as pconn:
            yield "postgresql", pconn


def migrate(conn: Conn, *, after: int = 0, up_to: int | None = None) -> None:
    if isinstance(conn, sqlite3.Connection):
        apply_sqlite(conn, after=after, up_to=up_to)
    else:
        apply_postgresql(conn, after=after, up_to=up_to)


def test_rows_loaded_at_v13_survive_to_v28(db: tuple[str, Conn]) -> None:
    kind, conn = db
    migrate(conn, up_to=13)
    for table, row in V13_ROWS:
        insert(conn, table, row)
    tables = sorted({t for t, _r in V13_ROWS})
    before = {t: select_all(conn, t) for t in tables}
    assert sum(len(rows) for rows in before.values()) == len(V13_ROWS)

    migrate(conn, after=13)

    for t in tables:
        expected = sorted((expected_after(kind, t, r) for r in before[t]),
                          key=lambda r: repr(sorted(r.items())))
        assert select_all(conn, t) == expected, t

    # the vendor values are now producer values, row by row
    got = {r["id"]: r["producer"] for r in select_all(conn, "assets")}
    assert got == {a.bytes if kind == "sqlite" else a: v for a, v in VENDORS.items()}
    if isinstance(conn, sqlite3.Connection):
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_rebuilt_tables_still_enforce_their_references(db: tuple[str, Conn]) -> None:
    _kind, conn = db
    migrate(conn, up_to=13)
    for table, row in V13_ROWS:
        insert(conn, table, row)
    migrate(conn, after=13)
    if isinstance(conn, sqlite3.Connection):
        conn.execute("PRAGMA foreign_keys = ON")
        errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    else:
        errors = (psycopg.errors.ForeignKeyViolation,)

    bad: list[tuple[str, dict[str, object]]] = [
        # a link to a diagram that does not exist (V28 rebuilt both tables on SQLite)
        ("diagram_asset_links", {"diagram_id": uid(999), "asset_id": AA1, "tenant_id": TA}),
        # a link to another tenant's diagram
        ("diagram_asset_links", {"diagram_id": DB1, "asset_id": AA1, "tenant_id": TA}),
        # a VLAN in another tenant's zone (V26 rebuilt zones and vlans on SQLite)
        ("vlans", {"id": uid(43), "tenant_id": TB, "zone_id": ZA1, "vlan_number": 5,
                   "name": "x"}),
        # the new site reference of V26, across tenants
        ("zones", {"id": uid(32), "tenant_id": TA, "name": "z", "site_id": SB1}),
    ]
    for table, row in bad:
        with pytest.raises(errors):
            insert(conn, table, row)
    # the same rows within one tenant are accepted
    insert(conn, "diagram_asset_links", {"diagram_id": DA2, "asset_id": AA3, "tenant_id": TA})
    insert(conn, "zones", {"id": uid(32), "tenant_id": TA, "name": "z", "site_id": SA1})
    insert(conn, "vlans", {"id": uid(43), "tenant_id": TA, "zone_id": uid(32),
                           "vlan_number": 5, "name": "x", "site_id": SA1})

    schema = (introspect(conn, "sqlite") if isinstance(conn, sqlite3.Connection)
              else introspect(conn, "postgresql"))
    ix = {i.name: i.columns for i in schema.table("assets").indexes}
    assert ix["ix_assets_tenant_producer"] == ("tenant_id", "producer")
    if isinstance(conn, sqlite3.Connection):
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM assets WHERE tenant_id = ? AND producer = ?",
            (TA.bytes, "ABB")).fetchall()
        assert any("ix_assets_tenant_producer" in str(r) for r in plan), plan
