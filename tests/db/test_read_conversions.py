"""Reading converts or fails: every value a read verb cannot give as the type asked for
is a MappingError naming the column and the type, the converter's exception as its cause.

Run on real SQLite and PostgreSQL, through ``get_value``, ``select``, ``get`` and named
queries. ``get_value(type=dict)`` reads the column's JSON document (as ``type=list``
does), while ``get(dict, ...)`` and ``select(dict, ...)`` still give rows as dicts.
"""

from __future__ import annotations

import enum
import functools
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from psycopg.types.json import set_json_loads

from monozu.db import Database, MappingError, connect
from monozu.db.queries import NamedQuery, parse
from monozu.db.scan import json_loads
from tests.support.items import INSERT, item, items_database

DEEP = 3000  # far past the 500 levels a write allows, and past the decoder's recursion
DEEP_TEXT = "[" * DEEP + "]" * DEEP


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    with items_database(any_url) as database:
        database.exec(INSERT, item("abc", qty=3, amount=Decimal("2.5"), ok=True,
                                   doc={"k": [1, 2]}))
        database.exec(INSERT, item(str(uuid.UUID(int=7)), qty=4, doc=[1, {"x": None}]))
        yield database


def _fails(call: Callable[[], Any], column: str, type_name: str,
           cause: type[BaseException] | tuple[type[BaseException], ...]) -> MappingError:
    with pytest.raises(MappingError) as info:
        call()
    message = str(info.value)
    assert f"column {column!r}" in message and type_name in message, message
    assert "\n" not in message and len(message) < 300, message
    assert isinstance(info.value.__cause__, cause), repr(info.value.__cause__)
    return info.value


# -- get_value --------------------------------------------------------------------------

NAME_ABC = "SELECT name FROM items WHERE qty = 3"
NAME_UUID_TEXT = "SELECT name FROM items WHERE qty = 4"


@pytest.mark.parametrize(("sql", "type_", "type_name", "cause"), [
    (NAME_ABC, uuid.UUID, "UUID", TypeError),
    # a UUID held as text is not guessed at: not on SQLite (16-byte blobs), nor elsewhere
    (NAME_UUID_TEXT, uuid.UUID, "UUID", TypeError),
    (NAME_ABC, datetime, "datetime", (TypeError, ValueError)),
    (NAME_ABC, Decimal, "Decimal", InvalidOperation),
    (NAME_ABC, int, "int", TypeError),
    (NAME_ABC, bool, "bool", TypeError),
    (NAME_ABC, dict, "dict", ValueError),
    (NAME_ABC, list, "list", ValueError),
    ("SELECT qty FROM items WHERE qty = 3", str, "str", TypeError),
    ("SELECT qty FROM items WHERE qty = 3", uuid.UUID, "UUID", TypeError),
], ids=["uuid-text", "uuid-as-text", "datetime-text", "decimal-text", "int-text",
        "bool-text", "dict-text", "list-text", "str-int", "uuid-int"])
def test_get_value_converts_or_fails_with_a_mapping_error(
        db: Database, sql: str, type_: Any, type_name: str,
        cause: type[BaseException]) -> None:
    column = sql.split()[1]
    _fails(lambda: db.get_value(sql, type=type_), column, type_name, cause)


@pytest.mark.parametrize("raw", [b"", b"\x01\x02", bytes(range(20)), bytes(15)],
                         ids=["empty", "two", "twenty", "fifteen"])
def test_bytes_of_any_length_but_16_are_not_a_uuid(db: Database, raw: bytes) -> None:
    """SQLite had read any blob into a UUID (x'0102' as 00000000-...-000000000102)."""
    @dataclass(slots=True)
    class Row:
        u: uuid.UUID

    _fails(lambda: db.get_value("SELECT :b AS u", b=raw, type=uuid.UUID), "u", "UUID",
           (TypeError, ValueError))
    _fails(lambda: db.select(Row, "SELECT :b AS u", b=raw), "u", "Row.u",
           (TypeError, ValueError))
    assert db.get_value("SELECT :u AS u", u=uuid.UUID(int=9), type=uuid.UUID) == \
        uuid.UUID(int=9)


class Colour(enum.Enum):
    RED = 1


def test_an_enum_named_as_the_type_converts_or_fails_as_a_field_does(db: Database) -> None:
    """The value had come back as it was (3), neither converted nor checked."""
    assert db.get_value("SELECT 1 AS c", type=Colour) is Colour.RED
    assert db.select(Colour, "SELECT 1 AS c") == [Colour.RED]
    assert db.select(Kind, "SELECT name AS k FROM items WHERE qty = 3") == [Kind.ABC]
    assert db.get(dict, "SELECT 1 AS c", types={"c": Colour}) == {"c": Colour.RED}
    assert db.get_value("SELECT NULL AS c", type=Colour) is None
    _fails(lambda: db.get_value("SELECT 3 AS c", type=Colour), "c", "Colour", ValueError)
    _fails(lambda: db.select(Colour, "SELECT 3 AS c"), "c", "Colour", ValueError)


def test_a_column_twice_in_a_dict_row_is_refused_as_in_a_model(db: Database) -> None:
    """A dict kept only the last of two columns of one name."""
    for read in (lambda: db.select(dict, "SELECT 1 AS id, 2 AS id"),
                 lambda: db.get(dict, "SELECT 1 AS id, 2 AS id", types={"id": int})):
        with pytest.raises(MappingError, match="column 'id' appears twice in the result"):
            read()


@dataclass(slots=True)
class Stamped:
    at: datetime


@dataclass(slots=True)
class MaybeStamped:
    at: datetime | None


SQLITE_TEXTS = [
    ("2026-11-28T14:12:03.123456+00:00", datetime(2026, 11, 28, 14, 12, 3, 123456, tzinfo=UTC)),
    # what CURRENT_TIMESTAMP writes: UTC without an offset
    ("2026-11-28 14:12:03", datetime(2026, 11, 28, 14, 12, 3, tzinfo=UTC)),
    ("2026-11-28T14:12:03Z", datetime(2026, 11, 28, 14, 12, 3, tzinfo=UTC)),
    ("2026-11-28T19:12:03+05:00", datetime(2026, 11, 28, 14, 12, 3, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "instant"), SQLITE_TEXTS,
                         ids=["own-form", "no-offset", "z", "other-offset"])
def test_sqlite_text_reads_into_a_datetime_as_utc_on_every_read(
        sqlite_url: str, text: str, instant: datetime) -> None:
    """A datetime is aware and in UTC, as PostgreSQL gives it: SQLite had given text
    without an offset as a naive datetime and kept another offset as it was."""
    with items_database(sqlite_url) as db:
        sql = "SELECT :t AS at"
        reads = [db.get_value(sql, t=text, type=datetime), db.get(Stamped, sql, t=text).at,
                 db.get(MaybeStamped, sql, t=text).at, db.select(datetime, sql, t=text)[0],
                 db.get(dict, sql, t=text, types={"at": datetime})["at"]]
        for got in reads:
            assert got == instant and got.tzinfo is UTC, got
        assert db.get(MaybeStamped, "SELECT NULL AS at").at is None
        now = db.get_value("SELECT CURRENT_TIMESTAMP", type=datetime)
        assert now.tzinfo is UTC and abs(now - datetime.now(UTC)) < timedelta(minutes=1)


def test_sqlite_text_that_is_no_timestamp_is_a_mapping_error(sqlite_url: str) -> None:
    """A date alone is not a timestamp, as PostgreSQL refuses a date for a datetime."""
    with items_database(sqlite_url) as db:
        for text in ("2026-11-28", "yesterday", "2026-13-01 00:00:00"):
            _fails(lambda t=text: db.get(Stamped, "SELECT :t AS at", t=t), "at",  # type: ignore[misc]
                   "Stamped.at", ValueError)
            _fails(lambda t=text: db.get_value("SELECT :t AS at", t=t,  # type: ignore[misc]
                                               type=datetime), "at", "datetime", ValueError)
        at = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
        db.exec(INSERT, item("written", at=at))
        assert db.get_value("SELECT at FROM items", type=datetime) == at


def test_get_value_conversions_that_work_on_every_database(db: Database) -> None:
    ids = db.select(uuid.UUID, "SELECT id FROM items ORDER BY qty")
    assert all(type(i) is uuid.UUID for i in ids) and len(ids) == 2
    assert db.get_value("SELECT id FROM items WHERE qty = 3", type=uuid.UUID) == ids[0]
    assert db.get_value("SELECT amount FROM items WHERE qty = 3", type=Decimal) == \
        Decimal("2.5")
    assert db.get_value("SELECT ok FROM items WHERE qty = 3", type=bool) is True
    assert db.get_value("SELECT qty FROM items WHERE qty = 3", type=float) == 3.0
    # a whole number is an int whichever numeric type the database gives it
    assert db.get_value("SELECT CAST(5 AS NUMERIC)", type=int) == 5
    _fails(lambda: db.get_value("SELECT CAST(5.5 AS NUMERIC) AS n", type=int), "n", "int",
           ValueError)
    assert db.get_value("SELECT at FROM items WHERE qty = 3", type=datetime) is None


# -- select and get: types={...}, scalar rows, dataclasses -------------------------------

def test_select_and_get_with_types_name_the_failing_column(db: Database) -> None:
    sql = "SELECT qty, name FROM items ORDER BY qty"
    _fails(lambda: db.select(dict, sql, types={"name": Decimal}), "name", "Decimal",
           InvalidOperation)
    _fails(lambda: db.select(dict, sql, types={"qty": int, "name": uuid.UUID}), "name",
           "UUID", TypeError)
    _fails(lambda: db.get(dict, sql + " LIMIT 1", types={"name": datetime}), "name",
           "datetime", (TypeError, ValueError))
    _fails(lambda: db.select(uuid.UUID, "SELECT name FROM items"), "name", "UUID", TypeError)
    _fails(lambda: db.get(Decimal, NAME_ABC), "name", "Decimal", InvalidOperation)
    # the failing row is found wherever it is in the result
    _fails(lambda: db.select(dict, "SELECT doc FROM items ORDER BY qty",
                             types={"doc": dict}), "doc", "dict", TypeError)


@dataclass(slots=True)
class Amount:
    name: str
    amount: Decimal


@dataclass(slots=True)
class Checked:
    qty: int

    def __post_init__(self) -> None:
        if self.qty > 3:
            raise ValueError("qty too large")


def test_select_into_a_model_names_the_failing_column(db: Database) -> None:
    sql = "SELECT name, name AS amount FROM items ORDER BY qty"
    err = _fails(lambda: db.select(Amount, sql), "amount", "Decimal", InvalidOperation)
    assert "Amount.amount" in str(err)
    _fails(lambda: db.get(Amount, sql + " LIMIT 1"), "amount", "Decimal", InvalidOperation)
    # a model refusing a row is still reported as such
    with pytest.raises(MappingError, match="cannot build Checked from a row: qty too large"):
        db.select(Checked, "SELECT qty FROM items")
    assert db.select(Checked, "SELECT qty FROM items WHERE qty = 3") == [Checked(3)]


# -- a model's fields get what they declare --------------------------------------------

class Kind(enum.StrEnum):
    ABC = "abc"


@dataclass(slots=True)
class Typed:
    name: str
    qty: int


@dataclass(slots=True)
class Loose:
    name: str | None = None
    qty: int | None = None
    score: float | None = None
    ok: bool | None = None
    kind: Kind | None = None
    doc: dict[str, Any] | None = None


@dataclass(slots=True)
class Flags:
    ok: bool


@dataclass(slots=True)
class Labelled:
    kind: Kind


@dataclass(slots=True)
class Document:
    doc: dict[str, Any]


@pytest.mark.parametrize(("sql", "model", "column", "type_name", "cause"), [
    ("SELECT name, CAST(2.5 AS REAL) AS qty FROM items", Typed, "qty", "int", ValueError),
    ("SELECT qty AS name, qty FROM items", Typed, "name", "str", TypeError),
    ("SELECT name, name AS qty FROM items", Typed, "qty", "int", TypeError),
    ("SELECT name, amount AS qty FROM items WHERE qty = 3", Typed, "qty", "int",
     (TypeError, ValueError)),
    ("SELECT qty AS ok FROM items", Flags, "ok", "bool", TypeError),
    ("SELECT name AS ok FROM items", Flags, "ok", "bool", TypeError),
    ("SELECT name AS kind FROM items ORDER BY qty DESC", Labelled, "kind", "Kind", ValueError),
    ("SELECT doc FROM items ORDER BY qty DESC", Document, "doc", "JSON", TypeError),
], ids=["int-from-fraction-float", "str-from-int", "int-from-text", "int-from-fraction",
        "bool-from-int", "bool-from-text", "enum-unknown", "json-array-for-object"])
def test_model_fields_get_their_declared_type_or_a_mapping_error(
        db: Database, sql: str, model: type, column: str, type_name: str,
        cause: type[BaseException] | tuple[type[BaseException], ...]) -> None:
    err = _fails(lambda: db.select(model, sql), column, type_name, cause)
    assert f"{model.__name__}.{column}" in str(err)
    _fails(lambda: db.get(model, sql + (" LIMIT 1" if "ORDER BY" in sql else
                                        " ORDER BY qty LIMIT 1")), column, type_name, cause)


class Picky(enum.Enum):
    ABC = "abc"

    @classmethod
    def _missing_(cls, value: object) -> Picky:
        raise KeyError(f"no member for {value!r}")  # an enum's own hook, not ValueError


@dataclass(slots=True)
class PickyRow:
    kind: Picky


def test_a_model_field_never_shows_the_value_it_refuses(db: Database) -> None:
    db.exec(INSERT, item("s3cr3t-value", qty=5))
    sql = "SELECT name AS kind FROM items WHERE qty = 5"
    for model, name in ((Labelled, "Kind"), (PickyRow, "Picky")):
        err = _fails(functools.partial(db.select, model, sql), "kind", name, ValueError)
        assert "s3cr3t" not in str(err) and "s3cr3t" not in str(err.__cause__)
    assert db.select(PickyRow, "SELECT name AS kind FROM items WHERE qty = 3") == [
        PickyRow(Picky.ABC)]


def test_a_conversion_never_shows_the_value_it_refuses(db: Database) -> None:
    """Text read as a time (``fromisoformat`` quotes it) or as JSON (the decoder's error
    holds the whole document): the column is named, its value is in neither the message
    nor the exception kept as the cause."""
    import traceback

    from tests.db.dialects.test_urls import exception_texts

    secret = "Qx7RawZq8TuvKp3LmnWd5Ghj"
    db.exec(INSERT, item(secret, qty=7))
    reads: list[tuple[str, Any]] = [
        ("SELECT name || '{\"k\": 1' AS doc FROM items WHERE qty = 7", dict),
        ("SELECT '[\"' || name || '\"' AS doc FROM items WHERE qty = 7", list)]
    if db.url.kind == "sqlite":  # PostgreSQL's text is refused for a time by its type alone
        reads += [("SELECT name AS at FROM items WHERE qty = 7", datetime),
                  ("SELECT name AS at FROM items WHERE qty = 7", date)]
    for sql, kind in reads:
        with pytest.raises(MappingError) as info:
            db.get_value(sql, type=kind)
        texts = [*exception_texts(info.value), "".join(traceback.format_exception(info.value))]
        assert [t for t in texts if "Zq8Tuv" in t] == [], (kind, texts)
        assert info.value.__cause__ is not None


class NoSuchKind(Exception):
    pass


class Hooked(enum.Enum):
    ABC = "abc"

    @classmethod
    def _missing_(cls, value: object) -> Hooked:
        raise NoSuchKind(f"no kind {value!r}")  # an exception class of its own


@dataclass(slots=True)
class HookedRow:
    kind: Hooked


def test_an_enum_whose_own_hook_fails_is_a_mapping_error(db: Database) -> None:
    """The enum's ``_missing_`` raising an exception of its own had escaped as it was,
    from every read verb."""
    db.exec(INSERT, item("s3cr3t-kind", qty=6))
    sql = "SELECT name AS kind FROM items WHERE qty = 6"
    for read in (functools.partial(db.select, HookedRow, sql),
                 functools.partial(db.get_value, sql, type=Hooked),
                 functools.partial(db.select, dict, sql, types={"kind": Hooked})):
        err = _fails(read, "kind", "Hooked", ValueError)
        assert "s3cr3t" not in str(err) and "s3cr3t" not in str(err.__cause__)
    assert db.get_value("SELECT name FROM items WHERE qty = 3", type=Hooked) is Hooked.ABC


@dataclass(slots=True)
class Measured:
    score: float


def test_a_number_past_a_float_s_range_is_no_infinity(pg_url: str) -> None:
    """A numeric beyond a double had become ``inf`` in a float field, a value every
    write path refuses; a whole one still reads into an int exactly."""
    with items_database(pg_url) as db:
        sql = "SELECT CAST('-1e400' AS numeric) AS score"
        _fails(lambda: db.get_value(sql, type=float), "score", "float", OverflowError)
        _fails(lambda: db.select(Measured, sql), "score", "float", OverflowError)
        _fails(lambda: db.select(dict, sql, types={"score": float}), "score", "float",
               OverflowError)
        assert db.get_value(sql, type=int) == -(10**400)
        assert db.get_value("SELECT CAST('Infinity' AS numeric)", type=float) == float("inf")
        assert db.get(Measured, "SELECT CAST(2.5 AS numeric) AS score") == Measured(2.5)


def test_model_fields_take_what_converts_without_loss(db: Database) -> None:
    first = db.get(Loose, "SELECT name, qty, qty AS score, ok, name AS kind, doc "
                          "FROM items WHERE qty = 3")
    second = db.get(Loose, "SELECT name, qty, ok FROM items WHERE qty = 4")
    assert first == Loose("abc", 3, 3.0, True, Kind.ABC, {"k": [1, 2]})
    assert type(first.score) is float and type(first.qty) is int and first.ok is True
    assert type(first.kind) is Kind
    # NULL reads as None wherever the field allows it
    assert db.select(Loose, "SELECT CAST(NULL AS TEXT) AS name, CAST(NULL AS INTEGER) AS "
                            "qty, CAST(NULL AS INTEGER) AS ok FROM items WHERE qty = 4") == [
        Loose()]
    assert second.qty == 4 and second.ok is None
    # a whole number is an int whichever numeric type the database gives for it
    total = db.get(Typed, "SELECT 'sum' AS name, sum(CAST(qty AS BIGINT)) AS qty FROM items")
    assert total == Typed("sum", 7) and type(total.qty) is int
    assert db.select(Typed, "SELECT name, qty FROM items ORDER BY qty") == [
        Typed("abc", 3), Typed(str(uuid.UUID(int=7)), 4)]


# -- JSON: get_value(type=dict) is the document -----------------------------------------

def test_get_value_dict_reads_the_json_document_as_list_does(db: Database) -> None:
    obj = "SELECT doc FROM items WHERE qty = 3"
    arr = "SELECT doc FROM items WHERE qty = 4"
    assert db.get_value(obj, type=dict) == {"k": [1, 2]}
    assert db.get_value(arr, type=list) == [1, {"x": None}]
    _fails(lambda: db.get_value(arr, type=dict), "doc", "dict", TypeError)
    _fails(lambda: db.get_value(obj, type=list), "doc", "list", TypeError)
    # rows as dicts are what get(dict) and select(dict) give, as documented
    assert db.get(dict, obj, types={"doc": dict}) == {"doc": {"k": [1, 2]}}
    assert db.select(dict, "SELECT qty FROM items ORDER BY qty") == [{"qty": 3}, {"qty": 4}]
    # JSON held as text converts alike
    assert db.get_value("SELECT :t AS t", t='{"a": [true]}', type=dict) == {"a": [True]}


def _named(db: Database, header: str, sql: str) -> NamedQuery:
    statements = parse(f"-- name: q {header}\n{sql}\n", "test.sql", db.dialect.lexicon)
    return NamedQuery(statements["q"], {})


def test_named_queries_follow_the_verbs(db: Database) -> None:
    obj = "SELECT doc FROM items WHERE qty = :q"
    assert _named(db, ":value dict", obj).run(db, {"q": 3}) == {"k": [1, 2]}
    assert _named(db, ":one dict", obj).run(db, {"q": 3})["doc"] is not None
    _fails(lambda: _named(db, ":value dict", obj).run(db, {"q": 4}), "doc", "dict",
           TypeError)
    _fails(lambda: _named(db, ":value Decimal", "SELECT name FROM items WHERE qty = :q")
           .run(db, {"q": 3}), "name", "Decimal", InvalidOperation)
    _fails(lambda: _named(db, ":many UUID", "SELECT name FROM items").run(db, {}),
           "name", "UUID", TypeError)
    _fails(lambda: _named(db, ":value UUID", "SELECT name FROM items WHERE qty = :q")
           .run(db, {"q": 4}), "name", "UUID", TypeError)


# -- JSON nested too deeply to decode ---------------------------------------------------

@dataclass(slots=True)
class Doc:
    j: list[Any]


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Python's default limit, which a tool run in this process (mypy's API) may raise."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.usefixtures("default_recursion_limit")

def test_deep_json_text_is_a_mapping_error_naming_the_column(db: Database) -> None:
    sql = "SELECT :t AS j"
    _fails(lambda: db.select(dict, sql, t=DEEP_TEXT, types={"j": list}), "j", "list",
           RecursionError)
    _fails(lambda: db.get_value(sql, t=DEEP_TEXT, type=list), "j", "list", RecursionError)
    _fails(lambda: db.get(Doc, sql, t=DEEP_TEXT), "j", "Doc.j", RecursionError)
    shallow = json.dumps(json.loads("[" * 400 + "]" * 400))
    assert db.get_value(sql, t=shallow, type=list) == json.loads(shallow)


DEEP_JSONB = f"SELECT (repeat('[', {DEEP}) || repeat(']', {DEEP}))::jsonb AS j"


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    database = connect(pg_url)
    yield database
    database.close()


def _deep_jsonb_fails(tx: Any, match: str | None = None) -> None:
    for read in (lambda: tx.get_value(DEEP_JSONB),
                 lambda: tx.get_value(DEEP_JSONB, type=list),
                 lambda: tx.select(dict, DEEP_JSONB),
                 lambda: tx.get(Doc, DEEP_JSONB)):
        with pytest.raises(MappingError, match=match) as info:
            read()
        assert str(info.value).startswith("column 'j', row 1: ")
        assert "\n" not in str(info.value) and len(str(info.value)) < 300
        assert isinstance(info.value.__cause__, RecursionError)
        # the failure is the client's: the transaction goes on
        assert tx.get_value("SELECT '[[1]]'::jsonb", type=list) == [[1]]


@pytest.mark.usefixtures("default_recursion_limit")
def test_deep_jsonb_with_the_layer_json_loads(pg: Database) -> None:
    """psycopg decodes jsonb while fetching: ``json_loads`` is the loads to give it."""
    with pg.transaction() as tx:
        set_json_loads(json_loads, context=tx.conn)
        _deep_jsonb_fails(tx, match="nested too deeply")


@pytest.mark.usefixtures("default_recursion_limit")
def test_deep_jsonb_on_a_configured_connection(pg: Database) -> None:
    with pg.transaction() as tx:
        _deep_jsonb_fails(tx)


@pytest.mark.usefixtures("default_recursion_limit")
def test_deep_json_among_several_json_columns_names_the_one(pg: Database) -> None:
    sql = (f"SELECT 1 AS n, '[]'::json AS a, (repeat('[', {DEEP}) || repeat(']', {DEEP}))"
           f"::jsonb AS b, ARRAY['{{}}'::jsonb] AS c")
    with pytest.raises(MappingError, match=r"^column 'b', row 1: .*nested too deeply"):
        pg.select(dict, sql)


# PostgreSQL keeps timestamps and dates Python has no value for: 'infinity', years
# past 9999 or before 1. psycopg fails the whole fetch on the first; the error names
# the column and the row, and the unit of work goes on (the failure is the client's).
@pytest.mark.parametrize(("type_", "stored", "said"), [
    ("timestamptz", "infinity", "timestamp too large"),
    ("timestamptz", "-infinity", "timestamp too small"),
    ("timestamp", "10000-01-01", "timestamp too large"),
    ("timestamptz", "0001-01-01 00:00:00+05", "timestamp too small"),
    ("date", "infinity", "date too large"),
    ("date", "0044-03-15 BC", "date too small"),
])
def test_a_stored_value_python_cannot_hold_is_named_by_column_and_row(
        pg: Database, type_: str, stored: str, said: str) -> None:
    @dataclass(slots=True)
    class Event:
        n: int
        at: datetime

    sql = (f"SELECT n, CASE WHEN n = 3 THEN '{stored}'::{type_} ELSE now()::{type_} END "
           "AS at FROM generate_series(1, 4) AS n ORDER BY n")
    with pg.transaction() as tx:
        for read in (lambda: tx.select(Event, sql), lambda: tx.select(dict, sql),
                     lambda: tx.get(Event, sql + " OFFSET 2 LIMIT 1"),
                     lambda: tx.get_value(f"SELECT '{stored}'::{type_} AS at")):
            with pytest.raises(MappingError, match=f"^column 'at', row [13]: .*{said}") as info:
                read()
            assert stored not in str(info.value)  # a value is never shown
        assert tx.get_value("SELECT 5") == 5


def test_a_fetch_that_fails_for_no_value_is_not_blamed_on_one(pg: Database) -> None:
    from monozu.db import DatabaseError

    with pytest.raises(DatabaseError, match="division by zero") as info:
        pg.select(dict, "SELECT n, 1 / (n - 3) AS q FROM generate_series(1, 4) AS n")
    assert not isinstance(info.value, MappingError)


def test_sqlite_text_that_is_not_utf8_is_named_by_column_not_shown(sqlite_url: str) -> None:
    """sqlite3 quoted the undecodable text in its error, escape sequences and all; so
    did its exception kept as the cause (a traceback, a log record of the error)."""
    import traceback

    from monozu.db import DataError
    from tests.db.dialects.test_urls import exception_texts

    db = connect(sqlite_url)
    try:
        db.exec("CREATE TABLE notes (n INTEGER, body TEXT)")
        db.exec("INSERT INTO notes VALUES (1, 'fine'), "
                "(2, CAST(x'ff1b5b324a73656372657420' AS TEXT))")  # \xff ESC[2J secret
        for read in (lambda: db.select(dict, "SELECT n, body FROM notes ORDER BY n"),
                     lambda: db.get(dict, "SELECT n, body FROM notes WHERE n = 2"),
                     lambda: db.get_value("SELECT body FROM notes WHERE n = 2")):
            with pytest.raises(DataError, match=r"^column 'body' holds text that is not "
                               r"valid UTF-8 .* CAST\(\"body\" AS BLOB\)$") as info:
                read()
            texts = [*exception_texts(info.value),
                     "".join(traceback.format_exception(info.value))]
            assert [t for t in texts if "Jsecret" in t or "\x1b" in t] == []
            assert info.value.__cause__ is not None  # the driver's report is still there
        assert db.get_value('SELECT CAST("body" AS BLOB) FROM notes WHERE n = 2') == (
            b"\xff\x1b[2Jsecret ")
    finally:
        db.close()


def test_a_postgresql_timestamp_without_zone_reads_back_as_the_utc_time_written(
        pg: Database) -> None:
    """The layer writes an aware datetime into a ``timestamp`` column as its UTC wall
    time; it had read it back naive, not equal to what was written."""
    from datetime import timedelta, timezone

    @dataclass(slots=True)
    class Stamp:
        ts: datetime
        tz: datetime

    written = datetime(2020, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    with pg.transaction() as tx:
        tx.exec("CREATE TEMP TABLE stamps (ts timestamp, tz timestamptz, t text)")
        tx.exec("INSERT INTO stamps VALUES (:v, :v, 'not a time')", v=written)
        row = tx.get(Stamp, "SELECT ts, tz FROM stamps")
        assert row.ts == written and row.ts.tzinfo is not None
        assert row.tz == written
        assert tx.get_value("SELECT ts FROM stamps", type=datetime) == written
        with pytest.raises(MappingError, match="column 't' cannot be read as datetime"):
            tx.get_value("SELECT t FROM stamps", type=datetime)
