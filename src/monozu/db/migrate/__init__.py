"""A Flyway-compatible migration runner over SQL Server, PostgreSQL and SQLite.

It reads and writes Flyway's own ``flyway_schema_history`` table (same DDL, same
rows, same checksums, same lock), so Flyway Community and this runner can take
turns on one database::

    from monozu.db.migrate import Migrator
    m = Migrator.from_url("postgresql://app@db/monozu", locations=[Path("sql")])
    m.migrate(); m.info(); m.validate()

The pipeline is split the way Flyway splits it: :mod:`.resolve` reads the files,
:mod:`.history` the table, :mod:`.info` merges them into states, :mod:`.validate`
checks them and :mod:`.commands` acts.
"""

from __future__ import annotations

from monozu.db.migrate.checksum import checksum_bytes, checksum_text
from monozu.db.migrate.commands import Migrator, builtin_location, migrate_on_startup
from monozu.db.migrate.errors import MigrationConfigError, MigrationError, ValidationFailed
from monozu.db.migrate.info import MigrationInfo, State
from monozu.db.migrate.results import (
    AppliedStep,
    BaselineResult,
    CleanResult,
    InfoResult,
    MigrateResult,
    RepairResult,
)
from monozu.db.migrate.settings import MigrateSettings, load_settings
from monozu.db.migrate.validate import InvalidMigration, Problem, ValidateResult
from monozu.db.migrate.version import Version

__all__ = [
    "AppliedStep",
    "BaselineResult",
    "CleanResult",
    "InfoResult",
    "InvalidMigration",
    "MigrateResult",
    "MigrateSettings",
    "MigrationConfigError",
    "MigrationError",
    "MigrationInfo",
    "Migrator",
    "Problem",
    "RepairResult",
    "State",
    "ValidateResult",
    "ValidationFailed",
    "Version",
    "builtin_location",
    "checksum_bytes",
    "checksum_text",
    "load_settings",
    "migrate_on_startup",
]
