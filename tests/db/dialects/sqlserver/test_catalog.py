"""SQL Server's catalog without a server: every statement parses as T-SQL, and a cursor
double that answers the catalog queries as a migrated database would drives the reading
of the schema, ``db drift`` and the platform connection check through the same interface
the live databases use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from monozu.db import drift, rls
from monozu.db.database import Database
from monozu.db.dialects.sqlserver import catalog as cat
from monozu.db.dialects.sqlserver.replay import replay_scripts
from monozu.db.introspect import Schema, Table
from monozu.db.migrate import builtin_location
from tests.support.schema_apply import migration_files
from tests.support.stand_in import StandInCursor, stand_in_database
from tests.support.tsql import assert_parses

SCRIPTS = [f.read_text(encoding="utf-8")
           for _v, f in migration_files(builtin_location("sqlserver"))]


def _column_rows(t: Table) -> list[dict[str, Any]]:
    rows = []
    for n, c in enumerate(t.columns, 1):
        name, _, arg = c.db_type.rstrip(")").partition("(")
        size = -1 if arg == "MAX" else 2 * int(arg) if name == "NVARCHAR" else 8
        rows.append({"table_name": t.name, "column_id": n, "column_name": c.name,
                     "type_name": name.lower(), "max_length": size,
                     "scale": int(arg) if name == "DATETIME2" else 0,
                     "is_nullable": c.nullable, "is_identity": False,
                     "default_definition": "((0))" if c.has_default else None,
                     "collation_name": c.collation})
    return rows


def server_rows(schema: Schema, *, as_user: str = "platform_jobs",
                member: int = 1) -> dict[str, list[dict[str, Any]]]:
    """What each catalog query returns on a server whose dbo schema is ``schema``."""
    ts = [schema.tables[n] for n in sorted(schema.tables)]
    keys: list[dict[str, Any]] = []
    for t in ts:
        named = [(t.primary_key.name, "PK ", t.primary_key.columns)] if t.primary_key else []
        named += [(u.name, "UQ", u.columns) for u in t.unique_constraints]
        keys += [{"table_name": t.name, "constraint_name": n, "constraint_type": kind,
                  "column_name": c} for n, kind, cols in named for c in cols]
    return {
        cat.TABLES_SQL: [{"table_name": t.name} for t in ts],
        cat.COLUMNS_SQL: [r for t in ts for r in _column_rows(t)],
        cat.KEYS_SQL: keys,
        cat.FOREIGN_KEYS_SQL: [
            {"table_name": t.name, "constraint_name": f.name, "column_name": c,
             "ref_table": f.ref_table, "ref_column": rc}
            for t in ts for f in t.foreign_keys for c, rc in zip(f.columns, f.ref_columns,
                                                                 strict=True)],
        cat.CHECKS_SQL: [{"table_name": t.name, "constraint_name": c.name,
                          "definition": f"({c.expression})"}
                         for t in ts for c in t.check_constraints],
        cat.INDEXES_SQL: [{"table_name": t.name, "index_name": i.name,
                           "is_unique": i.unique, "column_name": c}
                          for t in ts for i in t.indexes for c in i.columns],
        cat.RLS_STATUS_SQL: [{"table_schema": "dbo", "table_name": t.name,
                              "policy_name": p, "enabled": t.rls_enabled}
                             for t in ts for p in t.policies],
        cat.PLATFORM_CHECK_SQL: [{"user_name": as_user, "is_platform_member": member,
                                  "role_exists": 1}],
        "SELECT version, type, success FROM [flyway_schema_history]": [
            {"version": str(v), "type": "SQL", "success": True}
            for v, _f in migration_files(builtin_location("sqlserver"))],
    }


class FakeServer:
    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def commit(self) -> None:
        return None

    def rollback(self) -> None:
        return None


class FakeCursor(StandInCursor):
    server: FakeServer

    def execute(self, sql: str, params: Any = None) -> None:
        self.server.sent.append(sql)
        if sql.startswith("EXEC sp_set_session_context"):
            return
        rows = self.server.answers[sql]  # a statement the double does not know fails
        names = list(rows[0]) if rows else ["x"]
        self.answer(names, [tuple(r[n] for n in names) for r in rows])


def with_history(schema: Schema) -> Schema:
    return Schema({**schema.tables, "flyway_schema_history": Table(
        "flyway_schema_history", ())})


@contextmanager
def database(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    db = stand_in_database(server, monkeypatch)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def replayed() -> Schema:
    return replay_scripts(SCRIPTS)


def test_every_catalog_statement_parses_as_tsql() -> None:
    for sql in cat.schema_statements():
        assert_parses(sql)


def test_the_schema_read_back_is_the_logical_schema(replayed: Schema) -> None:
    live = cat.read_schema(FakeServer(server_rows(replayed)))
    assert live.table_names == replayed.table_names
    for name, table in replayed.tables.items():
        got = live.tables[name]
        assert [(c.name, c.type, c.max_length, c.nullable, c.has_default, c.db_type)
                for c in got.columns] == [
            (c.name, c.type, c.max_length, c.nullable, c.has_default, c.db_type)
            for c in table.columns], name
        assert (got.primary_key, got.foreign_keys, got.unique_constraints, got.indexes,
                got.policies) == (table.primary_key, table.foreign_keys,
                                  table.unique_constraints, table.indexes, table.policies)
    assert live.table("tenants").column("status").default == "0"  # parentheses stripped


def test_drift_on_sql_server_runs_through_the_same_interface(
        replayed: Schema, monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer(server_rows(with_history(replayed)))
    with database(server, monkeypatch) as db:
        assert drift.check(db).differences == ()
    for sql in server.sent:
        if "sp_set_session_context" not in sql:
            assert_parses(sql)

    incidents = replayed.tables["incidents"]
    assert incidents.indexes
    changed = Schema({**replayed.tables, "incidents": replace(
        incidents, columns=incidents.columns[:-1], indexes=())})
    server = FakeServer(server_rows(with_history(changed)))
    with database(server, monkeypatch) as db:
        report = drift.check(db)
    expected = {("incidents", "column", incidents.columns[-1].name, "missing")}
    expected |= {("incidents", "index", i.name, "missing") for i in incidents.indexes}
    assert {(d.table, d.thing, d.name, d.change) for d in report.differences} == expected


@pytest.mark.parametrize(("user", "member", "problem"), [
    ("platform_jobs", 1, None),
    ("dbo", 0, "enters the database as dbo"),
    ("platform_jobs", 0, "is not a member of monozu_platform"),
])
def test_the_platform_connection_must_be_a_role_member_not_dbo(
        replayed: Schema, user: str, member: int, problem: str | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer(server_rows(replayed, as_user=user, member=member))
    with database(server, monkeypatch) as db:
        found = rls.platform_problem(db)
        if problem is None:
            assert found is None
            rls.check_platform(db)
        else:
            assert found is not None and problem in found
            with pytest.raises(rls.RlsError, match=problem):
                rls.check_platform(db)
    assert cat.PLATFORM_CHECK_SQL in server.sent


def test_a_missing_platform_role_is_named() -> None:
    problem = cat.CATALOG.platform_problem(
        {"user_name": "jobs", "is_platform_member": None, "role_exists": 0})
    assert problem is not None and "does not exist" in problem


def test_a_policy_switched_off_alone_is_drift(replayed: Schema,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tables = {n: replace(t, rls_enabled=bool(t.policies) and n != "assets")
              for n, t in replayed.tables.items()}
    server = FakeServer(server_rows(with_history(Schema(tables))))
    with database(server, monkeypatch) as db:
        report = drift.check(db)
    assert [(d.table, d.thing, d.found) for d in report.differences] == [
        ("assets", "row-level security", "off")]


def test_the_platform_connection_is_checked_on_first_use(
        replayed: Schema, monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer(server_rows(replayed, as_user="dbo", member=0))
    app = stand_in_database(server, monkeypatch, {
        "DATABASE_URL_PLATFORM_ADMIN": "sqlserver://admin:secret@sql.example?database=monozu"})
    with pytest.raises(rls.RlsError, match="dbo"):
        app.platform_admin()
