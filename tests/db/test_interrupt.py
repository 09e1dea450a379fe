"""Ctrl-C stops a long statement (SQLite, PostgreSQL); interrupt() from another thread
cancels a SQLite one.

Python runs a signal's handler only between bytecodes, so a statement that never
calls back into Python holds Ctrl-C off until it ends. Each case below runs a
statement that would not end for hours in a process of its own, sends SIGINT once
the statement has begun, and waits (at most a minute) for the process to stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from monozu.db import Database, Timeout

REPO = Path(__file__).resolve().parents[2]
ENDLESS = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
           "WHERE i < 1000000000000) SELECT count(*) FROM r")
HANG_GUARD = 60  # seconds: far beyond a stopped statement, far short of the endless one


def _interrupted(script: str, *, argv: tuple[str, ...] = (), cwd: Path | None = None,
                 ready: str = "ready") -> subprocess.CompletedProcess[str]:
    """Run ``script`` (Python), send SIGINT once it prints ``ready``, wait for the end."""
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", script, *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.strip() == ready, (first, proc.stderr.read() if proc.stderr else "")
    threading.Timer(0.3, proc.send_signal, (signal.SIGINT,)).start()  # the statement runs
    try:
        out, err = proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("Ctrl-C did not stop the SQLite statement")
    return subprocess.CompletedProcess(proc.args, proc.returncode, first + out, err)


LIBRARY = """
import sys
from monozu.db import Database

url, endless = sys.argv[1:]
db = Database.open(url, pool_size=1)
db.exec("CREATE TABLE kept (n integer)")
if url.startswith("sqlite"):  # a unit of work taking the handler off leaves it off for itself
    with db.transaction() as tx:
        tx.conn.set_progress_handler(None, 0)
print("ready", flush=True)
try:
    with db.transaction() as tx:
        tx.exec("INSERT INTO kept VALUES (1)")
        tx.get_value(endless)
except KeyboardInterrupt:
    print("KeyboardInterrupt")
print("rows", db.get_value("SELECT count(*) FROM kept"))  # rolled back, connection usable
"""


@pytest.mark.parametrize("where", ["file", "memory", "postgresql"])
def test_ctrl_c_stops_a_long_statement_and_rolls_its_unit_of_work_back(
        tmp_path: Path, where: str, request: pytest.FixtureRequest) -> None:
    if where == "postgresql":
        url, endless = str(request.getfixturevalue("pg_url")), "SELECT pg_sleep(3600)"
    else:
        url = f"sqlite:///{tmp_path / 'x.db' if where == 'file' else ':memory:'}"
        endless = ENDLESS
    done = _interrupted(LIBRARY, argv=(url, endless))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[1:] == ["KeyboardInterrupt", "rows 0", ""], done.stdout


def test_ctrl_c_stops_a_long_migration_with_one_line(tmp_path: Path) -> None:
    location = tmp_path / "sql"
    location.mkdir()
    (location / "V1__fill.sql").write_text(
        "CREATE TABLE filled (n integer);\n"
        f"INSERT INTO filled {ENDLESS.replace('count(*)', 'i')};\n")
    url = f"sqlite:///{tmp_path / 'm.db'}"
    script = ("import sys\nfrom monozu.cli.app import run\nprint('ready', flush=True)\n"
              "sys.argv = ['monozu', *sys.argv[1:]]\nrun()\n")
    done = _interrupted(script, cwd=tmp_path, argv=(
        "db", "migrate", "--url", url, "--locations", f"filesystem:{location}"))
    assert done.returncode == 130, done.stderr
    assert done.stderr == "Error: interrupted\n"
    db = Database.open(url)
    try:
        assert db.get_value("SELECT count(*) FROM flyway_schema_history "
                            "WHERE version = '1' AND success = 1") == 0
        assert db.get_value("SELECT count(*) FROM sqlite_master WHERE name = 'filled'") == 0
    finally:
        db.close()


def test_interrupt_from_another_thread_is_a_timeout_and_the_connection_goes_on(
        tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 't.db'}", pool_size=1)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with db.transaction() as tx:
                threading.Timer(0.3, tx.conn.interrupt).start()
                tx.get_value(ENDLESS)
        except BaseException as exc:  # what reached the thread is checked below
            failures.append(exc)

    try:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(HANG_GUARD)
        assert not thread.is_alive(), "interrupt() did not stop the statement"
        assert len(failures) == 1 and isinstance(failures[0], Timeout), failures
        assert "interrupted" in str(failures[0])  # by interrupt(): no KeyboardInterrupt
        assert db.get_value("SELECT 1") == 1
    finally:
        db.close()


def test_a_callers_own_interrupting_handler_is_a_timeout_not_ctrl_c(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'h.db'}", pool_size=1)
    try:
        with pytest.raises(Timeout, match="progress handler"), db.transaction() as tx:
            tx.conn.set_progress_handler(lambda: 1, 1)  # stops every statement
            tx.get_value("SELECT 1")
        assert db.get_value("SELECT 2") == 2  # the pool set its own handler back
    finally:
        db.close()
