"""The ``flyway_schema_history`` table: its exact DDL per database, reads and writes.

The statements are built by :class:`HistorySQL` as plain data (so the SQL Server
ones can be checked by a parser without a server); the functions below run them on
a :class:`~monozu.db.migrate.session.Session`. ``installed_on`` is never supplied:
the database default fills it, as with Flyway. ``installed_rank`` is the last rank
plus one, computed while the caller holds the migration lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monozu.db.config import Kind
from monozu.db.migrate.errors import MigrationError
from monozu.db.migrate.naming import abbreviate_description, abbreviate_script
from monozu.db.migrate.version import InvalidVersion, Version

COLUMNS = ("installed_rank", "version", "description", "type", "script", "checksum",
           "installed_by", "installed_on", "execution_time", "success")
INSERT_COLUMNS = ("installed_rank", "version", "description", "type", "script", "checksum",
                  "installed_by", "execution_time", "success")
SYNTHETIC_TYPES = frozenset({"SCHEMA", "BASELINE", "DELETE"})
# Every type Flyway (any edition) writes; anything else in the table is refused.
KNOWN_TYPES = frozenset({
    "SCHEMA", "BASELINE", "DELETE", "SQL", "JDBC", "SPRING_JDBC", "SCRIPT", "CUSTOM",
    "UNDO_SQL", "UNDO_JDBC", "UNDO_SCRIPT", "UNDO_CUSTOM", "SQL_BASELINE", "JDBC_BASELINE",
    "SCRIPT_BASELINE",
})
BASELINE_DESCRIPTION = "<< Flyway Baseline >>"


@dataclass(frozen=True, slots=True)
class HistorySQL:
    """Every statement the runner sends about the history table, for one database."""

    kind: Kind
    schema: str
    table: str = "flyway_schema_history"

    def quote(self, ident: str) -> str:
        if self.kind == "sqlserver":
            return "[" + ident.replace("]", "]]") + "]"
        return '"' + ident.replace('"', '""') + '"'

    @property
    def qualified(self) -> str:
        return f"{self.quote(self.schema)}.{self.quote(self.table)}"

    def mark(self, number: int) -> str:
        return f"${number}" if self.kind == "postgresql" else "?"

    def marks(self, count: int) -> str:
        return ",".join(self.mark(i) for i in range(1, count + 1))

    @property
    def false(self) -> str:
        return "FALSE" if self.kind == "postgresql" else "0"

    def create(self) -> list[str]:
        """Flyway's DDL, statement by statement (SQL Server: one batch, as Flyway sends)."""
        t, q = self.qualified, self.quote
        pk, idx = q(f"{self.table}_pk"), q(f"{self.table}_s_idx")
        if self.kind == "sqlserver":
            return [
                f"CREATE TABLE {t} (\n"
                "    [installed_rank] INT NOT NULL,\n"
                "    [version] NVARCHAR(50),\n"
                "    [description] NVARCHAR(200),\n"
                "    [type] NVARCHAR(20) NOT NULL,\n"
                "    [script] NVARCHAR(1000) NOT NULL,\n"
                "    [checksum] INT,\n"
                "    [installed_by] NVARCHAR(100) NOT NULL,\n"
                "    [installed_on] DATETIME NOT NULL DEFAULT GETDATE(),\n"
                "    [execution_time] INT NOT NULL,\n"
                "    [success] BIT NOT NULL\n"
                ");\n"
                f"ALTER TABLE {t} ADD CONSTRAINT {pk} PRIMARY KEY ([installed_rank]);\n"
                f"CREATE INDEX {idx} ON {t} ([success]);"
            ]
        if self.kind == "postgresql":
            return [
                f"CREATE TABLE {t} (\n"
                '    "installed_rank" INT NOT NULL,\n'
                '    "version" VARCHAR(50),\n'
                '    "description" VARCHAR(200) NOT NULL,\n'
                '    "type" VARCHAR(20) NOT NULL,\n'
                '    "script" VARCHAR(1000) NOT NULL,\n'
                '    "checksum" INTEGER,\n'
                '    "installed_by" VARCHAR(100) NOT NULL,\n'
                '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
                '    "execution_time" INTEGER NOT NULL,\n'
                '    "success" BOOLEAN NOT NULL\n'
                ")",
                f'ALTER TABLE {t} ADD CONSTRAINT {pk} PRIMARY KEY ("installed_rank")',
                f'CREATE INDEX {idx} ON {t} ("success")',
            ]
        return [
            f"CREATE TABLE {t} (\n"
            '    "installed_rank" INT NOT NULL PRIMARY KEY,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INT,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
            '    "execution_time" INT NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")",
            f"CREATE INDEX {q(self.schema)}.{idx} ON {q(self.table)} (\"success\")",
        ]

    def columns(self) -> str:
        """The table's column names (no rows: the table does not exist)."""
        if self.kind == "sqlite":
            return "SELECT name FROM pragma_table_info(?, ?)"
        if self.kind == "postgresql":
            return ("SELECT a.attname FROM pg_catalog.pg_attribute a "
                    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 "
                    "AND NOT a.attisdropped AND c.relkind IN ('r', 'p')")
        return ("SELECT c.name FROM sys.columns AS c "
                "JOIN sys.tables AS t ON t.object_id = c.object_id "
                "JOIN sys.schemas AS s ON s.schema_id = t.schema_id "
                "WHERE s.name = ? AND t.name = ?")

    def columns_params(self) -> tuple[str, ...]:
        return (self.table, self.schema) if self.kind == "sqlite" else (self.schema, self.table)

    def select(self) -> str:
        cols = ", ".join(self.quote(c) for c in COLUMNS)
        hint = "/*NO LOAD BALANCE*/ " if self.kind == "postgresql" else ""
        return (f"{hint}SELECT {cols} FROM {self.qualified} "
                f"WHERE {self.quote('installed_rank')} > {self.mark(1)} "
                f"ORDER BY {self.quote('installed_rank')}")

    def next_rank(self) -> str:
        """The highest non-negative rank (NULL on an empty table); one parameter, -1."""
        q = self.quote("installed_rank")
        return f"SELECT MAX({q}) FROM {self.qualified} WHERE {q} > {self.mark(1)}"

    def insert(self) -> str:
        cols = ", ".join(self.quote(c) for c in INSERT_COLUMNS)
        return f"INSERT INTO {self.qualified} ({cols}) VALUES ({self.marks(len(INSERT_COLUMNS))})"

    def update(self) -> str:
        q = self.quote
        return (f"UPDATE {self.qualified} SET {q('description')}={self.mark(1)}, "
                f"{q('type')}={self.mark(2)}, {q('checksum')}={self.mark(3)} "
                f"WHERE {q('installed_rank')}={self.mark(4)}")

    def delete_failed(self, repeatable: bool) -> str:
        q = self.quote
        key = q("description") if repeatable else q("version")
        return (f"DELETE FROM {self.qualified} WHERE {q('success')} = {self.false} "
                f"AND {key} = {self.mark(1)}")


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """One history row."""

    installed_rank: int
    version: Version | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    installed_on: str  # "YYYY-MM-DD HH:MM:SS[.fff]"
    execution_time: int
    success: bool

    @property
    def synthetic(self) -> bool:
        return self.type in SYNTHETIC_TYPES


@dataclass(frozen=True, slots=True)
class NewRow:
    """A row to insert (``installed_rank`` is assigned on insert)."""

    version: str | None
    description: str
    type: str
    script: str
    checksum: int | None
    installed_by: str
    execution_time: int
    success: bool


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    return "" if value is None else str(value)


def parse_row(row: tuple[Any, ...], table: str) -> AppliedMigration:
    rank, version, description, type_, script, checksum, by, on, ms, success = row
    if type_ not in KNOWN_TYPES:
        raise MigrationError(
            f"Unknown migration type {type_!r} in {table} (installed_rank {rank})",
            code="UNKNOWN_MIGRATION_TYPE")
    try:
        parsed = Version(str(version)) if version is not None else None
    except InvalidVersion:
        raise MigrationError(
            f"Invalid version {version!r} in {table} (installed_rank {rank})") from None
    return AppliedMigration(
        installed_rank=int(rank), version=parsed, description=description or "",
        type=str(type_), script=str(script), checksum=None if checksum is None else int(checksum),
        installed_by=str(by), installed_on=_timestamp(on), execution_time=int(ms or 0),
        success=bool(success),
    )


def row_params(sql: HistorySQL, rank: int, row: NewRow) -> tuple[Any, ...]:
    success: Any = row.success if sql.kind == "postgresql" else int(row.success)
    return (rank, row.version, abbreviate_description(row.description), row.type,
            abbreviate_script(row.script), row.checksum, row.installed_by, row.execution_time,
            success)


def missing_columns(found: list[str]) -> list[str]:
    have = {c.lower() for c in found}
    return [c for c in COLUMNS if c not in have]
