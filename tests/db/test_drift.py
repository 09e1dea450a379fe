"""``monozu db drift`` on real SQLite and PostgreSQL: hand-made drift is reported, a fresh
migrate is not."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monozu.db import drift, rls
from monozu.db.config import load_config
from monozu.db.database import Database
from monozu.db.drift import Difference, DriftError
from monozu.db.introspect import Column, Index, Schema, make_table
from monozu.db.migrate import Migrator
from tests.support.schema_apply import migrated_database

EXE = Path(sys.executable).with_name("monozu")


@pytest.fixture
def migrated(any_url: str) -> Iterator[Database]:
    with migrated_database(any_url) as database:
        yield database


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SQL_"))}
    return subprocess.run([str(EXE), "db", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


def found(report: drift.DriftReport) -> set[tuple[str, str, str | None, str]]:
    return {(d.table, d.thing, d.name, d.change) for d in report.differences}


def test_a_fresh_migrate_has_no_drift(migrated: Database) -> None:
    report = drift.check(migrated)
    assert report.differences == ()
    assert report.applied_version is not None and report.migrations >= 20


def test_an_added_column_a_dropped_index_and_a_changed_default_are_reported(
        migrated: Database) -> None:
    migrated.exec("ALTER TABLE users ADD COLUMN nickname VARCHAR(40) NULL")
    migrated.exec("DROP INDEX ix_incidents_tenant_status")
    if migrated.dialect.kind == "postgresql":
        migrated.exec("ALTER TABLE tenants ALTER COLUMN status SET DEFAULT 'active'")
    else:  # SQLite cannot alter a default but by rewriting the stored DDL
        with migrated.connection() as conn:
            (version,) = conn.execute("PRAGMA schema_version").fetchone()
            conn.execute("PRAGMA writable_schema = ON")
            conn.execute("UPDATE sqlite_master SET sql = replace(sql, "
                         "'status TEXT NOT NULL DEFAULT ''pending''', "
                         "'status TEXT NOT NULL DEFAULT ''active''') WHERE name = 'tenants'")
            conn.execute(f"PRAGMA schema_version = {version + 1}")  # re-read by everyone
            conn.execute("PRAGMA writable_schema = OFF")
    report = drift.check(migrated)
    assert found(report) == {
        ("users", "column", "nickname", "unexpected"),
        ("incidents", "index", "ix_incidents_tenant_status", "missing"),
        ("tenants", "column", "status", "changed"),
    }
    (default,) = [d for d in report.differences if d.table == "tenants"]
    assert "'pending'" in (default.expected or "") and "'active'" in (default.found or "")
    assert "DEFAULT" in default.line()


def test_a_disabled_policy_and_a_dropped_policy_are_reported(pg_url: str) -> None:
    with migrated_database(pg_url) as db:
        rls.enable(db)
        assert drift.check(db).differences == ()  # on everywhere is the operator's choice
        db.exec("ALTER TABLE incidents NO FORCE ROW LEVEL SECURITY, "
                "DISABLE ROW LEVEL SECURITY")
        db.exec("DROP POLICY rls_assets ON assets")
        report = drift.check(db)
    assert found(report) == {("incidents", "row-level security", None, "changed"),
                             ("assets", "policy", "rls_assets", "missing")}
    (state,) = [d for d in report.differences if d.table == "incidents"]
    assert (state.expected or "").startswith("on") and state.found == "off"


def test_a_database_without_history_is_one_clear_error(sqlite_url: str) -> None:
    db = Database(load_config({}, url=sqlite_url, dotenv=None), pool_size=1)
    try:
        db.exec("CREATE TABLE t (a INTEGER)")
        with pytest.raises(DriftError, match="has not been migrated"):
            drift.check(db)
    finally:
        db.close()


def test_the_expected_schema_follows_the_applied_version(sqlite_url: str) -> None:
    Migrator.from_url(sqlite_url, target="20").migrate()
    db = Database(load_config({}, url=sqlite_url, dotenv=None), pool_size=1)
    try:
        report = drift.check(db)
    finally:
        db.close()
    assert (report.applied_version, report.differences) == ("20", ())


def test_the_cli_exit_codes_text_and_json(sqlite_url: str, tmp_path: Path) -> None:
    Migrator.from_url(sqlite_url).migrate()
    clean = run("drift", "--url", sqlite_url, cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert "no drift" in clean.stdout
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    conn.execute("ALTER TABLE users ADD COLUMN nickname TEXT")
    conn.commit()
    conn.close()
    text = run("drift", "--url", sqlite_url, cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert "users: column nickname is not in the migrations: TEXT NULL" in text.stdout
    assert "1 difference from the migrations" in text.stdout
    machine = run("drift", "--url", sqlite_url, "--json", cwd=tmp_path)
    assert machine.returncode == 1
    doc = json.loads(machine.stdout)
    assert doc["drifted"] is True and doc["database"] == "sqlite"
    assert doc["differences"] == [{"table": "users", "thing": "column", "name": "nickname",
                                   "change": "unexpected", "expected": None,
                                   "found": "TEXT NULL"}]


def test_the_cli_on_an_unmigrated_database_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    sqlite3.connect(sqlite_url.removeprefix("sqlite:///")).close()
    proc = run("drift", "--url", sqlite_url, cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "not been migrated" in lines[0]


# --------------------------------------------------------------------------- compare()


def _table(*columns: Column, indexes: tuple[Index, ...] = ()) -> Schema:
    return Schema({"t": make_table("t", columns, indexes=indexes)})


def test_compare_without_expressions_sees_presence_not_spelling() -> None:
    a = Column("a", "int", None, False, True, "INT", default="0")
    respelled = Column("a", "int", None, False, True, "INT", default="((0))")
    assert drift.compare(_table(a), _table(respelled), expressions=False) == []
    assert [d.thing for d in drift.compare(_table(a), _table(respelled))] == ["column"]
    no_default = Column("a", "int", None, False, False, "INT")
    (diff,) = drift.compare(_table(a), _table(no_default), expressions=False)
    assert diff == Difference("t", "column", "a", "changed", "INT NOT NULL with a default",
                              "INT NOT NULL")


def test_compare_reports_a_changed_index() -> None:
    a = Column("a", "int", None, False, False, "INT")
    b = Column("b", "int", None, False, False, "INT")
    (diff,) = drift.compare(_table(a, b, indexes=(Index("ix", ("a",), False),)),
                            _table(a, b, indexes=(Index("ix", ("a", "b"), True),)))
    assert diff.line() == "t: index ix differs from the migrations: expected (a), " \
                          "found UNIQUE (a, b)"
