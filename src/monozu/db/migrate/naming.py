"""Which files are migrations, and what their names say.

The shape is ``<prefix><version><separator><description><suffix>`` with Flyway's
defaults ``V`` (versioned), ``R`` (repeatable), ``__`` and ``.sql``. The prefix is
case-sensitive, the suffix is not. The description is the text after the first
separator with every ``_`` turned into a space.

Flyway skips a name it cannot parse without a word (unless ``validateMigrationNaming``).
Here such a name is reported as a warning, and becomes an error when naming is
validated or when the name has a prefix *and* a separator (``V__x.sql``,
``V1a__x.sql``): a file shaped like a migration that would silently never run.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from monozu.db.migrate.version import InvalidVersion, Version

SQL_SUFFIX = ".sql"
CONF_SUFFIX = ".sql.conf"
VERSIONED_PREFIX = "V"
REPEATABLE_PREFIX = "R"
BASELINE_PREFIX = "B"
SEPARATOR = "__"
MAX_DESCRIPTION = 200
MAX_SCRIPT = 1000

# SQL callbacks (beforeMigrate.sql, afterEachMigrate__x.sql...): not migrations.
CALLBACK_EVENTS = frozenset({
    "beforeMigrate", "beforeEachMigrate", "beforeEachMigrateStatement",
    "afterEachMigrateStatement", "afterEachMigrateStatementError", "afterEachMigrate",
    "afterEachMigrateError", "afterMigrate", "afterMigrateApplied", "afterVersioned",
    "afterMigrateError", "beforeUndo", "beforeEachUndo", "beforeEachUndoStatement",
    "afterEachUndoStatement", "afterEachUndoStatementError", "afterEachUndo",
    "afterEachUndoError", "afterUndo", "afterUndoError", "beforeClean", "afterClean",
    "afterCleanError", "beforeInfo", "afterInfo", "afterInfoError", "beforeValidate",
    "afterValidate", "afterValidateError", "beforeBaseline", "afterBaseline",
    "afterBaselineError", "beforeRepair", "afterRepair", "afterRepairError",
    "createSchema", "beforeConnect", "afterConnect", "beforeEachConnect", "afterEachConnect",
})

Kind = Literal["versioned", "repeatable"]


@dataclass(frozen=True, slots=True)
class MigrationName:
    """A parsed migration file name."""

    kind: Kind
    version: Version | None
    description: str


@dataclass(frozen=True, slots=True)
class BadName:
    """A ``.sql`` file that is not a usable migration name, and why.

    ``fatal`` marks names that look like an intended migration (prefix and separator
    present); the others are only reported unless naming is validated.
    """

    reason: str
    fatal: bool


@dataclass(frozen=True, slots=True)
class BaselineMigration:
    """A Flyway baseline migration (``B2__x.sql``): on a new database Flyway runs it in
    place of the versions up to its own; monozu does not run it."""

    version: Version


@dataclass(frozen=True, slots=True)
class Callback:
    """A Flyway SQL callback file (``afterMigrate.sql``); it is not a migration."""

    event: str


def is_sql(filename: str) -> bool:
    return filename.lower().endswith(SQL_SUFFIX)


def parse_name(filename: str) -> MigrationName | BadName | Callback | BaselineMigration:
    """Parse a ``.sql`` file name (the caller has checked the suffix)."""
    stem = filename[: -len(SQL_SUFFIX)]
    event = stem.split(SEPARATOR, 1)[0]
    if event in CALLBACK_EVENTS:
        return Callback(event)
    if stem.startswith(BASELINE_PREFIX):
        # As Flyway reads it: only a valid version makes it one (Bootstrap.sql is not).
        with suppress(InvalidVersion):
            return BaselineMigration(Version(event[len(BASELINE_PREFIX):]))
    if stem.startswith(VERSIONED_PREFIX):
        prefix, kind = VERSIONED_PREFIX, "versioned"
    elif stem.startswith(REPEATABLE_PREFIX):
        prefix, kind = REPEATABLE_PREFIX, "repeatable"
    else:
        return BadName(f"{filename}: not a migration name (expected V<version>__<description>"
                       f".sql or R__<description>.sql)", fatal=False)
    rest = stem[len(prefix):]
    version_text, sep, raw_description = rest.partition(SEPARATOR)
    example = raw_description or "description"
    description = raw_description.replace("_", " ")
    if kind == "repeatable":
        if version_text:
            return BadName(
                f"Invalid repeatable migration name format: {filename} (It cannot contain a "
                f"version and should look like this: R__{example}.sql)", fatal=bool(sep))
        return MigrationName("repeatable", None, description)
    if not version_text:
        return BadName(
            f"Invalid versioned migration name format: {filename} (It must contain a version "
            f"and should look like this: V1.2__{example}.sql)", fatal=bool(sep))
    try:
        version = Version(version_text)
    except InvalidVersion:
        return BadName(
            f"Invalid versioned migration name format: {filename} (could not recognise version "
            f"number {version_text})", fatal=bool(sep))
    return MigrationName("versioned", version, description)


def abbreviate_description(description: str) -> str:
    """Flyway's cut for the 200-character ``description`` column."""
    if len(description) <= MAX_DESCRIPTION:
        return description
    return description[: MAX_DESCRIPTION - 3] + "..."


def abbreviate_script(script: str) -> str:
    """Flyway's cut for the 1000-character ``script`` column: ``...`` + the tail end."""
    if len(script) <= MAX_SCRIPT:
        return script
    return "..." + script[3:MAX_SCRIPT]
