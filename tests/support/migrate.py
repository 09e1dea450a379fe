"""Helpers shared by the migration runner's tests: fixture folders and raw queries."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

ENGINE = Path(__file__).resolve().parents[1] / "fixtures" / "migrations" / "engine"


def fixture(name: str, dest: Path) -> Path:
    """A private copy of ``tests/fixtures/migrations/engine/<name>`` the test may edit."""
    target = dest / name
    shutil.copytree(ENGINE / name, target)
    return target


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the test database, read with the plain driver (not the runner)."""
    if kind_of(url) == "sqlite":
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(sql.replace("?", "%s"), params)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []


def execute(url: str, sql: str) -> None:
    if kind_of(url) == "sqlite":
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            conn.executescript(sql)
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(sql)


def history(url: str) -> list[dict[str, Any]]:
    cols = ("installed_rank", "version", "description", "type", "script", "checksum",
            "installed_by", "installed_on", "execution_time", "success")
    rows = query(url, f"SELECT {', '.join(cols)} FROM flyway_schema_history "
                      "ORDER BY installed_rank")
    return [dict(zip(cols, r, strict=True)) for r in rows]


def table_exists(url: str, name: str) -> bool:
    if kind_of(url) == "sqlite":
        return bool(query(url, "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)))
    return bool(query(url, "SELECT to_regclass(?)", (name,))[0][0])
