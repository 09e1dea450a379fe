"""``monozu cve``: import, status, match and explain through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monozu.cli import main
from monozu.db import connect
from monozu.db.migrate import Migrator
from tests.domain.conftest import add_tenant
from tests.domain.vulnintel.api_server import local_api
from tests.domain.vulnintel.conftest import FIXTURES
from tests.domain.vulnintel.test_service import add_asset


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_import_status_match_explain(sqlite_url: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    Migrator.from_url(sqlite_url).migrate()
    nvd = [str(FIXTURES / "nvd" / n) for n in ("nvd-page-1.json", "nvd-page-2.json")]
    code, out, _ = _run(capsys, "cve", "import", "nvd", *nvd, "--url", sqlite_url)
    assert code == 0 and "15 records: 15 inserted, 0 updated, 0 unchanged" in out
    code, out, _ = _run(capsys, "cve", "import", "nvd", nvd[0], "--url", sqlite_url)
    assert code == 0 and "0 inserted, 0 updated, 15 unchanged" in out
    assert "unchanged file" in out and "not read again" in out
    code, out, _ = _run(capsys, "cve", "import", "nvd", nvd[0], "--force", "--url", sqlite_url)
    assert code == 0 and "0 inserted, 0 updated, 15 unchanged" in out
    assert "unchanged file" not in out
    kev = str(FIXTURES / "kev" / "known_exploited_vulnerabilities.json")
    assert _run(capsys, "cve", "import", "kev", kev, "--url", sqlite_url)[0] == 0

    db = connect(sqlite_url)
    tenant = add_tenant(db, "acme")
    asset = add_asset(db, tenant, "log server",
                      cpe="cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*")
    db.close()
    code, out, _ = _run(capsys, "cve", "match", "--tenant", str(tenant), "--url", sqlite_url)
    assert code == 0 and "1 opened" in out and "1 alerts" in out
    code, out, _ = _run(capsys, "cve", "explain", "--asset", str(asset), "CVE-2021-44228",
                        "--url", sqlite_url)
    assert code == 0 and "apache:log4j" in out and ">= 2.13.0, < 2.15.0" in out
    code, out, _ = _run(capsys, "cve", "status", "--url", sqlite_url)
    assert code == 0 and "nvd" in out and "cursor 2026-06-17" in out and "cves 1,419" in out


@pytest.mark.parametrize(("argv", "problem"), [
    (["cve", "import", "nvd", str(FIXTURES / "kev" / "known_exploited_vulnerabilities.json")],
     "this is the CISA KEV catalog, not an NVD feed"),
    (["cve", "import", "epss", str(FIXTURES / "nvd" / "nvd-page-1.json")],
     "no '#model_version"),
    (["cve", "import", "kev", "/nonexistent/kev.json"], "no such file"),
    (["cve", "explain", "--asset", "00000000-0000-0000-0000-000000000001", "CVE-2021-44228"],
     "no asset"),
    (["cve", "match", "--tenant", "acme"], "'acme' is not a UUID"),
])
def test_bad_input_is_one_line_and_exit_2(sqlite_url: str, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], problem: str) -> None:
    Migrator.from_url(sqlite_url).migrate()
    code, _, err = _run(capsys, *argv, "--url", sqlite_url)
    assert code == 2
    assert problem in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("Error")]) <= 1


def test_failed_import_is_recorded(sqlite_url: str, capsys: pytest.CaptureFixture[str],
                                   tmp_path: Path) -> None:
    Migrator.from_url(sqlite_url).migrate()
    broken = tmp_path / "nvdcve-2.0-recent.json"
    broken.write_text((FIXTURES / "nvd" / "nvd-page-2.json").read_text()[:3000])
    assert _run(capsys, "cve", "import", "nvd", str(broken), "--url", sqlite_url)[0] == 2
    code, out, _ = _run(capsys, "cve", "status", "--url", sqlite_url)
    assert code == 0 and "last error:" in out and "ends early" in out and "cves 0" in out


def test_sync_from_a_local_api(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    Migrator.from_url(sqlite_url).migrate()
    with local_api(FIXTURES / "nvd") as (url, _):
        code, out, _ = _run(capsys, "cve", "sync", "--since", "2026-09-01", "--api-url", url,
                            "--url", sqlite_url)
    assert code == 0 and "2 pages, 19 records: 19 inserted" in out
    code, out, _ = _run(capsys, "cve", "status", "--url", sqlite_url)
    assert "nvd-api" in out
