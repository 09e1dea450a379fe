"""Tenancy rules on the real schema, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from monozu.db import ForeignKeyViolation, ParameterError, UniqueViolation, connect
from monozu.db.queries import QueryError, load, parse
from monozu.domain.tenancy import Access, TenancyService
from monozu.domain.tenancy.repository import QUERIES
from tests.support.schema_apply import apply_postgresql, apply_sqlite, connect_sqlite
from tests.support.tsql import assert_parses

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
    with pytest.raises(UniqueViolation):
        service.register("Acme again", "acme")
    with pytest.raises(ParameterError, match="unknown feature"):
        service.apply_licence(tenant.id, "standard", NOW, ["teleport"])
    with pytest.raises(ForeignKeyViolation):
        service.apply_licence(uuid.uuid4(), "standard", NOW, [])
    assert service.login_access(tenant.id).access is Access.PENDING  # nothing half-applied


def test_every_sql_server_override_parses_as_t_sql() -> None:
    checked = 0
    for name in QUERIES.names():
        assert_parses(_with_variables(QUERIES.sql(name, "sqlserver")))
        checked += 1
    assert checked == len(QUERIES.names()) > 0


def _with_variables(sql: str) -> str:
    """T-SQL variables where the driver would bind values, so the parser sees valid T-SQL."""
    from monozu.db.sqlparams import scan

    parts, _names = scan(sql, brackets=True)
    return "@p".join(parts)


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT 1\n-- name: a\nSELECT 2", "before the first"),
    ("-- name: a\nSELECT 1\n-- name: a\nSELECT 2", "defined twice"),
    ("-- name: a\n\n-- name: b\nSELECT 1", "'a' is empty"),
])
def test_query_files_are_checked(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(text, "x.sql")


def test_overrides_must_match_the_base(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    pkg = Path(str(tmp_path)) / "qpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "queries.sql").write_text("-- name: a\nSELECT :x\n")
    (pkg / "queries.sqlserver.sql").write_text("-- name: a\nSELECT :y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(QueryError, match="parameters of 'a' differ"):
        load("qpkg")
    (pkg / "queries.sqlserver.sql").write_text("-- name: b\nSELECT 1\n")
    with pytest.raises(QueryError, match="base file does not define"):
        load("qpkg")
    (pkg / "queries.sqlserver.sql").write_text("-- name: a\nSELECT [x] = :x\n")
    assert load("qpkg").sql("a", "sqlserver") == "SELECT [x] = :x"
    assert load("qpkg").sql("a", "sqlite") == "SELECT :x"
