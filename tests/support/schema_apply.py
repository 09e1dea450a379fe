"""Apply the schema migrations to a test database, without the migration runner.

SQLite: each file runs with ``executescript`` inside BEGIN/COMMIT on a connection with
``PRAGMA foreign_keys = ON`` (unless asked otherwise), as the query layer's connections
have it. PostgreSQL: each file's text runs as one statement string in one transaction.
Files are taken in Flyway's version order (numeric, part by part), not name order
(``V10`` sorts after ``V1`` and before ``V28``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

import monozu.db
from monozu.db.config import load_config
from monozu.db.database import Database
from monozu.db.migrate import Migrator

MIGRATIONS = Path(monozu.db.__file__).parent / "migrations"
FOLDERS = ("sqlserver", "postgresql", "sqlite")

_NAME = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__(?P<description>.+)\.sql$")


def folder(kind: str) -> Path:
    if kind not in FOLDERS:
        raise ValueError(kind)
    return MIGRATIONS / kind


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[._]", version))


def migration_files(path: Path) -> list[tuple[int, Path]]:
    """(major version, file) of every versioned migration in ``path``, in Flyway order."""
    found = []
    for f in path.iterdir():
        m = _NAME.match(f.name)
        if m:
            found.append((version_key(m.group("version")), f))
    found.sort(key=lambda vf: vf[0])
    return [(v[0], f) for v, f in found]


def versions(kind: str = "postgresql") -> list[int]:
    return [v for v, _f in migration_files(folder(kind))]


def _selected(kind: str, after: int, up_to: int | None) -> list[tuple[int, Path]]:
    return [(v, f) for v, f in migration_files(folder(kind))
            if v > after and (up_to is None or v <= up_to)]


def sqlite_path(url: str) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(url)
    return url[len(prefix):]


def connect_sqlite(url: str, *, foreign_keys: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
    conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    return conn


def apply_sqlite(conn: sqlite3.Connection, *, after: int = 0,
                 up_to: int | None = None) -> list[int]:
    """Apply the versions in (after, up_to], one transaction per file."""
    done = []
    for v, f in _selected("sqlite", after, up_to):
        try:
            conn.executescript("BEGIN;\n" + f.read_text(encoding="utf-8") + "\nCOMMIT;")
        except Exception:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        done.append(v)
    return done


def apply_sqlite_all_at_once(conn: sqlite3.Connection) -> None:
    """Every file in one script and one transaction."""
    text = "\n".join(f.read_text(encoding="utf-8") for _v, f in _selected("sqlite", 0, None))
    conn.executescript("BEGIN;\n" + text + "\nCOMMIT;")


def apply_postgresql(conn: psycopg.Connection[Any], *, after: int = 0,
                     up_to: int | None = None) -> list[int]:
    """Apply the versions in (after, up_to], one transaction per file."""
    done = []
    for v, f in _selected("postgresql", after, up_to):
        with conn.transaction():
            conn.execute(f.read_text(encoding="utf-8").encode())
        done.append(v)
    return done


def apply_postgresql_all_at_once(conn: psycopg.Connection[Any]) -> None:
    text = "\n".join(f.read_text(encoding="utf-8")
                     for _v, f in _selected("postgresql", 0, None))
    with conn.transaction():
        conn.execute(text.encode())


@contextmanager
def migrated_database(url: str) -> Iterator[Database]:
    """``url`` migrated by the runner to the latest version, opened through the query layer."""
    Migrator.from_url(url).migrate()
    db = Database(load_config({}, url=url, dotenv=None), pool_size=1)
    try:
        yield db
    finally:
        db.close()
