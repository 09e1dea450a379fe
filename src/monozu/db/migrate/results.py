"""What the commands return: plain data, rendered by the CLI as text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from monozu.db.migrate.info import MigrationInfo


@dataclass(frozen=True, slots=True)
class AppliedStep:
    """One migration ``migrate`` ran."""

    version: str  # "" for a repeatable
    description: str
    script: str
    type: str
    execution_time: int  # ms
    transactional: bool
    out_of_order: bool = False
    filepath: str = ""

    @property
    def category(self) -> str:
        return "Versioned" if self.version else "Repeatable"


@dataclass(frozen=True, slots=True)
class MigrateResult:
    database: str
    schema: str
    initial_version: str | None
    target_version: str | None  # the schema version after the run
    applied: tuple[AppliedStep, ...]
    total_time: int  # ms
    created_table: bool = False
    baselined: bool = False
    target_reached: bool = True
    warnings: tuple[str, ...] = ()

    @property
    def migrations_executed(self) -> int:
        return len(self.applied)

    def as_dict(self) -> dict[str, object]:
        """Flyway's ``-outputType=json`` shape for migrate, plus a few extras."""
        return {
            "operation": "migrate",
            "success": True,
            "database": self.database,
            "schemaName": self.schema,
            "initialSchemaVersion": self.initial_version,
            "targetSchemaVersion": self.target_version,
            "migrationsExecuted": self.migrations_executed,
            "totalMigrationTime": self.total_time,
            "migrations": [
                {"category": s.category, "version": s.version, "description": s.description,
                 "type": s.type, "filepath": s.filepath, "script": s.script,
                 "executionTime": s.execution_time, "transactional": s.transactional,
                 "outOfOrder": s.out_of_order}
                for s in self.applied],
            "createdTable": self.created_table,
            "baselined": self.baselined,
            "targetReached": self.target_reached,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class InfoResult:
    database: str
    schema: str
    current_version: str | None
    migrations: tuple[MigrationInfo, ...]
    table_exists: bool
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "schemaName": self.schema,
            "schemaVersion": self.current_version,
            "migrations": [m.as_dict() for m in self.migrations],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class BaselineResult:
    database: str
    schema: str
    version: str
    description: str
    created: bool  # False: an identical baseline was already there
    created_table: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RepairResult:
    database: str
    schema: str
    removed_failed: tuple[str, ...] = ()
    deleted_missing: tuple[str, ...] = ()
    aligned: tuple[str, ...] = ()
    table_exists: bool = True
    warnings: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.removed_failed or self.deleted_missing or self.aligned)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["repairActions"] = [
            a for a, items in (("removed failed migrations", self.removed_failed),
                               ("marked missing migrations as deleted", self.deleted_missing),
                               ("realigned checksums", self.aligned)) if items]
        return data


@dataclass(frozen=True, slots=True)
class CleanResult:
    database: str
    schema: str
    dropped: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
