"""A Mermaid ``erDiagram`` of a live schema, read through :mod:`monozu.db.introspect`.

Every table becomes an entity listing its columns with their logical type (the same on
every database; ``string`` covers bounded and unbounded text) and ``PK`` / ``FK`` / ``UK``
markers. Every foreign key becomes a relation from the referenced table to the
referencing one, labelled with its columns and drawn with:

* ``||`` on the parent side when the key columns are NOT NULL (a parent is required),
  ``|o`` when one of them may be NULL;
* ``o|`` on the child side when the key columns contain a primary or unique key of the
  child (at most one child per parent), ``o{`` otherwise.

Composite references between tenant tables (``(tenant_id, site_id)`` to
``sites (tenant_id, id)``) are labelled without the ``tenant_id`` they all carry.

Names are the database's own, so any text may reach the diagram: a table, column or
label that is not a plain word (letters, digits, ``_``) is quoted (``"..."`` for tables
and labels, backquotes for columns), as is a word Mermaid reads as syntax (``end``,
``style``, ``PK``...), and inside the quotes every character other than a letter, a digit,
``_``, ``-`` or ``.`` is written as Mermaid's entity code (``#34;`` for ``"``). A name
cannot end its quotes, start a line of its own, or carry a control character into the
diagram or a terminal.

``core=True`` keeps the 13 tables of the documented core ERD, with its documented columns
plus their key columns, and the relations among them. Output is deterministic: entities
and relations sorted by name, columns in table order.

``python -m monozu.db.erd --write docs/schema.md`` regenerates the schema document from a
freshly migrated SQLite database (``--check`` compares instead of writing).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from monozu.db.database import Database
from monozu.db.introspect import Column, ForeignKey, Schema, Table, introspect

# The documented core ERD: its 13 tables and, per table, the columns it draws.
CORE_TABLES: dict[str, tuple[str, ...]] = {
    "tenants": ("id", "name", "status", "created_at"),
    "users": ("id", "tenant_id", "email", "password_hash", "mfa_enabled", "created_at"),
    "groups": ("id", "tenant_id", "name"),
    "user_groups": ("user_id", "group_id"),
    "assets": ("id", "tenant_id", "name", "type", "site_id", "created_at"),
    "sites": ("id", "tenant_id", "name"),
    "incidents": ("id", "tenant_id", "title", "status", "severity", "sla_response_due",
                  "sla_resolve_due", "created_at"),
    "problems": ("id", "tenant_id", "title", "status", "root_cause"),
    "changes": ("id", "tenant_id", "title", "status", "type", "risk"),
    "vulnerabilities": ("id", "tenant_id", "cve_id", "cvss_score", "status", "asset_id"),
    "audit_logs": ("id", "tenant_id", "user_id", "action", "resource_type", "resource_id",
                   "created_at"),
    "tenant_licenses": ("tenant_id", "plan", "expires_at"),
    "tenant_features": ("tenant_id", "feature", "enabled"),
}

_TYPE_NAMES = {"text": "string"}  # the documented ERD's vocabulary: no separate unbounded text type
TENANT_COLUMN = "tenant_id"
# A name Mermaid reads as one word, as it is.
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words the erDiagram lexer takes for syntax (in any case) outside an entity's block...
_ENTITY_WORDS = frozenset({
    "erdiagram", "style", "classdef", "class", "subgraph", "end", "one", "only", "zero",
    "many", "more", "to", "optionally", "u", "acctitle", "accdescr", "direction"})
# ... and inside it, where these are key markers.
_ATTRIBUTE_WORDS = frozenset({"pk", "fk", "uk"})
REGENERATE = ".venv/bin/python -m monozu.db.erd --write docs/schema.md"


def read_schema(db: Database) -> Schema:
    """The live schema of ``db``, read through its dialect's catalog."""
    with db._lease(translate=True) as lease:
        conn = lease.conn
        return introspect(conn, db.dialect.kind)


def diagram(db: Database, *, core: bool = False) -> str:
    """The Mermaid ``erDiagram`` of the live schema of ``db``."""
    return render(read_schema(db), core=core)


def render(schema: Schema, *, core: bool = False) -> str:
    """The Mermaid ``erDiagram`` of ``schema`` (text ending in a newline)."""
    names = sorted(n for n in schema.tables if not core or n in CORE_TABLES)
    tables = [schema.tables[n] for n in names]
    shown = set(names)
    lines = ["erDiagram"]
    for table in tables:
        fks = [fk for fk in table.foreign_keys if fk.ref_table in shown]
        fk_columns = {c for fk in fks for c in fk.columns}
        pk_columns = set(table.primary_key.columns) if table.primary_key else set()
        unique_columns = {u.columns[0] for u in table.unique_constraints if len(u.columns) == 1}
        keep = set(CORE_TABLES[table.name]) | pk_columns | fk_columns if core else None
        lines.append(f"    {_entity(table.name)} {{")
        for column in table.columns:
            if keep is not None and column.name not in keep:
                continue
            keys = [k for k, present in (("PK", column.name in pk_columns),
                                         ("FK", column.name in fk_columns),
                                         ("UK", column.name in unique_columns)) if present]
            lines.append("        " + _attribute(column, keys, comment=not core))
        lines.append("    }")
    relations = sorted(
        _relation(table, fk) for table in tables for fk in table.foreign_keys
        if fk.ref_table in shown
    )
    lines.extend("    " + r for r in relations)
    return "\n".join(lines) + "\n"


def _attribute(column: Column, keys: Sequence[str], *, comment: bool) -> str:
    parts = [_TYPE_NAMES.get(column.type, column.type), _attribute_name(column.name)]
    if keys:
        parts.append(", ".join(keys))
    notes = []
    if comment and column.max_length is not None:
        notes.append(f"max {column.max_length}")
    if comment and column.nullable:
        notes.append("nullable")
    if notes:
        parts.append('"' + ", ".join(notes) + '"')
    return " ".join(parts)


def _relation(child: Table, fk: ForeignKey) -> str:
    nullable = any(child.column(c).nullable for c in fk.columns)
    parent_side = "|o" if nullable else "||"
    keys = [child.primary_key.columns] if child.primary_key else []
    keys.extend(u.columns for u in child.unique_constraints)
    at_most_one = any(set(k) <= set(fk.columns) for k in keys)
    child_side = "o|" if at_most_one else "o{"
    label_columns = [c for c in fk.columns if c != TENANT_COLUMN] or list(fk.columns)
    label = ", ".join(_escaped(c) for c in label_columns)
    return f'{_entity(fk.ref_table)} {parent_side}--{child_side} {_entity(child.name)} : "{label}"'


def _entity(name: str) -> str:
    """A table name as Mermaid reads it: bare when a plain word, else quoted."""
    if _BARE.fullmatch(name) and name.lower() not in _ENTITY_WORDS:
        return name
    return f'"{_escaped(name)}"'


def _attribute_name(name: str) -> str:
    """A column name as Mermaid reads it inside an entity: bare when a plain word, else
    in backquotes (double quotes there would make it a comment)."""
    if _BARE.fullmatch(name) and name.lower() not in _ATTRIBUTE_WORDS:
        return name
    return f"`{_escaped(name)}`"


def _escaped(name: str) -> str:
    """``name`` with every character but letters, digits, ``_``, ``-`` and ``.`` as a
    Mermaid entity code: quotes, backquotes, ``%`` and ``#`` would end or change the
    quoted text, line breaks and controls would start new lines or act on a terminal,
    and whitespace lets Mermaid read ``direction TB`` in a name as a statement."""
    return "".join(c if c.isalnum() or c in "_-." else f"#{ord(c)};" for c in name)


def document(schema: Schema) -> str:
    """The text of ``docs/schema.md``: an introduction, the core and the full diagram."""
    return f"""# Schema diagram

Generated from the live schema; do not edit by hand. Regenerate with

    {REGENERATE}

which migrates a fresh SQLite database with the packaged migrations and reads it back
(`tests/db/test_erd.py` fails when this file is out of date). The schema is the same on SQL
Server, PostgreSQL and SQLite (`docs/schema-notes.md`), and so is the diagram. To draw a
live database: `monozu db erd [--url URL] [--core] [--output FILE]`.

How to read it:

- Column types are the logical types: `uuid`, `string` (text; a bound shows as `max n`),
  `timestamp` (UTC), `bool`, `float`, `int`, `bigint`, `json`.
- `PK` primary key, `FK` part of a foreign key, `UK` unique on its own.
- One relation per foreign key, from the referenced table to the referencing one, labelled
  with its columns. References between tenant tables are composite (`tenant_id` plus the
  id); the label leaves out the `tenant_id` they all share.
- `||` the parent is required (NOT NULL key), `|o` optional; `o{{` any number of children,
  `o|` at most one (the key columns hold a key of the child).

## Core: the documented 13 core tables

The tables of the documented core ERD with its documented columns and their key columns. Where the
seed draws `tenants ||--|| tenant_licenses` and `users }}o--o{{ groups`, the schema has
"at most one licence per tenant" (`o|`) and the join table `user_groups`.

```mermaid
{render(schema, core=True)}```

## Full schema

Every table and column at the latest migration, without Flyway's history table.

```mermaid
{render(schema)}```
"""


def _migrated_sqlite_schema() -> Schema:
    from monozu.db.migrate import Migrator

    with tempfile.TemporaryDirectory(prefix="monozu-erd-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'schema.db'}"
        Migrator.from_url(url).migrate()
        with Database.open(url, pool_size=1) as db:
            return read_schema(db)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monozu.db.erd",
        description="Write or check docs/schema.md, the Mermaid diagrams of the schema.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="FILE", type=Path, help="write the document")
    action.add_argument("--check", metavar="FILE", type=Path,
                        help="exit 1 when FILE differs from the generated document")
    args = parser.parse_args(argv)
    text = document(_migrated_sqlite_schema())
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
        return 0
    path: Path = args.check
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != text:
        print(f"{path} is out of date: regenerate it with `{REGENERATE}`", file=sys.stderr)
        return 1
    print(f"{path} is up to date")
    return 0


__all__ = ["CORE_TABLES", "diagram", "document", "read_schema", "render"]


if __name__ == "__main__":
    sys.exit(main())
