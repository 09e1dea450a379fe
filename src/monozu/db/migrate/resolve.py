"""Find the migrations on disk: scan, parse names, read, checksum, reject duplicates.

Locations are folders (a ``filesystem:`` prefix is accepted), scanned recursively
in sorted order; hidden folders are skipped, and a folder named twice or inside
another location is scanned once, as Flyway does. ``script`` is the path relative to
its location with ``/`` separators, as Flyway stores it. A repeatable's checksum
is taken after placeholder replacement (Flyway 6.3+); a versioned one on the raw
text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monozu.db.dialects.urls import SURROGATE
from monozu.db.migrate.checksum import checksum_text, strip_bom
from monozu.db.migrate.errors import MigrationConfigError, MigrationError
from monozu.db.migrate.naming import (
    BadName,
    BaselineMigration,
    Callback,
    MigrationName,
    abbreviate_description,
    is_sql,
    parse_name,
)
from monozu.db.migrate.placeholders import replace_placeholders
from monozu.db.migrate.scriptconf import ScriptConfig, load_script_config
from monozu.db.migrate.version import Version
from monozu.db.sqltext import line_breaks
from monozu.files import read_regular_bytes

# Placeholder values for one script (lower-case names), given its file name.
PlaceholderSource = Callable[[str], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class ResolvedMigration:
    """A migration file, read and checksummed."""

    version: Version | None
    description: str
    script: str  # relative to its location, "/"-separated
    path: Path
    checksum: int
    # For a repeatable, the checksum of the raw text; either value counts as a match.
    equivalent_checksum: int | None
    text: str = field(repr=False)  # decoded, BOM removed, placeholders NOT replaced
    config: ScriptConfig = field(default_factory=ScriptConfig)
    type: str = "SQL"

    @property
    def repeatable(self) -> bool:
        return self.version is None

    @property
    def filename(self) -> str:
        return self.path.name

    def checksum_matches(self, stored: int | None) -> bool:
        if stored is None:
            # A NULL stored checksum matches a versioned migration (Flyway does the same).
            return self.version is not None
        return stored == self.checksum or (
            self.equivalent_checksum is not None and stored == self.equivalent_checksum)


@dataclass(frozen=True, slots=True)
class Resolution:
    migrations: tuple[ResolvedMigration, ...]
    warnings: tuple[str, ...] = ()
    # Flyway baseline migrations (B2__x.sql) found, which are not run: a new database
    # would be migrated otherwise than Flyway migrates it.
    baseline_migrations: tuple[str, ...] = ()

    @property
    def versioned(self) -> list[ResolvedMigration]:
        return sorted((m for m in self.migrations if m.version is not None),
                      key=lambda m: m.version.key if m.version else ())

    @property
    def repeatable(self) -> list[ResolvedMigration]:
        return sorted((m for m in self.migrations if m.version is None),
                      key=lambda m: _java_order(m.description))


def _java_order(text: str) -> bytes:
    # Java's String.compareTo orders by UTF-16 code units.
    return text.encode("utf-16-be")


def location_path(location: str | os.PathLike[str]) -> Path:
    """The folder a location names (``filesystem:`` prefix optional).

    An empty path (``filesystem:``, a blank) is refused: ``Path("")`` is the working
    folder, so any ``V*.sql`` there would be migrated, which no one means."""
    text = os.fspath(location)
    if text.startswith("filesystem:"):
        text = text[len("filesystem:"):]
    elif text.startswith("classpath:"):
        raise MigrationConfigError(
            f"Unsupported location {text!r}: only folders (filesystem:) are supported")
    if not text.strip():
        shown = os.fspath(location).strip() or "an empty location"
        raise MigrationConfigError(f"locations: {shown} names no folder (an empty path "
                                   "would mean the working folder); name one, e.g. "
                                   "filesystem:sql")
    # os.path's expanduser leaves "~nosuchuser" as it is (pathlib's raises
    # RuntimeError): check_location() then refuses the name.
    return Path(os.path.expanduser(text))


def check_folders(locations: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The folders ``locations`` name, each checked to be one: what can be known of the
    locations before any database is opened (or created)."""
    if not locations:
        raise MigrationConfigError("No migration locations configured")
    roots = [location_path(location) for location in locations]
    for root in roots:
        if not root.is_dir():
            what = "is not a folder" if root.exists() else "does not exist"
            raise MigrationConfigError(f"Migrations folder {root} {what}")
        try:
            with os.scandir(root):
                pass
        except OSError as exc:
            raise MigrationConfigError(f"Migrations folder {root}: cannot read it: "
                                       f"{exc.strerror or exc}", code="INVALID_LOCATION") from None
    return roots


def distinct_folders(roots: Sequence[Path]) -> list[Path]:
    """The folders to scan: one named twice, or inside another one named, is scanned
    once, as part of the outer one (Flyway discards such locations), instead of its
    files being found twice and refused as duplicate versions."""
    full = [Path(os.path.normpath(os.path.abspath(root))) for root in roots]
    return [root for i, (root, path) in enumerate(zip(roots, full, strict=True))
            if not any(other in path.parents or (path == other and j < i)
                       for j, other in enumerate(full))]


def _scan(root: Path) -> list[Path]:
    found: list[Path] = []
    # Linked folders are followed, as Flyway follows them; the real folders each walked
    # folder lies in, so a link back to one of them is found instead of walked forever.
    inside: dict[str, frozenset[str]] = {str(root): frozenset({os.path.realpath(root)})}

    def unreadable(exc: OSError) -> None:
        # os.walk skips a folder it cannot list without a word: its migrations would
        # silently not run.
        where = Path(exc.filename or root)
        shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else where
        raise MigrationConfigError(
            f"Migrations folder {root}: cannot read {'it' if shown == '.' else shown}: "
            f"{exc.strerror or exc}", code="INVALID_LOCATION")

    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=True):
        # Hidden folders (.git, .idea...) are never scanned, as in Flyway.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in dirs:
            child = os.path.join(folder, d)
            real = os.path.realpath(child)
            if real in inside[folder]:
                raise MigrationConfigError(
                    f"Migrations folder {root}: {Path(child).relative_to(root).as_posix()} "
                    f"links back to {real}, a folder that holds it; remove the link",
                    code="INVALID_LOCATION")
            inside[child] = inside[folder] | {real}
        found.extend(Path(folder) / f for f in sorted(files))
    return found


def resolve(
    locations: Sequence[str | os.PathLike[str]],
    *,
    encoding: str = "UTF-8",
    placeholder_replacement: bool = True,
    placeholders: PlaceholderSource | None = None,
    validate_naming: bool = False,
) -> Resolution:
    """Every migration under ``locations``; raises on duplicates and unreadable files.

    ``placeholders`` gives each repeatable's values for its checksum; without it the
    raw checksum is used (callers that never execute, such as naming checks).
    """
    migrations: list[ResolvedMigration] = []
    warnings: list[str] = []
    naming_errors: list[str] = []
    baseline: list[str] = []
    for root in distinct_folders(check_folders(locations)):
        for path in _scan(root):
            name = path.name
            if not is_sql(name):
                continue
            parsed = parse_name(name)
            rel = path.relative_to(root).as_posix()
            if isinstance(parsed, Callback):
                warnings.append(f"{rel}: SQL callbacks ({parsed.event}) are not run; skipped")
                continue
            if isinstance(parsed, BaselineMigration):
                warnings.append(f"{rel}: baseline migrations are not run (Flyway runs them "
                                "only on a new database); skipped")
                baseline.append(rel)
                continue
            if isinstance(parsed, BadName):
                if parsed.fatal or validate_naming:
                    naming_errors.append(parsed.reason)
                else:
                    warnings.append(f"{parsed.reason}; skipped")
                continue
            _check_script_name(rel)
            migrations.append(_load(path, rel, parsed, encoding=encoding,
                                    placeholder_replacement=placeholder_replacement,
                                    placeholders=placeholders))
    if not migrations:
        where = ", ".join(str(location_path(x)) for x in locations)
        warnings.append(f"No migrations found in {where}. Are your locations set up correctly?")
    if naming_errors:
        raise MigrationError("; ".join(naming_errors), code="INVALID_MIGRATION_NAME")
    _check_duplicates(migrations)
    return Resolution(tuple(migrations), tuple(warnings), tuple(baseline))


def _check_script_name(rel: str) -> None:
    """Refuse a migration whose path holds a byte that is not UTF-8 (a lone surrogate
    here): its script and description go into the history table, which no server can
    take, so the migration would run and then fail to be recorded (for a script that
    runs outside a transaction, with its changes kept)."""
    found = SURROGATE.search(rel)
    if found:
        raise MigrationConfigError(
            f"{rel}: the file name holds a byte that is not UTF-8 (at position "
            f"{found.start()}); rename it with UTF-8 text", code="INVALID_MIGRATION_NAME")


def _load(path: Path, rel: str, name: MigrationName, *, encoding: str,
          placeholder_replacement: bool, placeholders: PlaceholderSource | None,
          ) -> ResolvedMigration:
    conf_path = path.with_name(path.name + ".conf")
    # exists(), not is_file(): a .conf that cannot be read is an error, never ignored.
    config = load_script_config(conf_path) if conf_path.exists() else ScriptConfig()
    enc = config.encoding or encoding
    try:
        data = read_regular_bytes(path)
    except OSError as exc:
        raise MigrationError(f"Unable to read {rel} ({path}): {exc.strerror}") from None
    try:
        text = data.decode(enc, errors="strict")
    except UnicodeDecodeError as exc:
        # latin-1 maps each byte to one character: the line breaks before the byte.
        line = line_breaks(data[:exc.start].decode("latin-1")) + 1
        raise MigrationError(
            f"Unable to calculate checksum of {rel} ({path}): invalid {enc} byte "
            f"0x{data[exc.start]:02x} at line {line}. Save the file as {enc}, or set its "
            "encoding with flyway.encoding or an 'encoding' line in "
            f"{path.name}.conf", code="CHECKSUM_ERROR") from None
    except LookupError:
        raise MigrationConfigError(f"{rel}: unknown encoding {enc!r}") from None
    raw_checksum = checksum_text(text)
    checksum = raw_checksum
    equivalent: int | None = None
    replace = (config.placeholder_replacement
               if config.placeholder_replacement is not None else placeholder_replacement)
    if name.version is None:
        if replace and placeholders is not None:
            checksum = checksum_text(replace_placeholders(text, placeholders(path.name), rel))
        equivalent = raw_checksum
    return ResolvedMigration(
        version=name.version, description=name.description, script=rel, path=path,
        checksum=checksum, equivalent_checksum=equivalent, text=strip_bom(text),
        config=config,
    )


def _check_duplicates(migrations: list[ResolvedMigration]) -> None:
    by_version: dict[Version, list[ResolvedMigration]] = {}
    by_description: dict[str, list[ResolvedMigration]] = {}
    for m in migrations:
        if m.version is not None:
            by_version.setdefault(m.version, []).append(m)
        else:
            # As the history holds it: two descriptions cut to the same 200 characters
            # would share their rows.
            by_description.setdefault(abbreviate_description(m.description), []).append(m)
    for version, group in by_version.items():
        if len(group) > 1:
            offenders = ", ".join(f"{m.path} (SQL)" for m in group)
            raise MigrationError(
                f"Found more than one migration with version {version}. Offenders: {offenders}",
                code="DUPLICATE_VERSIONED_MIGRATION")
    for description, group in by_description.items():
        if len(group) > 1:
            offenders = ", ".join(f"{m.path} (SQL)" for m in group)
            raise MigrationError(
                f"Found more than one repeatable migration with description '{description}'. "
                f"Offenders: {offenders}", code="DUPLICATE_REPEATABLE_MIGRATION")
