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

What "on" means per database (the SQL lives in the ``_SQLServer``, ``_PostgreSQL`` and
``_SQLite`` classes below, nowhere else):

* SQL Server: ``ALTER SECURITY POLICY dbo.rls_<t> WITH (STATE = ON)``. A policy applies
  to every user, owners and ``db_owner`` included; only the predicate function decides.
* PostgreSQL: ``ALTER TABLE <t> ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY``.
  FORCE makes the policy apply to the table's owner too; only superusers and roles with
  ``BYPASSRLS`` (the platform connection) are exempt. Off is ``NO FORCE`` + ``DISABLE``.
* SQLite has no row-level security: isolation is the application's (every tenant-scoped
  statement filters on ``tenant_id``). The functions change nothing and say so.

Switching needs the right to alter the tables (PostgreSQL: their owner or a superuser;
SQL Server: ``ALTER ANY SECURITY POLICY``), so it is an operator's command; see
:func:`operator_database` for which connection the command line uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from monozu.db.config import DatabaseConfig, Kind

if TYPE_CHECKING:  # imported where used: migrate asks status_sql() without the pool
    from monozu.db.database import Database, Tx
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


# --------------------------------------------------------------------------- per database


class _SQLServer:
    # A tenant table is the target of a policy named rls_<table> in the table's schema.
    # DISTINCT: each policy has two predicates (FILTER and BLOCK) on the same table.
    STATUS_SQL = (
        "SELECT DISTINCT\n"
        "    OBJECT_SCHEMA_NAME(pr.target_object_id) AS table_schema,\n"
        "    OBJECT_NAME(pr.target_object_id) AS table_name,\n"
        "    p.name AS policy_name,\n"
        "    p.is_enabled AS enabled\n"
        "FROM sys.security_policies AS p\n"
        "JOIN sys.security_predicates AS pr ON pr.object_id = p.object_id\n"
        "WHERE p.name = N'rls_' + OBJECT_NAME(pr.target_object_id)\n"
        "  AND SCHEMA_NAME(p.schema_id) = OBJECT_SCHEMA_NAME(pr.target_object_id)\n"
        "ORDER BY table_name"
    )

    @staticmethod
    def prepare_sql() -> tuple[str, ...]:
        return ()

    @staticmethod
    def table(row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=row["policy_name"],
                        enabled=bool(row["enabled"]), forced=None,
                        schema=row["table_schema"])

    @staticmethod
    def switch_sql(t: TableRls, on: bool) -> str:
        policy = f"{_bracket(t.schema or 'dbo')}.{_bracket(t.policy or 'rls_' + t.table)}"
        return f"ALTER SECURITY POLICY {policy} WITH (STATE = {'ON' if on else 'OFF'})"

    @staticmethod
    def matches(t: TableRls, on: bool) -> bool:
        return t.enabled == on


class _PostgreSQL:
    STATUS_SQL = (
        "SELECT p.schemaname AS table_schema, p.tablename AS table_name,\n"
        "       p.policyname AS policy_name,\n"
        "       c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced\n"
        "FROM pg_policies AS p\n"
        "JOIN pg_namespace AS n ON n.nspname = p.schemaname\n"
        "JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = p.tablename\n"
        "WHERE p.schemaname = current_schema() AND p.policyname = 'rls_' || p.tablename\n"
        "ORDER BY p.tablename"
    )

    @staticmethod
    def prepare_sql() -> tuple[str, ...]:
        # Transaction-local, so the pooled connection goes back without it.
        return (f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_SECONDS * 1000)}ms'",)

    @staticmethod
    def table(row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=row["policy_name"],
                        enabled=bool(row["enabled"]), forced=bool(row["forced"]),
                        schema=row["table_schema"])

    @staticmethod
    def switch_sql(t: TableRls, on: bool) -> str:
        name = f"{_dquote(t.schema or 'public')}.{_dquote(t.table)}"
        if on:
            return f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY"
        return f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY"

    @staticmethod
    def matches(t: TableRls, on: bool) -> bool:
        # Enabled without FORCE would let an owning application role read every tenant.
        return t.enabled == on and t.forced == on


class _SQLite:
    # No policies exist: the tenant tables are those carrying a tenant_id column.
    STATUS_SQL = (
        "SELECT m.name AS table_name FROM sqlite_master AS m\n"
        "WHERE m.type = 'table' AND EXISTS (\n"
        "    SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'tenant_id')\n"
        "ORDER BY m.name"
    )

    @staticmethod
    def table(row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=None, enabled=False, forced=None,
                        enforced_by="application")


_Backend = _SQLServer | _PostgreSQL


def status_sql(kind: Kind) -> str | None:
    """The query listing each tenant table's policy; its fourth column is "enabled"."""
    if kind == "sqlserver":
        return _SQLServer.STATUS_SQL
    if kind == "postgresql":
        return _PostgreSQL.STATUS_SQL
    return None


def _bracket(ident: str) -> str:
    return "[" + ident.replace("]", "]]") + "]"


def _dquote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _backend(db: Database) -> _Backend | None:
    kind = db.dialect.kind
    if kind == "sqlserver":
        return _SQLServer()
    if kind == "postgresql":
        return _PostgreSQL()
    return None


# --------------------------------------------------------------------------- the switch


def _read(tx: Tx, backend: _Backend | None) -> list[TableRls]:
    if backend is None:
        return [_SQLite.table(r) for r in tx.select(dict, _SQLite.STATUS_SQL)]
    return [backend.table(r) for r in tx.select(dict, backend.STATUS_SQL)]


def status(db: Database) -> list[TableRls]:
    """Every tenant table with its policy and state, ordered by table name.

    On SQLite: the tables with a ``tenant_id`` column, each ``enforced_by="application"``.
    """
    with db.transaction() as tx:
        return _read(tx, _backend(db))


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
    backend = _backend(db)
    kind = db.dialect.kind
    if backend is None:
        return RlsResult(kind, "application", None, (), tuple(status(db)), APPLICATION_ENFORCED)
    with db.transaction() as tx:
        for sql in backend.prepare_sql():
            tx.exec(sql)
        before = _read(tx, backend)
        if not before:
            if target is None:
                return RlsResult(kind, "database", False, (), (),
                                 "no rls_<table> policies in this database: nothing to re-apply")
            raise RlsError("no rls_<table> policies found in this database: "
                           "migrate it to V14 or later first")
        on = target if target is not None else any(t.enabled for t in before)
        changed = []
        for t in before:
            if not backend.matches(t, on):
                tx.exec(backend.switch_sql(t, on))
                changed.append(t.table)
        after = _read(tx, backend)
        stray = [t.table for t in after if not backend.matches(t, on)]
        if stray:  # raising rolls the whole switch back
            raise RlsError(f"row-level security did not reach the state {_word(on)} on: "
                           + ", ".join(stray))
    message = (f"row-level security is {_word(on)} for all {len(after)} tenant tables "
               f"({len(changed)} switched)")
    return RlsResult(kind, "database", on, tuple(changed), tuple(after), message)


def _word(on: bool) -> str:
    return "on" if on else "off"


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
    "describe",
    "disable",
    "enable",
    "operator_database",
    "reapply",
    "status",
]
