"""Runner settings: Flyway's own configuration, honoured where it makes sense.

Precedence, lowest first: defaults; ``flyway.conf`` / ``flyway.toml`` in the working
directory (or the files named by ``FLYWAY_CONFIG_FILES`` / ``--config-file``);
``FLYWAY_*`` environment variables; command-line flags (or keyword arguments).
The connection settings of the same files and variables (``flyway.url``,
``[environments.<name>]`` of ``flyway.toml``, ``FLYWAY_URL``/``FLYWAY_USER``/
``FLYWAY_PASSWORD``/``FLYWAY_ENVIRONMENT``) are read by :func:`flyway_connection`
and weighed against monozu's own variables in :mod:`monozu.db.config`.
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

from monozu.db.dialects.urls import CONTROL, SURROGATE, no_nul, remember_secrets, utf8_only
from monozu.db.migrate.errors import MigrationConfigError
from monozu.db.migrate.history import BASELINE_DESCRIPTION
from monozu.db.migrate.resolve import location_path
from monozu.db.migrate.scriptconf import check_encoding, parse_properties, setting_name
from monozu.db.migrate.validate import DEFAULT_IGNORE_PATTERNS, parse_patterns
from monozu.db.migrate.version import InvalidVersion, Version, parse_target
from monozu.files import name_problem, read_regular_text, shorten

# The history table's version column: VARCHAR(50), as Flyway creates it.
_VERSION_COLUMN = 50
# Before the database is known (a settings file read on its own): SQL Server's limit.
_ANY_DATABASE = (128, "characters")


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

    def __repr__(self) -> str:
        # A placeholder may hold a password (${dbPassword} in a grant): names only.
        shown = {f.name: ({k: "***" for k in self.placeholders} if f.name == "placeholders"
                          else getattr(self, f.name)) for f in fields(self)}
        return f"MigrateSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def check(self, identifier_limit: tuple[int, str] = _ANY_DATABASE) -> MigrateSettings:
        """Raise :class:`MigrationConfigError` for values no command could use
        (``identifier_limit``: the database's, for the history table's names)."""
        # Text that reaches the database or the history table must be Unicode: a byte
        # that is not UTF-8 in an argument or a variable arrives as a lone surrogate.
        for key, text in (("table", self.table), ("defaultSchema", self.default_schema),
                          ("installedBy", self.installed_by),
                          ("baselineDescription", self.baseline_description),
                          ("baselineVersion", self.baseline_version),
                          ("target", self.target), ("encoding", self.encoding),
                          *(("a placeholder name", k) for k in self.placeholders),
                          *((f"placeholder {shorten(k, 40)!r}", v)
                            for k, v in self.placeholders.items()),
                          *(("ignoreMigrationPatterns", t)
                            for t in self.ignore_migration_patterns)):
            check_unicode(text, key)
        parse_target(self.target)
        parse_patterns(self.ignore_migration_patterns)
        check_encoding(self.encoding, "encoding")
        check_identifier(self.table, "table", identifier_limit)
        if self.default_schema is not None:
            check_identifier(self.default_schema, "defaultSchema", identifier_limit)
        for location in self.locations or ():
            check_location(location)
        for name in self.placeholders:
            if not name.strip() or CONTROL.search(name):
                raise MigrationConfigError("a placeholder name must not be empty or hold "
                                           "control characters (a newline, say)")
        try:
            Version(self.baseline_version)
        except InvalidVersion as exc:
            raise MigrationConfigError(f"baselineVersion: {exc}") from None
        if len(self.baseline_version) > _VERSION_COLUMN:
            raise MigrationConfigError(f"baselineVersion: longer than the history table's "
                                       f"version column holds ({_VERSION_COLUMN} characters)")
        if not self.table or not self.baseline_description:
            raise MigrationConfigError("table and baselineDescription must not be empty")
        return self

    @property
    def lock_wait_seconds(self) -> float:
        return float("inf") if self.lock_retry_count < 0 else float(self.lock_retry_count)


_NOT_IN_NAMES = re.compile(r"[\"'`;\[\]]")


def check_unicode(text: str | None, key: str) -> None:
    """Refuse a lone surrogate: what Python makes of a byte that is not UTF-8 in a
    command-line argument or an environment variable. No driver can send it."""
    found = SURROGATE.search(text or "")
    if found:
        raise MigrationConfigError(
            f"{key}: holds a byte that is not UTF-8 (U+{ord(found.group()):04X} at position "
            f"{found.start()}); give the value as UTF-8 text")


def check_identifier(name: str, key: str,
                     limit: tuple[int, str] = _ANY_DATABASE) -> str:
    """A table or schema name: no quotes, ``;``, brackets or control characters (they
    would be quoted correctly, but no one means them), and within the database's
    ``limit`` (its dialect's ``identifier_limit``). Not quoted back: it could be
    anything."""
    if not name.strip() or name != name.strip():
        raise MigrationConfigError(f"{key}: the name is empty or has surrounding spaces")
    if CONTROL.search(name) or _NOT_IN_NAMES.search(name):
        raise MigrationConfigError(f"{key}: the name holds a quote, ';', a bracket or a "
                                   "control character")
    most, unit = limit
    size = len(name.encode()) if unit == "bytes" else len(name)
    if size > most:
        raise MigrationConfigError(f"{key}: the name is too long ({size} {unit}; at most "
                                   f"{most})")
    return name


def check_location(location: str, source: str | None = None) -> None:
    """A migrations location: not empty (nor an empty ``filesystem:`` path), a name a
    file system could hold. ``source`` (a file, a variable, a flag) prefixes messages."""
    try:
        if not location.strip():
            raise MigrationConfigError("locations: an empty location (name a folder)")
        path = location_path(location)
        why = name_problem(path)
        if why:
            raise MigrationConfigError(f"locations: {shorten(str(path))}: {why}")
    except MigrationConfigError as exc:
        if source is None:
            raise
        # "-locations: ...", "FLYWAY_LOCATIONS: ...", "flyway.toml: locations: ..."
        message = str(exc)
        if "locations" in source.lower():
            message = message.removeprefix("locations: ")
        raise MigrationConfigError(f"{source}: {message}") from None


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
_CANONICAL_KEYS = ("locations", "placeholderReplacement", "target", "outOfOrder",
                   "baselineOnMigrate", "baselineVersion", "baselineDescription",
                   "validateOnMigrate", "ignoreMigrationPatterns", "cleanDisabled", "table",
                   "defaultSchema", "installedBy", "executeInTransaction", "mixed", "group",
                   "encoding", "validateMigrationNaming", "lockRetryCount")
assert {k.lower() for k in _CANONICAL_KEYS} == set(_KEYS)
# Flyway's spelling of a lower-case key, for messages.
_SPELLING = {n.lower(): n for n in (*_CANONICAL_KEYS, *_FIXED_NAMES, "connectRetries",
                                    "connectRetriesInterval")}


# Flyway's other settings (lower case): accepted, without effect here. Any other
# flyway.* key is refused, as Flyway refuses it ("Unknown configuration property").
_OTHER_KEYS = frozenset(k.lower() for k in (
    "url", "user", "password", "driver", "environment", "environments", "initSql",
    "configFiles", "configFileEncoding", "jarDirs", "licenseKey", "edition", "color",
    "outputType", "outputFile", "skipCheckForUpdate", "workingDirectory", "callbacks",
    "resolvers", "skipDefaultCallbacks", "skipDefaultResolvers", "batch", "stream",
    "cherryPick", "cleanOnValidationError", "createSchemas", "detectEncoding", "errorOverrides",
    "failOnMissingLocations", "loggers", "outputQueryResults", "skipExecutingMigrations",
    "scriptPlaceholderPrefix", "scriptPlaceholderSuffix", "baselineMigrationPrefix",
    "undoSqlMigrationPrefix", "tablespace", "dryRunOutput", "kerberosConfigFile",
    "reportEnabled", "reportFilename", "communityDBSupportEnabled", "provisionMode",
    "cleanMode", "publishResult", "jdbcProperties", "placeholders"))
# Flyway's namespaced settings (``jdbcProperties.x``, ``postgresql.transactional.lock``...).
_OTHER_PREFIXES = ("jdbcproperties.", "postgresql.", "sqlserver.", "oracle.", "mysql.",
                   "snowflake.", "check.", "plugins.", "deploy.", "environments.")
# Integer settings: (least, most), Java's int range at the top as in Flyway.
_INT_RANGES = {"lockretrycount": (-1, 2**31 - 1), "connectretries": (0, 2**31 - 1),
               "connectretriesinterval": (0, 2**31 - 1)}
# Settings without effect here whose values are still checked.
_CHECKED_ONLY = {"connectretries": "int", "connectretriesinterval": "int"}
_MAX_INT_DIGITS = 10


def _closest(low: str) -> str:
    import difflib

    names = [n for n in (*_CANONICAL_KEYS, *_FIXED_NAMES, "schemas", "url", "user",
                         "password", "environment", "connectRetries")]
    found = difflib.get_close_matches(low, [n.lower() for n in names], n=1, cutoff=0.75)
    if not found:
        return ""
    return " (did you mean " + next(n for n in names if n.lower() == found[0]) + "?)"


def _kind_name(raw: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a table", str: "text"}.get(type(raw), "a date or time")


def _to_value(kind: str, raw: Any, key: str, source: str) -> Any:
    """``raw`` (text from a .conf file, a variable or a flag; a TOML value) as ``kind``,
    refusing a TOML value of another type rather than turning it into text."""
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = raw.strip().lower() if isinstance(raw, str) else None
        if text not in ("true", "false"):
            got = repr(shorten(raw, 40)) if isinstance(raw, str) else _kind_name(raw)
            raise MigrationConfigError(f"{source}: {key} must be true or false, got {got}")
        return text == "true"
    if kind == "int":
        text = raw.strip() if isinstance(raw, str) else None
        if isinstance(raw, int) and not isinstance(raw, bool):
            text = str(raw)
        least, most = _INT_RANGES.get(key.lower(), (0, 2**31 - 1))
        # Digits only (int() would also take "1_0", " ١٢" and "+5").
        if text is None or not re.fullmatch(rf"-?[0-9]{{1,{_MAX_INT_DIGITS}}}", text) \
                or not least <= int(text) <= most:
            raise MigrationConfigError(f"{source}: {key} must be a whole number from {least} "
                                       f"to {most}")
        return int(text)
    if kind == "list":
        if isinstance(raw, list):
            if not all(isinstance(i, str) for i in raw):
                raise MigrationConfigError(f"{source}: {key} must be a list of text")
            items = raw
        elif isinstance(raw, str):
            items = raw.split(",")
        else:
            raise MigrationConfigError(f"{source}: {key} must be a list of text, got "
                                       f"{_kind_name(raw)}")
        return tuple(i.strip() for i in items if i.strip())
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)  # version = 2 in TOML
    if not isinstance(raw, str):
        raise MigrationConfigError(f"{source}: {key} must be text, got {_kind_name(raw)}")
    return raw.strip()


def _placeholder_value(raw: Any, name: str, source: str) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (str, int)):
        return str(raw)
    raise MigrationConfigError(f"{source}: placeholder {shorten(name, 40)!r} must be text, "
                               f"got {_kind_name(raw)}")


# Lists whose names fall back to a default when none is given: written as commas only
# ("-locations=$A,$B" with both unset), they would mean another folder or schema.
_NAMES_REQUIRED = frozenset({"locations", "schemas"})


def names_nothing(raw: str) -> bool:
    """Whether a comma-separated list that is not blank names nothing (``,``)."""
    return bool(raw.strip()) and not any(item.strip() for item in raw.split(","))


def check_names_something(raw: str, setting: str) -> None:
    """Refuse a comma-separated list that is not blank yet names nothing (``,``)."""
    if names_nothing(raw):
        raise MigrationConfigError(f"{setting} holds only commas, naming nothing (leave it "
                                   "out for the default)")


def _apply(values: dict[str, Any], placeholders: dict[str, str], key: str, raw: Any,
           source: str) -> None:
    low = key.lower()
    if low in _NAMES_REQUIRED and isinstance(raw, str):
        check_names_something(raw, f"{source}: {key}")
    if low.startswith("placeholders."):
        name = key[len("placeholders."):]
        if not name.strip() or CONTROL.search(name):
            raise MigrationConfigError(f"{source}: a placeholder name must not be empty or "
                                       "hold control characters")
        placeholders[name] = _placeholder_value(raw, name, source)
        return
    if low == "schemas":
        first = _to_value("list", raw, key, source)
        for schema in first:
            check_identifier(schema, f"{source}: schemas")
        if first:
            values.setdefault("_schemas", first[0])
        return
    if low in _CHECKED_ONLY:
        _to_value(_CHECKED_ONLY[low], raw, key, source)
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
        value = _to_value(spec[1], raw, key, source)
        if low == "encoding":
            check_encoding(value, f"{source}: {key}")
        elif low == "locations":
            for location in value:
                check_location(location, source)
        elif low in ("table", "defaultschema") and value:
            check_identifier(value, f"{source}: {key}")
        values[spec[0]] = value
        return
    if low not in _OTHER_KEYS and not low.startswith(_OTHER_PREFIXES):
        raise MigrationConfigError(f"{source}: unknown setting {setting_name(key)}"
                                   f"{_closest(low)}")


# A .conf file's ${NAME}: the environment variable's value, empty when it is not set
# (Flyway's ConfigUtils.expandEnvironmentVariables).
_CONF_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)}")


def _load_conf(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    problem = ""
    try:
        text = read_regular_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        problem = _reason(exc)
    if problem:
        raise MigrationConfigError(f"{shorten(str(path))}: cannot read: {problem}")
    props = {key: _CONF_VARIABLE.sub(lambda m: env.get(m[1], ""), value)
             for key, value in parse_properties(text, shorten(str(path))).items()}
    _remember_secrets(props)
    return props


# A flyway.toml environment's ${resolver.name} (``${env.DB_PASSWORD}``); $${...} stays
# as written, less one $. Only the environment variable resolver is Flyway's own; the
# others (Vault, secret managers) are Redgate's.
_RESOLVED = re.compile(r"(\${1,2})\{([^.]+)\.([^.]+?)\}")


def _resolved(value: str, env: Mapping[str, str], source: str, environment: str, *,
              secret: bool = False) -> str:
    """``value`` of an environment's setting with its resolvers' references replaced.
    In a ``secret`` (the password) with text around a reference, the reference is a
    piece of a literal password holding ``${``: its names are not quoted, nor is a name
    that no variable or resolver can have (the text of a password put there)."""
    whole = not secret or _RESOLVED.fullmatch(value.strip()) is not None

    def name(text: str, limit: int) -> str:
        if whole and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", text):
            return repr(shorten(text, limit))
        return "(not shown: not a name, it may be a piece of the password)"

    def resolve(m: re.Match[str]) -> str:
        if m[1] == "$$":
            return m[0][1:]
        if "${" in m[2] or "${" in m[3]:
            raise MigrationConfigError(f"{source}: resolvers cannot be nested")
        if m[2] != "env":
            raise MigrationConfigError(f"{source}: unknown resolver {name(m[2], 40)} for "
                                       f"environment {shorten(environment, 40)} (only "
                                       "${env.NAME} is supported)")
        found = env.get(m[3])
        if found is None:
            raise MigrationConfigError(f"{source}: unable to resolve environment variable "
                                       f"{name(m[3], 60)}: it is not set")
        return found

    return _RESOLVED.sub(resolve, value)


def _read_conf(path: Path, values: dict[str, Any], placeholders: dict[str, str],
               env: Mapping[str, str]) -> None:
    for key, raw in _load_conf(path, env).items():
        if key.startswith("flyway."):
            _apply(values, placeholders, key[len("flyway."):], raw, shorten(str(path)))


def _load_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when a TOML file is there: keeps the CLI's start-up short

    problem = ""
    try:
        data = tomllib.loads(read_regular_text(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problem = _reason(exc)
    except ValueError:  # int() inside tomllib: more digits than Python converts
        problem = "a number with too many digits"
    except RecursionError:
        problem = "nested too deeply"
    if problem:
        raise MigrationConfigError(f"{shorten(str(path))}: cannot read: {problem}")
    _remember_secrets(data)
    return data


def _remember_secrets(data: Mapping[str, Any]) -> None:
    """Remember the secrets a settings file holds (its passwords, its placeholders
    named like a secret, its URLs' passwords) as soon as it is read, whether or not
    they are used: a message about another value that equals one must not show it.
    Walked without recursion: TOML's dotted keys nest tables as deep as a line is long."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        name, raw = stack.pop()
        if isinstance(raw, str):
            remember_secrets(name, raw)
        elif isinstance(raw, Mapping):
            stack += [(str(key), value) for key, value in raw.items()]  # its own name
        elif isinstance(raw, list):
            stack += [(name, value) for value in raw]


def _reason(exc: BaseException) -> str:
    """Why a file could not be read, without echoing its contents."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _read_toml(path: Path, values: dict[str, Any], placeholders: dict[str, str]) -> None:
    data = _load_toml(path)
    source = shorten(str(path))
    section = data.get("flyway", {})
    if not isinstance(section, dict):
        raise MigrationConfigError(f"{source}: [flyway] must be a table")
    for key, raw in section.items():
        if key.lower() == "placeholders" or isinstance(raw, dict):
            if key.lower() == "placeholders" and not isinstance(raw, dict):
                raise MigrationConfigError(f"{source}: flyway.placeholders must be a table "
                                           f"([flyway.placeholders]), got {_kind_name(raw)}")
            for name, value in raw.items():  # [flyway.jdbcProperties], [flyway.postgresql]...
                _apply(values, placeholders, f"{key}.{name}", value, source)
        else:
            _check_toml_list(key, raw, source)
            _apply(values, placeholders, key, raw, source)


# The keys whose TOML value is an array. Text with commas is a list in a .conf file or
# a variable; in TOML Flyway refuses it (locations = "filesystem:sql").
_LIST_KEYS = frozenset({"schemas", *(k for k, (_, kind) in _KEYS.items() if kind == "list")})


def _check_toml_list(key: str, raw: Any, source: str) -> None:
    if key.lower() in _LIST_KEYS and not isinstance(raw, list):
        raise MigrationConfigError(f"{source}: {key} must be an array of text in TOML "
                                   f"({key} = [\"...\"]), got {_kind_name(raw)}")


def _env_key(name: str) -> str:
    """FLYWAY_OUT_OF_ORDER -> outoforder (the lower-case Flyway key)."""
    return name[len("FLYWAY_"):].replace("_", "").lower()


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_files: Sequence[Path] = (),
    overrides: Mapping[str, Any] | None = None,
    flyway_args: Mapping[str, str] | None = None,
) -> MigrateSettings:
    """Settings from files, ``FLYWAY_*`` variables, ``flyway_args`` (Flyway's own
    ``-key=value`` command-line settings) and ``overrides`` (field names)."""
    env = os.environ if environ is None else environ
    base = cwd or Path.cwd()
    values: dict[str, Any] = {}
    placeholders: dict[str, str] = {}
    for path in config_file_paths(env, base, config_files):
        if path.suffix.lower() == ".toml":
            _read_toml(path, values, placeholders)
        else:
            _read_conf(path, values, placeholders, env)
    for name, raw in sorted(env.items()):
        if not name.startswith("FLYWAY_") or name == "FLYWAY_CONFIG_FILES":
            continue
        if name.startswith("FLYWAY_PLACEHOLDERS_"):
            placeholders[name[len("FLYWAY_PLACEHOLDERS_"):].lower()] = raw
            continue
        key = _env_key(name)
        # Flyway reads only the variables it knows and ignores other FLYWAY_* names.
        if key == "schemas" or key in _KEYS or key in _FIXED or key in _CHECKED_ONLY:
            _apply(values, placeholders, _SPELLING.get(key, key), raw, name)
    for key, raw in (flyway_args or {}).items():
        _apply(values, placeholders, key, raw, f"-{key}")
    schemas = values.pop("_schemas", None)
    if schemas and not values.get("default_schema"):
        values["default_schema"] = schemas
    settings = MigrateSettings(**values, placeholders=placeholders)
    if overrides:
        settings = with_overrides(settings, overrides)
    return settings.check()


def is_setting(key: str) -> bool:
    """Whether ``key`` (Flyway's spelling, any case) is a runner setting read here."""
    low = key.lower()
    return (low in _KEYS or low in _FIXED or low == "schemas"
            or (low.startswith("placeholders.") and len(low) > len("placeholders.")))


def config_file_paths(env: Mapping[str, str], base: Path,
                      config_files: Sequence[Path] = ()) -> list[Path]:
    """The Flyway configuration files to read, each checked to be a readable file.

    ``FLYWAY_CONFIG_FILES`` (comma-separated) and ``config_files``; neither given:
    ``flyway.toml`` and ``flyway.conf`` in ``base`` when they are there.
    """
    files = list(config_files)
    if env.get("FLYWAY_CONFIG_FILES"):
        check_names_something(env["FLYWAY_CONFIG_FILES"], "FLYWAY_CONFIG_FILES")
        files = [Path(p.strip()) for p in env["FLYWAY_CONFIG_FILES"].split(",") if p.strip()]
        files += list(config_files)
    if not files:
        # Anything by these names is read, and refused if it cannot be: a folder, a pipe
        # or a broken link skipped would quietly mean another database.
        from monozu.db.config import FLYWAY_FILES

        files = [base / name for name in FLYWAY_FILES if os.path.lexists(base / name)]
    for path in files:
        if "\x00" in str(path):
            raise MigrationConfigError("configuration file name contains a NUL byte")
        why = _not_a_file(path)
        if why:
            raise MigrationConfigError(f"configuration file {shorten(str(path))} {why}")
    return files


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be a settings file, as far as its type tells (a FIFO or a
    device is refused when read, without blocking)."""
    import errno
    import stat

    try:
        if stat.S_ISDIR(path.stat().st_mode):
            return "is a folder"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a loop of symbolic links"
        if exc.errno == errno.ENOENT:
            return ("is a symbolic link to nothing" if path.is_symlink()
                    else "does not exist")
        return f"cannot be read: {exc.strerror or type(exc).__name__}"
    return None


@dataclass(frozen=True)
class FlywayConnection:
    """Flyway's connection settings: ``(source, url)`` pairs, first the strongest."""

    urls: tuple[tuple[str, str], ...] = ()
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        from monozu.db.dialects.urls import redact

        urls = tuple((source, redact(text)) for source, text in self.urls)
        return f"FlywayConnection(urls={urls!r}, user={self.user!r})"


def flyway_connection(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    config_files: Sequence[Path] = (),
    environment: str | None = None,
) -> FlywayConnection:
    """``FLYWAY_URL``/``USER``/``PASSWORD``, ``flyway.url`` of ``.conf`` files and the
    selected ``[environments.<name>]`` of ``flyway.toml`` files.

    The environment is ``environment`` (``-environment``), else ``FLYWAY_ENVIRONMENT``,
    else the files' ``environment`` setting, else ``default``; one named explicitly
    that no file defines is refused.
    """
    env = os.environ if environ is None else environ
    base = cwd or Path.cwd()
    urls: list[tuple[str, str]] = []
    user = password = None
    declared: str | None = None
    # Where each value came from: a value read from a file gets the checks the same
    # value gets on the command line or in a variable (in monozu.db.config).
    texts: dict[str, str] = {}
    tables: list[tuple[Path, dict[str, Any]]] = []
    for path in config_file_paths(env, base, config_files):
        if path.suffix.lower() == ".toml":
            data = _load_toml(path)
            section = data.get("flyway", {})
            if isinstance(section, dict) and "environment" in section:
                declared = _to_value("str", section["environment"], "environment",
                                     shorten(str(path))) or declared
                texts[f"{path.name} [flyway] environment"] = declared or ""
            environments = data.get("environments", {})
            if not isinstance(environments, dict):
                raise MigrationConfigError(f"{path}: [environments] must be a table")
            tables.append((path, environments))
            continue
        props = {k.lower(): v for k, v in _load_conf(path, env).items()}
        declared = props.get("flyway.environment") or declared
        if props.get("flyway.url"):
            urls.append((f"{path.name} (flyway.url)", props["flyway.url"]))
        user = props.get("flyway.user", user)
        password = props.get("flyway.password", password)
        for key in ("environment", "user", "password"):
            if f"flyway.{key}" in props:
                texts[f"{path.name} (flyway.{key})"] = props[f"flyway.{key}"]
    name = environment or env.get("FLYWAY_ENVIRONMENT") or declared
    wanted = name or "default"
    found = False
    for path, environments in tables:
        for other, table in environments.items():  # Flyway reads them all: types too
            if other != wanted and isinstance(table, dict):
                _check_environment(table, f"{shorten(str(path))}: environments."
                                          f"{shorten(other, 40)}", selected=False)
        table = environments.get(wanted)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise MigrationConfigError(f"{path}: environments.{wanted} must be a table")
        found = True
        _check_environment(table, f"{shorten(str(path))}: environments.{shorten(wanted, 40)}",
                           selected=True)
        where = f"{shorten(str(path))}: environments.{shorten(wanted, 40)}"
        table = {key: _resolved(value, env, f"{where}.{key}", wanted,
                                secret=key == "password")
                 if key in ("url", "user", "password") and isinstance(value, str) else value
                 for key, value in table.items()}
        if table.get("password"):  # read from a variable of any name: a secret still
            remember_secrets("password", table["password"])
        if table.get("url"):
            urls.append((f"{path.name} [environments.{wanted}]", table["url"]))
        user = table.get("user", user)
        password = table.get("password", password)
        for key in ("user", "password"):
            if key in table:
                texts[f"{path.name} [environments.{shorten(wanted, 40)}] {key}"] = table[key]
    for source, text in texts.items():
        no_nul(text, source)
        utf8_only(text, source)
    if name and not found:
        where = ", ".join(str(p) for p, _ in tables) or "no flyway.toml was found"
        raise MigrationConfigError(f"environment {name[:40]!r} is not defined "
                                   f"([environments.{name[:40]}] missing; {where})")
    if env.get("FLYWAY_URL"):
        urls.insert(0, ("FLYWAY_URL", env["FLYWAY_URL"]))
    return FlywayConnection(urls=tuple(urls), user=env.get("FLYWAY_USER") or user,
                            password=env.get("FLYWAY_PASSWORD") or password)


# The keys of a flyway.toml environment, and the type each must have.
_ENVIRONMENT_KEYS = {"url": "str", "user": "str", "password": "str", "driver": "str",
                     "schemas": "list", "connectretries": "int",
                     "connectretriesinterval": "int", "initsql": "str",
                     "jdbcproperties": "table", "resolvers": "table", "provisioner": "str"}


def _check_environment(table: dict[str, Any], source: str, *, selected: bool) -> None:
    """Refuse a value of the wrong type (``user = 5``) in an environment, rather than
    reading it as text, and an unknown key in the ``selected`` one (Flyway ignores
    those, and refuses a wrong type in any environment). Values are not quoted back."""
    for key, raw in table.items():
        kind = _ENVIRONMENT_KEYS.get(key.lower())
        if kind is None:
            if not selected:
                continue
            raise MigrationConfigError(f"{source}: unknown setting {setting_name(key)} "
                                       f"(known: url, user, password, schemas...)")
        if kind == "table":
            if not isinstance(raw, dict):
                raise MigrationConfigError(f"{source}: {key} must be a table")
        elif kind == "str":
            if not isinstance(raw, str):
                raise MigrationConfigError(f"{source}: {key} must be text, got "
                                           f"{_kind_name(raw)}")
        else:
            _check_toml_list(key, raw, source)
            _to_value(kind, raw, key, source)


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
            # Not quoted back: "dbPassword:..." (':' for '=') or "=..." is a value, and
            # a value may be a password.
            what = "its NAME is empty" if "=" in arg else "it has no '='"
            raise MigrationConfigError(f"--placeholder expects NAME=VALUE, but {what} (the "
                                       "argument is not shown: it may hold a password)")
        if CONTROL.search(m.group(1)):
            raise MigrationConfigError("--placeholder: the name holds a control character "
                                       "(a newline, say)")
        out[m.group(1).strip()] = m.group(2)
    return out
