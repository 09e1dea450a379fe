"""The real Flyway CLI runs the PostgreSQL and SQLite folders unchanged.

Flyway applies every file (including SQLite's comment-only V14), records the twenty
versions with their descriptions, validates, and leaves the same schema the tests' own
helper builds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from monozu.db.introspect import introspect
from tests.support import pgserver
from tests.support.flyway import require_flyway, run_flyway
from tests.support.schema_apply import (
    apply_postgresql,
    apply_sqlite,
    connect_sqlite,
    folder,
    migration_files,
    sqlite_path,
)

pytestmark = pytest.mark.flyway


@pytest.fixture
def pg2_url(pg_server: pgserver.PgServer) -> Iterator[str]:
    """A second fresh PostgreSQL database."""
    name = pg_server.create_database()
    try:
        yield pg_server.url_for(name)
    finally:
        pg_server.drop_database(name)


def expected_history(kind: str) -> list[tuple[str, str]]:
    return [(str(v), f.name.split("__", 1)[1].removesuffix(".sql").replace("_", " "))
            for v, f in migration_files(folder(kind))]


def test_flyway_migrates_the_sqlite_folder(sqlite_url: str, tmp_path: Path) -> None:
    require_flyway()
    run_flyway("migrate", sqlite_url, [folder("sqlite")])
    run_flyway("validate", sqlite_url, [folder("sqlite")])
    conn = sqlite3.connect(sqlite_path(sqlite_url))
    history = conn.execute(
        "SELECT version, description FROM flyway_schema_history WHERE success = 1 "
        "ORDER BY installed_rank").fetchall()
    by_flyway = introspect(conn, "sqlite")
    conn.close()
    assert history == expected_history("sqlite")

    ours = connect_sqlite(f"sqlite:///{tmp_path / 'ours.db'}")
    apply_sqlite(ours)
    assert introspect(ours, "sqlite") == by_flyway
    ours.close()


@pytest.mark.postgres
def test_flyway_migrates_the_postgresql_folder(pg_url: str, pg2_url: str) -> None:
    require_flyway()
    run_flyway("migrate", pg_url, [folder("postgresql")])
    run_flyway("validate", pg_url, [folder("postgresql")])
    with psycopg.connect(pg_url) as conn:
        history = conn.execute(
            "SELECT version, description FROM flyway_schema_history WHERE success "
            "ORDER BY installed_rank").fetchall()
        by_flyway = introspect(conn, "postgresql")
    assert history == expected_history("postgresql")
    with psycopg.connect(pg2_url) as ours:
        apply_postgresql(ours)
        assert introspect(ours, "postgresql") == by_flyway
