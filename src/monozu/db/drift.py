"""``monozu db drift``: how the live schema differs from what its migrations say it is.

The expected schema is the migration folder replayed up to what the history table says
was applied: every versioned migration recorded as successful (or at or below a baseline
row) is taken, in version order, and handed to the dialect's catalog, which builds the
schema without touching the live tables (:meth:`~monozu.db.dialects.catalog.Catalog.
expected_schema`):

* SQLite runs the scripts in a private ``:memory:`` database;
* PostgreSQL runs them in a scratch schema inside a transaction that is rolled back
  (its DDL is transactional, so nothing remains; the connection needs ``CREATE`` on the
  database);
* SQL Server replays them on paper (the scripts name ``dbo``, so they cannot be sent
  elsewhere, and an Azure SQL login cannot be assumed to create a database).

Replaying the real scripts, rather than keeping a schema description next to them, means
the comparison can never disagree with what ``migrate`` itself would build. Both schemas
are then read by the same catalog code, so they compare like for like: tables, columns
(type, length, nullability, default, collation), indexes, primary, unique, foreign and
check constraints, and RLS policies. Where the server rewrites expressions (SQL Server),
defaults and checks are compared by presence and name only.

Row-level security is switched by operators, not by migrations (policies are created
off), so its state is compared with the database's own overall state: a tenant table whose
policy is off while the others are on (or the reverse) is drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monozu.db.config import Kind
from monozu.db.errors import MonozuError
from monozu.db.introspect import (
    HISTORY_TABLE,
    Column,
    Schema,
    Table,
    without_history,
)

if TYPE_CHECKING:
    from monozu.db.database import Database
    from monozu.db.migrate.resolve import ResolvedMigration

Thing = Literal["table", "column", "index", "primary key", "unique", "foreign key", "check",
                "policy", "row-level security"]
Change = Literal["missing", "unexpected", "changed"]

_VERB = {"missing": "is missing (the migrations create it)",
         "unexpected": "is not in the migrations",
         "changed": "differs from the migrations"}


class DriftError(MonozuError):
    """The expected schema cannot be built (no history, unreadable migrations)."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the live schema differs from the expected one."""

    table: str
    thing: Thing
    name: str | None
    change: Change
    expected: str | None = None
    found: str | None = None

    def line(self) -> str:
        what = self.thing if self.name is None else f"{self.thing} {self.name}"
        text = f"{self.table}: {what} {_VERB[self.change]}"
        if self.change == "changed":
            return f"{text}: expected {self.expected}, found {self.found}"
        detail = self.found if self.change == "unexpected" else self.expected
        return f"{text}: {detail}" if detail else text

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "thing": self.thing, "name": self.name,
                "change": self.change, "expected": self.expected, "found": self.found}


@dataclass(frozen=True, slots=True)
class DriftReport:
    database: Kind
    applied_version: str | None
    migrations: int
    differences: tuple[Difference, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.differences)

    def as_dict(self) -> dict[str, Any]:
        return {"database": self.database, "applied_version": self.applied_version,
                "migrations": self.migrations, "drifted": self.drifted,
                "differences": [d.as_dict() for d in self.differences]}


# --------------------------------------------------------------------------- comparing


def _column_text(c: Column, expressions: bool) -> str:
    parts = [c.db_type, "NULL" if c.nullable else "NOT NULL"]
    if c.has_default:
        parts.append(f"DEFAULT {c.default}" if expressions and c.default is not None
                     else "with a default")
    if c.collation:
        parts.append(f"COLLATE {c.collation}")
    return " ".join(parts)


def _keyed(table: Table, expressions: bool) -> dict[tuple[Thing, str], str]:
    """Every named part of ``table`` except columns, as (thing, name) -> description.

    Unnamed constraints (SQLite's) are keyed by what they cover instead of a name.
    """
    out: dict[tuple[Thing, str], str] = {}
    if table.primary_key is not None:
        pk = table.primary_key
        out["primary key", pk.name or ""] = f"({', '.join(pk.columns)})"
    for u in table.unique_constraints:
        out["unique", u.name or f"({', '.join(u.columns)})"] = f"({', '.join(u.columns)})"
    for f in table.foreign_keys:
        out["foreign key", f.name or f"({', '.join(f.columns)})"] = (
            f"({', '.join(f.columns)}) -> {f.ref_table} ({', '.join(f.ref_columns)})")
    for c in table.check_constraints:
        if c.name is None and not expressions:
            continue
        out["check", c.name or c.expression] = c.expression if expressions else "present"
    for i in table.indexes:
        out["index", i.name] = f"{'UNIQUE ' if i.unique else ''}({', '.join(i.columns)})"
    for p in table.policies:
        out["policy", p] = "present"
    return out


def _pairs(expected: Mapping[Any, str], live: Mapping[Any, str]
           ) -> Iterable[tuple[Any, Change, str | None, str | None]]:
    for key in sorted(set(expected) | set(live), key=str):
        e, f = expected.get(key), live.get(key)
        if f is None:
            yield key, "missing", e, None
        elif e is None:
            yield key, "unexpected", None, f
        elif e != f:
            yield key, "changed", e, f


def _display_name(thing: Thing, name: str) -> str | None:
    return name or None if thing == "primary key" else name


def compare_tables(expected: Table, live: Table, *, expressions: bool = True
                   ) -> list[Difference]:
    out = []
    cols_e = {c.name: _column_text(c, expressions) for c in expected.columns}
    cols_l = {c.name: _column_text(c, expressions) for c in live.columns}
    for name, change, e, f in _pairs(cols_e, cols_l):
        out.append(Difference(live.name, "column", name, change, e, f))
    for (thing, name), change, e, f in _pairs(_keyed(expected, expressions),
                                              _keyed(live, expressions)):
        out.append(Difference(live.name, thing, _display_name(thing, name), change, e, f))
    return out


def _rls_state(table: Table) -> str:
    return "on" if table.rls_enabled else "off"


def compare(expected: Schema, live: Schema, *, expressions: bool = True
            ) -> list[Difference]:
    """What differs between two schemas of the same database (empty: none)."""
    out: list[Difference] = []
    for name in sorted(set(expected.tables) | set(live.tables)):
        e, f = expected.tables.get(name), live.tables.get(name)
        if f is None:
            out.append(Difference(name, "table", None, "missing"))
        elif e is None:
            out.append(Difference(name, "table", None, "unexpected",
                                  found=f"{len(f.columns)} columns"))
        else:
            out.extend(compare_tables(e, f, expressions=expressions))
    # Policies are created off and switched by operators: compare with the overall state.
    with_policies = [t for n, t in sorted(live.tables.items())
                     if t.policies and n in expected.tables and expected.tables[n].policies]
    overall = "on" if any(t.rls_enabled for t in with_policies) else "off"
    for t in with_policies:
        if _rls_state(t) != overall:
            out.append(Difference(t.name, "row-level security", None, "changed",
                                  f"{overall} like the other tenant tables", _rls_state(t)))
    return out


# --------------------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class _Applied:
    versions: frozenset[str]
    baseline: str | None
    current: str | None


def _version_key(text: str) -> tuple[tuple[int, str], ...]:
    from monozu.db.migrate.version import Version

    return Version(text).key


def read_history(db: Database, table: str = HISTORY_TABLE) -> _Applied:
    """The versions the history table records as applied."""
    with db.transaction() as tx:
        rows = tx.select(dict, f"SELECT version, type, success FROM {db.dialect.quote(table)}")
    applied = {str(r["version"]) for r in rows
               if r["version"] is not None and r["success"] and r["type"] != "DELETE"}
    baselines = [str(r["version"]) for r in rows
                 if r["type"] == "BASELINE" and r["version"] is not None]
    baseline = max(baselines, key=_version_key) if baselines else None
    current = max(applied, key=_version_key) if applied else None
    return _Applied(frozenset(applied), baseline, current)


def expected_migrations(migrations: Sequence[ResolvedMigration], applied: _Applied
                        ) -> list[ResolvedMigration]:
    """The versioned migrations that made the live schema, in version order."""
    out = []
    base = _version_key(applied.baseline) if applied.baseline else None
    for m in migrations:
        if m.version is None:
            continue
        if str(m.version) in applied.versions or (base is not None and m.version.key <= base):
            out.append(m)
    return sorted(out, key=lambda m: m.version.key if m.version else ())


def check(db: Database, *, location: Path | None = None,
          history_table: str = HISTORY_TABLE,
          progress: Callable[[str], None] | None = None) -> DriftReport:
    """Compare the live schema of ``db`` with its migration history's."""
    from monozu.db.migrate import builtin_location
    from monozu.db.migrate.resolve import resolve

    catalog = db.dialect.catalog
    kind = db.dialect.kind
    with db._lease(translate=True) as lease:
        conn = lease.conn
        live_all = catalog.read_schema(conn)
        db.dialect.rollback(conn)
    if history_table not in live_all.tables:
        raise DriftError(f"no {history_table} table: this database has not been migrated, "
                         "so there is no history to compare with")
    applied = read_history(db, history_table)
    resolution = resolve([location or builtin_location(kind)])
    chosen = expected_migrations(resolution.versioned, applied)
    if progress is not None:
        progress(f"replaying {len(chosen)} migrations up to {applied.current or '-'}")
    with db._lease(translate=True) as lease:
        conn = lease.conn
        try:
            expected = catalog.expected_schema(conn, [m.text for m in chosen])
        except MonozuError:
            raise
        except Exception as exc:
            raise DriftError(f"cannot build the expected schema from the migrations: "
                             f"{exc}") from exc
        finally:
            db.dialect.rollback(conn)
    differences = compare(without_history(expected, history_table),
                          without_history(live_all, history_table),
                          expressions=catalog.compares_expressions)
    return DriftReport(kind, applied.current, len(chosen), tuple(differences))


__all__ = ["Difference", "DriftError", "DriftReport", "check", "compare", "read_history"]
