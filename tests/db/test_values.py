"""Every value the layer cannot send is a ParameterError naming where it is, on every path.

One table of values x the four ways a value reaches a database (``exec``,
``exec_many``, ``bulk_insert``, a JSON document), run on real SQLite and PostgreSQL;
SQL Server's adapter is checked offline in ``tests/db/dialects/sqlserver``.
"""

from __future__ import annotations

import enum
import math
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from monozu.db import Database, ParameterError
from tests.support.items import COLUMNS, INSERT, item, items_database
from tests.support.tz import FailingOffset, NoOffset, OffsetUnavailable, OwnErrorOffset


def _deep(n: int) -> Any:
    doc: Any = 1
    for _ in range(n):
        doc = [doc]
    return doc


class Opaque:
    pass


class Colour(enum.Enum):  # neither str nor int: psycopg would send its name
    RED = 1


class MyDecimal(Decimal):
    pass


class BadList(list[Any]):
    """A list whose own iteration fails."""

    def __iter__(self) -> Iterator[Any]:
        yield 1
        raise RuntimeError("iteration failed")


class OwnFloat(float):
    """A float whose ``__float__`` claims another value: its own is what is sent."""

    def __float__(self) -> float:
        return 99.0




class DayAndAHalf(NoOffset):
    def utcoffset(self, dt: datetime | None) -> timedelta:  # type: ignore[override]
        return timedelta(hours=36)  # Python refuses an offset of a day or more


# (id, column, value): each value is one the layer cannot send, in the column it goes to.
BAD: list[tuple[str, str, Any]] = [
    ("lone-surrogate", "name", "a\ud800b"),
    ("lone-surrogate-json", "doc", {"k": "a\udfffb"}),
    ("deep-json", "doc", _deep(5000)),
    ("json-one-level-too-deep", "doc", {"d": _deep(500)}),
    ("nan-json", "doc", {"k": float("nan")}),
    ("set-json", "doc", {"k": {1, 2}}),
    ("nan", "score", float("nan")),
    ("infinity", "score", float("-inf")),
    ("decimal-nan", "amount", Decimal("NaN")),
    ("decimal-signalling-nan", "amount", Decimal("sNaN")),
    ("decimal-infinity", "amount", Decimal("-Infinity")),
    ("huge-int", "qty", 2**70),
    ("naive-datetime", "at", datetime(2026, 1, 1, 12, 0)),
    ("unsupported-type", "name", Opaque()),
    ("plain-enum", "name", Colour.RED),
    ("tuple-as-a-value", "name", ("a", "b")),  # psycopg would send a record
    ("decimal-subclass-nan", "amount", MyDecimal("NaN")),
    # A value's own conversion failing had escaped as it was (ValueError,
    # OverflowError); a tzinfo with no offset had gone into SQLite as local time.
    ("tzinfo-without-offset", "at", datetime(2026, 1, 1, 12, 0, tzinfo=NoOffset())),
    ("tzinfo-that-fails", "at", datetime(2026, 1, 1, 12, 0, tzinfo=FailingOffset())),
    ("tzinfo-out-of-range", "at", datetime(2026, 1, 1, 12, 0, tzinfo=DayAndAHalf())),
    # stored in year 10000 (or 1 BC) in UTC, which no datetime can be read back as
    ("utc-after-9999", "at", datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))),
    ("utc-before-year-1", "at", datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))),
    # A value's own method failing with any exception at all had escaped as it was.
    ("list-whose-iteration-fails", "doc", BadList([1, 2])),
    ("tzinfo-with-an-error-of-its-own", "at",
     datetime(2026, 1, 1, 12, 0, tzinfo=OwnErrorOffset())),
    # Keys json.dumps would rewrite as text: {True: 1, "true": 2} had lost a value.
    ("json-int-key", "doc", {1: "a"}),
    ("json-colliding-keys", "doc", {True: "bool", "true": "str"}),
    ("json-nested-float-key", "doc", {"k": [{2.5: "x"}]}),
    # a float subclass is its own value, not what its __float__ says
    ("float-subclass-nan", "score", OwnFloat(math.nan)),
    ("huge-int-in-a-float-column", "score", 2**64 + 1),
    # past what any numeric takes: PostgreSQL had refused it without naming the
    # parameter, and SQLite's refusal had quoted all its digits
    ("decimal-past-every-numeric", "amount", Decimal("1E+131072")),
    ("decimal-of-a-thousand-digits", "amount", Decimal("9" * 1000 + "E+131072")),
]
PATHS = ["exec", "exec_many", "bulk_insert"]


def _insert(db: Database, path: str, *rows: dict[str, Any]) -> None:
    """``rows`` inserted into ``items`` through one write path: the last row alone by
    ``exec``, all of them by ``exec_many`` or ``bulk_insert``."""
    if path == "exec":
        db.exec(INSERT, rows[-1])
    elif path == "exec_many":
        db.exec_many(INSERT, list(rows))
    else:
        db.bulk_insert("items", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows])


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    with items_database(any_url) as database:
        yield database


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("column", "value"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_value_that_cannot_be_sent_is_a_parameter_error_naming_it(
        db: Database, path: str, column: str, value: Any) -> None:
    good = item("good", at=datetime.now(UTC), score=0.5, qty=1, doc={"ok": True})
    bad = item("bad") | {column: value}
    with pytest.raises(ParameterError) as info:
        _insert(db, path, good, bad)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    named = {"exec": f":{column}", "exec_many": f"row 2, :{column}",
             "bulk_insert": f"row 2, column {column}"}[path]
    assert named in message, message
    assert db.get_value("SELECT count(*) FROM items") == 0


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("value", "cause"), [
    (datetime(2026, 1, 1, 12, 0, tzinfo=OwnErrorOffset()), OffsetUnavailable),
    (BadList([1, 2]), RuntimeError),
], ids=["tzinfo", "list"])
def test_a_value_s_own_failure_is_the_cause_of_its_refusal(
        db: Database, path: str, value: Any, cause: type[Exception]) -> None:
    column = "at" if isinstance(value, datetime) else "doc"
    bad = item("bad") | {column: value}
    with pytest.raises(ParameterError) as info:
        _insert(db, path, bad)
    assert isinstance(info.value.__cause__, cause), repr(info.value.__cause__)
    assert cause.__name__ in str(info.value)


class OwnStr(str):
    def __str__(self) -> str:
        return "claimed"


class OwnInt(int):
    def __index__(self) -> int:
        return 99

    def __int__(self) -> int:
        return 99


class OwnDatetime(datetime):
    @property  # type: ignore[misc]
    def year(self) -> int:  # type: ignore[override]
        return 1999

    def __sub__(self, other: Any) -> Any:
        raise RuntimeError("no")


@pytest.mark.parametrize("path", PATHS)
def test_a_subclass_goes_in_as_its_own_value_not_as_its_methods_say(
        db: Database, path: str) -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    row = item(OwnStr("own"), score=OwnFloat(1.5), qty=OwnInt(5),
               at=OwnDatetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    _insert(db, path, row)
    got = db.get(dict, "SELECT name, score, qty, at FROM items", types={"at": datetime})
    assert got == {"name": "own", "score": 1.5, "qty": 5, "at": at}


def test_subclasses_of_every_base_type_are_read_by_the_base_type() -> None:
    from datetime import date

    from monozu.db.values import as_base_type

    class OwnBytes(bytes):
        def __bytes__(self) -> bytes:
            raise ValueError("no")

    class OwnBytearray(bytearray):
        def __iter__(self) -> Iterator[int]:
            raise ValueError("no")

    class OwnDate(date):
        @property  # type: ignore[misc]
        def year(self) -> int:  # type: ignore[override]
            return 1999

    class OwnUUID(uuid.UUID):
        def __str__(self) -> str:
            return "claimed"

    cases: list[tuple[Any, Any]] = [
        (OwnFloat(1.5), 1.5), (OwnStr("own"), "own"), (OwnInt(5), 5),
        (OwnBytes(b"ab"), b"ab"), (OwnBytearray(b"ab"), b"ab"),
        (memoryview(b"abcdef")[::2], b"ace"),
        (OwnDatetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC, fold=1),
         datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC, fold=1)),
        (OwnDate(2026, 1, 2), date(2026, 1, 2)),
        (OwnUUID(int=7), uuid.UUID(int=7)), (MyDecimal("2.5"), Decimal("2.5")),
    ]
    for value, plain in cases:
        got = as_base_type(value)
        assert type(got) is type(plain) and got == plain, (value, got)
    assert as_base_type(OwnDatetime(2026, 1, 2, fold=1)).fold == 1


def test_values_at_the_edges_still_go_through(db: Database) -> None:
    edge = item("é😀\U0010ffff", qty=2**31 - 1, score=-0.0, doc={"d": _deep(498)})
    db.exec(INSERT, edge)
    last, first = datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)
    db.bulk_insert("items", ("id", "name", "at"), [(uuid.uuid4(), "last", last)])
    db.exec_many("INSERT INTO items (id, name, at) VALUES (:id, :name, :at)",
                 [{"id": uuid.uuid4(), "name": "first", "at": first}])
    assert db.select(datetime, "SELECT at FROM items WHERE name IN ('first', 'last') "
                               "ORDER BY at") == [first, last]
    db.exec("DELETE FROM items WHERE name IN ('first', 'last')")
    db.exec_many(INSERT, [item("x" * 3 + "\u2028", qty=0)])
    db.bulk_insert("items", COLUMNS, [tuple(item("bulk", doc=_deep(100))[c] for c in COLUMNS)])
    assert db.get_value("SELECT count(*) FROM items") == 3
    assert re.fullmatch("é😀\U0010ffff", db.get_value("SELECT name FROM items WHERE qty = :q",
                                                      q=2**31 - 1))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("value", [Decimal("1E-16384"), Decimal("0E-16384"),
                                   Decimal("-1" + "0" * 131072)], ids=["scale", "zero", "whole"])
def test_a_decimal_postgresql_numeric_cannot_take_is_refused_by_name(
        pg_url: str, path: str, value: Decimal) -> None:
    """Past 16383 digits after the point or 131072 before it, PostgreSQL's numeric input
    refuses any value, whatever the column: exec had passed it on and got a DataError
    naming no parameter, where bulk_insert named its row and column."""
    with items_database(pg_url) as db:
        with pytest.raises(ParameterError) as info:
            _insert(db, path, item("good", amount=Decimal("1E-16383")),
                    item("bad", amount=value))
        named = {"exec": ":amount: ", "exec_many": "row 2, :amount: ",
                 "bulk_insert": "row 2, column amount: "}[path]
        assert named in str(info.value) and "PostgreSQL" in str(info.value)
        assert len(str(info.value)) < 400
        assert db.get_value("SELECT count(*) FROM items") == 0
        _insert(db, path, item("edge", amount=Decimal("1E-16383")))  # the last it takes


LAST_MICROSECOND = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize("path", PATHS)
def test_the_last_microsecond_of_the_year_reads_back_as_written(db: Database, path: str) -> None:
    """PostgreSQL keeps microseconds and SQLite the text; SQL Server's adapter cuts to
    the milliseconds its DATETIME2(3) keeps (tests/db/dialects/sqlserver/test_values.py)."""
    row = item("last", at=LAST_MICROSECOND)
    _insert(db, path, row)
    got = db.get_value("SELECT at FROM items WHERE name = 'last'", type=datetime)
    assert got == LAST_MICROSECOND and got.year == 2026


class FailingRow(tuple[Any, ...]):
    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("row iteration failed")


class LyingRow(tuple[Any, ...]):
    def __len__(self) -> int:
        return 2


# Arguments of the wrong shape: each is refused as a ParameterError saying what was
# expected, before anything is written (a dict or a string row would otherwise go in
# as its keys or its characters on SQLite).
GOOD_ROW = tuple(item("shape")[c] for c in COLUMNS)
def _without(column: str) -> dict[str, Any]:
    row = dict(item("y"))
    del row[column]
    return row


WRONG_SHAPES: list[tuple[str, Any, str]] = [
    ("params-list", lambda db: db.exec(INSERT, [1, 2]), "mapping of names to values"),
    ("params-tuple", lambda db: db.select(dict, "SELECT :a AS a", (1,)), "not tuple"),
    ("params-str", lambda db: db.get_value("SELECT :a", "a"), "not str"),
    ("many-one-mapping", lambda db: db.exec_many(INSERT, item("x")), "use exec for one row"),
    ("many-str", lambda db: db.exec_many(INSERT, "abc"), "not a str"),
    ("many-tuple-row", lambda db: db.exec_many(INSERT, [item("x"), GOOD_ROW]),
     "row 2: parameters must be a mapping"),
    ("many-none", lambda db: db.exec_many(INSERT, None), "not a NoneType"),
    ("many-int", lambda db: db.exec_many(INSERT, 5), "not a int"),
    ("many-missing-key", lambda db: db.exec_many(INSERT, [item("x"), _without("name")]),
     "row 2: "),
    ("many-unknown-key", lambda db: db.exec_many(INSERT, [item("x") | {"extra": 1}]),
     "row 1: "),
    # one value a parameter: a list after IN went as one JSON value and matched nothing
    ("many-in-list", lambda db: db.exec_many("DELETE FROM items WHERE name IN (:names)",
                                             [{"names": ["a", "b"]}]),
     "row 1, :names: exec_many binds one value a parameter"),
    # a JSON object after IN matched nothing on SQLite
    ("many-in-dict", lambda db: db.exec_many("DELETE FROM items WHERE name IN :names",
                                             [{"names": "a"}, {"names": {"a": 1}}]),
     "row 2, :names: a dict after IN"),
    ("in-dict", lambda db: db.exec("DELETE FROM items WHERE name IN :names",
                                   names={"a": 1}), ":names: an IN list takes a list or tuple"),
    ("in-nested-list", lambda db: db.select(str, "SELECT name FROM items WHERE name IN "
                                                 "(:names)", names=[["a", "b"], ["c"]]),
     ":names: an IN list holds single values, not a list"),
    ("in-list-iteration-fails", lambda db: db.exec("DELETE FROM items WHERE name IN :names",
                                                   names=BadList(["a"])),
     ":names: the IN list cannot be read: RuntimeError"),
    ("bulk-dict-row", lambda db: db.bulk_insert("items", COLUMNS, [dict(zip(COLUMNS, GOOD_ROW,
                                                                            strict=True))]),
     "row 1: expected a tuple or list of 10 values (one a column), got dict"),
    ("bulk-str-row", lambda db: db.bulk_insert("items", ("name",), [("ok",), "x"]),
     "row 2: expected a tuple or list of 1 value (one a column), got str"),
    ("bulk-short-row", lambda db: db.bulk_insert("items", COLUMNS, [GOOD_ROW, GOOD_ROW[:3]]),
     "row 2: expected a tuple or list of 10 values (one a column), got 3 values"),
    ("bulk-scalar-row", lambda db: db.bulk_insert("items", ("name",), ["ok", 5]),
     "row 1: expected a tuple or list of 1 value"),
    # a row of a tuple subclass is what iterating it gives
    ("bulk-row-iteration-fails", lambda db: db.bulk_insert("items", ("name",),
                                                           [("a",), FailingRow(("b",))]),
     "row 2: the row cannot be read: RuntimeError"),
    ("bulk-row-length-lies", lambda db: db.bulk_insert("items", ("name", "qty"),
                                                       [LyingRow(("c", 1, 2))]),
     "row 1: expected a tuple or list of 2 values (one a column), got 3 values"),
    ("bulk-columns-str", lambda db: db.bulk_insert("items", "name", [("x",)]),
     "columns must be a non-empty list of column names"),
    ("bulk-no-columns", lambda db: db.bulk_insert("items", (), [()]), "non-empty list"),
    ("bulk-column-empty", lambda db: db.bulk_insert("items", ("name", " "), [("x", 1)]),
     "non-empty list of column names"),
    ("bulk-column-twice", lambda db: db.bulk_insert("items", ("name", "name"), [("x", "y")]),
     "column 'name' is given twice"),
    ("bulk-table-empty", lambda db: db.bulk_insert("", ("name",), [("x",)]),
     "table must be a table's name"),
    ("bulk-table-none", lambda db: db.bulk_insert(None, ("name",), [("x",)]),
     "table must be a table's name"),
    ("bulk-table-nul", lambda db: db.bulk_insert("items\x00", ("name",), [("x",)]),
     "table must be a table's name"),
    # a name goes into messages: one that would break a line, move the cursor or fail
    # a strict UTF-8 stream is refused, shown escaped
    ("bulk-table-newline", lambda db: db.bulk_insert("items\nFAKE", ("name",), [("x",)]),
     "table must be a table's name, got 'items\\nFAKE'"),
    ("bulk-table-surrogate", lambda db: db.bulk_insert("items\ud800", ("name",), [("x",)]),
     "table must be a table's name, got 'items\\ud800'"),
    ("bulk-column-escape", lambda db: db.bulk_insert("items", ("na\x1b[2Jme",), [("x",)]),
     "columns must be a non-empty list of column names, got ('na\\x1b[2Jme',)"),
    ("bulk-column-surrogate", lambda db: db.bulk_insert("items", ("\ud800",), [("x",)]),
     "got ('\\ud800',)"),
    ("bulk-column-bidi", lambda db: db.bulk_insert("items", ("name\u202e",), [("x",)]),
     "got ('name\\u202e',)"),
    ("bulk-rows-none", lambda db: db.bulk_insert("items", COLUMNS, None),
     "rows must be an iterable of tuples"),
    ("bulk-rows-mapping", lambda db: db.bulk_insert("items", COLUMNS, {"a": 1}),
     "rows must be an iterable of tuples"),
]


@pytest.mark.parametrize(("call", "says"), [w[1:] for w in WRONG_SHAPES],
                         ids=[w[0] for w in WRONG_SHAPES])
def test_arguments_of_the_wrong_shape_are_refused_before_anything_is_written(
        db: Database, call: Any, says: str) -> None:
    with pytest.raises(ParameterError) as info:
        call(db)
    assert says in str(info.value)
    assert str(info.value).isprintable()  # one line, writable to any stream
    assert db.get_value("SELECT count(*) FROM items") == 0


def test_rows_that_are_tuples_lists_or_named_tuples_go_in(db: Database) -> None:
    from collections import namedtuple

    named = namedtuple("named", COLUMNS)  # type: ignore[misc]
    rows = [GOOD_ROW, list(tuple(item("list")[c] for c in COLUMNS)),
            named(*tuple(item("named")[c] for c in COLUMNS))]
    assert db.bulk_insert("items", COLUMNS, rows) == 3
    assert sorted(db.select(str, "SELECT name FROM items")) == ["list", "named", "shape"]


def test_exec_many_binds_a_scalar_after_bare_in_as_exec_does(db: Database) -> None:
    db.exec_many(INSERT, [item("a"), item("b"), item("c")])
    deleted = db.exec_many("DELETE FROM items WHERE name IN :name", [{"name": "a"},
                                                                    {"name": "c"}])
    assert deleted == 2
    assert db.select(str, "SELECT name FROM items") == ["b"]


@pytest.mark.parametrize(("value", "says"), [("a\ud800b", "parameter 2"),
                                             (2**64, "parameter 2"),
                                             (float("nan"), "parameter 2"),
                                             (datetime(2026, 1, 1), "parameter 2")])  # naive
def test_the_autocommit_connection_checks_its_positional_values(
        db: Database, value: Any, says: str) -> None:
    mark = db.dialect.placeholder
    with db.autocommit() as conn, pytest.raises(ParameterError) as info:
        conn.query(f"SELECT {mark(1)}, {mark(2)}", (1, value))
    assert says in str(info.value)


def test_the_autocommit_connection_takes_only_positional_sequences(db: Database) -> None:
    with db.autocommit() as conn, pytest.raises(ParameterError, match="tuple or list"):
        conn.query("SELECT 1", {"a": 1})  # type: ignore[arg-type]


def test_a_source_that_refills_one_row_or_value_gets_every_row_as_it_was(db: Database) -> None:
    """A reader that refills one list for every row, or one dict for a JSON value: the
    rows were read all before the first was adapted, and every row became the last."""
    import uuid

    def refilled() -> Iterator[list[Any]]:
        buffer = list(GOOD_ROW)
        for n in range(1, 1200):
            buffer[COLUMNS.index("id")] = uuid.UUID(int=n)
            buffer[COLUMNS.index("qty")] = n
            buffer[COLUMNS.index("name")] = f"item {n}"
            buffer[COLUMNS.index("doc")] = document
            document["n"] = n  # one dict, refilled too
            yield buffer

    document: dict[str, int] = {}
    assert db.bulk_insert("items", COLUMNS, refilled()) == 1199
    assert db.get_value("SELECT count(DISTINCT qty) FROM items") == 1199
    docs = db.select(dict, "SELECT qty, doc FROM items ORDER BY qty", types={"doc": dict})
    assert all(d["doc"] == {"n": d["qty"]} for d in docs), docs[:3]


def test_exec_many_binds_a_generator_s_rows_as_they_come(db: Database) -> None:
    """A source that refills one dict (and one JSON value) for every row: its rows were
    read all before any was bound, and every row became the last."""
    import uuid

    def refilled() -> Iterator[dict[str, Any]]:
        params = item("x")
        document: dict[str, int] = {}
        for n in range(1, 300):
            document["n"] = n
            params.update(id=uuid.UUID(int=n), name=f"item {n}", qty=n, doc=document)
            yield params

    assert db.exec_many(INSERT, refilled()) == 299
    docs = db.select(dict, "SELECT qty, doc FROM items ORDER BY qty", types={"doc": dict})
    assert [d["qty"] for d in docs] == list(range(1, 300))
    assert all(d["doc"] == {"n": d["qty"]} for d in docs), docs[:3]
    assert db.exec_many(INSERT, iter(())) == 0


@pytest.mark.parametrize(("row", "says"), [
    ({"name": "no other keys"}, "row 4: "),
    ((1, 2), "row 4: parameters must be a mapping"),
    ("text", "row 4: parameters must be a mapping"),
])
def test_exec_many_names_a_generator_s_bad_row(db: Database, row: Any, says: str) -> None:
    def rows() -> Iterator[Any]:
        for n in range(1, 4):
            yield item(f"ok {n}")
        yield row

    with pytest.raises(ParameterError) as info:
        db.exec_many(INSERT, rows())
    assert str(info.value).startswith(says), info.value
    assert db.get_value("SELECT count(*) FROM items") == 0


def test_exec_many_names_a_generator_s_bad_value_and_in_list(db: Database) -> None:
    def rows(bad: Any) -> Iterator[dict[str, Any]]:
        yield item("a")
        yield item("b", score=bad)

    with pytest.raises(ParameterError, match=r"^row 2, :score: "):
        db.exec_many(INSERT, rows(float("nan")))
    lists = ({"names": n} for n in ("a", ["b", "c"]))
    with pytest.raises(ParameterError, match=r"^row 2, :names: exec_many binds one value"):
        db.exec_many("DELETE FROM items WHERE name IN (:names)", lists)


@pytest.mark.parametrize("error", [ValueError("corrupt line 3"), KeyError("name"),
                                   TypeError("not my fault")])
def test_exec_many_lets_a_generator_s_own_exception_out_unchanged(db: Database,
                                                                  error: Exception) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        yield item("a")
        raise error

    with pytest.raises(type(error)) as info:
        db.exec_many(INSERT, rows())
    assert info.value is error
    assert db.get_value("SELECT count(*) FROM items") == 0
