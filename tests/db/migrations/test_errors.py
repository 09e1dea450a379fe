"""The schema's refusals, as the application meets them: through the query layer.

Each case is a valid row and the change that makes it bad, written with ``connect(url)`` and
``db.exec`` with ``:name`` parameters and Python values (``uuid.UUID``, aware datetimes,
dicts for JSON). The bad row must raise exactly the taxonomy class given for the database,
leave the table unchanged, and the valid row must then go in, so the refusal is due to the
bad value alone.

Where the databases differ, the table says so: SQLite checks lengths with CHECK
constraints (``CheckViolation``) while PostgreSQL's ``varchar(n)`` refuses with SQLSTATE
22001 (``DataError``); text that is not JSON meets SQLite's ``json_valid`` CHECK
(``CheckViolation``) but PostgreSQL's jsonb input parser, SQLSTATE 22P02 (``DataError``).
A Python value that cannot be a JSON document is refused before anything is sent
(``ParameterError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from monozu.db import (
    CheckViolation,
    Database,
    DataError,
    ForeignKeyViolation,
    MonozuError,
    ParameterError,
    UniqueViolation,
    connect,
)
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.two_tenants import (
    ASSET_A,
    ASSET_B,
    DEVICE_A,
    DEVICE_B,
    GROUP_A,
    GROUP_B,
    NEW,
    NOW,
    SEED,
    SITE_A,
    SITE_B,
    TENANT_A,
    TENANT_B,
    USER_A,
    USER_B,
    diagram,
    uid,
)


@dataclass(frozen=True)
class Error:
    """The expected refusal on one database: exact class, and constraint or code if known."""

    cls: type[MonozuError]
    constraint: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    row: dict[str, Any]
    bad: dict[str, Any]
    sqlite: Error
    postgresql: Error


def asset(**kw: Any) -> dict[str, Any]:
    return {"id": NEW, "tenant_id": TENANT_A, "name": "HMI", "type": "hmi", "site_id": SITE_A,
            "created_at": NOW, **kw}


def command(**kw: Any) -> dict[str, Any]:
    return {"id": NEW, "tenant_id": TENANT_A, "device_id": DEVICE_A, "command": "run_discovery",
            "payload": {"scope": "all"}, "created_at": NOW, **kw}


def tenant(**kw: Any) -> dict[str, Any]:
    return {"id": NEW, "name": "Initech", "slug": "initech", **kw}


def fk(name: str) -> tuple[Error, Error]:
    """SQLite does not name the foreign key it found broken; PostgreSQL does."""
    return (Error(ForeignKeyViolation, None, "SQLITE_CONSTRAINT_FOREIGNKEY"),
            Error(ForeignKeyViolation, name, "23503"))


def unique(sqlite_columns: str, name: str, sqlite_code: str = "SQLITE_CONSTRAINT_UNIQUE"
           ) -> tuple[Error, Error]:
    return (Error(UniqueViolation, sqlite_columns, sqlite_code),
            Error(UniqueViolation, name, "23505"))


def check(name: str) -> Error:
    return Error(CheckViolation, name, "SQLITE_CONSTRAINT_CHECK")


def pg_check(name: str) -> Error:
    return Error(CheckViolation, name, "23514")


TOO_LONG = Error(DataError, None, "22001")  # PostgreSQL: string_data_right_truncation
NOT_JSON = Error(DataError, None, "22P02")  # PostgreSQL: invalid_text_representation
NOT_A_DOCUMENT = Error(ParameterError)  # refused by the query layer, before sending

CASES = [
    # ------------------------------------------------ a reference into another tenant
    Case("asset_at_other_tenants_site", "assets", asset(), {"site_id": SITE_B},
         *fk("fk_assets_site_id")),
    Case("vulnerability_on_other_tenants_asset", "vulnerabilities",
         {"id": NEW, "tenant_id": TENANT_A, "cve_id": "CVE-2024-0001", "asset_id": ASSET_A},
         {"asset_id": ASSET_B}, *fk("fk_vulnerabilities_asset_id")),
    Case("membership_in_other_tenants_group", "user_groups",
         {"user_id": USER_A, "group_id": GROUP_A, "tenant_id": TENANT_A},
         {"group_id": GROUP_B}, *fk("fk_user_groups_group_id")),
    Case("membership_of_other_tenants_user", "user_groups",
         {"user_id": USER_A, "group_id": GROUP_A, "tenant_id": TENANT_A},
         {"user_id": USER_B}, *fk("fk_user_groups_user_id")),
    Case("diagram_of_other_tenants_site", "diagrams", diagram(), {"site_id": SITE_B},
         *fk("fk_diagrams_site_id")),
    Case("command_for_other_tenants_device", "device_commands", command(),
         {"device_id": DEVICE_B}, *fk("fk_device_commands_device_id")),
    Case("user_of_unknown_tenant", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "new@acme.test"}, {"tenant_id": uid(0xC)},
         *fk("fk_users_tenant_id")),
    # ------------------------------------------------ enumerations
    Case("tenant_status", "tenants", tenant(status="suspended"), {"status": "deleted"},
         check("ck_tenants_status"), pg_check("ck_tenants_status")),
    Case("change_type", "changes",
         {"id": NEW, "tenant_id": TENANT_A, "title": "Patch", "status": "new",
          "type": "emergency"}, {"type": "urgent"},
         check("ck_changes_type"), pg_check("ck_changes_type")),
    Case("device_command", "device_commands", command(), {"command": "reboot"},
         check("ck_device_commands_command"), pg_check("ck_device_commands_command")),
    Case("command_status", "device_commands", command(status="acked", acked_at=NOW),
         {"status": "done"},
         check("ck_device_commands_status"), pg_check("ck_device_commands_status")),
    Case("feature", "tenant_features", {"tenant_id": TENANT_A, "feature": "vpn",
                                        "enabled": True}, {"feature": "ai"},
         check("ck_tenant_features_feature"), pg_check("ck_tenant_features_feature")),
    Case("ingest_kind", "ingest_events",
         {"tenant_id": TENANT_A, "device_id": DEVICE_A, "kind": "backup_event",
          "event_at": NOW, "data": {"ok": True}}, {"kind": "metric"},
         check("ck_ingest_events_kind"), pg_check("ck_ingest_events_kind")),
    Case("theme", "user_settings", {"user_id": USER_A, "tenant_id": TENANT_A, "theme": "dark"},
         {"theme": "blue"}, check("ck_user_settings_theme"), pg_check("ck_user_settings_theme")),
    Case("vlan_number_out_of_range", "vlans",
         {"id": NEW, "tenant_id": TENANT_A, "vlan_number": 4094, "name": "v"},
         {"vlan_number": 4095}, check("ck_vlans_vlan_number"), pg_check("ck_vlans_vlan_number")),
    # ------------------------------------------------ over-long strings
    Case("tenant_name_too_long", "tenants", tenant(name="n" * 200), {"name": "n" * 201},
         check("length(name) <= 200"), TOO_LONG),
    Case("email_too_long", "users",
         {"id": NEW, "tenant_id": TENANT_A, "email": "e" * 307 + "@acme.test.xy"},
         {"email": "e" * 308 + "@acme.test.xy"}, check("length(email) <= 320"), TOO_LONG),
    Case("slug_too_long", "tenants", tenant(slug="s" * 63), {"slug": "s" * 64},
         check("length(slug) <= 63"), TOO_LONG),
    # ------------------------------------------------ JSON documents
    Case("diagram_data_not_json", "diagrams", diagram(), {"data": '{"nodes": ['},
         check("ck_diagrams_data_json"), NOT_JSON),
    Case("command_payload_not_json", "device_commands", command(), {"payload": "not json"},
         check("ck_device_commands_payload_json"), NOT_JSON),
    Case("ingest_data_not_serialisable", "ingest_events",
         {"tenant_id": TENANT_A, "device_id": DEVICE_A, "kind": "telemetry", "event_at": NOW,
          "data": {"cpu": 0.5}}, {"data": {"cpu": float("nan")}},
         NOT_A_DOCUMENT, NOT_A_DOCUMENT),
    # SQL Server's CHECK (ISJSON(c) = 1) accepts only an object or an array (ISJSON
    # without a type constraint), and the row models read JSON as dict | list. So a bare
    # scalar must be refused here too; json_valid and jsonb accept it today.
    Case("diagram_data_json_scalar", "diagrams", diagram(), {"data": "42"},
         check("ck_diagrams_data_json"), pg_check("ck_diagrams_data_json")),
    # ------------------------------------------------ natural keys
    Case("email_twice_in_a_tenant", "users",
         {"id": NEW, "tenant_id": TENANT_B, "email": "ana@acme.test"},  # other tenant: fine
         {"tenant_id": TENANT_A},
         Error(UniqueViolation, "users.tenant_id, users.email", "SQLITE_CONSTRAINT_UNIQUE"),
         Error(UniqueViolation, "uq_users_tenant_email", "23505")),
    Case("cve_id_twice", "cve_catalog", {"cve_id": "CVE-2024-0002", "cvss_score": 5.0},
         {"cve_id": "CVE-2024-0001"},
         Error(UniqueViolation, "cve_catalog.cve_id", "SQLITE_CONSTRAINT_PRIMARYKEY"),
         Error(UniqueViolation, "pk_cve_catalog", "23505")),
    Case("device_key_hash_twice", "devices",
         {"id": NEW, "tenant_id": TENANT_B, "name": "edge-c", "type": "sensor",
          "device_key_hash": "hash-c"}, {"device_key_hash": "hash-a"},
         Error(UniqueViolation, "devices.device_key_hash", "SQLITE_CONSTRAINT_UNIQUE"),
         Error(UniqueViolation, "uq_devices_device_key_hash", "23505")),
    Case("refresh_token_hash_twice", "refresh_tokens",
         {"id": NEW, "tenant_id": TENANT_A, "user_id": USER_A, "token_hash": "rt-b",
          "expires_at": NOW}, {"token_hash": "rt-a"},
         *unique("refresh_tokens.token_hash", "uq_refresh_tokens_token_hash")),
    Case("provisioning_key_hash_twice", "edge_provisioning_keys",
         {"id": NEW, "tenant_id": TENANT_B, "label": "k2", "key_hash": "pk-b"},
         {"key_hash": "pk-a"},
         *unique("edge_provisioning_keys.key_hash", "uq_edge_provisioning_keys_key_hash")),
    Case("slug_twice", "tenants", tenant(), {"slug": "acme"},
         *unique("tenants.slug", "uq_tenants_slug")),
]

PARAMS = [pytest.param(case, kind, id=f"{case.id}-{kind}",
                       marks=[pytest.mark.postgres] if kind == "postgresql" else [])
          for case in CASES for kind in ("sqlite", "postgresql")]


def insert_sql(table: str, row: dict[str, Any]) -> str:
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"


@pytest.fixture
def open_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    opened: list[Database] = []

    def make(kind: str) -> Database:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'test.db'}"
            conn = connect_sqlite(url)
            apply_sqlite(conn)
            conn.close()
        else:
            url = request.getfixturevalue("pg_url")
            with psycopg.connect(url, autocommit=True) as pg:
                apply_postgresql(pg)
        db = connect(url)
        opened.append(db)
        for table, row in SEED:
            db.exec(insert_sql(table, row), row)
        return db

    yield make
    for db in opened:
        db.close()


def count(db: Database, table: str) -> int:
    return int(db.get_value(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize(("case", "kind"), PARAMS)
def test_schema_refusal_surfaces_as_the_taxonomy(case: Case, kind: str, open_db: Any) -> None:
    db: Database = open_db(kind)
    expected: Error = getattr(case, kind)
    before = count(db, case.table)

    bad = {**case.row, **case.bad}
    with pytest.raises(MonozuError) as info:
        db.exec(insert_sql(case.table, bad), bad)
    assert type(info.value) is expected.cls, f"{type(info.value).__name__}: {info.value}"
    if expected.code is not None:
        assert getattr(info.value, "code", None) == expected.code, info.value
    if expected.constraint is not None:
        assert getattr(info.value, "constraint", None) == expected.constraint, info.value
    assert count(db, case.table) == before

    db.exec(insert_sql(case.table, case.row), case.row)
    assert count(db, case.table) == before + 1


def test_every_case_changes_something() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:
        assert c.bad and any(c.row.get(k) != v for k, v in c.bad.items()), c.id
