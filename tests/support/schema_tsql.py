"""The SQL Server migrations replayed on paper: ``monozu.db.dialects.sqlserver.replay``."""

from __future__ import annotations

from pathlib import Path

from monozu.db.dialects.sqlserver.replay import TSQL_RESERVED, Replay, ReplayError, replay_named
from monozu.db.introspect import Schema
from tests.support.schema_apply import migration_files


def replay(files: list[Path]) -> Replay:
    """Apply ``files`` (already in Flyway order) to an empty schema."""
    return replay_named([(f.name, f.read_text(encoding="utf-8")) for f in files])


def sqlserver_schema_from_files(folder: Path, *, up_to: int | None = None) -> Schema:
    """The schema the SQL Server migrations in ``folder`` build (up to version ``up_to``)."""
    return replay([f for v, f in migration_files(folder) if up_to is None or v <= up_to]).schema()


__all__ = ["TSQL_RESERVED", "Replay", "ReplayError", "replay", "sqlserver_schema_from_files"]
