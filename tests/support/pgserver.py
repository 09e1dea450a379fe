"""A throwaway PostgreSQL cluster for the test suite.

Started from the installed server binaries on a free loopback port, owned by the
``postgres`` user when the suite runs as root (the server refuses to run as root).
``MONOZU_TEST_PG_URL`` points the suite at an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


def _find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.insert(0, out.stdout.strip())
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's 'postgresql' "
        "package or set MONOZU_TEST_PG_URL"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server and an admin URL for it."""

    admin_url: str
    _stop: list[list[str]] = field(default_factory=list)
    _tmp: str | None = None

    def url_for(self, dbname: str) -> str:
        base, _, _query = self.admin_url.partition("?")
        head, _, _old = base.rpartition("/")
        return f"{head}/{dbname}"

    def create_database(self, prefix: str = "t") -> str:
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        for cmd in self._stop:
            subprocess.run(cmd, capture_output=True)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def start() -> PgServer:
    """Start a fresh cluster (or use ``MONOZU_TEST_PG_URL``) and return it."""
    existing = os.environ.get("MONOZU_TEST_PG_URL")
    if existing:
        return PgServer(admin_url=existing)
    bindir = _find_bindir()
    tmp = tempfile.mkdtemp(prefix="monozu-pg-")
    data = Path(tmp) / "data"
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        shutil.chown(tmp, user="postgres", group="postgres")
        os.chmod(tmp, 0o755)  # noqa: S103 - the server user must reach its socket dir
        prefix = ["runuser", "-u", "postgres", "--"]
    init = subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
        capture_output=True, text=True,
    )
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    port = _free_port()
    opts = (
        f"-p {port} -k {tmp} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    ctl = subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
         str(Path(tmp) / "server.log"), "-w", "-t", "60", "start"],
        capture_output=True, text=True,
    )
    if ctl.returncode != 0:
        logfile = Path(tmp) / "server.log"
        log = logfile.read_text(errors="replace") if logfile.exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {ctl.stderr.strip()} {log[-2000:]}")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _wait_ready(url)
    stop = [[*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]]
    return PgServer(admin_url=url, _stop=stop, _tmp=tmp)


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"server did not accept connections: {exc}") from exc
            time.sleep(0.2)
