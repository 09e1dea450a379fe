"""``clean``: drop every object in the schema, the history table included.

Per database: SQLite drops views, triggers and tables with foreign keys off;
PostgreSQL drops, object by object and with ``CASCADE``, materialized views, views,
tables, sequences, routines, domains, types and extensions living in the schema
(objects that belong to an extension go with it), keeping the schema itself and
its grants; SQL Server drops security policies, foreign keys, views, routines,
tables, sequences, synonyms and types. ``clean`` is refused unless enabled.
"""

from __future__ import annotations

from typing import Any

from monozu.db.config import Kind
from monozu.db.migrate.session import Session

_PG_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
)


def non_empty_query(kind: Kind, schema: str) -> tuple[str, tuple[Any, ...]]:
    """One row whose first value is true when the schema holds any object."""
    if kind == "sqlite":
        return ("SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                ())
    if kind == "postgresql":
        sql = (
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND "
            + _PG_NOT_EXTENSION.format(oid="c.oid") + ") "
            "OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND "
            + _PG_NOT_EXTENSION.format(oid="p.oid") + ") "
            "OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid "
            "AND t.typtype IN ('d', 'e', 'r') AND "
            + _PG_NOT_EXTENSION.format(oid="t.oid") + ") "
            "FROM pg_catalog.pg_namespace n WHERE n.nspname = $1"
        )
        return sql, (schema,)
    return (
        "SELECT (SELECT COUNT(*) FROM sys.objects WHERE schema_id = SCHEMA_ID(?) "
        "AND is_ms_shipped = 0 AND parent_object_id = 0) + (SELECT COUNT(*) FROM sys.types "
        "WHERE is_user_defined = 1 AND schema_id = SCHEMA_ID(?))",
        (schema, schema),
    )


# -- PostgreSQL ---------------------------------------------------------------------------

# (label, catalog query giving the names to drop, DROP template) in dependency order.
_PG_DROPS: tuple[tuple[str, str, str], ...] = (
    ("materialized view",
     "SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'm' AND "
     + _PG_NOT_EXTENSION.format(oid="c.oid"),
     "DROP MATERIALIZED VIEW IF EXISTS {schema}.{name} CASCADE"),
    ("view",
     "SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v' AND "
     + _PG_NOT_EXTENSION.format(oid="c.oid"),
     "DROP VIEW IF EXISTS {schema}.{name} CASCADE"),
    ("table",
     "SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
     "AND NOT c.relispartition AND " + _PG_NOT_EXTENSION.format(oid="c.oid"),
     "DROP TABLE IF EXISTS {schema}.{name} CASCADE"),
    ("foreign table",
     "SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'f' AND "
     + _PG_NOT_EXTENSION.format(oid="c.oid"),
     "DROP FOREIGN TABLE IF EXISTS {schema}.{name} CASCADE"),
    ("sequence",
     "SELECT quote_ident(c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
     "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'S' AND "
     + _PG_NOT_EXTENSION.format(oid="c.oid"),
     "DROP SEQUENCE IF EXISTS {schema}.{name} CASCADE"),
    ("routine",
     "SELECT quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments("
     "p.oid) || ')', CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' "
     "ELSE 'FUNCTION' END FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
     "ON n.oid = p.pronamespace WHERE n.nspname = $1 AND "
     + _PG_NOT_EXTENSION.format(oid="p.oid"),
     "DROP {kind} IF EXISTS {schema}.{name} CASCADE"),
    ("domain",
     "SELECT quote_ident(t.typname) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
     "ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype = 'd' AND "
     + _PG_NOT_EXTENSION.format(oid="t.oid"),
     "DROP DOMAIN IF EXISTS {schema}.{name} CASCADE"),
    ("type",
     "SELECT quote_ident(t.typname) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
     "ON n.oid = t.typnamespace WHERE n.nspname = $1 AND (t.typtype IN ('e', 'r') OR "
     "(t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c "
     "WHERE c.oid = t.typrelid) = 'c')) AND " + _PG_NOT_EXTENSION.format(oid="t.oid"),
     "DROP TYPE IF EXISTS {schema}.{name} CASCADE"),
    ("extension",
     "SELECT quote_ident(e.extname) FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n "
     "ON n.oid = e.extnamespace WHERE n.nspname = $1",
     "DROP EXTENSION IF EXISTS {name} CASCADE"),
)


def _clean_postgresql(session: Session, wait: float) -> list[str]:
    schema = session.quote(session.schema)
    dropped: list[str] = []
    session.begin(lock_wait=wait)
    try:
        for label, query, template in _PG_DROPS:
            for row in session.query(query, (session.schema,)):
                name = str(row[0])
                kind = str(row[1]) if len(row) > 1 else ""
                session.execute(template.format(schema=schema, name=name, kind=kind))
                dropped.append(f"{label} {name}")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dropped


# -- SQLite -------------------------------------------------------------------------------

def _clean_sqlite(session: Session, wait: float) -> list[str]:
    dropped: list[str] = []
    # Foreign keys off so tables can go in any order; the pragma is a no-op inside a
    # transaction, hence before BEGIN.
    session.execute("PRAGMA foreign_keys = OFF")
    try:
        session.begin(lock_wait=wait)
        try:
            for kind in ("view", "trigger", "table"):
                rows = session.query(
                    "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE "
                    "'sqlite\\_%' ESCAPE '\\' ORDER BY name", (kind,))
                for (name,) in rows:
                    session.execute(f"DROP {kind.upper()} IF EXISTS {session.quote(str(name))}")
                    dropped.append(f"{kind} {name}")
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        session.execute("PRAGMA foreign_keys = ON")
    return dropped


# -- SQL Server ---------------------------------------------------------------------------

# Catalog queries that produce the DROP statements, in dependency order. Each takes the
# schema name as its one parameter and returns (label, statement) rows.
SQLSERVER_CLEAN_QUERIES: tuple[str, ...] = (
    "SELECT 'security policy', 'DROP SECURITY POLICY ' + QUOTENAME(SCHEMA_NAME(p.schema_id)) "
    "+ '.' + QUOTENAME(p.name) FROM sys.security_policies AS p "
    "WHERE p.schema_id = SCHEMA_ID(?)",
    "SELECT 'foreign key', 'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) + ' DROP CONSTRAINT ' + QUOTENAME(fk.name) "
    "FROM sys.foreign_keys AS fk JOIN sys.tables AS t ON t.object_id = fk.parent_object_id "
    "JOIN sys.tables AS r ON r.object_id = fk.referenced_object_id "
    "WHERE r.schema_id = SCHEMA_ID(?)",
    "SELECT 'system versioning', 'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) + ' SET (SYSTEM_VERSIONING = OFF)' FROM sys.tables AS t "
    "WHERE t.schema_id = SCHEMA_ID(?) AND t.temporal_type = 2",
    "SELECT 'view', 'DROP VIEW ' + QUOTENAME(SCHEMA_NAME(v.schema_id)) + '.' + QUOTENAME(v.name) "
    "FROM sys.views AS v WHERE v.schema_id = SCHEMA_ID(?) AND v.is_ms_shipped = 0",
    "SELECT 'procedure', 'DROP PROCEDURE ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + '.' "
    "+ QUOTENAME(o.name) FROM sys.objects AS o WHERE o.schema_id = SCHEMA_ID(?) "
    "AND o.type IN ('P', 'PC') AND o.is_ms_shipped = 0",
    "SELECT 'function', 'DROP FUNCTION ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + '.' "
    "+ QUOTENAME(o.name) FROM sys.objects AS o WHERE o.schema_id = SCHEMA_ID(?) "
    "AND o.type IN ('FN', 'IF', 'TF', 'FS', 'FT') AND o.is_ms_shipped = 0",
    "SELECT 'table', 'DROP TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(?) "
    "AND t.is_ms_shipped = 0",
    "SELECT 'sequence', 'DROP SEQUENCE ' + QUOTENAME(SCHEMA_NAME(s.schema_id)) + '.' "
    "+ QUOTENAME(s.name) FROM sys.sequences AS s WHERE s.schema_id = SCHEMA_ID(?)",
    "SELECT 'synonym', 'DROP SYNONYM ' + QUOTENAME(SCHEMA_NAME(s.schema_id)) + '.' "
    "+ QUOTENAME(s.name) FROM sys.synonyms AS s WHERE s.schema_id = SCHEMA_ID(?)",
    "SELECT 'type', 'DROP TYPE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + '.' "
    "+ QUOTENAME(t.name) FROM sys.types AS t WHERE t.schema_id = SCHEMA_ID(?) "
    "AND t.is_user_defined = 1",
)


def _clean_sqlserver(session: Session, wait: float) -> list[str]:
    dropped: list[str] = []
    session.begin(lock_wait=wait)
    try:
        for query in SQLSERVER_CLEAN_QUERIES:
            for label, statement in session.query(query, (session.schema,)):
                session.execute(str(statement))
                dropped.append(f"{label}: {statement}")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dropped


def clean_schema(session: Session, wait: float) -> list[str]:
    if session.kind == "sqlite":
        return _clean_sqlite(session, wait)
    if session.kind == "postgresql":
        return _clean_postgresql(session, wait)
    return _clean_sqlserver(session, wait)
