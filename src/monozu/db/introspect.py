"""Read the logical schema of a live database.

``introspect(conn, kind)`` takes a raw DB-API connection (``sqlite3.Connection`` or
``psycopg.Connection``) and returns a :class:`Schema`: tables with their columns in order,
primary key, foreign keys, unique constraints, check constraints, indexes and, on
PostgreSQL, row-level-security policies.

Column types are reported twice: ``db_type`` as the database declares it, and ``type`` as
one of the logical types every database of the project maps to (see ``docs/schema-notes.md``).
SQLite has no native uuid, timestamp, bool, json or bounded string, so there the logical type
is read from the declared type together with the column's representation checks
(``typeof(x) = 'blob' AND length(x) = 16``, ``x GLOB '...+00:00'``, ``x IN (0, 1)``,
``json_valid(x)``, ``length(x) <= n``).

Indexes that only back a primary key or unique constraint are reported as that constraint,
not again as an index. The Flyway history table is left out unless asked for.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import psycopg

LogicalType = Literal[
    "uuid", "string", "text", "timestamp", "bool", "float", "int", "bigint", "json", "other"
]
Kind = Literal["sqlite", "postgresql"]

HISTORY_TABLE = "flyway_schema_history"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: LogicalType
    max_length: int | None
    nullable: bool
    has_default: bool
    db_type: str


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    name: str | None
    expression: str


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    check_constraints: tuple[CheckConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    policies: tuple[str, ...] = ()
    rls_enabled: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def key_prefixes(self) -> list[tuple[str, ...]]:
        """Column lists of the primary key, unique constraints and indexes, in that order."""
        keys: list[tuple[str, ...]] = []
        if self.primary_key is not None:
            keys.append(self.primary_key.columns)
        keys.extend(u.columns for u in self.unique_constraints)
        keys.extend(i.columns for i in self.indexes)
        return keys


@dataclass(frozen=True, slots=True)
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}") from None

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(sorted(self.tables))


def introspect(
    conn: sqlite3.Connection | psycopg.Connection[Any],
    kind: Kind,
    *,
    include_history: bool = False,
) -> Schema:
    """Read the schema of ``conn``: SQLite's ``main`` or PostgreSQL's current schema."""
    if kind == "sqlite":
        if not isinstance(conn, sqlite3.Connection):
            raise TypeError("kind 'sqlite' needs a sqlite3.Connection")
        schema = _sqlite_schema(conn)
    elif kind == "postgresql":
        if isinstance(conn, sqlite3.Connection):
            raise TypeError("kind 'postgresql' needs a psycopg.Connection")
        schema = _pg_schema(conn)
    else:
        raise ValueError(f"unknown database kind {kind!r}")
    if include_history:
        return schema
    return Schema({n: t for n, t in schema.tables.items() if n != HISTORY_TABLE})


def _sorted_fks(fks: Iterable[ForeignKey]) -> tuple[ForeignKey, ...]:
    return tuple(sorted(fks, key=lambda f: (f.name or "", f.columns)))


def _sorted_uniques(us: Iterable[UniqueConstraint]) -> tuple[UniqueConstraint, ...]:
    return tuple(sorted(us, key=lambda u: (u.name or "", u.columns)))


def _sorted_checks(cs: Iterable[CheckConstraint]) -> tuple[CheckConstraint, ...]:
    return tuple(sorted(cs, key=lambda c: (c.name or "", c.expression)))


def _sorted_indexes(ix: Iterable[Index]) -> tuple[Index, ...]:
    return tuple(sorted(ix, key=lambda i: i.name))


# --------------------------------------------------------------------------- SQLite


@dataclass(slots=True)
class _ParsedTable:
    """What PRAGMAs do not tell: constraint names and check expressions."""

    checks: list[tuple[str | None, str, str | None]] = field(default_factory=list)
    pk_name: str | None = None
    unique_names: dict[tuple[str, ...], str | None] = field(default_factory=dict)
    fk_names: dict[tuple[tuple[str, ...], str], str | None] = field(default_factory=dict)


_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^']|'')*')
    | (?P<qident>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<number>\d+(?:\.\d*)?)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_CONSTRAINT_START = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def ident(self) -> str:
        if self.kind == "qident":
            quote = self.text[0]
            inner = self.text[1:-1]
            return inner if quote == "[" else inner.replace(quote * 2, quote)
        return self.text


def _tokens(sql: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(sql):
        k = m.lastgroup or "punct"
        if k in ("ws", "comment"):
            continue
        out.append(_Tok(k, m.group(), m.start(), m.end()))
    return out


def _split_items(toks: list[_Tok]) -> list[list[_Tok]]:
    """Split the tokens of ``CREATE TABLE name ( ... )`` into the items of its body."""
    open_at = next(i for i, t in enumerate(toks) if t.text == "(")
    items: list[list[_Tok]] = [[]]
    depth = 0
    for t in toks[open_at + 1:]:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            if depth == 0:
                break
            depth -= 1
        elif t.text == "," and depth == 0:
            items.append([])
            continue
        items[-1].append(t)
    return [i for i in items if i]


def _paren_group(toks: list[_Tok], i: int) -> tuple[int, int]:
    """Index range (open, close) of the parenthesised group starting at ``toks[i]``."""
    if toks[i].text != "(":
        raise ValueError(f"expected '(' near {toks[i].text!r}")
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == "(":
            depth += 1
        elif toks[j].text == ")":
            depth -= 1
            if depth == 0:
                return i, j
    raise ValueError("unbalanced parentheses")


def _ident_list(toks: list[_Tok], i: int) -> tuple[tuple[str, ...], int]:
    a, b = _paren_group(toks, i)
    names = tuple(t.ident for t in toks[a + 1:b] if t.kind in ("word", "qident"))
    return names, b + 1


def _expr_text(sql: str, toks: list[_Tok], i: int) -> tuple[str, int]:
    a, b = _paren_group(toks, i)
    text = sql[toks[a].end:toks[b].start]
    return " ".join(text.split()), b + 1


def _parse_item(sql: str, item: list[_Tok], parsed: _ParsedTable) -> None:
    column: str | None = None
    i = 0
    if item[0].upper not in _CONSTRAINT_START:
        column = item[0].ident
        i = 1
    name: str | None = None
    while i < len(item):
        t = item[i]
        word = t.upper
        if word == "CONSTRAINT":
            name = item[i + 1].ident
            i += 2
            continue
        if word == "CHECK":
            expr, i = _expr_text(sql, item, i + 1)
            parsed.checks.append((name, expr, column))
            name = None
            continue
        if word == "PRIMARY":
            i += 2  # PRIMARY KEY
            if column is None:
                _cols, i = _ident_list(item, i)
            parsed.pk_name = name
            name = None
            continue
        if word == "UNIQUE":
            i += 1
            cols: tuple[str, ...]
            if column is None:
                cols, i = _ident_list(item, i)
            else:
                cols = (column,)
            parsed.unique_names[cols] = name
            name = None
            continue
        if word in ("FOREIGN", "REFERENCES"):
            if word == "FOREIGN":
                cols, i = _ident_list(item, i + 2)  # FOREIGN KEY (...)
            else:
                cols = (column,) if column else ()
            while item[i].upper != "REFERENCES":
                i += 1
            ref = item[i + 1].ident
            parsed.fk_names[(cols, ref)] = name
            i += 2
            name = None
            continue
        if word in ("NOT", "NULL", "DEFAULT", "COLLATE", "GENERATED", "AS"):
            name = None  # a name given to these constraints names nothing we report
        if t.text == "(":
            _a, b = _paren_group(item, i)
            i = b + 1
            continue
        i += 1


def _parse_create_table(sql: str) -> _ParsedTable:
    parsed = _ParsedTable()
    for item in _split_items(_tokens(sql)):
        _parse_item(sql, item, parsed)
    return parsed


def _ident_re(name: str) -> str:
    n = re.escape(name)
    return rf'(?:"{n}"|`{n}`|\[{n}\]|(?<![\w"`\]]){n}(?![\w"`]))'


def _sqlite_logical(
    name: str, declared: str, checks: Sequence[str], rowid_alias: bool
) -> tuple[LogicalType, int | None]:
    d = declared.upper()
    c = _ident_re(name)
    text = " ".join(checks)
    if rowid_alias:
        return "bigint", None
    if d == "BLOB":
        if re.search(rf"typeof\(\s*{c}\s*\)\s*=\s*'blob'", text, re.I) and re.search(
            rf"length\(\s*{c}\s*\)\s*=\s*16", text, re.I
        ):
            return "uuid", None
        return "other", None
    if d == "TEXT":
        if re.search(rf"\bjson_valid\(\s*{c}\s*\)", text, re.I):
            return "json", None
        if re.search(rf"{c}\s+GLOB\s+'[^']*T[^']*\+00:00'", text, re.I):
            return "timestamp", None
        m = re.search(rf"\blength\(\s*{c}\s*\)\s*<=\s*(\d+)", text, re.I)
        if m:
            return "string", int(m.group(1))
        return "text", None
    if d in ("INTEGER", "INT"):
        if re.search(rf"{c}\s+IN\s*\(\s*0\s*,\s*1\s*\)", text, re.I):
            return "bool", None
        return "int", None
    if d == "BIGINT":
        return "bigint", None
    if d in ("REAL", "FLOAT", "DOUBLE"):
        return "float", None
    return "other", None


def _sqlite_table(cur: sqlite3.Cursor, name: str, sql: str) -> Table:
    parsed = _parse_create_table(sql)
    without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", sql, re.I))
    info = cur.execute(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?) "
        "WHERE hidden = 0 ORDER BY cid",
        (name,),
    ).fetchall()
    pk_cols = tuple(r[0] for r in sorted((r for r in info if r[4]), key=lambda r: r[4]))
    alias = None
    if len(pk_cols) == 1 and not without_rowid:
        decl = next(r[1] for r in info if r[0] == pk_cols[0])
        if decl.upper() == "INTEGER":
            alias = pk_cols[0]

    columns = []
    for col, decl, notnull, dflt, _pk in info:
        own = [expr for _n, expr, _c in parsed.checks]
        ltype, length = _sqlite_logical(col, decl, own, col == alias)
        columns.append(Column(
            name=col, type=ltype, max_length=length,
            nullable=not notnull and col != alias,
            has_default=dflt is not None or col == alias,
            db_type=decl,
        ))

    fk_rows = cur.execute(
        "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) "
        "ORDER BY id, seq",
        (name,),
    ).fetchall()
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for r in fk_rows:
        grouped.setdefault(r[0], []).append(r)
    fks = []
    for rows in grouped.values():
        cols = tuple(r[3] for r in rows)
        ref = rows[0][2]
        refcols = tuple(r[4] for r in rows)
        if any(rc is None for rc in refcols):
            # REFERENCES t without columns means the parent's primary key
            refcols = tuple(
                r[0] for r in sorted(
                    (r for r in cur.execute(
                        "SELECT name, pk FROM pragma_table_info(?)", (ref,)) if r[1]),
                    key=lambda r: r[1])
            )
        fk_name = parsed.fk_names.get((cols, ref))
        if fk_name is None:
            for (pcols, pref), pname in parsed.fk_names.items():
                if pcols == cols and pref.lower() == ref.lower():
                    fk_name = pname
        fks.append(ForeignKey(fk_name, cols, ref, refcols))

    uniques: list[UniqueConstraint] = []
    indexes: list[Index] = []
    for _seq, iname, unique, origin, _partial in cur.execute(
        "SELECT seq, name, \"unique\", origin, partial FROM pragma_index_list(?)", (name,)
    ).fetchall():
        icols = tuple(
            r[0] if r[0] is not None else "<expr>"
            for r in cur.execute(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (iname,)
            ).fetchall()
        )
        if origin == "u":
            uniques.append(UniqueConstraint(parsed.unique_names.get(icols), icols))
        elif origin == "c":
            indexes.append(Index(iname, icols, bool(unique)))

    return Table(
        name=name,
        columns=tuple(columns),
        primary_key=PrimaryKey(parsed.pk_name, pk_cols) if pk_cols else None,
        foreign_keys=_sorted_fks(fks),
        unique_constraints=_sorted_uniques(uniques),
        check_constraints=_sorted_checks(
            CheckConstraint(n, expr) for n, expr, _c in parsed.checks
        ),
        indexes=_sorted_indexes(indexes),
    )


def _sqlite_schema(conn: sqlite3.Connection) -> Schema:
    cur = conn.cursor()
    cur.row_factory = None
    rows = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return Schema({name: _sqlite_table(cur, name, sql) for name, sql in rows})


# --------------------------------------------------------------------------- PostgreSQL

_PG_TYPES: dict[str, LogicalType] = {
    "uuid": "uuid", "text": "text", "timestamptz": "timestamp", "bool": "bool",
    "float8": "float", "float4": "float", "int4": "int", "int2": "int", "int8": "bigint",
    "jsonb": "json", "json": "json",
}

_PG_COLUMNS = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), t.typname,
       a.atttypmod, a.attnotnull, (a.atthasdef OR a.attidentity <> '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
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


def _pg_schema(conn: psycopg.Connection[Any]) -> Schema:
    from psycopg import pq
    from psycopg.rows import tuple_row

    idle_before = conn.info.transaction_status == pq.TransactionStatus.IDLE
    cur = conn.cursor(row_factory=tuple_row)
    try:
        tables = {r[0]: bool(r[1]) for r in cur.execute(_PG_TABLES).fetchall()}
        columns: dict[str, list[Column]] = {t: [] for t in tables}
        for rel, _attnum, att, fmt, typname, typmod, notnull, hasdef in cur.execute(
            _PG_COLUMNS
        ).fetchall():
            ltype: LogicalType = _PG_TYPES.get(typname, "other")
            length: int | None = None
            if typname == "varchar":
                if typmod > 4:
                    ltype, length = "string", typmod - 4
                else:
                    ltype = "text"
            columns[rel].append(Column(att, ltype, length, not notnull, bool(hasdef), fmt))

        pks: dict[str, PrimaryKey] = {}
        fks: dict[str, list[ForeignKey]] = {t: [] for t in tables}
        uniques: dict[str, list[UniqueConstraint]] = {t: [] for t in tables}
        checks: dict[str, list[CheckConstraint]] = {t: [] for t in tables}
        for rel, name, ctype, conkey, confkey, frel, cdef in cur.execute(
            _PG_CONSTRAINTS
        ).fetchall():
            cols = tuple(conkey)
            if ctype == "p":
                pks[rel] = PrimaryKey(name, cols)
            elif ctype == "u":
                uniques[rel].append(UniqueConstraint(name, cols))
            elif ctype == "f":
                fks[rel].append(ForeignKey(name, cols, frel, tuple(confkey)))
            else:
                expr = cdef[len("CHECK "):] if cdef.startswith("CHECK ") else cdef
                if expr.startswith("(") and expr.endswith(")"):
                    expr = expr[1:-1]
                checks[rel].append(CheckConstraint(name, expr))

        indexes: dict[str, list[Index]] = {t: [] for t in tables}
        for rel, iname, unique, keys in cur.execute(_PG_INDEXES).fetchall():
            indexes[rel].append(Index(iname, tuple(_unquote_pg(k) for k in keys), bool(unique)))

        policies: dict[str, list[str]] = {t: [] for t in tables}
        for rel, pname in cur.execute(_PG_POLICIES).fetchall():
            policies[rel].append(pname)
    finally:
        cur.close()
        if idle_before and not conn.autocommit:
            conn.rollback()

    return Schema({
        t: Table(
            name=t,
            columns=tuple(columns[t]),
            primary_key=pks.get(t),
            foreign_keys=_sorted_fks(fks[t]),
            unique_constraints=_sorted_uniques(uniques[t]),
            check_constraints=_sorted_checks(checks[t]),
            indexes=_sorted_indexes(indexes[t]),
            policies=tuple(sorted(policies[t])),
            rls_enabled=tables[t],
        )
        for t in sorted(tables)
    })
