"""PostgreSQL's catalog: the schema from ``pg_catalog``, RLS as table switches.

Everything is read for ``current_schema()``. Row-level security "on" is
``ENABLE`` + ``FORCE ROW LEVEL SECURITY`` on each tenant table: FORCE makes the policy
apply to the table's owner too; only superusers and roles with ``BYPASSRLS`` (the
platform connection) are exempt. Off is ``NO FORCE`` + ``DISABLE``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from monozu.db import introspect as model
from monozu.db.dialects.catalog import Catalog
from monozu.db.errors import ProgrammingError
from monozu.db.rls import LOCK_TIMEOUT_SECONDS, TableRls

if TYPE_CHECKING:
    import psycopg

_PG_TYPES: dict[str, model.LogicalType] = {
    "uuid": "uuid", "text": "text", "timestamptz": "timestamp", "bool": "bool",
    "float8": "float", "float4": "float", "int4": "int", "int2": "int", "int8": "bigint",
    "jsonb": "json", "json": "json",
}

_PG_COLUMNS = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), t.typname,
       a.atttypmod, a.attnotnull, (a.atthasdef OR a.attidentity <> ''),
       pg_get_expr(d.adbin, d.adrelid),
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

_PG_TABLES = """
SELECT c.relname, c.relrowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""

_PG_CONSTRAINTS = """
SELECT cl.relname, con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       fcl.relname, pg_get_constraintdef(con.oid, true)
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY cl.relname, con.conname
"""

_PG_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique,
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
             FROM generate_series(1, ix.indnkeyatts) AS k ORDER BY k)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint con
      WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
        AND con.contype IN ('p', 'u', 'x'))
ORDER BY t.relname, i.relname
"""

_PG_POLICIES = """
SELECT c.relname, p.polname
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
ORDER BY c.relname, p.polname
"""


def _unquote_pg(ident: str) -> str:
    if len(ident) >= 2 and ident[0] == '"' and ident[-1] == '"':
        return ident[1:-1].replace('""', '"')
    return ident


def read_schema(conn: psycopg.Connection[Any]) -> model.Schema:
    from psycopg import pq
    from psycopg.rows import tuple_row

    idle_before = conn.info.transaction_status == pq.TransactionStatus.IDLE
    cur = conn.cursor(row_factory=tuple_row)
    try:
        tables = {r[0]: bool(r[1]) for r in cur.execute(_PG_TABLES).fetchall()}
        columns: dict[str, list[model.Column]] = {t: [] for t in tables}
        for (rel, _attnum, att, fmt, typname, typmod, notnull, hasdef, default,
             collation) in cur.execute(_PG_COLUMNS).fetchall():
            ltype: model.LogicalType = _PG_TYPES.get(typname, "other")
            length: int | None = None
            if typname == "varchar":
                if typmod > 4:
                    ltype, length = "string", typmod - 4
                else:
                    ltype = "text"
            columns[rel].append(model.Column(att, ltype, length, not notnull, bool(hasdef), fmt,
                                       default, collation))

        pks: dict[str, model.PrimaryKey] = {}
        fks: dict[str, list[model.ForeignKey]] = {t: [] for t in tables}
        uniques: dict[str, list[model.UniqueConstraint]] = {t: [] for t in tables}
        checks: dict[str, list[model.CheckConstraint]] = {t: [] for t in tables}
        for rel, name, ctype, conkey, confkey, frel, cdef in cur.execute(
            _PG_CONSTRAINTS
        ).fetchall():
            cols = tuple(conkey)
            if ctype == "p":
                pks[rel] = model.PrimaryKey(name, cols)
            elif ctype == "u":
                uniques[rel].append(model.UniqueConstraint(name, cols))
            elif ctype == "f":
                fks[rel].append(model.ForeignKey(name, cols, frel, tuple(confkey)))
            else:
                expr = cdef[len("CHECK "):] if cdef.startswith("CHECK ") else cdef
                if expr.startswith("(") and expr.endswith(")"):
                    expr = expr[1:-1]
                checks[rel].append(model.CheckConstraint(name, expr))

        indexes: dict[str, list[model.Index]] = {t: [] for t in tables}
        for rel, iname, unique, keys in cur.execute(_PG_INDEXES).fetchall():
            columns_of = tuple(_unquote_pg(k) for k in keys)
            indexes[rel].append(model.Index(iname, columns_of, bool(unique)))

        policies: dict[str, list[str]] = {t: [] for t in tables}
        for rel, pname in cur.execute(_PG_POLICIES).fetchall():
            policies[rel].append(pname)
    finally:
        cur.close()
        if idle_before and not conn.autocommit:
            conn.rollback()

    return model.Schema({
        t: model.make_table(t, columns[t], primary_key=pks.get(t), foreign_keys=fks[t],
                            unique_constraints=uniques[t], check_constraints=checks[t],
                            indexes=indexes[t], policies=policies[t], rls_enabled=tables[t])
        for t in sorted(tables)
    })


def _quote(ident: str) -> str:
    from monozu.db.dialects.postgresql.dialect import DIALECT

    return DIALECT.quote(ident)


class PostgreSQLCatalog(Catalog):
    rls_status_sql: ClassVar[str] = (
        "SELECT p.schemaname AS table_schema, p.tablename AS table_name,\n"
        "       p.policyname AS policy_name,\n"
        "       c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced\n"
        "FROM pg_policies AS p\n"
        "JOIN pg_namespace AS n ON n.nspname = p.schemaname\n"
        "JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname = p.tablename\n"
        "WHERE p.schemaname = current_schema() AND p.policyname = 'rls_' || p.tablename\n"
        "ORDER BY p.tablename"
    )

    platform_check_sql: ClassVar[str | None] = (
        "SELECT current_user AS user_name, rolsuper AS superuser, rolbypassrls AS bypassrls\n"
        "FROM pg_roles WHERE rolname = current_user"
    )

    def platform_problem(self, row: Mapping[str, Any]) -> str | None:
        if row["superuser"] or row["bypassrls"]:
            return None
        return (f"the platform connection's role {row['user_name']!r} has neither BYPASSRLS "
                "nor superuser: with row-level security on it sees no tenant rows "
                f"(ALTER ROLE {_quote(row['user_name'])} BYPASSRLS)")

    def read_schema(self, conn: Any) -> model.Schema:
        if not hasattr(conn, "pgconn"):
            raise TypeError("reading a PostgreSQL schema needs a psycopg.Connection")
        return read_schema(conn)

    def expected_schema(self, conn: Any, scripts: Sequence[str]) -> model.Schema:
        """Run the scripts in a scratch schema inside a transaction that is rolled back.

        PostgreSQL's DDL is transactional, so the scratch schema, and everything the
        scripts create in it, is gone afterwards; the live schema is never written. The
        scripts name no schema, so ``SET LOCAL search_path`` sends them to the scratch
        one. Needs the right to create a schema in the database (``CREATE`` on it).
        """
        self.read_schema(conn)  # refuses a connection of another database first
        scratch = _quote(f"monozu_drift_{uuid.uuid4().hex[:12]}")
        import psycopg

        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            refused: str | None = None
            try:
                cur.execute(f"CREATE SCHEMA {scratch}".encode())
            except (psycopg.errors.InsufficientPrivilege,
                    psycopg.errors.ReadOnlySqlTransaction) as exc:
                refused = str(exc).strip().splitlines()[0]
            if refused is not None:  # a read-only role's: say what it lacks
                raise ProgrammingError(
                    f"the migrations are replayed in a scratch schema, rolled back after, "
                    f"which this session may not create ({refused}): the role needs CREATE "
                    f"on the database, in a transaction that is not read-only",
                    code="42501")
            cur.execute(f"SET LOCAL search_path TO {scratch}".encode())
            for script in scripts:
                cur.execute(script.encode())
            return read_schema(conn)

    def rls_prepare_sql(self) -> tuple[str, ...]:
        # Transaction-local, so the pooled connection goes back without it. An ALTER waits
        # for an exclusive lock on its table and every later statement queues behind it.
        return (f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_SECONDS * 1000)}ms'",)

    def rls_table(self, row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=row["policy_name"],
                        enabled=bool(row["enabled"]), forced=bool(row["forced"]),
                        schema=row["table_schema"])

    def rls_switch_sql(self, table: TableRls, on: bool) -> str:
        name = f"{_quote(table.schema or 'public')}.{_quote(table.table)}"
        if on:
            return f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY"
        return f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY"

    def rls_matches(self, table: TableRls, on: bool) -> bool:
        # Enabled without FORCE would let an owning application role read every tenant.
        return table.enabled == on and table.forced == on


CATALOG = PostgreSQLCatalog()
