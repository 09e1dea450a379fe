"""Tenancy rules on the real schema, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monozu.db import NotFound, ParameterError, connect
from monozu.db.dialects import dialect_for
from monozu.db.models import Tenant
from monozu.db.queries import QueryError, QueryFile, load, many, one, parse, rowcount
from monozu.db.sqlparams import scan
from monozu.domain.errors import Conflict
from monozu.domain.tenancy import Access, TenancyService
from monozu.domain.tenancy.repository import QUERIES
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.tsql import assert_parses

SQLSERVER = dialect_for("sqlserver")
SQLITE = dialect_for("sqlite")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def migrate(url: str) -> None:
    if url.startswith("sqlite"):
        conn = connect_sqlite(url)
        apply_sqlite(conn)
        conn.close()
    else:
        with psycopg.connect(url) as conn:
            apply_postgresql(conn)


@pytest.fixture
def service(any_url: str) -> Iterator[TenancyService]:
    migrate(any_url)
    clock = {"now": NOW}
    db = connect(any_url)
    svc = TenancyService(db, grace=timedelta(days=7), clock=lambda: clock["now"])
    svc.clock_state = clock  # type: ignore[attr-defined]
    yield svc
    db.close()


def test_a_tenant_logs_in_only_with_an_active_licence(service: TenancyService) -> None:
    tenant = service.register("Acme Industries", "acme-industries")
    assert service.login_access(tenant.id).access is Access.PENDING
    service.apply_licence(tenant.id, "enterprise", NOW + timedelta(days=30), ["security", "vpn"])
    decision = service.login_access(tenant.id)
    assert decision.access is Access.ALLOWED and decision.plan == "enterprise"
    assert service.feature_enabled(tenant.id, "vpn")
    assert not service.feature_enabled(tenant.id, "backup")
    # renewal replaces the features (an upsert, not a second row)
    service.apply_licence(tenant.id, "standard", NOW + timedelta(days=60), ["backup"])
    assert service.login_access(tenant.id).plan == "standard"
    assert service.feature_enabled(tenant.id, "backup")
    assert not service.feature_enabled(tenant.id, "vpn")
    clock = service.clock_state  # type: ignore[attr-defined]
    clock["now"] = NOW + timedelta(days=62)
    assert service.login_access(tenant.id).access is Access.GRACE
    assert not service.feature_enabled(tenant.id, "backup")  # restricted during grace
    clock["now"] = NOW + timedelta(days=68)
    assert service.login_access(tenant.id).access is Access.EXPIRED


def test_tenancy_refuses_bad_input(service: TenancyService) -> None:
    tenant = service.register("Acme", "acme")
    with pytest.raises(Conflict, match="tenant slug 'acme' is in use"):
        service.register("Acme again", "acme")
    with pytest.raises(ParameterError, match="unknown feature"):
        service.apply_licence(tenant.id, "standard", NOW, ["teleport"])
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"tenant {missing} not found"):
        service.apply_licence(missing, "standard", NOW, [])
    assert service.login_access(tenant.id).access is Access.PENDING  # nothing half-applied


def test_every_statement_parses_as_t_sql() -> None:
    checked = 0
    for name in QUERIES.names():
        assert_parses(_with_variables(QUERIES.sql(name, SQLSERVER)))
        checked += 1
    assert checked == len(QUERIES.names()) > 0


def _with_variables(sql: str) -> str:
    """T-SQL variables where the driver would bind values, so the parser sees valid T-SQL."""
    parts, _names = scan(sql, SQLSERVER.lexicon)
    return "@p".join(parts)


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT 1\n-- name: a :rowcount\nSELECT 2", "x.sql:1: SQL before the first"),
    ("-- name: a :rowcount\nSELECT 1\n-- name: a :rowcount\nSELECT 2", "x.sql:3: .*twice"),
    ("-- name: a :rowcount\n\n-- name: b :rowcount\nSELECT 1", "x.sql:1: query 'a' is empty"),
    ("-- name: a :some\nSELECT 1", "needs a shape, one of :one"),
    ("-- name: a :one\nSELECT 1", "x.sql:1: :one needs a row type"),
    ("-- name: a :rowcount Tenant\nSELECT 1", ":rowcount takes no row type"),
    ("-- name: a :one Tenantt\nSELECT 1", "x.sql:1: row type 'Tenantt' is neither"),
    ("\n-- name: a :one Tenant Tenant\nSELECT 1", "x.sql:2: malformed header"),
    ("-- name: a :many int\nSELECT 1 {{ limit }}", "x.sql:1: 'a': .*limit }} needs a count"),
])
def test_query_files_are_checked(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(text, "x.sql", SQLITE.lexicon)


def test_headers_are_found_by_the_lexer() -> None:
    """A '-- name:' line inside a string or a block comment is SQL, not a header."""
    text = ("-- name: a :value str\nSELECT '\n-- name: b :rowcount\n'\n"
            "/*\n-- name: c :rowcount\n*/\n-- name: d :many UUID\nSELECT id FROM t")
    found = parse(text, "x.sql", SQLITE.lexicon)
    assert list(found) == ["a", "d"]
    assert found["a"].sql.startswith("SELECT '\n-- name: b")
    assert found["d"].row is uuid.UUID and found["d"].source == "x.sql:8"


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base: str,
             **overrides: str) -> str:
    name = f"qpkg_{uuid.uuid4().hex[:8]}"  # a fresh module: imported packages are cached
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "types.py").write_text("class Thing:\n    pass\n")
    (pkg / "queries.sql").write_text(base)
    for kind, text in overrides.items():
        (pkg / f"queries.{kind}.sql").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


@pytest.mark.parametrize(("override", "message"), [
    ("-- name: a :value\nSELECT :y\n", "queries.sqlserver.sql:1: parameters of 'a' differ"),
    ("-- name: b :value\nSELECT 1\n", "base file does not define"),
    ("-- name: a :many int\nSELECT :x\n", "shape of 'a' differs"),
    ("-- name: a :value\nSELECT :x, ?\n", "'\\?' .*placeholder"),
])
def test_overrides_must_match_the_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       override: str, message: str) -> None:
    pkg = _package(tmp_path, monkeypatch, "-- name: a :value\nSELECT :x\n",
                   sqlserver=override)
    with pytest.raises(QueryError, match=message):
        load(pkg)


def test_overrides_and_row_types_resolve(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _package(tmp_path, monkeypatch,
                   "-- name: a :value\nSELECT :x\n-- name: t :many Thing\nSELECT 1\n"
                   "-- name: u :one monozu.db.models.Tenant\nSELECT 1\n",
                   sqlserver="-- name: a :value\nSELECT [x] = :x\n")
    queries = load(pkg)
    assert queries.sql("a", SQLSERVER) == "SELECT [x] = :x"
    assert queries.sql("a", dialect_for("sqlite")) == "SELECT :x"
    assert queries.queries["t"].base.row.__name__ == "Thing"
    assert queries.queries["u"].base.row is Tenant


def test_declarations_must_match_the_file(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _package(tmp_path, monkeypatch, "-- name: a :one Tenant\nSELECT 1\n")

    class Right(QueryFile):
        a = one(Tenant)

    class WrongShape(QueryFile):
        a = many(Tenant)

    class Missing(QueryFile):
        a = one(Tenant)
        b = rowcount()

    class Undeclared(QueryFile):
        a = one(Tenant)

    assert Right(pkg).names() == ["a"]
    with pytest.raises(QueryError, match=r"queries.sql:1: 'a' is :one Tenant but WrongShape "
                                         "declares :many Tenant"):
        WrongShape(pkg)
    with pytest.raises(QueryError, match=r"Missing.b is declared but qpkg_.* has no query 'b'"):
        Missing(pkg)
    two = _package(tmp_path, monkeypatch, "-- name: a :one Tenant\nSELECT 1\n"
                                          "-- name: b :rowcount\nDELETE FROM t\n")
    with pytest.raises(QueryError, match=r"queries.sql:3: query 'b' is not declared"):
        Undeclared(two)


def test_named_queries_run_by_shape(any_url: str) -> None:
    migrate(any_url)
    db = connect(any_url)
    try:
        tenant = TenancyService(db).register("Shapes", "shapes")
        with db.transaction() as tx:
            assert QUERIES.get_tenant(tx, id=tenant.id) == tenant
            assert QUERIES.get_licence(tx, tenant_id=tenant.id) is None
            assert QUERIES.list_features(tx, tenant_id=tenant.id) == []
            assert QUERIES.set_tenant_status(tx, id=tenant.id, status="active") == 1
            with pytest.raises(NotFound):
                QUERIES.get_tenant(tx, id=uuid.uuid4())
            with pytest.raises(ParameterError, match="missing :status"):
                QUERIES.set_tenant_status(tx, id=tenant.id)
    finally:
        db.close()


def test_loading_query_files_imports_no_database_driver() -> None:
    """Query files are checked with each database's lexical rules alone: a SQLite-only
    process never imports psycopg or the SQL Server driver."""
    import subprocess
    import sys

    code = ("import sys, monozu.domain.tenancy, monozu.domain.identity, monozu.domain.edge, "
            "monozu.domain.cmdb, monozu.domain.itsm, monozu.domain.security, "
            "monozu.domain.audit; "
            "print(sorted(m for m in ('psycopg', 'mssql_python') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("-- name: names :many int\nSELECT 1", "x.sql:1: query 'names' cannot be called as a "
                                           "method: the query file has an attribute"),
    ("-- name: a :value\nSELECT 1\n-- name: sql :value\nSELECT 2", "x.sql:3: query 'sql'"),
    ("-- name: queries :rowcount\nDELETE FROM t", "x.sql:1: query 'queries'"),
    ("-- name: _hidden :value\nSELECT 1", "x.sql:1: .*beginning with '_' are Python's"),
])
def test_a_query_name_the_query_file_shadows_is_refused(text: str, message: str) -> None:
    """``q.names(tx)`` called QueryFile.names, and ``q._hidden`` raised AttributeError:
    such a query loaded, but could never be called."""
    with pytest.raises(QueryError, match=message):
        parse(text, "x.sql", SQLITE.lexicon)


@pytest.mark.parametrize(("data", "message"), [
    (b"-- name: a :value str\nSELECT 'caf\xe9'\n", r"queries.sql:2: not UTF-8 text \(byte 0xe9\)"),
    (b"-- name: a :value\nSELECT 1\n\nSELECT\x00 2\n", "queries.sql:4: a NUL character"),
])
def test_query_file_bytes_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      data: bytes, message: str) -> None:
    pkg = _package(tmp_path, monkeypatch, "-- name: a :value\nSELECT 1\n")
    (tmp_path / pkg / "queries.sql").write_bytes(data)
    with pytest.raises(QueryError, match=message):
        load(pkg)
    (tmp_path / pkg / "queries.sql").write_text("-- name: a :value\nSELECT 1\n")
    (tmp_path / pkg / "queries.sqlserver.sql").write_bytes(data)
    with pytest.raises(QueryError, match=message.replace("queries.sql", "queries.sqlserver.sql")):
        load(pkg)


def test_a_byte_order_mark_is_not_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _package(tmp_path, monkeypatch, "\ufeff-- name: a :value\nSELECT 1\n",
                   sqlserver="\ufeff-- name: a :value\nSELECT 2\n")
    queries = load(pkg)
    assert queries.sql("a", SQLITE) == "SELECT 1"
    assert queries.sql("a", SQLSERVER) == "SELECT 2"
