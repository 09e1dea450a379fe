"""``monozu edge purge`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monozu.db import connect
from monozu.db.migrate import Migrator
from monozu.domain.edge import EdgeService, EventIn
from tests.domain.conftest import add_tenant

EXE = Path(sys.executable).with_name("monozu")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def url(any_url: str) -> str:
    Migrator.from_url(any_url).migrate()
    return any_url


def test_purge_one_tenant_and_all_tenants(url: str) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    with connect(url) as db:
        service = EdgeService(db, clock=lambda: old)
        tenants = [add_tenant(db, "acme"), add_tenant(db, "globex")]
        for n, tenant in enumerate(tenants):
            key = service.create_provisioning_key(tenant, "k")
            dev = service.authenticate(
                service.register_device(key.secret, name="e", type="gateway").secret)
            service.ingest(dev, [EventIn("log", old, {"i": i}) for i in range(3 + n)])
    first = run("edge", "purge", "--older-than", "30d", "--tenant", str(tenants[0]),
                "--batch-size", "2", "--url", url, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["deleted"] == 3
    rest = run("edge", "purge", "--older-than", "30d", "--all-tenants", "--url", url)
    assert rest.returncode == 0, rest.stderr
    assert "Deleted 4 event(s)" in rest.stdout
    with connect(url) as db:
        assert db.get_value("SELECT COUNT(*) FROM ingest_events") == 0


@pytest.mark.parametrize(("args", "message"), [
    ([], "--older-than is required"),
    (["--older-than", "30", "--all-tenants"], "expected a duration"),
    (["--older-than=-1d", "--all-tenants"], "expected a duration"),
    (["--older-than", "9999999d", "--all-tenants"], "expected a duration"),
    (["--older-than", "30d\x00", "--all-tenants"], "expected a duration"),
    (["--older-than", "30d"], "--all-tenants"),
    (["--older-than", "30d", "--tenant", "acme"], "not a tenant id"),
    (["--older-than", "30d", "--all-tenants", "--tenant", str(uuid.UUID(int=1))],
     "exclude each other"),
    (["--older-than", "30d", "--all-tenants", "--batch-size", "0"], "--batch-size"),
    (["--older-than", "30d", "--all-tenants", "--batch-size", "x"], "batch-size"),
])
def test_bad_arguments_are_one_line_and_exit_2(sqlite_url: str, args: list[str],
                                               message: str) -> None:
    try:
        proc = run("edge", "purge", *args, "--url", sqlite_url)
    except ValueError:  # the OS refuses a NUL in an argument before the command runs
        assert "\x00" in "".join(args)
        return
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()
