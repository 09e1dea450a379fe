"""What every database must provide: the one place each dialect's differences live.

A dialect is a small object with the same members for every database: how to
connect, which placeholder style the driver takes, how values go in and come out,
how the tenant is bound to a unit of work, and how driver errors map onto
:mod:`monozu.db.errors`. Nothing outside ``monozu.db.dialects`` branches on the
database kind for these concerns.
"""

from __future__ import annotations

import abc
import contextlib
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from monozu.db.dialects.snippets import Snippets
from monozu.db.dialects.statements import StatementRules
from monozu.db.dialects.urls import DatabaseURL, Kind
from monozu.db.errors import DatabaseError, ParameterError
from monozu.db.sqlparams import Style
from monozu.db.sqltext import Lexicon
from monozu.db.values import SEND_FAILURES, UNSENDABLE, Converter, find_refusal, refusal

if TYPE_CHECKING:
    import uuid

    from monozu.db.config import DatabaseConfig
    from monozu.db.dialects.catalog import Catalog
    from monozu.db.dialects.migration import MigrationSQL
    from monozu.db.dialects.pooling import Pooling


class BadRowShape(ParameterError):
    """A bulk row that is not a tuple or list of one value a column."""


def bad_row_shape(table: str, width: int, number: int, row: object) -> None:
    """Raise if bulk ``row`` is not a tuple or list of ``width`` values.

    A dict or a string is iterable too, and would go in as its keys or characters.
    """
    if isinstance(row, tuple | list):
        if len(row) == width:
            return
        got = f"{len(row)} value{'' if len(row) == 1 else 's'}"
    else:
        got = type(row).__name__
    raise BadRowShape(f"bulk insert into {table}, row {number}: expected a tuple or list "
                         f"of {width} value{'' if width == 1 else 's'} (one a column), got {got}")


def plain_row(table: str, number: int, row: Any) -> Any:
    """A bulk row of a tuple or list subclass (a namedtuple) as a tuple of what
    iterating it gives, so a ``__len__`` of its own cannot differ from the values sent;
    a row whose own iteration fails is refused by its number. Anything else is returned
    as it is, for :func:`bad_row_shape` to refuse."""
    if not isinstance(row, tuple | list):
        return row
    try:
        return tuple(row)
    except Exception as exc:
        raise ParameterError(f"bulk insert into {table}, row {number}: the row cannot be "
                             f"read: {type(exc).__name__}: {str(exc)[:200]}") from exc


# adapt()'s checks that every database makes alike (check_text, check_int64,
# check_float; bool and None as they are), inlined: a dialect's inline_adapters
# start from these.
CHECKED_INLINE: dict[type, str] = {
    str: "_v if type(_v := {x}) is _str and _v.isascii() and '\\x00' not in _v else _g(_v)",
    int: "_v if type(_v := {x}) is _int and -0x8000000000000000 <= _v <= 0x7fffffffffffffff "
         "else _g(_v)",
    float: "_v if type(_v := {x}) is _float and _v - _v == 0 else _g(_v)",
    bool: "_v if type(_v := {x}) is _bool else _g(_v)",
    type(None): "_v if (_v := {x}) is None else _g(_v)",
}

class Dialect(abc.ABC):
    """One database's behaviour. Instances are stateless and shared."""

    kind: ClassVar[Kind]
    style: ClassVar[Style]
    # SQL text: the lexer's rules and the statement-splitting rules (sqltext, statements).
    lexicon: ClassVar[Lexicon]
    statements: ClassVar[StatementRules]
    # SQL snippets query files expand (snippets.py), spelled with this dialect's quoting.
    snippet_class: ClassVar[type[Snippets]]

    @functools.cached_property
    def snippets(self) -> Snippets:
        return self.snippet_class(self.quote)
    max_params: ClassVar[int | None] = None
    # The longest name the database keeps whole, and how it counts it (a longer one
    # would be cut, or refused, by the server).
    identifier_limit: ClassVar[tuple[int, str]] = (128, "characters")
    # Expression templates ({x}: the value) that bind one value of a known type without
    # a call, for ``exec_many``; any other value goes to ``adapt`` (``_g``). Each must
    # send what ``adapt`` sends and leave to it what it refuses. See binding.py.
    inline_adapters: ClassVar[dict[type, str]] = {}
    # The same for reading: a field type -> an expression of ``{x}`` (the value) giving
    # what ``reader(type)`` gives, which it may call as ``{c}`` for the uncommon forms.
    inline_readers: ClassVar[dict[Any, str]] = {}
    inline_env: ClassVar[dict[str, Any]] = {}

    @abc.abstractmethod
    def connect(self, url: DatabaseURL, config: DatabaseConfig) -> Any:
        """A new raw DB-API connection, not in autocommit, with session settings applied."""

    def session_lexicon(self, conn: Any) -> Lexicon:
        """The lexicon ``conn``'s session reads statements by now (see
        ``Lexicon.backslash_reading``)."""
        return self.lexicon

    @abc.abstractmethod
    def server_version(self, conn: Any) -> str:
        """The server's product and version, for ``monozu db check``."""

    @abc.abstractmethod
    def adapt(self, value: Any) -> Any:
        """A Python value in the form this driver binds (may refuse it)."""

    def adapt_row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        adapt = self.adapt
        return tuple([adapt(v) for v in values])

    @abc.abstractmethod
    def reader(self, py_type: Any) -> Converter | None:
        """How a column read from this driver becomes ``py_type`` (None: as it comes)."""

    def given_types(self, description: Sequence[Any]) -> tuple[Any, ...] | None:
        """The Python type the driver always gives each column of a result (None for a
        column whose values may differ), or None when no column's type is certain. A
        row model's field of that very type then takes the value unchecked; every other
        value is checked (SQLite's columns hold any type, whatever they declare)."""
        return None

    def unreadable_value(self, cursor: Any) -> tuple[int, int, BaseException] | None:
        """After fetching a result failed: the row (from 1), the column (from 0) and the
        error of the first value the driver could not turn into Python, or None when the
        failure was not a value's (the default: drivers that give values as they come)."""
        return None

    @abc.abstractmethod
    def translate_error(self, exc: BaseException) -> DatabaseError | None:
        """The taxonomy error for a driver exception, or None if it is not the driver's."""

    @abc.abstractmethod
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        """The exception classes :meth:`translate_error` understands."""

    # Transactions. Connections are opened outside autocommit except SQLite, which
    # is driven explicitly so writers can start with BEGIN IMMEDIATE.
    def begin(self, conn: Any) -> None:  # noqa: B027 - most drivers begin implicitly
        """Start a transaction (drivers that begin implicitly do nothing)."""

    def commit(self, conn: Any) -> None:
        conn.commit()

    def rollback(self, conn: Any) -> None:
        conn.rollback()

    def savepoint_sql(self, name: str) -> tuple[str, str, str]:
        """(create, release, rollback-to) statements for a savepoint."""
        return (f"SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}", f"ROLLBACK TO SAVEPOINT {name}")

    @abc.abstractmethod
    def set_tenant(self, conn: Any, tenant_id: str | None) -> None:
        """Bind (or clear, with None) the tenant for the current transaction/session."""

    # -- pooling and the unit of work's tenant ----------------------------------
    # The pool of this database and its reset before reuse (dialects/<db>/pool.py).
    pooling: ClassVar[Pooling]

    def bind_unit_of_work(self, conn: Any, tenant_id: uuid.UUID | None) -> None:
        """Bind the unit of work starting on ``conn`` to a tenant (None: to no tenant).

        Runs after ``begin``. The default binds only a tenant, for databases whose
        binding cannot outlive the transaction.
        """
        if tenant_id is not None:
            self.set_tenant(conn, str(tenant_id))

    def unbind_unit_of_work(self, conn: Any, tenant_id: uuid.UUID | None) -> None:  # noqa: B027
        """Undo :meth:`bind_unit_of_work` before the unit of work commits or rolls back.

        The default does nothing: a transaction-local binding ends with the transaction.
        """

    def must_keep(self, conn: Any) -> bool:
        """Whether ``conn`` goes back to the pool even after its raw handle was given
        out (see ``Tx.conn``): only where closing it would lose the database itself."""
        return False

    def bulk_writes(self, conn: Any) -> contextlib.AbstractContextManager[None]:
        """Session settings for statements that write many rows along indexes, given
        back afterwards (the connection returns to a pool). None by default."""
        return contextlib.nullcontext()

    def bulk_insert(self, conn: Any, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert many rows by the database's fastest path; returns the count."""
        cols = ", ".join(self.quote(c) for c in columns)
        marks = ", ".join(self.placeholder(i) for i in range(1, len(columns) + 1))
        sql = f"INSERT INTO {self.quote_table(table)} ({cols}) VALUES ({marks})"
        batch = self.adapt_rows(table, columns, rows)
        cur = conn.cursor()
        try:
            cur.executemany(sql, batch)
        except self.driver_errors():
            raise  # the database's own: translated by the caller
        except SEND_FAILURES as exc:
            refused = self.bulk_refusal(table, columns, batch, exc)
            raise refused from refused.__cause__
        finally:
            cur.close()
        return len(batch)

    def adapt_rows(self, table: str, columns: Sequence[str],
                   rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Every bulk row adapted as it comes, so a source that refills one list (or one
        dict value) for every row gives each row as it was; a row of the wrong shape or
        a value that cannot be sent is named by its row (and column)."""
        adapt_row = self.adapt_row
        width = len(columns)
        batch: list[tuple[Any, ...]] = []
        append = batch.append
        for number, given in enumerate(rows, 1):
            row = given
            if type(row) is not tuple and type(row) is not list:
                row = plain_row(table, number, row)  # a namedtuple as its values
                bad_row_shape(table, width, number, row)
            elif len(row) != width:
                bad_row_shape(table, width, number, row)
            try:
                append(adapt_row(row))
            except UNSENDABLE as exc:
                refused = self.bulk_refusal(table, columns, [row], exc, first=number)
                raise refused from refused.__cause__
        return batch

    def bulk_refusal(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                     exc: BaseException, *, first: int = 1) -> ParameterError:
        """The refusal of a bulk row's value, naming its row (counted from ``first``) and
        column."""
        for number, row in enumerate(rows, first):
            named = zip((f"column {c}" for c in columns), row, strict=False)
            found = find_refusal(self.adapt, named, f"bulk insert into {table}, row {number}")
            if found is not None:
                return found
        return refusal(exc, f"bulk insert into {table}")

    def placeholder(self, number: int) -> str:
        return "?" if self.style == "qmark" else f"${number}"

    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def quote_table(self, name: str) -> str:
        return ".".join(self.quote(p) for p in name.split("."))

    # -- catalog and migration parts, and multi-result batches -------------------------
    @property
    @abc.abstractmethod
    def catalog(self) -> Catalog:
        """Introspection, RLS statements and drift (dialects/catalog.py)."""

    @property
    @abc.abstractmethod
    def migration(self) -> MigrationSQL:
        """History table, migration lock, clean and migration transactions."""

    def drain(self, cur: Any) -> None:  # noqa: B027 - one result per statement by default
        """Read what is left of a batch's results, raising an error found there."""

    def first_rows(self, cur: Any) -> list[tuple[Any, ...]]:
        """The rows of a cursor's first result set (none without one), the rest drained."""
        rows = [tuple(r) for r in cur.fetchall()] if cur.description is not None else []
        self.drain(cur)
        return rows
