"""Named queries as typed methods: SQL kept as SQL, beside the code that runs it.

A domain context keeps its statements in ``queries.sql``. Each starts with a header
naming it and saying what it returns::

    -- name: get_tenant :one Tenant
    SELECT id, name, ... FROM tenants WHERE id = :id

Shapes (a header without one gives SQL for :meth:`QueryFile.sql` only, not a
method): ``:one T`` (exactly one row: ``NotFound``/``TooManyRows`` otherwise),
``:optional T`` (``T`` or ``None``), ``:many T`` (``list[T]``), ``:value [T]`` (the
single value of one row, converted to ``T`` when given) and ``:rowcount`` (the rows
changed). ``T`` is a class of :mod:`monozu.db.models`, of the package's ``types``
module, a dotted ``module.Class`` path, or a scalar (``bool``, ``int``, ``float``,
``str``, ``bytes``, ``UUID``, ``datetime``, ``Decimal``, ``dict``).

Where a database needs different SQL, ``queries.<kind>.sql`` overrides just those
names (same header). SQL differing only in a snippet (pagination, upsert,
``RETURNING``/``OUTPUT``, queue claims) needs no override: write the snippet macro
(``{{ limit :n }}``, see :mod:`monozu.db.dialects.snippets`) and each database gets
its own spelling.

Files are read with the one SQL lexer, so a ``-- name:`` inside a string or a block
comment is not a header, and are checked when loaded, each problem one
:class:`QueryError` naming file and line: a malformed header, an unknown shape or
row type, a duplicate name, a name that cannot be a method (``names``, ``sql``,
``_x``), text that is not UTF-8 or holds a NUL, SQL before the first header, an
empty statement, a bad macro, an override of a name the base file lacks, or an
override whose shape, row type or ``:parameters`` differ from the base statement's.

Typing. The loaded object is typed by a declaration, checked against the files:

    class TenancyQueries(QueryFile):
        get_tenant = one(Tenant)
        list_features = many(TenantFeature)
        set_tenant_status = rowcount()

    QUERIES = TenancyQueries("monozu.domain.tenancy")
    tenant = QUERIES.get_tenant(tx, id=tenant_id)   # mypy: Tenant

Each declaration is a descriptor whose type carries the result type, so mypy checks
what a call site does with the result and that it passes a ``Tx`` or ``Database``;
parameters stay keywords checked when the statement is bound (their names live in
the SQL, which mypy cannot read). We chose declarations over generated stubs
because they need no build step and cannot go stale: loading fails, naming the file
and line, when the SQL and the declaration disagree (a query declared but missing,
in the file but undeclared, or of another shape or row type). ``load(package)``
gives the same object undeclared, its methods returning ``Any``.

A call picks the statement for ``tx.dialect`` and expands its snippets on first use
per database; the repository never sees the database kind.
"""

from __future__ import annotations

import builtins
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args, overload
from uuid import UUID

from monozu.db.config import Kind
from monozu.db.dialects import Dialect, dialect_for, lexicon_for
from monozu.db.dialects.snippets import check_macros
from monozu.db.errors import QueryError, TooManyRows
from monozu.db.sqlparams import find_unsendable, scan
from monozu.db.sqltext import LINE_COMMENT, TRIVIA, Lexicon

if TYPE_CHECKING:
    from monozu.db.database import Database, Tx

R = TypeVar("R")
T = TypeVar("T")

_HEADER_START = re.compile(r"--\s*name\s*:")
_HEADER = re.compile(
    r"--\s*name\s*:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\s+:(?P<shape>[a-z]+))?(?:\s+(?P<row>[A-Za-z_][A-Za-z0-9_.]*))?\s*")

SHAPES = ("one", "optional", "many", "value", "rowcount")
_ROW_NEEDED = frozenset({"one", "optional", "many"})
_SCALARS: dict[str, type] = {
    "bool": bool, "int": int, "float": float, "str": str, "bytes": bytes, "dict": dict,
    "UUID": UUID, "datetime": datetime, "date": date, "Decimal": Decimal,
}


@dataclass(frozen=True, slots=True)
class Statement:
    """One named statement as written in one file."""

    name: str
    sql: str
    shape: str
    row: type | None
    source: str  # file:line, for errors


@dataclass(slots=True)
class NamedQuery:
    """A statement with its per-database overrides; expanded SQL cached per database."""

    base: Statement
    overrides: dict[Kind, Statement]
    _expanded: dict[Kind, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.base.name

    def sql_for(self, dialect: Dialect) -> str:
        """The statement as ``dialect``'s database runs it, snippets expanded."""
        try:
            return self._expanded[dialect.kind]
        except KeyError:
            written = self.overrides.get(dialect.kind, self.base)
            try:
                sql = dialect.snippets.expand(written.sql)
            except QueryError as exc:
                raise QueryError(f"{written.source}: {exc}") from None
            self._expanded[dialect.kind] = sql
            return sql

    def run(self, tx: Tx | Database, params: dict[str, Any]) -> Any:
        sql = self.sql_for(tx.dialect)
        shape, row = self.base.shape, self.base.row
        if not shape:
            raise QueryError(f"{self.base.source}: {self.name!r} has no shape in its header "
                             "(:one, :many, ...), so it cannot be called as a method")
        if shape == "many":
            return tx.select(row, sql, params)
        if shape == "one":
            return tx.get(row, sql, params)
        if shape == "optional":
            found = tx.select(row, sql, params)
            if len(found) > 1:
                raise TooManyRows(f"{len(found)} rows found where at most one was expected: "
                                  f"{self.name}")
            return found[0] if found else None
        if shape == "value":
            return tx.get_value(sql, params, type=row)
        return tx.exec(sql, params)


class BoundQuery(Generic[R]):
    """A named query ready to call: ``q.name(tx, **params)``."""

    __slots__ = ("query",)

    def __init__(self, query: NamedQuery) -> None:
        self.query = query

    def __call__(self, tx: Tx | Database, /, **params: Any) -> R:
        result: R = self.query.run(tx, params)
        return result

    def sql(self, dialect: Dialect) -> str:
        """The SQL ``dialect``'s database is sent (snippets expanded)."""
        return self.query.sql_for(dialect)


class Query(Generic[R]):
    """A declared query: a descriptor giving a :class:`BoundQuery` of result ``R``."""

    def __init__(self, shape: str, row: type | None) -> None:
        self.shape = shape
        self.row = row
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Query[R]: ...
    @overload
    def __get__(self, obj: QueryFile, owner: type) -> BoundQuery[R]: ...

    def __get__(self, obj: QueryFile | None, owner: type) -> Query[R] | BoundQuery[R]:
        if obj is None:
            return self
        return obj.bound(self.name)


def one(row: type[T]) -> Query[T]:
    """Exactly one row, as ``row``."""
    return Query("one", row)


def optional(row: type[T]) -> Query[T | None]:
    """One row as ``row``, or None when there is none."""
    return Query("optional", row)


def many(row: type[T]) -> Query[list[T]]:
    """All rows, each as ``row``."""
    return Query("many", row)


@overload
def value(row: type[T]) -> Query[T]: ...
@overload
def value(row: None = None) -> Query[Any]: ...


def value(row: type[Any] | None = None) -> Query[Any]:
    """The single value of a one-row, one-column result (converted to ``row``)."""
    return Query("value", row)


def rowcount() -> Query[int]:
    """The number of rows the statement changed."""
    return Query("rowcount", None)


class QueryFile:
    """The statements of one package's query files; subclasses declare them typed."""

    def __init__(self, package: str, filename: str = "queries.sql") -> None:
        self.package = package
        self.queries = _load(package, filename)
        self._bound: dict[str, BoundQuery[Any]] = {
            name: BoundQuery(q) for name, q in self.queries.items()}
        self._check_declarations()

    def bound(self, name: str) -> BoundQuery[Any]:
        try:
            return self._bound[name]
        except KeyError:
            raise QueryError(f"no query named {name!r} in {self.package}") from None

    def names(self) -> list[str]:
        return sorted(self.queries)

    def sql(self, name: str, dialect: Dialect | Kind) -> str:
        """The statement ``name`` as ``dialect``'s database runs it (prefer calling the
        statement as a method: a kind here is for code written before named queries)."""
        return self.bound(name).sql(dialect_for(dialect) if isinstance(dialect, str)
                                    else dialect)

    def _check_declarations(self) -> None:
        declared = {name: q for cls in type(self).__mro__ for name, q in vars(cls).items()
                    if isinstance(q, Query)}
        if not declared:
            return  # an undeclared (dynamic) query file
        for name, decl in declared.items():
            found = self.queries.get(name)
            if found is None:
                raise QueryError(f"{type(self).__name__}.{name} is declared but "
                                 f"{self.package} has no query {name!r}")
            stmt = found.base
            if (decl.shape, decl.row) != (stmt.shape, stmt.row):
                raise QueryError(
                    f"{stmt.source}: {name!r} is :{stmt.shape} {_type_name(stmt.row)} but "
                    f"{type(self).__name__} declares :{decl.shape} {_type_name(decl.row)}")
        for name, found in self.queries.items():
            if name not in declared:
                raise QueryError(f"{found.base.source}: query {name!r} is not declared in "
                                 f"{type(self).__name__}")


class Queries(QueryFile):
    """An undeclared query file: any loaded name is a method returning ``Any``."""

    def __getattr__(self, name: str) -> BoundQuery[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.bound(name)


def load(package: str, filename: str = "queries.sql") -> Queries:
    """The query files of ``package``, undeclared (calls return ``Any``)."""
    return Queries(package, filename)


# Names a query cannot have: the query file's own methods and attributes would shadow
# it (``q.names(tx)`` calling QueryFile.names), and Queries does not look up names
# beginning with "_" (they are Python's).
_TAKEN = frozenset(dir(Queries)) | {"package", "queries"}


def _type_name(row: type | None) -> str:
    return "" if row is None else row.__name__


# -- reading files ------------------------------------------------------------------

def parse(text: str, origin: str, lexicon: Lexicon, *,
          resolve: Callable[[str], type | None] | None = None) -> dict[str, Statement]:
    """The statements of one query file, read by ``lexicon``'s rules."""
    resolve = resolve or _resolver("")
    statements: dict[str, Statement] = {}
    header: tuple[str, str, type | None, int] | None = None
    body_start = 0

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def close(end: int) -> None:
        if header is None:
            return
        name, shape, row, line = header
        sql = text[body_start:end].strip().rstrip(";").strip()
        if not sql:
            raise QueryError(f"{origin}:{line}: query {name!r} is empty")
        try:
            check_macros(sql)
        except QueryError as exc:
            raise QueryError(f"{origin}:{line}: {name!r}: {exc}") from None
        statements[name] = Statement(name, sql, shape, row, f"{origin}:{line}")

    for tok in lexicon.tokens(text):
        if tok.kind == LINE_COMMENT and _HEADER_START.match(tok.text) \
                and not text[text.rfind("\n", 0, tok.start) + 1:tok.start].strip():
            close(tok.start)
            line = line_of(tok.start)
            name, shape, row = _header(tok.text, f"{origin}:{line}", resolve)
            if name.startswith("_") or name in _TAKEN:
                raise QueryError(f"{origin}:{line}: query {name!r} cannot be called as a "
                                 "method: " + ("names beginning with '_' are Python's"
                                               if name.startswith("_") else
                                               "the query file has an attribute of that "
                                               "name") + "; rename it")
            if name in statements:
                raise QueryError(f"{origin}:{line}: query {name!r} is defined twice")
            header, body_start = (name, shape, row, line), tok.end
        elif header is None and tok.kind not in TRIVIA:
            raise QueryError(f"{origin}:{line_of(tok.start)}: SQL before the first "
                             "'-- name:' header")
    close(len(text))
    return statements


def _header(text: str, where: str, resolve: Callable[[str], type | None]
            ) -> tuple[str, str, type | None]:
    m = _HEADER.fullmatch(text.rstrip())
    if m is None:
        raise QueryError(f"{where}: malformed header {text.strip()!r}; write "
                         "'-- name: <name> :<shape> [<RowType>]'")
    name, shape, row_name = m.group("name"), m.group("shape") or "", m.group("row")
    if not shape and not row_name:
        return name, "", None  # no shape: the SQL only, not callable as a method
    if shape not in SHAPES:
        raise QueryError(f"{where}: query {name!r} needs a shape, one of "
                         + ", ".join(f":{s}" for s in SHAPES))
    if shape == "rowcount" and row_name:
        raise QueryError(f"{where}: :rowcount takes no row type")
    if shape in _ROW_NEEDED and not row_name:
        raise QueryError(f"{where}: :{shape} needs a row type")
    row = None
    if row_name:
        row = resolve(row_name)
        if row is None:
            raise QueryError(f"{where}: row type {row_name!r} is neither a scalar, a class of "
                             "monozu.db.models or of the package's types, nor a module path")
    return name, shape, row


def _resolver(package: str) -> Callable[[str], type | None]:
    def resolve(name: str) -> type | None:
        if name in _SCALARS:
            return _SCALARS[name]
        if "." in name:
            module, _, attr = name.rpartition(".")
            return _class_in(module, attr)
        for module in ("monozu.db.models", f"{package}.types" if package else ""):
            if module and (found := _class_in(module, name)) is not None:
                return found
        return None
    return resolve


def _class_in(module: str, name: str) -> type | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) and found.__module__ != builtins.__name__ \
        else None


def _load(package: str, filename: str) -> dict[str, NamedQuery]:
    root = resources.files(package)
    stem = filename.removesuffix(".sql")
    resolve = _resolver(package)
    origin = f"{package}/{filename}"
    base_text = _text(root.joinpath(filename).read_bytes(), origin)
    # The base file serves every database: it must read the same by each one's rules.
    # Only the lexical rules are needed for that, so no database driver is imported;
    # a whole dialect is loaded only for a database that has an override file.
    kinds: tuple[Kind, ...] = get_args(Kind)
    base = parse(base_text, origin, lexicon_for(kinds[0]), resolve=resolve)
    queries = {name: NamedQuery(stmt, {}) for name, stmt in base.items()}
    for kind in kinds:
        if parse(base_text, origin, lexicon_for(kind), resolve=resolve).keys() != base.keys():
            raise QueryError(f"{origin}: its '-- name:' headers read differently by "
                             f"{kind}'s SQL rules; check quotes and comments")
        path = root.joinpath(f"{stem}.{kind}.sql")
        if not path.is_file():
            continue
        dialect = dialect_for(kind)
        where = f"{package}/{stem}.{kind}.sql"
        for stmt in parse(_text(path.read_bytes(), where), where, dialect.lexicon,
                          resolve=resolve).values():
            _check_override(stmt, base.get(stmt.name), dialect)
            queries[stmt.name].overrides[kind] = stmt
    return queries


def _text(data: bytes, origin: str) -> str:
    """A query file's text: UTF-8, with the byte order mark some editors write taken
    off. Bytes that are not UTF-8, or a NUL (which no database takes in a statement),
    are a :class:`QueryError` naming file and line, not an error naming neither."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise QueryError(f"{origin}:{line}: not UTF-8 text (byte "
                         f"0x{data[exc.start]:02x})") from None
    if (found := find_unsendable(text)) is not None:
        at, what = found
        raise QueryError(f"{origin}:{text.count(chr(10), 0, at) + 1}: {what}")
    return text


def _check_override(stmt: Statement, base: Statement | None, dialect: Dialect) -> None:
    if base is None:
        raise QueryError(f"{stmt.source}: overrides {stmt.name!r}, "
                         "which the base file does not define")
    if (stmt.shape, stmt.row) != (base.shape, base.row):
        raise QueryError(f"{stmt.source}: shape of {stmt.name!r} differs from {base.source}")
    expand, lexicon = dialect.snippets.expand, dialect.lexicon
    try:
        mine = set(scan(expand(stmt.sql), lexicon)[1])
        theirs = set(scan(expand(base.sql), lexicon)[1])
    except QueryError as exc:
        raise QueryError(f"{stmt.source}: {exc}") from None
    if mine != theirs:
        raise QueryError(f"{stmt.source}: parameters of {stmt.name!r} differ from "
                         f"{base.source}")
