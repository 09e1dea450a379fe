"""Bad input is refused by the schema itself, on SQLite and PostgreSQL.

Each case is one row of the table below: a valid row for a table, and the change that makes
it bad. The test inserts the bad row and expects the driver's own exception (for now: the
query layer's error taxonomy will wrap these later) with the table left unchanged; then it
inserts the valid row, which must succeed, so the refusal is due to the bad value alone.
SQLite connections run with ``PRAGMA foreign_keys = ON``, as the query layer's do.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg.errors as pge
import pytest

from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.schema_rows import Conn, count, insert, select_all

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


# Two tenants with one of everything each; "a" rows belong to tenant A, "b" rows to B.
TENANT_A, TENANT_B = uid(0xA), uid(0xB)
SITE_A, SITE_B = uid(0xA1), uid(0xB1)
USER_A, USER_B = uid(0xA2), uid(0xB2)
GROUP_A, GROUP_B = uid(0xA3), uid(0xB3)
ASSET_A, ASSET_B = uid(0xA4), uid(0xB4)
DEVICE_A, DEVICE_B = uid(0xA5), uid(0xB5)
NEW = uid(0xFFFF)  # id of the row a case inserts

SEED: list[tuple[str, dict[str, object]]] = [
    ("tenants", {"id": TENANT_A, "name": "Acme", "status": "active", "slug": "acme"}),
    ("tenants", {"id": TENANT_B, "name": "Globex", "status": "active", "slug": "globex"}),
    ("sites", {"id": SITE_A, "tenant_id": TENANT_A, "name": "Plant A"}),
    ("sites", {"id": SITE_B, "tenant_id": TENANT_B, "name": "Plant B"}),
    ("users", {"id": USER_A, "tenant_id": TENANT_A, "email": "ana@acme.test"}),
    ("users", {"id": USER_B, "tenant_id": TENANT_B, "email": "bo@globex.test"}),
    ("groups", {"id": GROUP_A, "tenant_id": TENANT_A, "name": "Operators"}),
    ("groups", {"id": GROUP_B, "tenant_id": TENANT_B, "name": "Operators"}),
    ("assets", {"id": ASSET_A, "tenant_id": TENANT_A, "name": "PLC-1", "type": "plc",
                "site_id": SITE_A}),
    ("assets", {"id": ASSET_B, "tenant_id": TENANT_B, "name": "PLC-1", "type": "plc",
                "site_id": SITE_B}),
    ("devices", {"id": DEVICE_A, "tenant_id": TENANT_A, "name": "edge-a", "type": "sensor",
                 "device_key_hash": "hash-a"}),
    ("devices", {"id": DEVICE_B, "tenant_id": TENANT_B, "name": "edge-b", "type": "sensor",
                 "device_key_hash": "hash-b"}),
    ("cve_catalog", {"cve_id": "CVE-2024-0001", "cvss_score": 9.8, "is_kev": True}),
    ("refresh_tokens", {"id": uid(0xA6), "tenant_id": TENANT_A, "user_id": USER_A,
                        "token_hash": "rt-a", "expires_at": NOW}),
    ("edge_provisioning_keys", {"id": uid(0xA7), "tenant_id": TENANT_A, "label": "k",
                                "key_hash": "pk-a"}),
]


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    row: dict[str, object]
    bad: dict[str, object]
    sqlite: str  # fragment of sqlite3.IntegrityError's message
    pg: type[Exception]
    constraint: str | None = None  # the constraint PostgreSQL names, when there is one
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    sqlite_error: type[Exception] = field(default=sqlite3.IntegrityError)


def asset(**kw: object) -> dict[str, object]:
    return {"id": NEW, "tenant_id": TENANT_A, "name": "HMI", "type": "hmi",
            "site_id": SITE_A, **kw}


def command(**kw: object) -> dict[str, object]:
    return {"id": NEW, "tenant_id": TENANT_A, "device_id": DEVICE_A,
            "command": "run_discovery", "payload": {"scope": "all"}, **kw}


def diagram(**kw: object) -> dict[str, object]:
    return {"id": NEW, "tenant_id": TENANT_A, "site_id": SITE_A, "name": "Cell 1",
            "data": {"nodes": []}, **kw}


def tenant(**kw: object) -> dict[str, object]:
    return {"id": NEW, "name": "Initech", "slug": "initech", **kw}


FK = "FOREIGN KEY constraint failed"
CASES = [
    # ------------------------------------------------ references across tenants
    Case("asset_at_other_tenants_site", "assets", asset(), {"site_id": SITE_B},
         FK, pge.ForeignKeyViolation, "fk_assets_site_id"),
    Case("vulnerability_on_other_tenants_asset", "vulnerabilities",
         {"id": NEW, "tenant_id": TENANT_A, "cve_id": "CVE-2024-0001", "asset_id": ASSET_A},
         {"asset_id": ASSET_B}, FK, pge.ForeignKeyViolation, "fk_vulnerabilities_asset_id"),
    Case("membership_in_other_tenants_group", "user_groups",
         {"user_id": USER_A, "group_id": GROUP_A, "tenant_id": TENANT_A},
         {"group_id": GROUP_B}, FK, pge.ForeignKeyViolation, "fk_user_groups_group_id"),
    Case("membership_of_other_tenants_user", "user_groups",
         {"user_id": USER_A, "group_id": GROUP_A, "tenant_id": TENANT_A},
         {"user_id": USER_B}, FK, pge.ForeignKeyViolation, "fk_user_groups_user_id"),
    Case("diagram_of_other_tenants_site", "diagrams", diagram(), {"site_id": SITE_B},
         FK, pge.ForeignKeyViolation, "fk_diagrams_site_id"),
    Case("command_for_other_tenants_device", "device_commands", command(),
         {"device_id": DEVICE_B}, FK, pge.ForeignKeyViolation, "fk_device_commands_device_id"),
    Case("user_of_unknown_tenant", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "new@acme.test"}, {"tenant_id": uid(0xC)},
         FK, pge.ForeignKeyViolation, "fk_users_tenant_id"),
    # ------------------------------------------------ enumerations
    Case("tenant_status", "tenants", tenant(status="suspended"), {"status": "deleted"},
         "ck_tenants_status", pge.CheckViolation, "ck_tenants_status"),
    Case("change_type", "changes",
         {"id": NEW, "tenant_id": TENANT_A, "title": "Patch", "status": "new",
          "type": "emergency"}, {"type": "urgent"},
         "ck_changes_type", pge.CheckViolation, "ck_changes_type"),
    Case("device_command", "device_commands", command(), {"command": "reboot"},
         "ck_device_commands_command", pge.CheckViolation, "ck_device_commands_command"),
    Case("command_status", "device_commands", command(status="acked"), {"status": "done"},
         "ck_device_commands_status", pge.CheckViolation, "ck_device_commands_status"),
    Case("feature", "tenant_features", {"tenant_id": TENANT_A, "feature": "vpn"},
         {"feature": "ai"}, "ck_tenant_features_feature", pge.CheckViolation,
         "ck_tenant_features_feature"),
    Case("ingest_kind", "ingest_events",
         {"tenant_id": TENANT_A, "device_id": DEVICE_A, "kind": "backup_event",
          "event_at": NOW, "data": {"ok": True}}, {"kind": "metric"},
         "ck_ingest_events_kind", pge.CheckViolation, "ck_ingest_events_kind"),
    Case("theme", "user_settings", {"user_id": USER_A, "tenant_id": TENANT_A, "theme": "dark"},
         {"theme": "blue"}, "ck_user_settings_theme", pge.CheckViolation,
         "ck_user_settings_theme"),
    # ------------------------------------------------ lengths
    Case("tenant_name_too_long", "tenants", tenant(name="n" * 200), {"name": "n" * 201},
         "length(name) <= 200", pge.StringDataRightTruncation),
    Case("email_too_long", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "e" * 307 + "@acme.test.xy"},
         {"email": "e" * 308 + "@acme.test.xy"},
         "length(email) <= 320", pge.StringDataRightTruncation),
    Case("slug_too_long", "tenants", tenant(slug="s" * 63), {"slug": "s" * 64},
         "length(slug) <= 63", pge.StringDataRightTruncation),
    # ------------------------------------------------ JSON
    Case("diagram_data_not_json", "diagrams", diagram(), {"data": '{"nodes": ['},
         "ck_diagrams_data_json", pge.InvalidTextRepresentation),
    Case("command_payload_not_json", "device_commands", command(), {"payload": "not json"},
         "ck_device_commands_payload_json", pge.InvalidTextRepresentation),
    # ------------------------------------------------ natural keys
    Case("email_twice_in_a_tenant", "users",
         {"id": NEW, "tenant_id": TENANT_B, "email": "ana@acme.test"},  # other tenant: fine
         {"tenant_id": TENANT_A}, "UNIQUE constraint failed: users.tenant_id, users.email",
         pge.UniqueViolation, "uq_users_tenant_email"),
    Case("cve_twice", "cve_catalog", {"cve_id": "CVE-2024-0002"}, {"cve_id": "CVE-2024-0001"},
         "UNIQUE constraint failed: cve_catalog.cve_id", pge.UniqueViolation, "pk_cve_catalog"),
    Case("device_key_hash_twice", "devices",
         {"id": NEW, "tenant_id": TENANT_B, "name": "edge-c", "type": "sensor",
          "device_key_hash": "hash-c"}, {"device_key_hash": "hash-a"},
         "UNIQUE constraint failed: devices.device_key_hash", pge.UniqueViolation,
         "uq_devices_device_key_hash"),
    Case("refresh_token_hash_twice", "refresh_tokens",
         {"id": NEW, "tenant_id": TENANT_A, "user_id": USER_A, "token_hash": "rt-b",
          "expires_at": NOW}, {"token_hash": "rt-a"},
         "UNIQUE constraint failed: refresh_tokens.token_hash", pge.UniqueViolation,
         "uq_refresh_tokens_token_hash"),
    Case("provisioning_key_hash_twice", "edge_provisioning_keys",
         {"id": NEW, "tenant_id": TENANT_B, "label": "k2", "key_hash": "pk-b"},
         {"key_hash": "pk-a"}, "UNIQUE constraint failed: edge_provisioning_keys.key_hash",
         pge.UniqueViolation, "uq_edge_provisioning_keys_key_hash"),
    Case("slug_twice", "tenants", tenant(), {"slug": "acme"},
         "UNIQUE constraint failed: tenants.slug", pge.UniqueViolation, "uq_tenants_slug"),
    # ------------------------------------------------ representation (typed natively on PG)
    Case("uuid_as_text", "sites", {"id": NEW, "tenant_id": TENANT_A, "name": "S"},
         {"id": "not-a-uuid"}, "typeof(id) = 'blob'", pge.InvalidTextRepresentation),
    Case("bool_out_of_range", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "m@acme.test", "mfa_enabled": True},
         {"mfa_enabled": 2}, "mfa_enabled IN (0, 1)", pge.DatatypeMismatch),
    Case("timestamp_in_another_text_form", "sites",
         {"id": NEW, "tenant_id": TENANT_A, "name": "S", "created_at": NOW},
         {"created_at": "2026-11-28 12:00:00"}, "created_at GLOB", pge.Error,
         databases=("sqlite",)),  # PostgreSQL reads that text as a timestamp
    Case("vlan_number_out_of_range", "vlans",
         {"id": NEW, "tenant_id": TENANT_A, "vlan_number": 4094, "name": "v"},
         {"vlan_number": 4095}, "ck_vlans_vlan_number", pge.CheckViolation,
         "ck_vlans_vlan_number"),
]

PARAMS = [pytest.param(case, db, id=f"{case.id}-{db}",
                       marks=[pytest.mark.postgres] if db == "postgresql" else [])
          for case in CASES for db in case.databases]


@pytest.fixture
def connect(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Callable[[str], Conn]]:
    opened: list[Conn] = []

    def open_db(db: str) -> Conn:
        conn: Conn
        if db == "sqlite":
            conn = connect_sqlite(f"sqlite:///{tmp_path / 'test.db'}")
            apply_sqlite(conn)
        else:
            url = request.getfixturevalue("pg_url")
            conn = psycopg.connect(url, autocommit=True)
            apply_postgresql(conn)
        opened.append(conn)
        for table, row in SEED:
            insert(conn, table, row)
        return conn

    yield open_db
    for c in opened:
        c.close()


@pytest.mark.parametrize(("case", "db"), PARAMS)
def test_schema_refuses_bad_input(case: Case, db: str,
                                  connect: Callable[[str], Conn]) -> None:
    conn = connect(db)
    before = select_all(conn, case.table)

    expected = case.sqlite_error if db == "sqlite" else case.pg
    with pytest.raises(expected) as info:
        insert(conn, case.table, {**case.row, **case.bad})
    if db == "sqlite":
        assert case.sqlite in str(info.value)
    elif case.constraint is not None:
        assert isinstance(info.value, psycopg.Error)
        assert info.value.diag.constraint_name == case.constraint
    assert select_all(conn, case.table) == before

    insert(conn, case.table, case.row)
    assert count(conn, case.table) == len(before) + 1


def test_every_case_changes_something() -> None:
    """A bad row must differ from its valid row, and ids must be unique."""
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:
        assert c.bad and any(c.row.get(k) != v for k, v in c.bad.items()), c.id
