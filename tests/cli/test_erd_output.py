"""``monozu db erd --output``: the diagram is written whole, and never over a database
or into something that is not a regular file."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.cli.test_migrate_commands import one_line_error, run


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "monozu.db"
    migrated = run("migrate", "--url", f"sqlite:///{path}", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    return path


def _tables(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])


def test_the_database_being_read_is_not_overwritten(database: Path) -> None:
    before = database.read_bytes()
    proc = run("erd", "--url", f"sqlite:///{database}", "--output", str(database),
               cwd=database.parent)
    assert proc.returncode == 2
    assert "database file" in one_line_error(proc)
    assert database.read_bytes() == before
    assert _tables(database) > 10


def test_any_sqlite_database_is_refused_as_an_output(database: Path) -> None:
    other = database.parent / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (a)").connection.close()
    proc = run("erd", "--url", f"sqlite:///{database}", "--output", str(other),
               cwd=database.parent)
    assert proc.returncode == 2
    assert _tables(other) == 1


def test_a_fifo_is_refused_instead_of_waiting_for_a_reader(database: Path) -> None:
    fifo = database.parent / "pipe"
    os.mkfifo(fifo)
    proc = run("erd", "--url", f"sqlite:///{database}", "--output", str(fifo),
               cwd=database.parent)  # run() times out rather than hang the suite
    assert proc.returncode == 2
    assert "not a regular file" in one_line_error(proc)


def test_a_text_file_is_replaced_whole_keeping_its_mode(database: Path) -> None:
    out = database.parent / "schema.mmd"
    out.write_text("old diagram\n")
    out.chmod(0o640)
    proc = run("erd", "--url", f"sqlite:///{database}", "--output", str(out),
               cwd=database.parent)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("erDiagram")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert [p.name for p in database.parent.iterdir() if p.name.startswith(".")] == []
