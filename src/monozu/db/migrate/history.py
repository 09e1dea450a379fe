"""The ``flyway_schema_history`` table: its exact DDL per database, reads and writes.

The statements are built by :class:`HistorySQL` as plain data from the dialect's
migration part (so the SQL Server ones can be checked by a parser without a server).
``installed_on`` is never supplied: the database default fills it, as with Flyway.
``installed_rank`` is the last rank plus one, computed while the caller holds the
migration lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monozu.db.dialects.migration import HISTORY_COLUMNS as COLUMNS
from monozu.db.dialects.migration import INSERT_COLUMNS, MigrationSQL
from monozu.db.migrate.errors import MigrationError
from monozu.db.migrate.naming import abbreviate_description, abbreviate_script
from monozu.db.migrate.version import InvalidVersion, Version

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
    """Every statement the runner sends about the history table ``schema.table``, in
    the database's own quoting and parameter marks."""

    part: MigrationSQL
    schema: str
    table: str = "flyway_schema_history"

    def quote(self, ident: str) -> str:
        return self.part.dialect.quote(ident)

    @property
    def qualified(self) -> str:
        return self.part.qualified(self.schema, self.table)

    def mark(self, number: int) -> str:
        return self.part.dialect.placeholder(number)

    def marks(self, count: int) -> str:
        return ",".join(self.mark(i) for i in range(1, count + 1))

    def create(self) -> list[str]:
        """Flyway's DDL, statement by statement."""
        return self.part.history_create(self.schema, self.table)

    def columns(self) -> tuple[str, tuple[Any, ...]]:
        """The table's column names (no rows: the table does not exist)."""
        return self.part.history_columns(self.schema, self.table)

    def select(self) -> str:
        cols = ", ".join(self.quote(c) for c in COLUMNS)
        return (f"{self.part.select_hint}SELECT {cols} FROM {self.qualified} "
                f"WHERE {self.quote('installed_rank')} > {self.mark(1)} "
                f"ORDER BY {self.quote('installed_rank')}")

    def next_rank(self) -> str:
        """The highest non-negative rank (NULL on an empty table); one parameter, -1."""
        q = self.quote("installed_rank")
        return f"SELECT MAX({q}) FROM {self.qualified} WHERE {q} > {self.mark(1)}"

    def insert(self, *, server_elapsed: bool = False) -> str:
        """The history row; ``server_elapsed``: the execution time is the part's
        ``elapsed_sql``, not a parameter (see :func:`row_params`)."""
        cols = ", ".join(self.quote(c) for c in INSERT_COLUMNS)
        values = [self.mark(i) for i in range(1, len(INSERT_COLUMNS) + 1)]
        if server_elapsed and self.part.elapsed_sql:
            at = INSERT_COLUMNS.index("execution_time")
            values[at:] = [self.part.elapsed_sql, self.mark(at + 1)]
        return f"INSERT INTO {self.qualified} ({cols}) VALUES ({','.join(values)})"

    def update(self) -> str:
        q = self.quote
        return (f"UPDATE {self.qualified} SET {q('description')}={self.mark(1)}, "
                f"{q('type')}={self.mark(2)}, {q('checksum')}={self.mark(3)} "
                f"WHERE {q('installed_rank')}={self.mark(4)}")

    def finish(self) -> str:
        """A row written as failed before its migration ran outside a transaction,
        given the outcome: success and execution time, by rank."""
        q = self.quote
        return (f"UPDATE {self.qualified} SET {q('success')}={self.mark(1)}, "
                f"{q('execution_time')}={self.mark(2)} WHERE {q('installed_rank')}={self.mark(3)}")

    def delete_failed(self, repeatable: bool) -> str:
        q = self.quote
        key = q("description") if repeatable else q("version")
        return (f"DELETE FROM {self.qualified} WHERE {q('success')} = {self.part.false_literal} "
                f"AND {key} = {self.mark(1)}")

    def statements(self) -> dict[str, str]:
        """Name -> statement, every one the runner sends about the table (for checks)."""
        out = {"history.columns": self.columns()[0], "history.select": self.select(),
               "history.next_rank": self.next_rank(), "history.insert": self.insert(),
               "history.update": self.update(), "history.finish": self.finish(),
               "history.delete_failed_versioned": self.delete_failed(repeatable=False),
               "history.delete_failed_repeatable": self.delete_failed(repeatable=True)}
        for number, stmt in enumerate(self.create(), 1):
            out[f"history.create.{number}"] = stmt
        return out


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


def row_params(sql: HistorySQL, rank: int, row: NewRow, *, server_elapsed: bool = False
               ) -> tuple[Any, ...]:
    success = sql.part.bool_param(row.success)
    head = (rank, row.version, abbreviate_description(row.description), row.type,
            abbreviate_script(row.script), row.checksum, row.installed_by)
    if server_elapsed and sql.part.elapsed_sql:
        return (*head, success)
    return (*head, row.execution_time, success)


def missing_columns(found: list[str]) -> list[str]:
    have = {c.lower() for c in found}
    return [c for c in COLUMNS if c not in have]
