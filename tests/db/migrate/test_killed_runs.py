"""A runner killed (SIGKILL) part-way, then run again: the history and the schema agree,
and nothing is skipped or applied twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from monozu.db.migrate import MigrationError, Migrator, ValidationFailed
from tests.support.migrate import execute, history, query

ROOT = Path(__file__).resolve().parents[3]

# A runner in a process of its own that kills itself with SIGKILL at one point: before
# a statement holding the marker, or once a non-transactional script has run.
RUNNER = textwrap.dedent("""
    import os, signal, sys
    from monozu.db.dialects import dialect_for
    from monozu.db.migrate import Migrator

    url, folder, point = sys.argv[1:]
    m = Migrator.from_url(url, locations=[folder])
    part = type(dialect_for(m.kind).migration)
    run, run_script = part.run, part.run_script

    def killing_run(self, raw, sql, copy_data=None):
        if point == "mid-script" and "kill_here" in sql:
            os.kill(os.getpid(), signal.SIGKILL)
        return run(self, raw, sql, copy_data)

    def killing_run_script(self, raw, statements, *, transactional, then=None, before=()):
        run_script(self, raw, statements, transactional=transactional, then=then,
                   before=before)
        if point == "after-script" and not transactional:
            os.kill(os.getpid(), signal.SIGKILL)

    part.run, part.run_script = killing_run, killing_run_script
    m.migrate()
""")


def _killed_run(url: str, folder: Path, point: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", RUNNER, url, str(folder), point], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "V1__table.sql").write_text("CREATE TABLE t (id INT);\n")
    # Harmless to run twice as far as the database can tell: only the history can.
    (folder / "V2__outside.sql").write_text(
        "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2) /* kill_here */;\n")
    (folder / "V2__outside.sql.conf").write_text("executeInTransaction=false\n")
    (folder / "V3__after.sql").write_text("INSERT INTO t VALUES (3);\n")
    return folder


@pytest.mark.parametrize("point", ["mid-script", "after-script"])
def test_a_run_killed_in_a_non_transactional_migration_leaves_it_failed(
        any_url: str, tmp_path: Path, point: str) -> None:
    """A non-transactional migration's row was written only after its script: a run
    killed in between left no row, and the next run applied the script again (here,
    the rows inserted twice) and went on as if nothing had happened."""
    folder = _folder(tmp_path)
    _killed_run(any_url, folder, point)
    inserted = [(1,)] if point == "mid-script" else [(1,), (2,)]
    assert query(any_url, "SELECT id FROM t ORDER BY id") == inserted
    assert [(r["version"], bool(r["success"])) for r in history(any_url)] == [
        ("1", True), ("2", False)]
    m = Migrator.from_url(any_url, locations=[folder])
    with pytest.raises(ValidationFailed, match="failed migration to version 2") as caught:
        m.migrate()
    assert [code for code, _ in caught.value.problems] == ["FAILED_VERSIONED_MIGRATION"]
    unvalidated = Migrator.from_url(any_url, locations=[folder], validate_on_migrate=False)
    with pytest.raises(MigrationError, match="failed migration to version 2") as refused:
        unvalidated.migrate()
    assert refused.value.code == "FAILED_VERSIONED_MIGRATION"
    assert query(any_url, "SELECT id FROM t ORDER BY id") == inserted  # nothing re-run
    # The way out the message gives: undo its changes, repair, migrate.
    execute(any_url, "DELETE FROM t")
    assert m.repair().removed_failed == ("2 (V2__outside.sql)",)
    assert [s.version for s in m.migrate().applied] == ["2", "3"]
    assert query(any_url, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]
    assert [(r["version"], bool(r["success"])) for r in history(any_url)] == [
        ("1", True), ("2", True), ("3", True)]


def test_a_non_transactional_migration_records_its_time_once_done(
        any_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "V2__outside.sql").write_text(
        "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n"
        + ("SELECT pg_sleep(0.2);\n" if "postgresql" in any_url else
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
           " SELECT count(*) FROM n;\n"))
    Migrator.from_url(any_url, locations=[folder]).migrate()
    rows = history(any_url)
    assert [(r["version"], bool(r["success"])) for r in rows] == [
        ("1", True), ("2", True), ("3", True)]
    assert rows[1]["execution_time"] >= 100


def test_a_connection_lost_in_a_non_transactional_migration_names_it(
        pg_url: str, tmp_path: Path) -> None:
    """The server ends the runner's session mid-script: the error had been the failed
    attempt to write the history row (``the connection is closed``), naming neither
    the migration nor what became of it."""
    import threading
    import time

    import psycopg

    folder = _folder(tmp_path)
    (folder / "V2__outside.sql").write_text("INSERT INTO t VALUES (1);\nSELECT pg_sleep(30);\n")

    def terminate() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            for _ in range(500):
                if admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE query LIKE 'SELECT pg_sleep(30)%'").fetchall():
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=terminate)
    killer.start()
    try:
        with pytest.raises(MigrationError, match=r"V2__outside\.sql failed at line 2: .*"
                           "ran outside a transaction") as caught:
            Migrator.from_url(pg_url, locations=[folder]).migrate()
    finally:
        killer.join()
    assert caught.value.code == "MIGRATION_FAILED"
    assert [(r["version"], bool(r["success"])) for r in history(pg_url)] == [
        ("1", True), ("2", False)]
    with pytest.raises(ValidationFailed, match="failed migration to version 2"):
        Migrator.from_url(pg_url, locations=[folder]).migrate()


def test_an_outcome_that_cannot_be_recorded_leaves_the_migration_failed(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer holds SQLite's write lock once the script has run: the row that
    says it succeeded cannot be written, and the run says so instead of a bare lock
    timeout."""
    import sqlite3

    from monozu.db.dialects import dialect_for

    folder = _folder(tmp_path)
    part = type(dialect_for("sqlite").migration)
    run_script = part.run_script
    holder = sqlite3.connect(sqlite_url.split("sqlite:///", 1)[1], isolation_level=None)

    def then_locked(self: Any, raw: Any, statements: Any, *, transactional: bool,
                    **kw: Any) -> None:
        run_script(self, raw, statements, transactional=transactional, **kw)
        if not transactional:
            holder.execute("BEGIN IMMEDIATE")

    monkeypatch.setattr(part, "run_script", then_locked)
    try:
        with pytest.raises(MigrationError, match=r"V2__outside\.sql ran outside a transaction, "
                           "but its history row could not be marked successful") as caught:
            Migrator.from_url(sqlite_url + "?busy_timeout=0.05", locations=[folder],
                              lock_retry_count=0).migrate()
    finally:
        holder.close()
    assert caught.value.code == "MIGRATION_FAILED"
    assert query(sqlite_url, "SELECT id FROM t ORDER BY id") == [(1,), (2,)]
    assert [(r["version"], bool(r["success"])) for r in history(sqlite_url)] == [
        ("1", True), ("2", False)]


def test_a_second_sqlite_runner_refuses_a_migration_running_outside_a_transaction(
        sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite has no migration lock: runners queue on its write lock one transaction at
    a time, which a migration run outside a transaction does not hold. A second runner
    arriving meanwhile found no row for it and ran it as well."""
    import threading

    from monozu.db.dialects import dialect_for

    folder = _folder(tmp_path)
    part = type(dialect_for("sqlite").migration)
    run_script = part.run_script
    inside, go_on = threading.Event(), threading.Event()

    def held(self: Any, raw: Any, statements: Any, *, transactional: bool,
             **kw: Any) -> None:
        if not transactional and not inside.is_set():  # the first runner only
            inside.set()
            go_on.wait(30)
        run_script(self, raw, statements, transactional=transactional, **kw)

    monkeypatch.setattr(part, "run_script", held)
    first_failed: list[BaseException] = []

    def first() -> None:
        try:
            Migrator.from_url(sqlite_url, locations=[folder]).migrate()
        except BaseException as exc:  # reported by the assertion below
            first_failed.append(exc)

    runner = threading.Thread(target=first)
    runner.start()
    try:
        assert inside.wait(30)
        with pytest.raises(ValidationFailed, match="failed migration to version 2"):
            Migrator.from_url(sqlite_url, locations=[folder]).migrate()
    finally:
        go_on.set()
        runner.join()
    assert first_failed == []
    assert query(sqlite_url, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]
    assert [(r["version"], bool(r["success"])) for r in history(sqlite_url)] == [
        ("1", True), ("2", True), ("3", True)]
    assert Migrator.from_url(sqlite_url, locations=[folder]).migrate().applied == ()
