"""Read the logical schema of a live database.

``introspect(conn, kind)`` takes a raw DB-API connection of that database and returns a
:class:`Schema`: tables with their columns in order, primary key, foreign keys, unique
constraints, check constraints, indexes and, where the database has them, row-level-security
policies. The catalog queries and their parsing are each database's own (the ``catalog``
attribute of its dialect, :mod:`monozu.db.dialects.catalog`); this module holds the data
types they all return.

Column types are reported twice: ``db_type`` as the database declares it, and ``type`` as
one of the logical types every database of the project maps to (see ``docs/schema-notes.md``).
SQLite has no native uuid, timestamp, bool, json or bounded string, so there the logical type
is read from the declared type together with the column's representation checks
(``typeof(x) = 'blob' AND length(x) = 16``, ``x GLOB '...+00:00'``, ``x IN (0, 1)``,
``json_valid(x)``, ``length(x) <= n``).

Defaults and collations are reported as the database spells them (``default``,
``collation``: None for none or the database's default); as text they are compared only
between two schemas of the same database (``monozu db drift``).

Indexes that only back a primary key or unique constraint are reported as that constraint,
not again as an index. The Flyway history table is left out unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from monozu.db.config import Kind

LogicalType = Literal[
    "uuid", "string", "text", "timestamp", "bool", "float", "int", "bigint", "json", "other"
]

HISTORY_TABLE = "flyway_schema_history"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: LogicalType
    max_length: int | None
    nullable: bool
    has_default: bool
    db_type: str
    default: str | None = None
    collation: str | None = None


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


def introspect(conn: Any, kind: Kind, *, include_history: bool = False) -> Schema:
    """Read the schema of ``conn``, a raw connection to a database of ``kind``.

    SQLite's ``main``, PostgreSQL's current schema, SQL Server's ``dbo``.
    """
    from monozu.db.dialects import dialect_for

    try:
        catalog = dialect_for(kind).catalog
    except KeyError:
        raise ValueError(f"unknown database kind {kind!r}") from None
    schema = catalog.read_schema(conn)
    return schema if include_history else without_history(schema)


def without_history(schema: Schema, history_table: str = HISTORY_TABLE) -> Schema:
    return Schema({n: t for n, t in schema.tables.items() if n != history_table})


def make_table(name: str, columns: Iterable[Column], *, primary_key: PrimaryKey | None = None,
               foreign_keys: Iterable[ForeignKey] = (),
               unique_constraints: Iterable[UniqueConstraint] = (),
               check_constraints: Iterable[CheckConstraint] = (),
               indexes: Iterable[Index] = (), policies: Iterable[str] = (),
               rls_enabled: bool = False) -> Table:
    """A :class:`Table` with its constraints, indexes and policies in canonical order."""
    return Table(
        name=name,
        columns=tuple(columns),
        primary_key=primary_key,
        foreign_keys=_sorted_fks(foreign_keys),
        unique_constraints=_sorted_uniques(unique_constraints),
        check_constraints=_sorted_checks(check_constraints),
        indexes=_sorted_indexes(indexes),
        policies=tuple(sorted(policies)),
        rls_enabled=rls_enabled,
    )


def _sorted_fks(fks: Iterable[ForeignKey]) -> tuple[ForeignKey, ...]:
    return tuple(sorted(fks, key=lambda f: (f.name or "", f.columns)))


def _sorted_uniques(us: Iterable[UniqueConstraint]) -> tuple[UniqueConstraint, ...]:
    return tuple(sorted(us, key=lambda u: (u.name or "", u.columns)))


def _sorted_checks(cs: Iterable[CheckConstraint]) -> tuple[CheckConstraint, ...]:
    return tuple(sorted(cs, key=lambda c: (c.name or "", c.expression)))


def _sorted_indexes(ix: Iterable[Index]) -> tuple[Index, ...]:
    return tuple(sorted(ix, key=lambda i: i.name))
