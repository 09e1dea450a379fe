"""``monozu db rls status|enable|disable|reapply``, ``monozu db erd`` and ``monozu db drift``.

The RLS commands are operator commands: switching needs the right to alter the tenant
tables, which the application's own role should not have. They connect with ``--url``
when given, else with ``DATABASE_URL_PLATFORM_ADMIN`` when it is set, else with the
configured database (see :func:`monozu.db.rls.operator_database`), and say which.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monozu.cli.app import (
    EXIT_USAGE,
    db,
    echo,
    echo_json,
    fail,
    handle_errors,
    json_option,
    option,
    url_option,
)
from monozu.db.config import load_config
from monozu.files import write_output_text
from monozu.text import cell

if TYPE_CHECKING:
    from monozu.db import rls as rls_mod
    from monozu.db.config import DatabaseConfig
    from monozu.db.database import Database


def _existing(url: str | None) -> DatabaseConfig:
    """The configuration of a command on an existing database: an absent SQLite file
    is an error, never created."""
    return load_config(url=url, must_exist=True)


def _origin(database: Database) -> dict[str, str]:
    source = "DATABASE_URL_PLATFORM_ADMIN" if database.platform else database.config.source
    return {"url": database.url.redacted(), "source": source}


def _table_lines(tables: list[rls_mod.TableRls]) -> list[str]:
    rows = [("table", "policy", "state", "forced")]
    for t in tables:
        forced = "-" if t.forced is None else ("yes" if t.forced else "no")
        # Escaped before measured: the padding is that of the name as printed.
        rows.append((cell(t.table), cell(t.policy or "-"), cell(t.state), forced))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]


rls = db.group("rls", """Tenant row-level security (operator commands).

Connects with --url, else DATABASE_URL_PLATFORM_ADMIN when set, else the configured
database; the connection must be able to alter the tenant tables (PostgreSQL: their
owner or a superuser; SQL Server: ALTER ANY SECURITY POLICY).""")


@rls.command("status", url_option, json_option)
@handle_errors
def rls_status(url: str | None, as_json: bool) -> None:
    """List every tenant table with its rls_<table> policy and state."""
    from monozu.db import rls as rls_mod
    with rls_mod.operator_database(_existing(url)) as database:
        if database.platform:
            rls_mod.check_platform(database)
        tables = rls_mod.status(database)
        origin = _origin(database)
        kind = database.dialect.kind
        enforced_by = database.dialect.catalog.enforced_by
    summary = rls_mod.describe(tables)
    if as_json:
        echo_json({"database": kind, **origin, "enforced_by": enforced_by,
                   "summary": summary, "tables": [t.as_dict() for t in tables]})
        return
    echo(f"database  {origin['url']} ({origin['source']})")
    if tables:
        for line in _table_lines(tables):
            echo(line)
    echo(summary)


def _switch(url: str | None, as_json: bool, action: str) -> None:
    from monozu.db import rls as rls_mod
    with rls_mod.operator_database(_existing(url)) as database:
        result: rls_mod.RlsResult = getattr(rls_mod, action)(database)
        origin = _origin(database)
    if as_json:
        echo_json({**result.as_dict(), **origin})
        return
    echo(f"database  {origin['url']} ({origin['source']})")
    echo(result.message)
    if result.changed:
        echo("switched: " + ", ".join(result.changed))


@rls.command("enable", url_option, json_option)
@handle_errors
def rls_enable(url: str | None, as_json: bool) -> None:
    """Switch every rls_<table> policy on, in one transaction."""
    _switch(url, as_json, "enable")


@rls.command("disable", url_option, json_option)
@handle_errors
def rls_disable(url: str | None, as_json: bool) -> None:
    """Switch every rls_<table> policy off, in one transaction."""
    _switch(url, as_json, "disable")


@rls.command("reapply", url_option, json_option)
@handle_errors
def rls_reapply(url: str | None, as_json: bool) -> None:
    """Bring every policy to the overall state (on if any is on); run after migrating."""
    _switch(url, as_json, "reapply")


@db.command(
    "erd", url_option,
    option("--core", flag=True, default=False,
           help="Only the documented 13 core tables and their relations."),
    option("--output", metavar="FILE", type=Path,
           help="Write the diagram to FILE instead of standard output."),
)
@handle_errors
def erd(url: str | None, core: bool, output: Path | None) -> None:
    """Print a Mermaid erDiagram of the live schema."""
    from monozu.db import erd as erd_mod
    from monozu.db.database import Database

    if output is not None and output.is_dir():
        fail(f"--output: {output} is a folder, not a file", EXIT_USAGE)
    with Database(_existing(url), pool_size=1) as database:
        text = erd_mod.diagram(database, core=core)
    if output is None:
        echo(text, nl=False, lines=True)
        return
    try:
        write_output_text(output, text)
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror or exc}", EXIT_USAGE)


@db.command("drift", url_option, json_option)
@handle_errors
def drift(url: str | None, as_json: bool) -> None:
    """Compare the live schema with the one its applied migrations build (exit 1: drift)."""
    from monozu.db import drift as drift_mod
    from monozu.db.database import Database

    with Database(_existing(url), pool_size=1) as database:
        report = drift_mod.check(database)
        where = database.url.redacted()
    if as_json:
        echo_json({**report.as_dict(), "url": where})
    else:
        echo(f"database  {where} ({report.database}, "
             f"version {report.applied_version or '-'}, {report.migrations} migrations)")
        for difference in report.differences:
            echo(difference.line())
        count = len(report.differences)
        echo(f"{count} difference{'s' if count != 1 else ''} from the migrations"
             if count else "no drift: the schema is what its migrations build")
    if report.drifted:
        raise SystemExit(1)
