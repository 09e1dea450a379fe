"""Importing and matching for a PostgreSQL role without the TEMPORARY privilege on the
database (hardened servers take it from PUBLIC): both stage rows in temporary tables,
so such a role is refused in one line naming the grant, before any feed, API page or
catalog scan, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from monozu.cli import main
from monozu.db import Database, ProgrammingError, rls
from monozu.db.migrate import Migrator
from monozu.domain.vulnintel import service
from monozu.domain.vulnintel.nvd_api import NvdClient, sync
from tests.domain.conftest import add_tenant
from tests.domain.vulnintel.api_server import local_api
from tests.domain.vulnintel.conftest import FIXTURES
from tests.domain.vulnintel.test_service import add_asset
from tests.support.plans import pg_application_role

LOG4J = "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"
REFUSAL = r"may not create temporary tables in database \w+, .*GRANT TEMPORARY ON DATABASE"


@pytest.fixture
def operator(pg_url: str) -> Iterator[Database]:
    Migrator.from_url(pg_url).migrate()
    database = Database.open(pg_url, pool_size=1)
    yield database
    database.close()


@pytest.fixture
def no_temporary(operator: Database, pg_url: str) -> Iterator[str]:
    """The URL of an application role that may not create temporary tables."""
    database = urlsplit(pg_url).path.lstrip("/")
    operator.exec(f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC')
    with pg_application_role(operator, pg_url) as url:
        yield url


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_import_names_the_missing_privilege(
        operator: Database, no_temporary: str, capsys: pytest.CaptureFixture[str]) -> None:
    nvd = str(FIXTURES / "nvd" / "nvd-page-1.json")
    code, err = _run(capsys, "cve", "import", "nvd", nvd, "--url", no_temporary)
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("Error: the role ") and "GRANT TEMPORARY ON DATABASE" in err
    assert urlsplit(no_temporary).password not in err
    assert operator.get_value("SELECT count(*) FROM cve_catalog") == 0


def test_match_is_refused_before_the_catalog_is_read(
        operator: Database, pg_url: str, no_temporary: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    nvd = str(FIXTURES / "nvd" / "nvd-page-1.json")
    assert _run(capsys, "cve", "import", "nvd", nvd, "--url", pg_url)[0] == 0
    tenant = add_tenant(operator, "acme")
    add_asset(operator, tenant, "log server", cpe=LOG4J)
    scanned: list[int] = []
    scan = service._scan_by_cve
    monkeypatch.setattr(service, "_scan_by_cve", lambda tx: (scanned.append(1), scan(tx))[1])
    code, err = _run(capsys, "cve", "match", "--url", no_temporary)
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert "GRANT TEMPORARY ON DATABASE" in err
    assert scanned == []
    assert operator.get_value("SELECT count(*) FROM vulnerabilities") == 0


def test_sync_is_refused_before_the_api_is_asked(no_temporary: str) -> None:
    db = Database.open(no_temporary, pool_size=1)
    try:
        with local_api(FIXTURES / "nvd") as (url, script):
            client = NvdClient(url=url)
            with pytest.raises(ProgrammingError, match=REFUSAL):
                sync(db, client, since=datetime(2026, 9, 21, tzinfo=UTC),
                     now=datetime(2026, 10, 1, tzinfo=UTC))
            assert script.requests == []
    finally:
        db.close()


def test_a_role_with_the_privilege_matches(operator: Database, pg_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    nvd = str(FIXTURES / "nvd" / "nvd-page-1.json")
    with pg_application_role(operator, pg_url) as url:
        assert _run(capsys, "cve", "import", "nvd", nvd, "--url", url)[0] == 0
        tenant = add_tenant(operator, "acme")
        add_asset(operator, tenant, "log server", cpe=LOG4J)
        assert _run(capsys, "cve", "match", "--url", url)[0] == 0
    assert operator.get_value("SELECT count(*) FROM vulnerabilities") >= 1


def test_explain_by_asset_under_row_level_security_says_why_it_sees_none(
        operator: Database, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The asset's tenant is looked up across tenants: a role the policies bind finds no
    asset at all. It had been told the asset did not exist."""
    tenant = add_tenant(operator, "acme")
    asset = add_asset(operator, tenant, "log server", cpe=LOG4J)
    rls.enable(operator)
    with pg_application_role(operator, pg_url) as url:
        code, err = _run(capsys, "cve", "explain", "--asset", str(asset), "CVE-2021-44228",
                         "--url", url)
        assert code == 1 and err.count("\n") == 1
        assert "row-level security hides every tenant's assets" in err
        assert "--tenant" in err and "DATABASE_URL_PLATFORM_ADMIN" in err
        assert _run(capsys, "cve", "explain", "--asset", str(asset), "--tenant", str(tenant),
                    "CVE-2021-44228", "--url", url)[0] == 0
    missing = "00000000-0000-0000-0000-000000000001"  # the owner sees all: it is not there
    code, err = _run(capsys, "cve", "explain", "--asset", missing, "CVE-2021-44228",
                     "--url", pg_url)
    assert code == 2 and f"Error: no asset {missing}\n" == err
