"""SQL snippets that differ between databases, for query files: the interface.

A query file writes a snippet as a macro, ``{{ name arguments }}``, expanded once
per database when the statement is first used on it (see ``docs/query-layer.md``):

============================================  =========================================
macro                                         what it becomes
============================================  =========================================
``{{ limit :n }}``                            ``LIMIT :n`` / ``OFFSET 0 ROWS FETCH NEXT
                                              :n ROWS ONLY`` (after an ``ORDER BY``)
``{{ returning a, b }}``                      ``RETURNING a, b`` (nothing on SQL Server)
``{{ inserted a, b }}``                       ``OUTPUT inserted.a, inserted.b`` on SQL
                                              Server (nothing elsewhere), written where
                                              T-SQL puts ``OUTPUT``
``{{ upsert t key (k) set (a, b) }}``         the whole statement: ``INSERT ... ON
                                              CONFLICT (k) DO UPDATE`` or ``MERGE ...
                                              WITH (HOLDLOCK)``; values are ``:k``,
                                              ``:a``, ``:b``
``{{ flag CONDITION }}``                      ``CONDITION`` as a boolean value in a select
                                              list: ``(CONDITION)``, or ``CASE WHEN ... THEN
                                              CAST(1 AS BIT) ELSE CAST(0 AS BIT) END`` on
                                              SQL Server (a predicate is not a value there)
``{{ claim t key id set s where w order by    the whole statement claiming at most
o limit :n }}``                               ``:n`` queue rows exactly once and
                                              returning them (row locks that skip
                                              locked rows; SQLite's writer lock)
============================================  =========================================

Arguments are SQL fragments copied as written; identifiers in ``upsert`` and
``claim`` are bare names (quoted by the dialect). The fragments of ``claim`` must not
contain its own keywords (``set``, ``where``, ``order by``, ``limit``) themselves.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monozu.db.errors import QueryError

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_COLUMNS = r"\(\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\)"
_UPSERT = re.compile(rf"({_NAME})\s+key\s*{_COLUMNS}\s*set\s*{_COLUMNS}", re.I)
_CLAIM = re.compile(
    rf"({_NAME})\s+key\s+([A-Za-z_][A-Za-z0-9_]*)\s+set\s+(.+?)\s+where\s+(.+?)"
    r"\s+order\s+by\s+(.+?)\s+limit\s+(\S+)", re.I | re.S)
_MACRO = re.compile(r"\{\{\s*([a-z_]+)\b\s*(.*?)\s*\}\}", re.S)


@dataclass(frozen=True, slots=True)
class Claim:
    """The parts of a ``{{ claim }}``: SQL fragments as written, names bare."""

    table: str
    key: str
    assignments: str
    where: str
    order: str
    count: str


class Snippets(abc.ABC):
    """One database's spelling of the snippets above."""

    quote: Callable[[str], str]

    def __init__(self, quote: Callable[[str], str]) -> None:
        self.quote = quote

    def q(self, name: str) -> str:
        """A bare (possibly dotted) name, quoted part by part."""
        return ".".join(self.quote(part) for part in name.split("."))

    @abc.abstractmethod
    def limit(self, count: str) -> str:
        """At most ``count`` rows, after the statement's ``ORDER BY``."""

    @abc.abstractmethod
    def returning(self, columns: str) -> str:
        """Columns of the changed rows, at the end of the statement ("" if elsewhere)."""

    @abc.abstractmethod
    def inserted(self, columns: str) -> str:
        """Columns of the changed rows, before ``VALUES``/``WHERE`` ("" if elsewhere)."""

    @abc.abstractmethod
    def upsert(self, table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
        """Insert a row of ``:keys`` and ``:columns``, or update ``columns`` where the
        keys exist, atomically."""

    @abc.abstractmethod
    def flag(self, condition: str) -> str:
        """``condition`` (a predicate) as a boolean value a select list can hold."""

    @abc.abstractmethod
    def claim(self, c: Claim) -> str:
        """Set ``c.assignments`` on at most ``c.count`` rows matching ``c.where`` (first
        by ``c.order``) that no other transaction holds, and return those rows whole."""

    # -- statements built in code: session-private staging tables --------------------
    # The standard spelling (PostgreSQL and SQLite); SQL Server overrides each.

    def temporary_table(self, name: str) -> str:
        """The name a session-private table called ``name`` has on this database."""
        return name

    def create_temporary_as(self, table: str, select: str) -> str:
        """Create temporary ``table`` from ``select`` (a ``SELECT ... FROM ...``)."""
        return f"CREATE TEMP TABLE {table} AS {select}"

    def staging_refused(self) -> str | None:
        """A query of one row (``refused``, ``role``, ``database``): whether the session
        may not create temporary tables, or None where every role may."""
        return None

    def analyze(self, table: str) -> str:
        """Gather the planner's statistics for ``table`` (temporary tables get none alone)."""
        return f"ANALYZE {table}"

    def update_from(self, target: str, source: str, key: str, sets: str, where: str) -> str:
        """``UPDATE target t SET <sets> FROM source x`` on ``x.key = t.key AND where``."""
        return (f"UPDATE {target} AS t SET {sets} FROM {source} x "
                f"WHERE x.{key} = t.{key} AND {where}")

    def writers_in_turn(self, table: str) -> str | None:
        """A statement after which another transaction running it waits for this one to
        end (readers of ``table`` do not), or None where transactions that write already
        run one at a time."""
        return None

    # -- expansion --------------------------------------------------------------

    def expand(self, sql: str) -> str:
        """``sql`` with every ``{{ macro }}`` replaced (QueryError for a bad one)."""
        if "{{" not in sql:
            return sql
        return _MACRO.sub(lambda m: self._one(m.group(1), m.group(2)), sql)

    def _one(self, name: str, args: str) -> str:
        if name == "limit":
            return self.limit(_need(args, "limit", "a count"))
        if name == "returning":
            return self.returning(_need(args, "returning", "columns"))
        if name == "inserted":
            return self.inserted(_need(args, "inserted", "columns"))
        if name == "flag":
            return self.flag(_need(args, "flag", "a condition"))
        if name == "upsert":
            m = _UPSERT.fullmatch(args)
            if m is None:
                raise QueryError("{{ upsert }} takes 'TABLE key (COLUMNS) set (COLUMNS)'")
            return self.upsert(m.group(1), _split(m.group(2)), _split(m.group(3)))
        if name == "claim":
            m = _CLAIM.fullmatch(args)
            if m is None:
                raise QueryError("{{ claim }} takes 'TABLE key COLUMN set ASSIGNMENTS "
                                 "where CONDITION order by ORDER limit COUNT'")
            return self.claim(Claim(*m.groups()))
        raise QueryError(f"unknown snippet {{{{ {name} }}}}; known: {', '.join(MACROS)}")


class StandardSnippets(Snippets):
    """``LIMIT``, ``RETURNING`` and ``INSERT ... ON CONFLICT``: PostgreSQL's and SQLite's
    common spelling (the claim differs, so each still defines it)."""

    def limit(self, count: str) -> str:
        return f"LIMIT {count}"

    def returning(self, columns: str) -> str:
        return f"RETURNING {columns}"

    def inserted(self, columns: str) -> str:
        return ""

    def flag(self, condition: str) -> str:
        return f"({condition})"

    def upsert(self, table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
        q = self.q
        names = [*keys, *columns]
        updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns)
        return (f"INSERT INTO {q(table)} ({', '.join(map(q, names))}) "
                f"VALUES ({', '.join(':' + c for c in names)}) "
                f"ON CONFLICT ({', '.join(map(q, keys))}) DO UPDATE SET {updates}")



MACROS = ("limit", "returning", "inserted", "flag", "upsert", "claim")


def check_macros(sql: str) -> None:
    """Raise QueryError for a malformed macro, without a database at hand."""
    for m in _MACRO.finditer(sql):
        _Checker(str).expand(m.group(0))
    rest = _MACRO.sub("", sql)
    if "{{" in rest or "}}" in rest:
        raise QueryError("an unclosed '{{' or a stray '}}'")


def _need(args: str, name: str, what: str) -> str:
    if not args:
        raise QueryError(f"{{{{ {name} }}}} needs {what}")
    return args


def _split(columns: str) -> list[str]:
    return [c.strip() for c in columns.split(",")]


class _Checker(Snippets):
    """Parses macros and produces nothing: the load-time check."""

    def limit(self, count: str) -> str:
        return ""

    def returning(self, columns: str) -> str:
        return ""

    def inserted(self, columns: str) -> str:
        return ""

    def flag(self, condition: str) -> str:
        return ""

    def upsert(self, table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
        return ""

    def claim(self, c: Claim) -> str:
        return ""
