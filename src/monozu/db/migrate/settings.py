"""Runner settings: Flyway's own configuration, honoured where it makes sense.

Precedence, lowest first: defaults; ``flyway.conf`` / ``flyway.toml`` in the working
directory (or the files named by ``FLYWAY_CONFIG_FILES`` / ``--config-file``);
``FLYWAY_*`` environment variables; command-line flags (or keyword arguments).
The connection never comes from these files: it is monozu's (``DATABASE_URL``,
``SQL_SERVER``, ``--url``); ``flyway.url``, ``flyway.user`` and friends are ignored.
Settings that would change which files are migrations (prefixes, separators,
suffixes, placeholder syntax) are refused unless they keep Flyway's defaults.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from monozu.db.migrate.errors import MigrationConfigError
from monozu.db.migrate.history import BASELINE_DESCRIPTION
from monozu.db.migrate.scriptconf import check_encoding, parse_properties
from monozu.db.migrate.validate import DEFAULT_IGNORE_PATTERNS, parse_patterns
from monozu.db.migrate.version import InvalidVersion, Version, parse_target


@dataclass(frozen=True)
class MigrateSettings:
    """Everything a command needs besides the connection."""

    locations: tuple[str, ...] | None = None  # None: the packaged folder for the database
    placeholders: Mapping[str, str] = field(default_factory=dict)
    placeholder_replacement: bool = True
    target: str | None = None
    out_of_order: bool = False
    baseline_on_migrate: bool = False
    baseline_version: str = "1"
    baseline_description: str = BASELINE_DESCRIPTION
    validate_on_migrate: bool = True
    ignore_migration_patterns: tuple[str, ...] = DEFAULT_IGNORE_PATTERNS
    clean_disabled: bool = True
    table: str = "flyway_schema_history"
    default_schema: str | None = None
    installed_by: str | None = None
    execute_in_transaction: bool = True
    mixed: bool = False
    group: bool = False
    encoding: str = "UTF-8"
    validate_migration_naming: bool = False
    lock_retry_count: int = 50  # seconds to wait for another runner's lock (-1: forever)

    def check(self) -> MigrateSettings:
        """Raise :class:`MigrationConfigError` for values no command could use."""
        parse_target(self.target)
        parse_patterns(self.ignore_migration_patterns)
        check_encoding(self.encoding, "encoding")
        try:
            Version(self.baseline_version)
        except InvalidVersion as exc:
            raise MigrationConfigError(f"baselineVersion: {exc}") from None
        if not self.table or not self.baseline_description:
            raise MigrationConfigError("table and baselineDescription must not be empty")
        return self

    @property
    def lock_wait_seconds(self) -> float:
        return float("inf") if self.lock_retry_count < 0 else float(self.lock_retry_count)


# Flyway key (lower case) -> (field, kind)
_KEYS: dict[str, tuple[str, str]] = {
    "locations": ("locations", "list"),
    "placeholderreplacement": ("placeholder_replacement", "bool"),
    "target": ("target", "str"),
    "outoforder": ("out_of_order", "bool"),
    "baselineonmigrate": ("baseline_on_migrate", "bool"),
    "baselineversion": ("baseline_version", "str"),
    "baselinedescription": ("baseline_description", "str"),
    "validateonmigrate": ("validate_on_migrate", "bool"),
    "ignoremigrationpatterns": ("ignore_migration_patterns", "list"),
    "cleandisabled": ("clean_disabled", "bool"),
    "table": ("table", "str"),
    "defaultschema": ("default_schema", "str"),
    "installedby": ("installed_by", "str"),
    "executeintransaction": ("execute_in_transaction", "bool"),
    "mixed": ("mixed", "bool"),
    "group": ("group", "bool"),
    "encoding": ("encoding", "str"),
    "validatemigrationnaming": ("validate_migration_naming", "bool"),
    "lockretrycount": ("lock_retry_count", "int"),
}
# Settings that would make this runner see different files than Flyway: only defaults.
_FIXED_NAMES = ("sqlMigrationPrefix", "repeatableSqlMigrationPrefix", "sqlMigrationSeparator",
                "sqlMigrationSuffixes", "placeholderPrefix", "placeholderSuffix",
                "placeholderSeparator")
_FIXED: dict[str, str] = dict(zip(
    (n.lower() for n in _FIXED_NAMES), ("V", "R", "__", ".sql", "${", "}", ":"), strict=True))
_CANONICAL = {n.lower(): n for n in _FIXED_NAMES}


def _to_value(kind: str, raw: Any, key: str, source: str) -> Any:
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("true", "false"):
            raise MigrationConfigError(f"{source}: {key} must be true or false, got {raw!r}")
        return text == "true"
    if kind == "int":
        try:
            return int(str(raw).strip())
        except ValueError:
            raise MigrationConfigError(f"{source}: {key} must be a whole number") from None
    if kind == "list":
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(str(i).strip() for i in items if str(i).strip())
    return str(raw).strip()


def _apply(values: dict[str, Any], placeholders: dict[str, str], key: str, raw: Any,
           source: str) -> None:
    low = key.lower()
    if low.startswith("placeholders."):
        placeholders[key[len("placeholders."):]] = str(raw)
        return
    if low == "schemas":
        first = _to_value("list", raw, key, source)
        if first:
            values.setdefault("_schemas", first[0])
        return
    if low in _FIXED:
        given = ",".join(raw) if isinstance(raw, list) else str(raw).strip()
        if given != _FIXED[low]:
            raise MigrationConfigError(
                f"{source}: {_CANONICAL[low]}={given} is not supported; monozu uses "
                f"Flyway's default {_FIXED[low]!r}")
        return
    spec = _KEYS.get(low)
    if spec is not None:
        values[spec[0]] = _to_value(spec[1], raw, key, source)


def _read_conf(path: Path, values: dict[str, Any], placeholders: dict[str, str]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationConfigError(f"{path}: cannot read: {exc}") from None
    for key, raw in parse_properties(text, str(path)).items():
        if key.startswith("flyway."):
            _apply(values, placeholders, key[len("flyway."):], raw, str(path))


def _read_toml(path: Path, values: dict[str, Any], placeholders: dict[str, str]) -> None:
    import tomllib  # only when a TOML file is there: keeps the CLI's start-up short

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MigrationConfigError(f"{path}: cannot read: {exc}") from None
    section = data.get("flyway", {})
    if not isinstance(section, dict):
        raise MigrationConfigError(f"{path}: [flyway] must be a table")
    for key, raw in section.items():
        if key == "placeholders" and isinstance(raw, dict):
            for name, value in raw.items():
                placeholders[name] = str(value)
        elif not isinstance(raw, dict):
            _apply(values, placeholders, key, raw, str(path))


def _env_key(name: str) -> str:
    """FLYWAY_OUT_OF_ORDER -> outoforder (the lower-case Flyway key)."""
    return name[len("FLYWAY_"):].replace("_", "").lower()


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_files: Sequence[Path] = (),
    overrides: Mapping[str, Any] | None = None,
) -> MigrateSettings:
    """Settings from files, ``FLYWAY_*`` variables and ``overrides`` (field names)."""
    env = os.environ if environ is None else environ
    base = cwd or Path.cwd()
    values: dict[str, Any] = {}
    placeholders: dict[str, str] = {}
    files = list(config_files)
    if env.get("FLYWAY_CONFIG_FILES"):
        files = [Path(p.strip()) for p in env["FLYWAY_CONFIG_FILES"].split(",") if p.strip()]
        files += list(config_files)
    if not files:
        files = [p for p in (base / "flyway.toml", base / "flyway.conf") if p.is_file()]
    for path in files:
        if not path.is_file():
            raise MigrationConfigError(f"configuration file {path} does not exist")
        if path.suffix.lower() == ".toml":
            _read_toml(path, values, placeholders)
        else:
            _read_conf(path, values, placeholders)
    for name, raw in sorted(env.items()):
        if not name.startswith("FLYWAY_") or name == "FLYWAY_CONFIG_FILES":
            continue
        if name.startswith("FLYWAY_PLACEHOLDERS_"):
            placeholders[name[len("FLYWAY_PLACEHOLDERS_"):].lower()] = raw
            continue
        key = _env_key(name)
        if key == "schemas" or key in _KEYS or key in _FIXED:
            _apply(values, placeholders, key, raw, name)
    schemas = values.pop("_schemas", None)
    if schemas and not values.get("default_schema"):
        values["default_schema"] = schemas
    settings = MigrateSettings(**values, placeholders=placeholders)
    if overrides:
        settings = with_overrides(settings, overrides)
    return settings.check()


def with_overrides(settings: MigrateSettings, overrides: Mapping[str, Any]) -> MigrateSettings:
    """Apply keyword overrides; ``None`` means "not given". Placeholders merge."""
    known = {f.name for f in fields(MigrateSettings)}
    changes: dict[str, Any] = {}
    for name, given in overrides.items():
        if name not in known:
            raise TypeError(f"unknown migrate setting {name!r}")
        if given is None:
            continue
        value: Any = given
        if name == "placeholders":
            value = {**settings.placeholders, **given}
        elif name in ("locations", "ignore_migration_patterns"):
            value = tuple(str(v) for v in given)
        changes[name] = value
    return replace(settings, **changes)


_PLACEHOLDER_ARG = re.compile(r"^([^=]+)=(.*)$", re.DOTALL)


def parse_placeholder_args(args: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs from the command line."""
    out: dict[str, str] = {}
    for arg in args:
        m = _PLACEHOLDER_ARG.match(arg)
        if not m or not m.group(1).strip():
            raise MigrationConfigError(f"--placeholder expects NAME=VALUE, got {arg!r}")
        out[m.group(1).strip()] = m.group(2)
    return out
