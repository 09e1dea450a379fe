"""Tenant row-level security: the operational switch over the ``rls_<table>`` policies.

V14 defines one policy ``rls_<table>`` per tenant-owned table and leaves them all off;
later migrations add a policy, also off, for each tenant table they create. This module
turns them on and off without a migration:

* :func:`status` lists every tenant table (a table with an ``rls_<table>`` policy, found
  in the database's catalog) with its policy and state;
* :func:`enable` / :func:`disable` switch every policy on or off;
* :func:`reapply` makes every policy match the current overall state (on when any
  tenant table's policy is on). Run it after ``migrate`` so that a tenant table created
  by a later migration while RLS is on does not stay unprotected.

Each call works in one transaction: the catalog is read, the tables that differ are
switched, and the result is read back before COMMIT, so a failure switches nothing.

What "on" means is each database's own (the ``rls_*`` members of its dialect's catalog,
:mod:`monozu.db.dialects.catalog`): on SQL Server ``ALTER SECURITY POLICY ... WITH
(STATE = ON)``; on PostgreSQL ``ENABLE`` + ``FORCE ROW LEVEL SECURITY`` on the table.
SQLite has no row-level security: isolation is the application's (every tenant-scoped
statement filters on ``tenant_id``). The functions change nothing there and say so.

Switching needs the right to alter the tables (PostgreSQL: their owner or a superuser;
SQL Server: ``ALTER ANY SECURITY POLICY``), so it is an operator's command; see
:func:`operator_database` for which connection the command line uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from monozu.db.config import DatabaseConfig, Kind

if TYPE_CHECKING:  # imported where used: migrate asks status_sql() without the pool
    from monozu.db.database import Database, Tx
    from monozu.db.dialects.catalog import Catalog
from monozu.db.errors import MonozuError

Enforcement = Literal["database", "application"]

APPLICATION_ENFORCED = (
    "SQLite has no row-level security: tenant isolation is enforced by the application "
    "(every tenant-scoped statement filters on tenant_id, and composite foreign keys keep "
    "references inside one tenant). Nothing to switch."
)

# An ALTER waits for an exclusive lock on its table, and every later statement on that
# table queues behind it: give up after this long rather than stall the application.
LOCK_TIMEOUT_SECONDS = 10.0


class RlsError(MonozuError):
    """The switch cannot be used on this database as it stands."""


@dataclass(frozen=True, slots=True)
class TableRls:
    """One tenant table and the state of its ``rls_<table>`` policy.

    ``forced`` is PostgreSQL's FORCE ROW LEVEL SECURITY (the owner is subject to the
    policy too); None where the notion does not exist (SQL Server policies always apply
    to owners; SQLite has no policies).
    """

    table: str
    policy: str | None
    enabled: bool
    forced: bool | None
    enforced_by: Enforcement = "database"
    schema: str | None = None

    @property
    def state(self) -> str:
        """``on``, ``off``, or ``application`` (SQLite)."""
        if self.enforced_by == "application":
            return "application"
        return "on" if self.enabled else "off"

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "schema": self.schema, "policy": self.policy,
                "state": self.state, "enabled": self.enabled, "forced": self.forced,
                "enforced_by": self.enforced_by}


@dataclass(frozen=True, slots=True)
class RlsResult:
    """What :func:`enable`, :func:`disable` or :func:`reapply` did.

    ``enabled`` is the state every policy now has (None on SQLite); ``changed`` the
    tables that were switched; ``tables`` the state read back before COMMIT.
    """

    database: Kind
    enforced_by: Enforcement
    enabled: bool | None
    changed: tuple[str, ...]
    tables: tuple[TableRls, ...]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"database": self.database, "enforced_by": self.enforced_by,
                "enabled": self.enabled, "changed": list(self.changed),
                "tables": [t.as_dict() for t in self.tables], "message": self.message}


def status_sql(kind: Kind) -> str | None:
    """The query listing each tenant table's policy; its fourth column is "enabled".

    None where the database has no policies to switch (SQLite).
    """
    from monozu.db.dialects import dialect_for

    catalog = dialect_for(kind).catalog
    return catalog.rls_status_sql if catalog.enforced_by == "database" else None


# --------------------------------------------------------------------------- the switch


def _read(tx: Tx, catalog: Catalog) -> list[TableRls]:
    return [catalog.rls_table(r) for r in tx.select(dict, catalog.rls_status_sql)]


def status(db: Database) -> list[TableRls]:
    """Every tenant table with its policy and state, ordered by table name.

    On SQLite: the tables with a ``tenant_id`` column, each ``enforced_by="application"``.
    """
    with db.transaction() as tx:
        return _read(tx, db.dialect.catalog)


def enable(db: Database) -> RlsResult:
    """Switch every ``rls_<table>`` policy on (refuses a database that has none)."""
    return _apply(db, True)


def disable(db: Database) -> RlsResult:
    """Switch every ``rls_<table>`` policy off (refuses a database that has none)."""
    return _apply(db, False)


def reapply(db: Database) -> RlsResult:
    """Bring every policy to the overall state: on if any tenant table's policy is on.

    Meant for right after ``migrate``: a migration creates its new table's policy off,
    so without this a table added while RLS is on would be readable across tenants.
    A database without policies (SQLite, or not yet at V14) is left alone.
    """
    return _apply(db, None)


def _apply(db: Database, target: bool | None) -> RlsResult:
    catalog = db.dialect.catalog
    kind = db.dialect.kind
    if catalog.enforced_by == "application":
        return RlsResult(kind, "application", None, (), tuple(status(db)), APPLICATION_ENFORCED)
    with db.transaction() as tx:
        for sql in catalog.rls_prepare_sql():
            tx.exec(sql)
        before = _read(tx, catalog)
        if not before:
            if target is None:
                return RlsResult(kind, "database", False, (), (),
                                 "no rls_<table> policies in this database: nothing to re-apply")
            raise RlsError("no rls_<table> policies found in this database: "
                           "migrate it to V14 or later first")
        on = target if target is not None else any(t.enabled for t in before)
        changed = []
        for t in before:
            if not catalog.rls_matches(t, on):
                tx.exec(catalog.rls_switch_sql(t, on))
                changed.append(t.table)
        after = _read(tx, catalog)
        stray = [t.table for t in after if not catalog.rls_matches(t, on)]
        if stray:  # raising rolls the whole switch back
            raise RlsError(f"row-level security did not reach the state {_word(on)} on: "
                           + ", ".join(stray))
    message = (f"row-level security is {_word(on)} for all {len(after)} tenant tables "
               f"({len(changed)} switched)")
    return RlsResult(kind, "database", on, tuple(changed), tuple(after), message)


def _word(on: bool) -> str:
    return "on" if on else "off"


def platform_problem(db: Database) -> str | None:
    """Why ``db`` cannot bypass row-level security as the platform connection must.

    None when it can, or when the database cannot tell (SQLite has no policies). The
    catalog asks the server who the connection is: on SQL Server a login that enters as
    ``dbo`` can never be in the bypass role; on PostgreSQL a role needs BYPASSRLS.
    """
    catalog = db.dialect.catalog
    if catalog.platform_check_sql is None:
        return None
    with db.transaction() as tx:
        row = tx.get(dict, catalog.platform_check_sql)
    return None if row is None else catalog.platform_problem(row)


def hidden_from(db: Database, table: str) -> bool:
    """Whether a policy on ``table`` hides other tenants' rows from ``db``'s role: it is
    on there and the role does not bypass it. A lookup across tenants that finds nothing
    then proves nothing."""
    if platform_problem(db) is None:
        return False
    return any(t.table == table and t.enabled for t in status(db))


def check_platform(db: Database) -> None:
    """Refuse (:class:`RlsError`) a platform connection that cannot bypass the policies."""
    problem = platform_problem(db)
    if problem is not None:
        raise RlsError(problem)


def operator_database(config: DatabaseConfig, *, pool_size: int = 1) -> Database:
    """The connection the command line switches RLS on.

    An explicit ``--url`` wins; otherwise ``DATABASE_URL_PLATFORM_ADMIN`` when it is set
    (the privileged connection: it must be able to alter the tables, which the
    application's role should not be able to do); otherwise the configured database.
    """
    if config.source != "--url" and config.platform_url is not None:
        from monozu.db.database import Database

        return Database(config, url=config.platform_url, pool_size=pool_size, platform=True)
    from monozu.db.database import Database

    return Database(config, pool_size=pool_size)


def describe(tables: Sequence[TableRls]) -> str:
    """A one-line summary of a status: how many tables are on, off or app-enforced."""
    if not tables:
        return "no tenant tables with rls_<table> policies"
    if tables[0].enforced_by == "application":
        return APPLICATION_ENFORCED
    # PostgreSQL: enabled without FORCE still lets an owning role through, so not "on".
    on = sum(t.enabled and t.forced is not False for t in tables)
    if on == len(tables):
        return f"row-level security on for all {on} tenant tables"
    if on == 0:
        return f"row-level security off for all {len(tables)} tenant tables"
    return (f"row-level security is MIXED: fully on for {on} of {len(tables)} tenant tables "
            "(run `monozu db rls reapply` or `enable`)")


__all__ = [
    "APPLICATION_ENFORCED",
    "RlsError",
    "RlsResult",
    "TableRls",
    "check_platform",
    "describe",
    "disable",
    "enable",
    "hidden_from",
    "operator_database",
    "platform_problem",
    "reapply",
    "status",
]
