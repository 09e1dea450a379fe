"""``monozu db migrate | info | validate | baseline | repair | clean``.

Flyway's verbs on monozu's connection (``--url`` or the environment). Settings come
from ``flyway.conf``/``flyway.toml``, ``FLYWAY_*`` variables and these flags, in
that order of precedence. Exit codes: 0 success, 1 the operation failed (a
migration, validation, the database), 2 bad usage or configuration.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from monozu.cli.app import (
    EXIT_FAILED,
    EXIT_USAGE,
    Option,
    OutputClosed,
    OutputFailed,
    db,
    echo,
    echo_json,
    fail,
    interrupted,
    json_option,
    json_text,
    one_line,
    option,
    url_option,
)
from monozu.db.errors import ConfigError, MonozuError
from monozu.text import cell

if TYPE_CHECKING:
    from monozu.db.migrate import Migrator

F = TypeVar("F", bound=Callable[..., Any])


OPTIONS: tuple[Option, ...] = (
    url_option,
    option("--locations", multiple=True, metavar="DIR",
           help="Migrations folder (repeatable); default: the packaged folder for the database."),
    option("--target", metavar="V",
           help="Migrate up to this version (or latest, current, next)."),
    option("--out-of-order", flag=True, help="Also apply versions lower than the current one."),
    option("--baseline-on-migrate", flag=True,
           help="Baseline a non-empty schema that has no history table."),
    option("--baseline-version", metavar="V", help="Baseline version (default 1)."),
    option("--baseline-description", metavar="D",
           help="Baseline description (default << Flyway Baseline >>)."),
    option("--placeholder", dest="placeholders", multiple=True, metavar="NAME=VALUE",
           help="A ${NAME} placeholder value (repeatable)."),
    option("--installed-by", metavar="X", help="installed_by for new history rows."),
    option("--validate-on-migrate", negatable=True,
           help="Validate before migrating (default on)."),
    option("--ignore-migration-patterns", metavar="P",
           help="Validation ignore patterns, e.g. '*:future,*:missing'."),
    option("--clean-enabled", flag=True, help="Allow clean (it is disabled by default)."),
    option("--table", metavar="NAME", help="History table (default flyway_schema_history)."),
    option("--default-schema", metavar="NAME",
           help="Schema of the history table (and PostgreSQL search_path)."),
    option("--mixed", flag=True,
           help="Allow transactional and non-transactional statements in one script."),
    option("--validate-migration-naming", flag=True,
           help="Fail on .sql files whose names are not migrations."),
    option("--config-file", dest="config_files", multiple=True, metavar="FILE", type=Path,
           help="flyway.conf / flyway.toml to read (repeatable)."),
    option("--environment", metavar="NAME",
           help="The [environments.NAME] of flyway.toml to connect to (default: default)."),
    json_option,
)
"""The flags every verb accepts (a verb ignores the ones it has no use for)."""


def _migrator(opts: dict[str, Any], *, creates: bool = False) -> Migrator:
    """The runner for ``opts``. Only ``migrate`` and ``baseline`` (which may start a new
    database at a version, as Flyway's does) create a SQLite database: clean or repair
    on a mistyped path would otherwise make an empty file and report success on it."""
    from monozu.db.config import load_config
    from monozu.db.migrate import Migrator
    from monozu.db.migrate.settings import check_location, load_settings, parse_placeholder_args

    # An empty value (an unset variable in "--target $X") is refused, not read as "not
    # given": the command would run with a default the caller did not mean.
    for name in ("target", "baseline_version", "baseline_description", "installed_by",
                 "ignore_migration_patterns", "table", "default_schema"):
        given = opts.get(name)
        if given is not None and not given.strip():
            raise ConfigError(f"--{name.replace('_', '-')}: empty value (leave the option out "
                              "for the default)")
    if any(not str(location).strip() for location in opts["locations"]):
        raise ConfigError("--locations: empty folder name")
    for location in opts["locations"]:
        check_location(location, "--locations")
    config = load_config(url=opts.get("url"), user=opts.get("user"),
                         password=opts.get("password"), environment=opts.get("environment"),
                         config_files=tuple(opts["config_files"]), must_exist=not creates,
                         url_flag=opts.get("url_flag") or "--url")
    if not creates:
        config.check_exists()
    patterns = opts.get("ignore_migration_patterns")
    overrides: dict[str, Any] = {
        "locations": tuple(opts["locations"]) or None,
        "target": opts.get("target"),
        "out_of_order": opts.get("out_of_order"),
        "baseline_on_migrate": opts.get("baseline_on_migrate"),
        "baseline_version": opts.get("baseline_version"),
        "baseline_description": opts.get("baseline_description"),
        "placeholders": parse_placeholder_args(opts["placeholders"]) or None,
        "installed_by": opts.get("installed_by"),
        "validate_on_migrate": opts.get("validate_on_migrate"),
        "ignore_migration_patterns": (None if patterns is None
                                      else tuple(p for p in patterns.split(",") if p.strip())),
        "clean_disabled": False if opts.get("clean_enabled") else None,
        "table": opts.get("table"),
        "default_schema": opts.get("default_schema"),
        "mixed": opts.get("mixed"),
        "validate_migration_naming": opts.get("validate_migration_naming"),
    }
    settings = load_settings(config_files=tuple(opts["config_files"]), overrides=overrides,
                             flyway_args=opts.get("flyway_args"))
    return Migrator.from_config(config, settings)


def _guard(fn: F) -> F:
    """Library errors become one line on stderr (and a JSON error with ``--json``)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return fn(*args, **kwargs)
        except (ConfigError, MonozuError) as exc:
            code = EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED
            message = one_line(str(exc)) or type(exc).__name__
            if as_json:
                error_code = getattr(exc, "code", None) or type(exc).__name__
                # The error itself still goes to standard error when this cannot be written.
                with contextlib.suppress(OutputClosed, OutputFailed):
                    echo(json_text({"error": {"errorCode": error_code, "message": message}}))
            fail(message, code)
        except KeyboardInterrupt:
            interrupted()
        return None

    return wrapper  # type: ignore[return-value]


def _warn(warnings: Sequence[str]) -> None:
    for w in warnings:
        echo(f"WARNING: {one_line(w)}", err=True)


def _emit_json(data: object) -> None:
    echo_json(data)


def _duration(ms: int) -> str:
    minutes, rest = divmod(ms, 60000)
    return f"{minutes:02d}:{rest / 1000:06.3f}s"


@db.command("migrate", *OPTIONS)
@_guard
def migrate_cmd(**opts: Any) -> None:
    """Apply pending migrations (Flyway's migrate)."""
    as_json = opts["as_json"]
    # Progress lines are printed as they happen, so a failure shows what ran before it.
    result = _migrator(opts, creates=True).migrate(progress=None if as_json else echo)
    _warn(result.warnings)
    if as_json:
        _emit_json(result.as_dict())
        return
    schema = f'"{result.schema}"'
    if not result.applied:
        echo(f"Schema {schema} is up to date. No migration necessary.")
        return
    noun = "migration" if len(result.applied) == 1 else "migrations"
    echo(f"Successfully applied {len(result.applied)} {noun} to schema {schema}, now at "
               f"version v{result.target_version or '<< Empty Schema >>'} "
               f"(execution time {_duration(result.total_time)})")


_INFO_COLUMNS = ("Category", "Version", "Description", "Type", "Installed On", "State")


def _table(given: Sequence[Sequence[str]]) -> str:
    # Cells are escaped before they are measured: a newline in a description (or a
    # name from the database) must not start a row of its own, nor a "|" a column.
    rows = [[cell(c, "|") for c in r] for r in given]
    widths = [max(len(_INFO_COLUMNS[i]), *(len(r[i]) for r in rows)) if rows
              else len(_INFO_COLUMNS[i]) for i in range(len(_INFO_COLUMNS))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [rule, line(_INFO_COLUMNS), rule]
    if rows:
        out.extend(line(r) for r in rows)
    else:
        out.append("| " + "No migrations found".ljust(sum(widths) + 3 * (len(widths) - 1)) + " |")
    out.append(rule)
    return "\n".join(out)


@db.command("info", *OPTIONS)
@_guard
def info_cmd(**opts: Any) -> None:
    """Show every migration and its state (Flyway's info)."""
    report = _migrator(opts).info_report()
    _warn(report.warnings)
    if opts["as_json"]:
        _emit_json(report.as_dict())
        return
    echo(f"Database: {report.database}")
    echo(f"Schema version: {report.current_version or '<< Empty Schema >>'}")
    echo("")
    rows = [(m.category, m.version_text, m.description, m.type, m.installed_on, m.state.value)
            for m in report.migrations]
    echo(_table(rows), lines=True)


@db.command("validate", *OPTIONS)
@_guard
def validate_cmd(**opts: Any) -> None:
    """Check applied migrations against the files; exit 1 on any problem."""
    result = _migrator(opts).validate()
    _warn(result.warnings)
    if opts["as_json"]:
        _emit_json({
            "ok": result.ok,
            "validationSuccessful": result.ok,
            "validateCount": result.validated,
            "problems": [{"code": p.code, "message": p.message, "version": p.version,
                          "description": p.description, "script": p.script}
                         for p in result.invalid_migrations],
            "invalidMigrations": [
                {"version": p.version, "description": p.description, "filepath": p.script,
                 "errorDetails": {"errorCode": p.code, "errorMessage": p.message}}
                for p in result.invalid_migrations],
        })
        if not result.ok:
            sys.exit(EXIT_FAILED)
        return
    if result.ok:
        noun = "migration" if result.validated == 1 else "migrations"
        echo(f"Successfully validated {result.validated} {noun}")
        return
    for p in result.problems:
        echo(f"{p.code}: {p.message}")
    fail("Validate failed: Migrations have failed validation. "
         + " ".join(f"{p.code}: {p.message}" for p in result.problems), EXIT_FAILED)


@db.command("baseline", *OPTIONS)
@_guard
def baseline_cmd(**opts: Any) -> None:
    """Create the history table with a baseline row (Flyway's baseline)."""
    result = _migrator(opts, creates=True).baseline()
    if opts["as_json"]:
        _emit_json(result.as_dict())
        return
    if result.created:
        echo(f'Successfully baselined schema "{result.schema}" with version: '
                   f"{result.version} ({result.description})")
    else:
        echo(f"Schema history table already initialized with ({result.version},"
                   f"{result.description}). Skipping baseline.")


@db.command("repair", *OPTIONS)
@_guard
def repair_cmd(**opts: Any) -> None:
    """Remove failed rows, mark missing migrations deleted, realign checksums."""
    result = _migrator(opts).repair()
    _warn(result.warnings)
    if opts["as_json"]:
        _emit_json(result.as_dict())
        return
    if not result.table_exists:
        echo("No schema history table: nothing to repair.")
        return
    for label, items in (("Removed failed migration", result.removed_failed),
                         ("Marked missing migration as deleted", result.deleted_missing),
                         ("Realigned", result.aligned)):
        for item in items:
            echo(f"{label}: {item}")
    if result.changed:
        echo(f'Successfully repaired schema history table in schema "{result.schema}".')
    else:
        echo(f'Schema history table in schema "{result.schema}" needs no repair.')


@db.command("clean", *OPTIONS)
@_guard
def clean_cmd(**opts: Any) -> None:
    """Drop every object in the schema (refused unless --clean-enabled)."""
    result = _migrator(opts).clean()
    if opts["as_json"]:
        _emit_json(result.as_dict())
        return
    for item in result.dropped:
        echo(f"Dropped {item}")
    echo(f'Successfully cleaned schema "{result.schema}" ({len(result.dropped)} objects '
               "dropped)")
