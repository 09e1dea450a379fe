"""SQL Server's catalog: the schema from ``sys.*`` views, RLS as security policies.

Everything is read for the ``dbo`` schema, the one the migrations write to. Each query is
plain T-SQL (no parameters) and checked by the T-SQL grammar in the tests; rows are read
by column name, so a cursor double can feed :meth:`SQLServerCatalog.read_schema`.

Row-level security "on" is ``ALTER SECURITY POLICY dbo.rls_<t> WITH (STATE = ON)``. A
policy applies to every user, owners and ``db_owner`` included; only the predicate decides,
and its bypass is ``IS_ROLEMEMBER(N'monozu_platform') = 1``. ``dbo`` can never be a member
of a role, so a platform connection that logs in as the server admin, the Entra admin or a
sysadmin (all of whom enter a database as ``dbo``) sees no rows once the policies are on
and has its writes refused: :attr:`SQLServerCatalog.platform_check_sql` reads who the
connection is, and :meth:`SQLServerCatalog.platform_problem` says when that cannot work.

The expected schema for ``monozu db drift`` is a replay on paper of the SQL Server
migrations (:mod:`monozu.db.dialects.sqlserver.replay`): the scripts write to ``dbo`` by
name, so unlike PostgreSQL they cannot be sent to a scratch schema, and a scratch database
is not something an Azure SQL login can be assumed to create. The server rewrites CHECK
and DEFAULT expressions (``IN`` becomes ``OR``, literals gain parentheses), so drift
compares those by name and presence only on SQL Server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from monozu.db import introspect as model
from monozu.db.dialects.catalog import Catalog
from monozu.db.rls import TableRls

PLATFORM_ROLE = "monozu_platform"

TABLES_SQL = (
    "SELECT t.name AS table_name\n"
    "FROM sys.tables AS t\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo')\n"
    "ORDER BY t.name"
)

COLUMNS_SQL = (
    "SELECT t.name AS table_name, c.column_id, c.name AS column_name,\n"
    "       ty.name AS type_name, c.max_length, c.scale, c.is_nullable, c.is_identity,\n"
    "       dc.[definition] AS default_definition,\n"
    "       CASE WHEN c.collation_name <> CAST(DATABASEPROPERTYEX(DB_NAME(), N'Collation')\n"
    "                                          AS NVARCHAR(128))\n"
    "            THEN c.collation_name END AS collation_name\n"
    "FROM sys.tables AS t\n"
    "JOIN sys.columns AS c ON c.object_id = t.object_id\n"
    "JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id\n"
    "LEFT JOIN sys.default_constraints AS dc ON dc.object_id = c.default_object_id\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo')\n"
    "ORDER BY t.name, c.column_id"
)

KEYS_SQL = (
    "SELECT t.name AS table_name, kc.name AS constraint_name, kc.type AS constraint_type,\n"
    "       col.name AS column_name\n"
    "FROM sys.key_constraints AS kc\n"
    "JOIN sys.tables AS t ON t.object_id = kc.parent_object_id\n"
    "JOIN sys.index_columns AS ic\n"
    "  ON ic.object_id = kc.parent_object_id AND ic.index_id = kc.unique_index_id\n"
    "JOIN sys.columns AS col ON col.object_id = ic.object_id AND col.column_id = ic.column_id\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo')\n"
    "ORDER BY t.name, kc.name, ic.key_ordinal"
)

FOREIGN_KEYS_SQL = (
    "SELECT t.name AS table_name, fk.name AS constraint_name, pc.name AS column_name,\n"
    "       rt.name AS ref_table, rc.name AS ref_column\n"
    "FROM sys.foreign_keys AS fk\n"
    "JOIN sys.tables AS t ON t.object_id = fk.parent_object_id\n"
    "JOIN sys.tables AS rt ON rt.object_id = fk.referenced_object_id\n"
    "JOIN sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id\n"
    "JOIN sys.columns AS pc\n"
    "  ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id\n"
    "JOIN sys.columns AS rc\n"
    "  ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo')\n"
    "ORDER BY t.name, fk.name, fkc.constraint_column_id"
)

CHECKS_SQL = (
    "SELECT t.name AS table_name, cc.name AS constraint_name, cc.[definition]\n"
    "FROM sys.check_constraints AS cc\n"
    "JOIN sys.tables AS t ON t.object_id = cc.parent_object_id\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo')\n"
    "ORDER BY t.name, cc.name"
)

# Indexes that back no primary key or unique constraint; included columns left out.
INDEXES_SQL = (
    "SELECT t.name AS table_name, i.name AS index_name, i.is_unique, col.name AS column_name\n"
    "FROM sys.indexes AS i\n"
    "JOIN sys.tables AS t ON t.object_id = i.object_id\n"
    "JOIN sys.index_columns AS ic\n"
    "  ON ic.object_id = i.object_id AND ic.index_id = i.index_id\n"
    " AND ic.is_included_column = 0\n"
    "JOIN sys.columns AS col ON col.object_id = ic.object_id AND col.column_id = ic.column_id\n"
    "WHERE t.schema_id = SCHEMA_ID(N'dbo') AND i.type > 0\n"
    "  AND i.is_primary_key = 0 AND i.is_unique_constraint = 0\n"
    "ORDER BY t.name, i.name, ic.key_ordinal"
)

# A tenant table is the target of a policy named rls_<table> in the table's schema.
# DISTINCT: each policy has two predicates (FILTER and BLOCK) on the same table.
RLS_STATUS_SQL = (
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

# Who the connection is inside the database, and whether the policies' bypass sees it.
PLATFORM_CHECK_SQL = (
    "SELECT USER_NAME() AS user_name,\n"
    f"       IS_ROLEMEMBER(N'{PLATFORM_ROLE}') AS is_platform_member,\n"
    f"       CASE WHEN DATABASE_PRINCIPAL_ID(N'{PLATFORM_ROLE}') IS NULL\n"
    "            THEN 0 ELSE 1 END AS role_exists"
)

_TYPES: dict[str, model.LogicalType] = {
    "uniqueidentifier": "uuid", "datetime2": "timestamp", "bit": "bool", "float": "float",
    "real": "float", "int": "int", "smallint": "int", "tinyint": "int", "bigint": "bigint",
}


# How the server stores ``CHECK (ISJSON(doc) = 1)``: ``(isjson([doc])=(1))``.
_ISJSON = re.compile(r"isjson\(\[?(?P<column>[^\]()]+)\]?\)=\(?1\)?", re.I)


def schema_statements() -> list[str]:
    """Every catalog statement this module sends, for the T-SQL grammar check."""
    return [TABLES_SQL, COLUMNS_SQL, KEYS_SQL, FOREIGN_KEYS_SQL, CHECKS_SQL, INDEXES_SQL,
            RLS_STATUS_SQL, PLATFORM_CHECK_SQL]


def _rows(conn: Any, sql: str) -> list[dict[str, Any]]:
    cur = conn.cursor()
    try:
        cur.execute(sql)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        cur.close()


def _strip_parens(text: str) -> str:
    """``((0))`` -> ``0``: SQL Server stores defaults and checks wrapped in parentheses."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1]
    return text


def column_from_row(row: Mapping[str, Any], json_columns: set[str]) -> model.Column:
    """A row of :data:`COLUMNS_SQL` as a logical column.

    ``NVARCHAR(MAX)`` is ``text``, or ``json`` when an ``ISJSON`` check guards it;
    ``max_length`` of an ``NVARCHAR`` is in bytes, two per character.
    """
    tname = str(row["type_name"]).lower()
    size = int(row["max_length"])
    length: int | None = None
    ltype: model.LogicalType
    if tname in ("nvarchar", "varchar", "nchar", "char"):
        chars = size // 2 if tname.startswith("n") else size
        if size == -1:
            ltype = "json" if row["column_name"] in json_columns else "text"
            db_type = f"{tname.upper()}(MAX)"
        else:
            ltype, length = "string", chars
            db_type = f"{tname.upper()}({chars})"
    else:
        ltype = _TYPES.get(tname, "other")
        db_type = f"{tname.upper()}({row['scale']})" if tname == "datetime2" else tname.upper()
    default = row["default_definition"]
    return model.Column(
        name=row["column_name"], type=ltype, max_length=length,
        nullable=bool(row["is_nullable"]),
        has_default=default is not None or bool(row["is_identity"]),
        db_type=db_type,
        default=_strip_parens(default) if default is not None else None,
        collation=row["collation_name"],
    )


def _grouped(rows: Iterable[Mapping[str, Any]], *key: str) -> dict[tuple[Any, ...], list[Any]]:
    out: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in key), []).append(r)
    return out


def read_schema(conn: Any) -> model.Schema:
    tables = [r["table_name"] for r in _rows(conn, TABLES_SQL)]
    checks: dict[str, list[model.CheckConstraint]] = {t: [] for t in tables}
    json_columns: dict[str, set[str]] = {t: set() for t in tables}
    for r in _rows(conn, CHECKS_SQL):
        expr = _strip_parens(r["definition"])
        checks[r["table_name"]].append(model.CheckConstraint(r["constraint_name"], expr))
        m = _ISJSON.fullmatch(expr.replace(" ", ""))
        if m:
            json_columns[r["table_name"]].add(m["column"])
    columns: dict[str, list[model.Column]] = {t: [] for t in tables}
    for r in _rows(conn, COLUMNS_SQL):
        columns[r["table_name"]].append(column_from_row(r, json_columns[r["table_name"]]))
    pks: dict[str, model.PrimaryKey] = {}
    uniques: dict[str, list[model.UniqueConstraint]] = {t: [] for t in tables}
    for (table, name, ctype), rows in _grouped(
            _rows(conn, KEYS_SQL), "table_name", "constraint_name", "constraint_type").items():
        cols = tuple(r["column_name"] for r in rows)
        if str(ctype).strip() == "PK":
            pks[table] = model.PrimaryKey(name, cols)
        else:
            uniques[table].append(model.UniqueConstraint(name, cols))
    fks: dict[str, list[model.ForeignKey]] = {t: [] for t in tables}
    for (table, name), rows in _grouped(
            _rows(conn, FOREIGN_KEYS_SQL), "table_name", "constraint_name").items():
        fks[table].append(model.ForeignKey(name, tuple(r["column_name"] for r in rows),
                                     rows[0]["ref_table"],
                                     tuple(r["ref_column"] for r in rows)))
    indexes: dict[str, list[model.Index]] = {t: [] for t in tables}
    for (table, name), rows in _grouped(
            _rows(conn, INDEXES_SQL), "table_name", "index_name").items():
        indexes[table].append(model.Index(name, tuple(r["column_name"] for r in rows),
                                    bool(rows[0]["is_unique"])))
    policies: dict[str, dict[str, bool]] = {t: {} for t in tables}
    for r in _rows(conn, RLS_STATUS_SQL):
        if r["table_schema"] == "dbo" and r["table_name"] in policies:
            policies[r["table_name"]][r["policy_name"]] = bool(r["enabled"])
    return model.Schema({
        t: model.make_table(t, columns[t], primary_key=pks.get(t), foreign_keys=fks[t],
                            unique_constraints=uniques[t], check_constraints=checks[t],
                            indexes=indexes[t], policies=policies[t],
                            rls_enabled=any(policies[t].values()))
        for t in sorted(tables)
    })


class SQLServerCatalog(Catalog):
    rls_status_sql: ClassVar[str] = RLS_STATUS_SQL
    platform_check_sql: ClassVar[str | None] = PLATFORM_CHECK_SQL
    compares_expressions: ClassVar[bool] = False

    def read_schema(self, conn: Any) -> model.Schema:
        return read_schema(conn)

    def expected_schema(self, conn: Any, scripts: Sequence[str]) -> model.Schema:
        """The replay on paper of ``scripts`` (see the module docstring); ``conn`` unused."""
        from monozu.db.dialects.sqlserver.replay import replay_scripts

        return replay_scripts(scripts)

    def rls_table(self, row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=row["policy_name"],
                        enabled=bool(row["enabled"]), forced=None,
                        schema=row["table_schema"])

    def rls_switch_sql(self, table: TableRls, on: bool) -> str:
        from monozu.db.dialects.sqlserver.dialect import DIALECT

        policy = ".".join(DIALECT.quote(p) for p in (table.schema or "dbo",
                                                     table.policy or f"rls_{table.table}"))
        return f"ALTER SECURITY POLICY {policy} WITH (STATE = {'ON' if on else 'OFF'})"

    def platform_problem(self, row: Mapping[str, Any]) -> str | None:
        user = row["user_name"]
        if str(user).lower() == "dbo":
            return ("the platform connection enters the database as dbo (a server admin, "
                    "Entra admin or sysadmin login), and dbo can never be a member of "
                    f"{PLATFORM_ROLE}: with the policies on it sees no tenant rows. Log in "
                    f"as a contained user that is a member of {PLATFORM_ROLE} "
                    "(see docs/rls.md)")
        if not row["role_exists"]:
            return (f"the role {PLATFORM_ROLE} does not exist in this database: migrate it "
                    "to V14 or later first")
        if row["is_platform_member"] != 1:
            return (f"the platform connection's user {user!r} is not a member of "
                    f"{PLATFORM_ROLE}: with the policies on it sees no tenant rows "
                    f"(ALTER ROLE {PLATFORM_ROLE} ADD MEMBER [{user}])")
        return None


CATALOG = SQLServerCatalog()
