"""The logical schema the SQL Server migrations build, read from the scripts with sqlglot.

The SQL Server folder is replayed on paper, without a server: every batch of every script
(in Flyway order; batches split at ``GO`` by the migrator's own splitter) is parsed with
sqlglot (``read="tsql"``) and its CREATE TABLE, CREATE INDEX, ALTER TABLE, DROP INDEX and
``EXEC sp_rename`` statements are applied to an in-memory schema, which comes out as the
same :class:`monozu.db.introspect.Schema` the live databases give. ``CREATE SECURITY
POLICY`` (which sqlglot does not parse) is read with a regular expression into the
table's policies.

The replay refuses what SQL Server would refuse and a grammar check cannot see: dropping a
column, or changing its collation with ``ALTER COLUMN``, while a default, check, key, index or
policy still uses it; a foreign key whose target is not a primary key or unique constraint,
or whose column types or collations differ; duplicate names;
renaming or dropping a column a security policy is bound to. Any statement it does not
understand is an error, never skipped.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp

from monozu.db.dialects.sqlserver.statements import RULES
from monozu.db.introspect import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LogicalType,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)
from monozu.db.migrate.splitter import split

# SQL Server's limits on index keys: a clustered key (the primary key, by default) at most
# 900 bytes, a nonclustered key (unique constraints, indexes) at most 1700 bytes.
CLUSTERED_KEY_BYTES, NONCLUSTERED_KEY_BYTES = 900, 1700
_FIXED_BYTES = {"UUID": 16, "UNIQUEIDENTIFIER": 16, "INT": 4, "INTEGER": 4, "BIGINT": 8, "BIT": 1,
                "FLOAT": 8, "DATETIME2": 8}


# T-SQL's reserved keywords: a column may only be named so when written [quoted].
_TSQL_RESERVED_WORDS = """
ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE
CASE CHECK CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT
CONTAINS CONTAINSTABLE CONTINUE CONVERT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME
CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT DELETE DENY
DESC DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE EXCEPT EXEC EXECUTE
EXISTS EXIT EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE FROM FULL
FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IDENTITY_INSERT IDENTITYCOL IF IN INDEX
INNER INSERT INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL NOCHECK
NONCLUSTERED NOT NULL NULLIF OF OFF OFFSETS ON OPEN OPENDATASOURCE OPENQUERY OPENROWSET
OPENXML OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN PRECISION PRIMARY PRINT PROC PROCEDURE
PUBLIC RAISERROR READ READTEXT RECONFIGURE REFERENCES REPLICATION RESTORE RESTRICT RETURN
REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL RULE SAVE SCHEMA SECURITYAUDIT SELECT
SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE SEMANTICSIMILARITYTABLE SESSION_USER SET
SETUSER SHUTDOWN SOME STATISTICS SYSTEM_USER TABLE TABLESAMPLE TEXTSIZE THEN TO TOP TRAN
TRANSACTION TRIGGER TRUNCATE TRY_CONVERT TSEQUAL UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE
USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH WRITETEXT
"""
TSQL_RESERVED = frozenset(_TSQL_RESERVED_WORDS.split())


class ReplayError(Exception):
    """The files do something SQL Server would refuse, or something the replay cannot read."""


_TYPES: dict[str, LogicalType] = {
    "UUID": "uuid", "UNIQUEIDENTIFIER": "uuid", "DATETIME2": "timestamp", "BIT": "bool",
    "FLOAT": "float", "DOUBLE": "float", "INT": "int", "SMALLINT": "int", "BIGINT": "bigint",
}


@dataclass
class _Col:
    name: str
    type: LogicalType
    length: int | None
    nullable: bool
    default: str | None  # name of the default constraint
    identity: bool
    db_type: str
    collation: str | None = None  # as written in COLLATE; None: the database's default
    default_sql: str | None = None  # the default's expression


@dataclass
class _Check:
    name: str
    expression: str
    columns: set[str]


@dataclass
class _Table:
    name: str
    columns: list[_Col] = field(default_factory=list)
    pk: PrimaryKey | None = None
    fks: list[ForeignKey] = field(default_factory=list)
    uniques: list[UniqueConstraint] = field(default_factory=list)
    checks: list[_Check] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    policies: dict[str, bool] = field(default_factory=dict)  # name -> state ON

    def col(self, name: str) -> _Col:
        for c in self.columns:
            if c.name.lower() == name.lower():
                return c
        raise ReplayError(f"{self.name}: no column {name!r}")


_POLICY = re.compile(
    r"^\s*CREATE\s+SECURITY\s+POLICY\s+(?:\[?dbo\]?\.)?\[?(?P<name>\w+)\]?\s+(?P<body>.*?)"
    r"(?:WITH\s*\(\s*STATE\s*=\s*(?P<state>ON|OFF)\s*\))?\s*;?\s*$",
    re.I | re.S,
)
_POLICY_START = re.compile(r"\s*CREATE\s+SECURITY\s+POLICY\b", re.I)
_ADD_DEFAULT = re.compile(
    r"ALTER\s+TABLE\s+\[?(?P<schema>\w+)\]?\.\[?(?P<table>\w+)\]?\s+ADD\s+CONSTRAINT\s+"
    r"\[?(?P<name>\w+)\]?\s+DEFAULT\s+(?P<expr>.+?)\s+FOR\s+\[?(?P<column>\w+)\]?",
    re.I | re.S,
)


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


_PREDICATE = re.compile(
    r"ADD\s+(?P<kind>FILTER|BLOCK)\s+PREDICATE\s+(?:\[?dbo\]?\.)?\[?(?P<fn>\w+)\]?"
    r"\s*\(\s*\[?(?P<col>\w+)\]?\s*\)\s+ON\s+(?:\[?dbo\]?\.)?\[?(?P<table>\w+)\]?",
    re.I,
)


@dataclass
class Replay:
    tables: dict[str, _Table] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    policy_columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    policy_kinds: dict[str, set[str]] = field(default_factory=dict)
    constraint_names: set[str] = field(default_factory=set)

    # ------------------------------------------------------------------ helpers
    def table(self, t: exp.Table) -> _Table:
        name = t.name
        if t.db and t.db.lower() != "dbo":
            raise ReplayError(f"unexpected schema {t.db!r} for {name}")
        if not t.db:
            raise ReplayError(f"{name}: table name not schema-qualified")
        try:
            return self.tables[name]
        except KeyError:
            raise ReplayError(f"no table {name!r}") from None

    def claim(self, name: str) -> None:
        """Constraint names are schema-scoped objects on SQL Server: no two alike."""
        if name.lower() in self.constraint_names:
            raise ReplayError(f"duplicate constraint name {name!r}")
        self.constraint_names.add(name.lower())

    def release(self, name: str) -> None:
        self.constraint_names.discard(name.lower())

    # ------------------------------------------------------------------ columns
    def add_column(self, t: _Table, cd: exp.ColumnDef) -> _Col:
        if any(c.name.lower() == cd.name.lower() for c in t.columns):
            raise ReplayError(f"{t.name}: duplicate column {cd.name}")
        col, checks = self.column(t, cd)
        t.columns.append(col)
        for name, expr in checks:
            self.add_check(t, name, expr)
        return col

    def column(self, t: _Table, cd: exp.ColumnDef) -> tuple[_Col, list[tuple[str, exp.Expression]]]:
        dt = cd.args["kind"]
        assert isinstance(dt, exp.DataType)
        tname = dt.this.name
        params = [p.this for p in dt.expressions]
        length: int | None = None
        ltype: LogicalType
        if tname == "NVARCHAR":
            if params and isinstance(params[0], exp.Var) and params[0].name.upper() == "MAX":
                ltype = "text"
            elif params:
                ltype, length = "string", int(params[0].name)
            else:
                raise ReplayError(f"{t.name}.{cd.name}: NVARCHAR without a length")
        elif tname in _TYPES:
            ltype = _TYPES[tname]
        else:
            raise ReplayError(f"{t.name}.{cd.name}: unexpected type {dt.sql('tsql')}")
        if cd.name.upper() in TSQL_RESERVED and not cd.this.args.get("quoted"):
            raise ReplayError(f"{t.name}.{cd.name}: reserved word, write it [{cd.name}]")
        # As the server's catalog spells it (sqlglot writes INT as INTEGER).
        db_type = dt.sql("tsql").replace("INTEGER", "INT")
        col = _Col(cd.name, ltype, length, True, None, False, db_type)
        checks: list[tuple[str, exp.Expression]] = []
        seen_null = False
        for cc in cd.args.get("constraints") or []:
            kind = cc.args.get("kind")
            cname = cc.name or None
            if isinstance(kind, exp.NotNullColumnConstraint):
                col.nullable = bool(kind.args.get("allow_null"))
                seen_null = True
            elif isinstance(kind, exp.DefaultColumnConstraint):
                if not cname:
                    raise ReplayError(f"{t.name}.{cd.name}: unnamed default")
                self.claim(cname)
                col.default = cname
                col.default_sql = kind.this.sql("tsql")
            elif isinstance(kind, exp.CollateColumnConstraint):
                col.collation = kind.this.name
            elif isinstance(kind, exp.CheckColumnConstraint):
                if not cname:
                    raise ReplayError(f"{t.name}.{cd.name}: unnamed check")
                checks.append((cname, kind.this))
            elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                col.identity = True
            else:
                raise ReplayError(f"{t.name}.{cd.name}: unexpected {cc.sql('tsql')}")
        if not seen_null:
            raise ReplayError(f"{t.name}.{cd.name}: say NULL or NOT NULL explicitly")
        return col, checks

    def check_key(self, t: _Table, what: str, cols: tuple[str, ...], limit: int) -> None:
        size = 0
        for name in cols:
            col = t.col(name)
            if col.type in ("text", "json"):
                raise ReplayError(f"{what}: NVARCHAR(MAX) cannot be an index key")
            if col.length is not None:
                size += 2 * col.length
            else:
                size += _FIXED_BYTES[col.db_type.split("(")[0].upper()]
        if size > limit:
            raise ReplayError(f"{what}: key of {size} bytes exceeds {limit}")

    def add_check(self, t: _Table, name: str, expr: exp.Expression) -> None:
        self.claim(name)
        cols = {c.name.lower() for c in expr.find_all(exp.Column)}
        for c in cols:
            t.col(c)
        t.checks.append(_Check(name, expr.sql("tsql"), cols))

    def add_constraint(self, t: _Table, con: exp.Constraint) -> None:
        name = con.name
        if not name:
            raise ReplayError(f"{t.name}: unnamed constraint")
        (body,) = con.expressions
        if isinstance(body, exp.PrimaryKey):
            cols = tuple(t.col(o.this.name).name for o in body.expressions)
            if t.pk is not None:
                raise ReplayError(f"{t.name}: second primary key")
            self.check_key(t, name, cols, CLUSTERED_KEY_BYTES)
            self.claim(name)
            t.pk = PrimaryKey(name, cols)
        elif isinstance(body, exp.UniqueColumnConstraint):
            cols = tuple(t.col(i.name).name for i in body.this.expressions)
            self.check_key(t, name, cols, NONCLUSTERED_KEY_BYTES)
            self.claim(name)
            t.uniques.append(UniqueConstraint(name, cols))
        elif isinstance(body, exp.ForeignKey):
            cols = tuple(t.col(i.name).name for i in body.expressions)
            ref = body.args["reference"].this
            parent = self.tables.get(ref.this.name)
            if parent is None:
                raise ReplayError(f"{name}: no table {ref.this.name!r}")
            refcols = tuple(parent.col(i.name).name for i in ref.expressions)
            keys = [parent.pk.columns] if parent.pk else []
            keys += [u.columns for u in parent.uniques]
            if refcols not in keys:
                raise ReplayError(f"{name}: {parent.name}{refcols} is not a key")
            for a, b in zip(cols, refcols, strict=True):
                if t.col(a).type != parent.col(b).type:
                    raise ReplayError(f"{name}: {a} and {parent.name}.{b} differ in type")
                if (t.col(a).collation or "").lower() != (parent.col(b).collation or "").lower():
                    # the server refuses it (error 1757)
                    raise ReplayError(f"{name}: {a} and {parent.name}.{b} differ in collation")
            self.claim(name)
            t.fks.append(ForeignKey(name, cols, parent.name, refcols))
        elif isinstance(body, exp.CheckColumnConstraint):
            self.add_check(t, name, body.this)
        else:
            raise ReplayError(f"{t.name}: unexpected constraint {con.sql('tsql')}")

    # ------------------------------------------------------------------ statements
    def create_table(self, create: exp.Create) -> None:
        schema = create.this
        assert isinstance(schema, exp.Schema)
        tref = schema.this
        if not tref.db:
            raise ReplayError(f"{tref.name}: table name not schema-qualified")
        if tref.name in self.tables:
            raise ReplayError(f"table {tref.name!r} exists")
        t = _Table(tref.name)
        self.tables[t.name] = t
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                self.add_column(t, item)
        for item in schema.expressions:
            if isinstance(item, exp.Constraint):
                self.add_constraint(t, item)
            elif not isinstance(item, exp.ColumnDef):
                raise ReplayError(f"{t.name}: unexpected {item.sql('tsql')}")

    def create_index(self, create: exp.Create) -> None:
        idx = create.this
        assert isinstance(idx, exp.Index)
        t = self.table(idx.args["table"])
        cols = tuple(t.col(o.this.name).name for o in idx.args["params"].args["columns"])
        if any(i.name.lower() == idx.name.lower() for i in t.indexes):
            raise ReplayError(f"{t.name}: duplicate index {idx.name}")
        self.check_key(t, idx.name, cols, NONCLUSTERED_KEY_BYTES)
        t.indexes.append(Index(idx.name, cols, bool(create.args.get("unique"))))

    def alter(self, alter: exp.Alter) -> None:
        t = self.table(alter.this)
        for action in alter.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef):
                col = self.add_column(t, action)
                if not col.nullable and col.default is None and not col.identity:
                    raise ReplayError(f"{t.name}.{col.name}: NOT NULL column added "
                                      "without a default")
            elif isinstance(action, exp.AlterColumn):
                self.alter_column(t, action)
            elif isinstance(action, exp.AddConstraint):
                for con in action.expressions:
                    self.add_constraint(t, con)
            elif isinstance(action, exp.Drop):
                kind = (action.args.get("kind") or "").upper()
                (target,) = action.args["tables"]
                if kind == "CONSTRAINT":
                    self.drop_constraint(t, target.name)
                elif kind == "COLUMN":
                    self.drop_column(t, target.name)
                else:
                    raise ReplayError(f"unexpected ALTER ... DROP {kind}")
            else:
                raise ReplayError(f"unexpected ALTER TABLE action {action.sql('tsql')}")

    def drop_constraint(self, t: _Table, name: str) -> None:
        low = name.lower()
        for c in t.columns:
            if c.default and c.default.lower() == low:
                c.default = c.default_sql = None
                break
        else:
            if t.pk and (t.pk.name or "").lower() == low:
                if any(f.ref_table == t.name for tt in self.tables.values() for f in tt.fks):
                    raise ReplayError(f"{name}: referenced by a foreign key")
                t.pk = None
            elif any((u.name or "").lower() == low for u in t.uniques):
                t.uniques = [u for u in t.uniques if (u.name or "").lower() != low]
            elif any((f.name or "").lower() == low for f in t.fks):
                t.fks = [f for f in t.fks if (f.name or "").lower() != low]
            elif any(c.name.lower() == low for c in t.checks):
                t.checks = [c for c in t.checks if c.name.lower() != low]
            else:
                raise ReplayError(f"{t.name}: no constraint {name!r}")
        self.release(name)

    def bound_columns(self, t: _Table) -> set[str]:
        return {col.lower() for pol, (table, col) in self.policy_columns.items()
                if table == t.name and pol in t.policies}

    def alter_column(self, t: _Table, action: exp.AlterColumn) -> None:
        """``ALTER COLUMN c <type> [COLLATE x] NULL|NOT NULL``: same type, new collation or
        nullability. Refused, as the server does, while anything depends on the column."""
        col = t.col(action.name)
        dtype = action.args.get("dtype")
        if not isinstance(dtype, exp.DataType):
            raise ReplayError(f"{t.name}.{col.name}: ALTER COLUMN without a type")
        if dtype.sql("tsql").replace("INTEGER", "INT") != col.db_type:
            raise ReplayError(f"{t.name}.{col.name}: ALTER COLUMN changes the type "
                              f"{col.db_type} (not supported by the replay)")
        if action.args.get("allow_null") is None:
            raise ReplayError(f"{t.name}.{col.name}: say NULL or NOT NULL explicitly "
                              "(ALTER COLUMN otherwise makes the column nullable)")
        users = self.column_users(t, col)
        if users:
            raise ReplayError(f"cannot alter {t.name}.{col.name}: used by {', '.join(users)}")
        collate = action.args.get("collate")
        col.collation = collate.name if collate is not None else None
        col.nullable = bool(action.args.get("allow_null"))

    def add_default(self, table: str, name: str, expression: str, column: str) -> None:
        t = self.tables.get(table)
        if t is None:
            raise ReplayError(f"default {name}: no table {table!r}")
        col = t.col(column)
        if col.default is not None:
            raise ReplayError(f"{t.name}.{col.name} already has the default {col.default}")
        self.claim(name)
        col.default, col.default_sql = name, expression

    def column_users(self, t: _Table, col: _Col) -> list[str]:
        """What keeps the server from dropping or altering ``col`` (error 5074)."""
        low = col.name.lower()
        users: list[str] = []
        if col.default:
            users.append(col.default)
        users += [c.name for c in t.checks if low in c.columns]
        if t.pk and low in {c.lower() for c in t.pk.columns}:
            users.append(t.pk.name or "primary key")
        users += [u.name or "" for u in t.uniques if low in {c.lower() for c in u.columns}]
        users += [f.name or "" for f in t.fks if low in {c.lower() for c in f.columns}]
        users += [i.name for i in t.indexes if low in {c.lower() for c in i.columns}]
        if low in self.bound_columns(t):
            users.append("a schema-bound security policy")
        for other in self.tables.values():
            users += [f.name or "" for f in other.fks
                      if f.ref_table == t.name and low in {c.lower() for c in f.ref_columns}]
        return users

    def drop_column(self, t: _Table, name: str) -> None:
        col = t.col(name)
        users = self.column_users(t, col)
        if users:
            raise ReplayError(f"cannot drop {t.name}.{col.name}: used by {', '.join(users)}")
        t.columns.remove(col)

    def drop_index(self, drop: exp.Drop) -> None:
        (target,) = drop.args["tables"]
        on = drop.args.get("cluster")
        if not isinstance(on, exp.OnProperty):
            raise ReplayError(f"DROP INDEX {target.name} without ON <table>")
        t = self.table(on.this)
        if not any(i.name.lower() == target.name.lower() for i in t.indexes):
            raise ReplayError(f"{t.name}: no index {target.name!r}")
        t.indexes = [i for i in t.indexes if i.name.lower() != target.name.lower()]

    def execute(self, ex: exp.Execute) -> None:
        if ex.this.name.lower() != "sp_rename":
            raise ReplayError(f"unexpected EXEC {ex.this.name}")
        args = [a.name for a in ex.expressions]
        if len(args) != 3:
            raise ReplayError(f"sp_rename needs object, new name and type: {args}")
        obj, new, objtype = args
        parts = obj.split(".")
        if objtype.upper() == "COLUMN":
            schema_name, table, column = parts
            t = self.tables[table]
            col = t.col(column)
            if col.name.lower() in self.bound_columns(t):
                raise ReplayError(f"{table}.{column} is bound to a security policy")
            if any(c.name.lower() == new.lower() for c in t.columns):
                raise ReplayError(f"{table} already has a column {new}")
            old = col.name

            def ren(cols: tuple[str, ...]) -> tuple[str, ...]:
                return tuple(new if c.lower() == old.lower() else c for c in cols)

            col.name = new
            if t.pk:
                t.pk = replace(t.pk, columns=ren(t.pk.columns))
            t.uniques = [replace(u, columns=ren(u.columns)) for u in t.uniques]
            t.fks = [replace(f, columns=ren(f.columns)) for f in t.fks]
            t.indexes = [replace(i, columns=ren(i.columns)) for i in t.indexes]
            for other in self.tables.values():
                other.fks = [replace(f, ref_columns=ren(f.ref_columns))
                             if f.ref_table == table else f for f in other.fks]
            for c in t.checks:
                if old.lower() in c.columns:
                    raise ReplayError(f"renaming {old}: check {c.name} uses it")
        elif objtype.upper() == "INDEX":
            schema_name, table, index = parts
            t = self.tables[table]
            if not any(i.name.lower() == index.lower() for i in t.indexes):
                raise ReplayError(f"{table}: no index {index!r}")
            t.indexes = [replace(i, name=new) if i.name.lower() == index.lower() else i
                         for i in t.indexes]
        else:
            raise ReplayError(f"unexpected sp_rename type {objtype!r}")
        if schema_name.lower() != "dbo":
            raise ReplayError(f"unexpected schema in {obj!r}")

    def create_function(self, create: exp.Create) -> None:
        fn = create.this
        assert isinstance(fn, exp.UserDefinedFunction)
        self.functions.add(fn.this.name.lower())

    def security_policy(self, sql: str) -> None:
        m = _POLICY.match(sql)
        if not m:
            raise ReplayError(f"cannot read security policy: {sql[:80]!r}")
        preds = list(_PREDICATE.finditer(m.group("body")))
        if not preds:
            raise ReplayError(f"policy {m.group('name')} has no predicate")
        tables = {p.group("table") for p in preds}
        cols = {p.group("col") for p in preds}
        if len(tables) != 1 or len(cols) != 1:
            raise ReplayError(f"policy {m.group('name')} must cover one table and column")
        (table,), (col,) = tables, cols
        t = self.tables.get(table)
        if t is None:
            raise ReplayError(f"policy {m.group('name')}: no table {table!r}")
        t.col(col)
        for p in preds:
            if p.group("fn").lower() not in self.functions:
                raise ReplayError(f"policy {m.group('name')}: no function {p.group('fn')}")
        name = m.group("name")
        self.claim(name)
        t.policies[name] = (m.group("state") or "ON").upper() == "ON"
        self.policy_columns[name] = (t.name, col)
        self.policy_kinds[name] = {p.group("kind").upper() for p in preds}

    def statement(self, stmt: exp.Expr) -> None:
        if isinstance(stmt, exp.Create):
            kind = (stmt.args.get("kind") or "").upper()
            if kind == "TABLE":
                self.create_table(stmt)
            elif kind == "INDEX":
                self.create_index(stmt)
            elif kind == "FUNCTION":
                self.create_function(stmt)
            else:
                raise ReplayError(f"unexpected CREATE {kind}")
        elif isinstance(stmt, exp.Alter):
            self.alter(stmt)
        elif isinstance(stmt, exp.Drop) and (stmt.args.get("kind") or "").upper() == "INDEX":
            self.drop_index(stmt)
        elif isinstance(stmt, exp.Execute):
            self.execute(stmt)
        elif isinstance(stmt, exp.Command) and (
                m := _ADD_DEFAULT.fullmatch(stmt.sql("tsql").strip())) is not None:
            # sqlglot has no grammar for ADD CONSTRAINT ... DEFAULT ... FOR (a bare Command)
            if m["schema"].lower() != "dbo":
                raise ReplayError(f"unexpected schema {m['schema']!r} for {m['table']}")
            self.add_default(m["table"], m["name"], m["expr"].strip(), m["column"])
        else:
            raise ReplayError(f"unexpected statement: {stmt.sql('tsql')[:120]}")

    def schema(self) -> Schema:
        out: dict[str, Table] = {}
        for name in sorted(self.tables):
            t = self.tables[name]
            out[name] = Table(
                name=name,
                columns=tuple(self.logical_column(t, c) for c in t.columns),
                primary_key=t.pk,
                foreign_keys=tuple(sorted(t.fks, key=lambda f: (f.name or "", f.columns))),
                unique_constraints=tuple(sorted(t.uniques, key=lambda u: (u.name or "",
                                                                          u.columns))),
                check_constraints=tuple(sorted(
                    (CheckConstraint(c.name, c.expression) for c in t.checks),
                    key=lambda c: (c.name or "", c.expression))),
                indexes=tuple(sorted(t.indexes, key=lambda i: i.name)),
                policies=tuple(sorted(t.policies)),
                rls_enabled=any(t.policies.values()),
            )
        return Schema(out)

    @staticmethod
    def logical_column(t: _Table, c: _Col) -> Column:
        ltype = c.type
        if ltype == "text" and any(
            re.fullmatch(rf"ISJSON\(\[?{re.escape(c.name)}\]?\) = 1", ck.expression, re.I)
            for ck in t.checks
        ):
            ltype = "json"
        return Column(c.name, ltype, c.length, c.nullable,
                      c.default is not None or c.identity, c.db_type,
                      default=c.default_sql, collation=c.collation)


_ROLE = re.compile(
    r"IF\s+DATABASE_PRINCIPAL_ID\(N'(\w+)'\)\s+IS\s+NULL\s+CREATE\s+ROLE\s+\[?\1\]?\s*;?", re.I)


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for each statement it keeps as a bare Command; the replay
    reads those itself or refuses them, so the warning is noise."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def replay_named(scripts: Sequence[tuple[str, str]]) -> Replay:
    """Apply ``(name, text)`` scripts (already in Flyway order) to an empty schema.

    ``name`` only labels errors.
    """
    r = Replay()
    for name, text in scripts:
        for stmt_batch in split(RULES, text).statements:
            batch = stmt_batch.sql
            if _ROLE.fullmatch(_strip_comments(batch).strip()):
                continue  # a database role: a security principal, not part of the schema
            if _POLICY_START.match(_strip_comments(batch)):
                # sqlglot has no grammar for it (it would fall back to a bare Command)
                try:
                    r.security_policy(_strip_comments(batch))
                except ReplayError as exc:
                    raise ReplayError(f"{name}: {exc}") from exc
                continue
            try:
                with _quiet_sqlglot():
                    statements = sqlglot.parse(batch, read="tsql")
            except sqlglot.errors.ParseError as exc:
                raise ReplayError(f"{name}: sqlglot cannot parse a batch: {exc}") from exc
            for stmt in statements:
                if stmt is None:
                    continue
                try:
                    r.statement(stmt)
                except ReplayError as exc:
                    raise ReplayError(f"{name}: {exc}") from exc
    return r


def replay_scripts(scripts: Sequence[str]) -> Schema:
    """The schema ``scripts`` build, in order, on an empty ``dbo``."""
    return replay_named([(f"script {n}", text) for n, text in enumerate(scripts, 1)]).schema()
