"""SQLite's catalog: the schema from PRAGMAs and the stored DDL, RLS as the application's.

PRAGMAs (``table_xinfo``, ``foreign_key_list``, ``index_list``, ``index_info``) give
columns, keys and indexes, but not what SQLite keeps only in the ``CREATE TABLE`` text it
stores: constraint names, CHECK expressions and column collations. That text is read with
the small tokenizer and item parser below, not with sqlglot, because SQLite stores the DDL
exactly as written and the parser must accept everything SQLite accepted; sqlglot (30.x)
does not: ``CREATE TABLE ... WITHOUT ROWID`` falls back to an opaque ``Command``, and two
named constraints on one column (``y TEXT CONSTRAINT u UNIQUE CONSTRAINT c CHECK (...)``)
raise a parse error. The parser here only needs the body's items split at top-level commas
and the few keywords that start a constraint; everything else it skips.

SQLite has no uuid, timestamp, bool, json or bounded string type, so the logical type is
read from the declared type together with the column's representation checks
(``typeof(x) = 'blob' AND length(x) = 16``, ``x GLOB '...+00:00'``, ``x IN (0, 1)``,
``json_valid(x)``, ``length(x) <= n``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from monozu.db import introspect as model
from monozu.db.dialects.catalog import Catalog
from monozu.db.rls import Enforcement, TableRls


@dataclass(slots=True)
class _ParsedTable:
    """What PRAGMAs do not tell: constraint names and check expressions."""

    checks: list[tuple[str | None, str, str | None]] = field(default_factory=list)
    collations: dict[str, str] = field(default_factory=dict)
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
    """model.Index range (open, close) of the parenthesised group starting at ``toks[i]``."""
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
        if word == "COLLATE" and column is not None and i + 1 < len(item):
            parsed.collations[column] = item[i + 1].ident.upper()
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
) -> tuple[model.LogicalType, int | None]:
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


def _sqlite_table(cur: sqlite3.Cursor, name: str, sql: str) -> model.Table:
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
        columns.append(model.Column(
            name=col, type=ltype, max_length=length,
            nullable=not notnull and col != alias,
            has_default=dflt is not None or col == alias,
            db_type=decl,
            default=dflt,
            collation=parsed.collations.get(col),
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
        fks.append(model.ForeignKey(fk_name, cols, ref, refcols))

    uniques: list[model.UniqueConstraint] = []
    indexes: list[model.Index] = []
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
            uniques.append(model.UniqueConstraint(parsed.unique_names.get(icols), icols))
        elif origin == "c":
            indexes.append(model.Index(iname, icols, bool(unique)))

    return model.make_table(
        name, columns,
        primary_key=model.PrimaryKey(parsed.pk_name, pk_cols) if pk_cols else None,
        foreign_keys=fks,
        unique_constraints=uniques,
        check_constraints=(model.CheckConstraint(n, expr) for n, expr, _c in parsed.checks),
        indexes=indexes,
    )


def read_schema(conn: sqlite3.Connection) -> model.Schema:
    cur = conn.cursor()
    cur.row_factory = None
    rows = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return model.Schema({name: _sqlite_table(cur, name, sql) for name, sql in rows})


class SQLiteCatalog(Catalog):
    """SQLite has no row-level security: the tenant tables are those with a tenant_id."""

    enforced_by: ClassVar[Enforcement] = "application"
    rls_status_sql: ClassVar[str] = (
        "SELECT m.name AS table_name FROM sqlite_master AS m\n"
        "WHERE m.type = 'table' AND EXISTS (\n"
        "    SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'tenant_id')\n"
        "ORDER BY m.name"
    )

    def read_schema(self, conn: Any) -> model.Schema:
        if not isinstance(conn, sqlite3.Connection):
            raise TypeError("reading a SQLite schema needs a sqlite3.Connection")
        return read_schema(conn)

    def expected_schema(self, conn: Any, scripts: Sequence[str]) -> model.Schema:
        """Run the scripts in a private in-memory database: the live file is not touched."""
        scratch = sqlite3.connect(":memory:", isolation_level=None)
        try:
            scratch.execute("PRAGMA foreign_keys = ON")
            for script in scripts:
                scratch.executescript(script)
            return read_schema(scratch)
        finally:
            scratch.close()

    def rls_table(self, row: Mapping[str, Any]) -> TableRls:
        return TableRls(table=row["table_name"], policy=None, enabled=False, forced=None,
                        enforced_by="application")


CATALOG = SQLiteCatalog()
