"""Tenant units of work: the context reaches the database and never leaks between them."""

from __future__ import annotations

import uuid

import pytest

from monozu.db import ConfigError, Database, ParameterError, connect
from monozu.db.tenant import NoTenant, tenant_of
from tests.support.pgserver import PgServer

A, B = uuid.uuid4(), uuid.uuid4()


def test_pooled_connection_never_carries_one_tenant_into_another(pg_url: str) -> None:
    db = Database.open(pg_url, pool_size=1)  # one connection: every unit of work reuses it
    seen = []
    for tenant in (A, B, None, A):
        if tenant is None:
            with db.transaction() as tx:
                seen.append(tx.get_value("SELECT current_setting('app.tenant_id', true)"))
        else:
            with db.tenant(tenant) as tx:
                seen.append(tx.get_value("SELECT current_setting('app.tenant_id', true)"))
    assert seen[0] == str(A) and seen[1] == str(B) and seen[3] == str(A)
    assert seen[2] in (None, "")  # nothing left over from tenant B
    with pytest.raises(RuntimeError), db.tenant(B):
        raise RuntimeError("a failed unit of work")
    with db.transaction() as tx:
        assert tx.get_value("SELECT current_setting('app.tenant_id', true)") in (None, "")
    assert db.pool.stats()["opened"] <= 1
    db.close()


def test_rls_policy_sees_only_the_bound_tenant(pg_server: PgServer, pg_url: str) -> None:
    owner = connect(pg_url)
    owner.exec("CREATE TABLE notes (tenant_id uuid NOT NULL, body text NOT NULL)")
    owner.exec("CREATE POLICY rls_notes ON notes USING "
               "(tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) "
               "WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)")
    owner.exec("ALTER TABLE notes ENABLE ROW LEVEL SECURITY")
    owner.exec("ALTER TABLE notes FORCE ROW LEVEL SECURITY")
    owner.exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'monozu_app') "
               "THEN CREATE ROLE monozu_app LOGIN; END IF; END $$")
    owner.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO monozu_app")
    owner.exec_many("INSERT INTO notes VALUES (:t, :b)",
                    [{"t": A, "b": "a1"}, {"t": A, "b": "a2"}, {"t": B, "b": "b1"}])
    app = connect(pg_url.replace("postgres@", "monozu_app@"))
    with app.tenant(A) as tx:
        assert sorted(tx.select(str, "SELECT body FROM notes")) == ["a1", "a2"]
        assert tx.exec("UPDATE notes SET body = 'x'") == 2
    with app.tenant(B) as tx:
        assert tx.select(str, "SELECT body FROM notes") == ["b1"]
    with app.transaction() as tx:
        assert tx.select(str, "SELECT body FROM notes") == []
    assert owner.get_value("SELECT count(*) FROM notes WHERE body = 'x'") == 2
    app.close()
    owner.close()


def test_sqlite_carries_the_tenant_for_explicit_filters(sqlite_url: str) -> None:
    db = connect(sqlite_url)
    with db.tenant(A) as tx:
        assert tenant_of(tx) == A
    with db.transaction() as tx, pytest.raises(NoTenant):
        tenant_of(tx)
    with pytest.raises(ParameterError, match=r"uuid\.UUID"):
        db.tenant(str(A))  # type: ignore[arg-type]


def test_cross_tenant_work_needs_the_platform_connection_explicitly(sqlite_url: str,
                                                                    tmp_path: object) -> None:
    db = connect(sqlite_url)
    with pytest.raises(ConfigError, match="DATABASE_URL_PLATFORM_ADMIN is not set"):
        db.platform_admin()
    env = {"DATABASE_URL": sqlite_url,
           "DATABASE_URL_PLATFORM_ADMIN": f"sqlite:///{tmp_path}/platform.db"}
    db = Database.open(environ=env)
    platform = db.platform_admin()
    assert platform.platform and platform.url.path.endswith("platform.db")
    with pytest.raises(ConfigError, match="bypasses tenant isolation"):
        platform.tenant(A)


def test_threads_asking_for_the_platform_connection_at_once_share_one(
        sqlite_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from monozu.db import rls
    from tests.support.threads import at_once

    real = rls.check_platform

    def slow_check(platform: Database) -> None:
        time.sleep(0.05)  # widens the window every thread would race through
        real(platform)

    monkeypatch.setattr(rls, "check_platform", slow_check)
    db = Database.open(environ={"DATABASE_URL": sqlite_url,
                                "DATABASE_URL_PLATFORM_ADMIN": f"sqlite:///{tmp_path}/p.db"})
    got, failures = at_once(6, db.platform_admin)
    assert failures == []
    assert len(got) == 6 and len({id(p) for p in got}) == 1
    db.close()
    assert got[0]._pool is None  # closed with its Database, not left open


class _ClaimsAnother(uuid.UUID):
    """A tenant id whose text names another tenant than its value."""

    def __str__(self) -> str:
        return str(B)


class _NoText(uuid.UUID):
    def __str__(self) -> str:
        raise ValueError("no text for this id")


@pytest.mark.parametrize("open_unit", ["tenant", "transaction"])
def test_a_uuid_subclass_binds_its_own_value_not_what_its_text_claims(
        pg_url: str, open_unit: str) -> None:
    """The binding is the id's text and every parameter its value: a subclass's own
    __str__ had bound tenant B to a unit of work whose tenant_of() and parameters said A
    (and one whose __str__ failed escaped as a raw ValueError)."""
    db = Database.open(pg_url, pool_size=1)
    try:
        for given in (_ClaimsAnother(int=A.int), _NoText(int=A.int)):
            unit = (db.tenant(given) if open_unit == "tenant"
                    else db.transaction(tenant_id=given))
            with unit as tx:
                assert tx.get_value("SELECT current_setting('app.tenant_id', true)") == str(A)
                assert type(tenant_of(tx)) is uuid.UUID and tenant_of(tx) == A
        with pytest.raises(ParameterError, match=r"uuid\.UUID, got str"), \
                db.transaction(tenant_id=str(A)):  # type: ignore[arg-type]
            pass
    finally:
        db.close()
