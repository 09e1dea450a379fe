"""PostgreSQL ``bulk_insert``: what each column type takes, on the direct ``COPY`` and on
the staging path under row-level security.

psycopg picks a ``COPY``'s dumpers by the column's type, and several trust the value
(``"false"`` became TRUE in a boolean column, a string became thousands of days in an
interval). Each refusal must name the row and the column, and leave the transaction as
it was, as a refused ``exec`` does.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from monozu.db import Database, DatabaseError, ParameterError, UniqueViolation
from monozu.db.dialects.postgresql import bulk
from monozu.db.dialects.postgresql.bulk import CHUNK_ROWS
from tests.support.plans import application_database, police
from tests.support.tz import FailingOffset, OwnErrorOffset

TENANT = uuid.UUID(int=0xA1)
CHECK = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid"


class NaNInDisguise:
    """Adds and subtracts like 0, converts to NaN: what the dumper sends is what counts."""

    def __float__(self) -> float:
        return float("nan")

    def __radd__(self, other: object) -> float:
        return 0.0

    def __sub__(self, other: object) -> int:
        return 0


class LyingDecimal(Decimal):
    """A Decimal whose methods say finite whatever its value."""

    def is_finite(self) -> bool:
        return True

    def is_nan(self) -> bool:
        return False

    def __float__(self) -> float:
        return 1.0


class Hostile:
    """Every operation the checks might use raises."""

    def __float__(self) -> float:
        raise RuntimeError("no")

    __sub__ = __radd__ = __bool__ = __len__ = __float__  # type: ignore[assignment]


class OwnFloat(float):
    """Its ``__float__`` claims 1.0: its own value is what is sent (a NaN had gone in
    as 1.0)."""

    def __float__(self) -> float:
        return 1.0


BEYOND_64_BITS = 2**64 + 1  # exec refuses it; its double was stored


# column type -> (a value it takes and how it reads back as text, values it must refuse)
COLUMNS: dict[str, tuple[tuple[Any, str], tuple[Any, ...]]] = {
    "boolean": ((False, "false"), ("false", "0", 0, 1, 1.5, b"x", [True])),
    "time": ((time(1, 2), "01:02:00"), ("01:02", 0, datetime(2026, 1, 1, tzinfo=UTC), {"a": 1},
                                         time(1, 2, tzinfo=FailingOffset()),
                                         time(1, 2, tzinfo=OwnErrorOffset()))),
    "interval": ((timedelta(days=1), "1 day"), ("1", 1, 1.5, True, b"x")),
    "text[]": ((["a"], "{a}"), (0, "a", {"a": 1})),
    "integer[]": (([1, 2], "{1,2}"), (0, "1", [2**40], [True], [[1], [2**31]], [[1, 2], [3]])),
    "smallint[]": (([[1, None], [3, 4]], "{{1,NULL},{3,4}}"), ([70000], [False])),
    "boolean[]": (([True, None], "{t,NULL}"), ([1], ["true"])),
    "interval[]": (([timedelta(days=1)], '{"1 day"}'), (["1 day"], [1], [[timedelta(0)], ["x"]])),
    "time[]": (([time(1, 2)], "{01:02:00}"), (["01:02"], [0])),
    "char(2)[]": ((["ab", None], "{ab,NULL}"), ([1], [b"ab"])),
    "real[]": (([1.5], "{1.5}"), ([1e39], [float("nan")], [True], [BEYOND_64_BITS])),
    "double precision[]": (([1.5], "{1.5}"), ([float("inf")], [NaNInDisguise()],
                                              [BEYOND_64_BITS])),
    "date": ((date(2026, 1, 1), "2026-01-01"), (datetime(2026, 1, 1), "2026-01-01", 5)),
    "timestamp": ((datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5))),
                   "2026-01-01 07:00:00"), (datetime(2026, 1, 1), date(2026, 1, 1), "x")),
    "uuid": ((uuid.UUID(int=5), "00000000-0000-0000-0000-000000000005"),
             ("00000000-0000-0000-0000-000000000005", 5)),
    "integer": ((7, "7"), ("7", 1.5, 2**31, -2**31 - 1, 2**40, True)),
    "smallint": ((-7, "-7"), (70000, -40000, 2**15, 2**63, 2**200, True, "7")),
    "bigint": ((2**62, str(2**62)), (2**63, -2**63 - 1, True, Decimal("1"))),
    # psycopg's own refusals (a Decimal past numeric's binary form) had named no row
    "numeric": ((Decimal("2.5"), "2.5"), (2**70, type("D", (Decimal,), {})("NaN"), "2",
                                          LyingDecimal("NaN"), LyingDecimal("-Infinity"),
                                          True, Decimal("1E+999999"), Decimal("1E-999999"))),
    "double precision": ((1.5, "1.5"), ("1.5", float("nan"), NaNInDisguise(),
                                       LyingDecimal("NaN"), True, BEYOND_64_BITS,
                                       OwnFloat("nan"))),
    "real": ((1.5, "1.5"), ("1.5", float("nan"), float("-inf"), 1e39, NaNInDisguise(),
                            Hostile(), False, BEYOND_64_BITS, OwnFloat("-inf"))),
    "timestamptz": ((datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01 00:00:00+00"),
                    ("2026-01-01", datetime(2026, 1, 1))),  # naive
    "text": (("a", "a"), (1, b"a", "a\x00b", "a\ud800")),
    "char(3)": (("abc", "abc"), (1,)),
    "cidr": ((ipaddress.ip_network("10.0.0.0/8"), "10.0.0.0/8"), (1,)),
    # as exec sends it: its bytes (psycopg's dumper refused one not contiguous)
    "bytea": ((memoryview(b"abcdef")[::2], "\\x616365"), (1, "ace")),
}
# What a string means in a JSON column: the document, as exec sends it.
JSON_TEXT = [("jsonb", '{"a": 1}', '{"a": 1}'), ("json", '{"a": 1}', '{"a": 1}'),
             ("jsonb", "false", "false"), ("jsonb", {"a": [1]}, '{"a": [1]}')]


@pytest.fixture(params=["copy", "staging", "staging, row by row"])
def target(request: pytest.FixtureRequest, pg_url: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A role that copies straight into the table, and one whose policies force staging;
    that one also with rows written one call each, as with a psycopg that lacks the C
    row formatter the layer uses."""
    if request.param.endswith("row by row"):
        monkeypatch.setattr(bulk, "_format_row", None)
    operator = Database.open(pg_url, pool_size=1)
    definition = ", ".join(f'"c{i}" {t}' for i, t in enumerate(COLUMNS))
    operator.exec("CREATE TYPE mood AS ENUM ('sad', 'happy')")
    operator.exec("CREATE DOMAIN positive AS int CHECK (VALUE > 0)")
    operator.exec("CREATE DOMAIN small_positive AS positive CHECK (VALUE < 100)")
    operator.exec("CREATE DOMAIN int_list AS int[]")
    operator.exec(f"CREATE TABLE wide (id int PRIMARY KEY, tenant_id uuid NOT NULL, "
                  f"{definition}, j jsonb, js json, mood mood, pos positive, "
                  f"small small_positive, moods mood[], ints int_list)")
    if request.param == "copy":
        yield operator
        operator.close()
        return
    police(operator, "wide", CHECK)
    with application_database(operator, pg_url) as database:
        yield database
    operator.close()


def _column(type_: str) -> str:
    return f"c{list(COLUMNS).index(type_)}"


@pytest.mark.parametrize(("type_", "bad"), [(t, v) for t, (_, refused) in COLUMNS.items()
                                            for v in refused])
def test_a_value_the_column_does_not_take_is_refused_naming_row_and_column(
        target: Database, type_: str, bad: Any) -> None:
    good, _ = COLUMNS[type_][0]
    column = _column(type_)
    with target.tenant(TENANT) as tx:
        tx.exec("INSERT INTO wide (id, tenant_id) VALUES (0, :t)", t=TENANT)
        with pytest.raises(ParameterError) as caught:
            tx.bulk_insert("wide", ["id", "tenant_id", column],
                           [(1, TENANT, good), (2, TENANT, bad), (3, TENANT, good)])
        assert "row 2" in str(caught.value)
        assert f"column {column}" in str(caught.value)
        # The refusal left the transaction as it was: usable, and without row 1.
        assert tx.select(int, "SELECT id FROM wide ORDER BY id") == [0]
    with target.tenant(TENANT) as tx:  # and row 0 was committed with it
        assert tx.select(int, "SELECT id FROM wide") == [0]


@pytest.mark.parametrize("type_", list(COLUMNS))
def test_the_value_a_column_takes_goes_in_as_exec_would_put_it(target: Database,
                                                                type_: str) -> None:
    (good, text), _ = COLUMNS[type_]
    column = _column(type_)
    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", ["id", "tenant_id", column], [(1, TENANT, good)]) == 1
        assert tx.get_value(f"SELECT {column}::text FROM wide") == text
        # exec sends a list as JSON and these as text: no like for like
        if type_ not in ("cidr", "char(3)") and not type_.endswith("[]"):
            tx.exec(f"INSERT INTO wide (id, tenant_id, {column}) VALUES (2, :t, :v)",
                    t=TENANT, v=good)
            assert tx.get_value(f"SELECT {column}::text FROM wide WHERE id = 2") == text


@pytest.mark.parametrize(("type_", "value", "text"), JSON_TEXT)
def test_a_string_in_a_json_column_is_the_document_as_with_exec(
        target: Database, type_: str, value: Any, text: str) -> None:
    column = "j" if type_ == "jsonb" else "js"
    with target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", column], [(1, TENANT, value)])
        tx.exec(f"INSERT INTO wide (id, tenant_id, {column}) VALUES (2, :t, :v)",
                t=TENANT, v=value)
        got = tx.select(str, f"SELECT {column}::text FROM wide ORDER BY id")
    assert got == [text, text]


def test_a_string_that_is_not_json_is_refused_by_the_server_not_stored_as_a_string(
        target: Database) -> None:
    with pytest.raises(DatabaseError) as caught, target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", "j"], [(1, TENANT, "not json")])
    assert "json" in str(caught.value).lower()


def test_an_error_of_the_callers_row_source_goes_out_unchanged(target: Database) -> None:
    def rows() -> Iterator[tuple[Any, ...]]:
        yield (1, TENANT, "a")
        raise ValueError("source file is corrupt at line 2")

    with target.tenant(TENANT) as tx:
        tx.exec("INSERT INTO wide (id, tenant_id) VALUES (0, :t)", t=TENANT)
        with pytest.raises(ValueError, match="source file is corrupt at line 2"):
            tx.bulk_insert("wide", ["id", "tenant_id", _column("text")], rows())
        assert tx.select(int, "SELECT id FROM wide ORDER BY id") == [0]


def test_a_database_error_leaves_the_transaction_usable_too(target: Database) -> None:
    with target.tenant(TENANT) as tx:
        tx.exec("INSERT INTO wide (id, tenant_id) VALUES (1, :t)", t=TENANT)
        with pytest.raises(UniqueViolation):
            tx.bulk_insert("wide", ["id", "tenant_id"], [(2, TENANT), (1, TENANT)])
        tx.exec("INSERT INTO wide (id, tenant_id) VALUES (3, :t)", t=TENANT)
    with target.tenant(TENANT) as tx:
        assert tx.select(int, "SELECT id FROM wide ORDER BY id") == [1, 3]


# Boolean and float8 values are checked a chunk of rows at a time: a refusal must still
# name its row wherever it falls, and every value the column takes must pass.
CHUNK = CHUNK_ROWS
PLACES = [1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK + 7]  # last: in the short chunk


CHECKED = {"boolean": (True, ["false", 1, 0, 1.0, b"\x01", Hostile()]),
           "double precision": (0.5, [float("nan"), float("inf"), float("-inf"),
                                      Decimal("NaN"), Decimal("sNaN"), "1.5", 10**400,
                                      NaNInDisguise(), Hostile(), LyingDecimal("NaN"),
                                      True, BEYOND_64_BITS, -BEYOND_64_BITS]),
           "smallint": (5, [70000, -2**15 - 1, True, 1.5, "5", Hostile()]),
           "integer": (5, [2**31, 2**40, False, Decimal("5")]),
           "bigint": (5, [2**63, -2**63 - 1, True])}


class Pair(NamedTuple):
    id: int
    tenant_id: uuid.UUID
    value: Any


# Values no check looks at before they are written: the dumpers refuse them while a
# whole chunk is being formatted, and the refusal must still name its row.
DUMPER_REFUSED = {"uuid": (uuid.UUID(int=5), ["00000000-0000-0000-0000-000000000005", 5]),
                  "text": ("a", [1, b"a"]),
                  "timestamptz": (datetime(2026, 1, 1, tzinfo=UTC), ["2026-01-01"]),
                  "cidr": (ipaddress.ip_network("10.0.0.0/8"), [1])}
REFUSED_IN_CHUNKS = CHECKED | DUMPER_REFUSED


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("type_", "bad"), [(t, v) for t, (_, refused) in
                                            REFUSED_IN_CHUNKS.items() for v in refused])
def test_a_refused_value_is_named_by_its_row_in_any_chunk(
        target: Database, type_: str, bad: Any, place: int) -> None:
    good, _ = REFUSED_IN_CHUNKS[type_]
    column = _column(type_)
    rows = [(n, TENANT, bad if n == place else good) for n in range(1, 2 * CHUNK + 10)]
    with target.tenant(TENANT) as tx:
        with pytest.raises(ParameterError) as caught:
            tx.bulk_insert("wide", ["id", "tenant_id", column], rows)
        assert f"row {place}, column {column}" in str(caught.value)
        assert tx.get_value("SELECT count(*) FROM wide") == 0


def test_the_c_row_formatter_is_there_to_be_used() -> None:
    # The fast way to write rows uses psycopg's C row formatter, which psycopg does not
    # document: with a psycopg that moved it, rows go one call each, a quarter slower.
    assert bulk._format_row is not None, "psycopg's format_row_binary has moved"


def test_no_rows_and_rows_filling_chunks_exactly_go_in(target: Database) -> None:
    column = _column("text")
    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", ["id", "tenant_id", column], []) == 0
        rows = [(n, TENANT, f"v{n}") for n in range(1, 2 * CHUNK + 1)]
        assert tx.bulk_insert("wide", ["id", "tenant_id", column], rows) == 2 * CHUNK
        got = tx.select(dict, f"SELECT id, tenant_id, {column} FROM wide ORDER BY id")
    assert [(r["id"], r["tenant_id"], r[column]) for r in got] == rows


def test_every_value_a_float_column_takes_goes_in_across_chunks(target: Database) -> None:
    # Zeros, None, ints, a Decimal, subnormals and two maxima whose sum overflows: all
    # finite, so all stored, whichever way their chunk went.
    values = [0.0, None, 3, -0.0, 5e-324, 1.7976931348623157e308, 1.7976931348623157e308,
              Decimal("2.5"), 7, -1.5] * (CHUNK // 4)
    column = _column("double precision")
    rows = [Pair(n, TENANT, v) for n, v in enumerate(values, 1)]  # a tuple subclass
    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", ["id", "tenant_id", column], rows) == len(rows)
        got = tx.select(Any, f"SELECT {column} FROM wide ORDER BY id")  # type: ignore[arg-type]
    assert got == [None if v is None else float(v) for v in values]


def test_a_bad_row_shape_is_named_in_a_later_chunk(target: Database) -> None:
    column = _column("boolean")
    for bad, said in (({"id": 1}, "got dict"), ((1, TENANT), "got 2 values"),
                      ("abc", "got str")):
        rows: list[Any] = [(n, TENANT, True) for n in range(1, CHUNK + 10)]
        rows[CHUNK + 3] = bad
        with pytest.raises(ParameterError, match=f"row {CHUNK + 4}: .*{said}"), \
                target.tenant(TENANT) as tx:
            tx.bulk_insert("wide", ["id", "tenant_id", column], rows)


@pytest.mark.parametrize("bad", [float("nan"), Decimal("-Infinity"), NaNInDisguise()])
@pytest.mark.parametrize("type_", ["float8", "float4"])
def test_a_copy_of_its_own_on_the_raw_connection_refuses_non_finite_floats_too(
        pg_url: str, type_: str, bad: Any) -> None:
    database = Database.open(pg_url, pool_size=1)
    try:
        database.exec(f"CREATE TABLE raw_copy (x {type_})")
        with pytest.raises(ParameterError, match="refused: NaN and infinities"), \
                database.transaction() as tx, \
                tx.conn.cursor().copy("COPY raw_copy FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([type_])
            copy.write_row((1.5,))
            copy.write_row((bad,))
        assert database.get_value("SELECT count(*) FROM raw_copy") == 0
    finally:
        database.close()


def test_a_decimal_goes_in_as_its_value_not_as_its_float_method_says(target: Database) -> None:
    class NaNFloat(Decimal):
        def __float__(self) -> float:
            return float("nan")

    value = NaNFloat("2.5")
    columns = ["id", "tenant_id", _column("double precision"), _column("real"),
               _column("numeric")]
    with target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", columns, [(1, TENANT, value, value, value)])
        got = tx.get(dict, f"SELECT {', '.join(columns[2:])} FROM wide")
        assert list(got.values()) == [2.5, 2.5, Decimal("2.5")]
        # a float subclass too: its own value, not its __float__ (1.0)
        tx.bulk_insert("wide", columns[:4], [(2, TENANT, OwnFloat(2.5), OwnFloat(2.5))])
        assert tx.get(dict, f"SELECT {', '.join(columns[2:4])} FROM wide WHERE id = 2"
                      ) == {columns[2]: 2.5, columns[3]: 2.5}


def test_every_int_an_integer_column_takes_goes_in_exactly_across_chunks(
        target: Database) -> None:
    """psycopg's C dumpers keep the low bits of an int too large for the column (70000
    went into a smallint as 4464): the bounds themselves must still go in."""
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    bounds = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
    columns = [_column(t) for t in bounds]
    rows = [(n, TENANT, *(((-1) ** n) * (bounds[t] - 1 - n % 2) if n % 7 else
                          (None if n % 2 else Level.HIGH) for t in bounds))
            for n in range(1, 2 * CHUNK + 3)]
    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", ["id", "tenant_id", *columns], rows) == len(rows)
        got = tx.select(dict, f"SELECT id, {', '.join(columns)} FROM wide ORDER BY id")
    assert [tuple(r.values()) for r in got] == [(r[0], *r[2:]) for r in rows]


def test_a_value_the_server_refuses_mid_copy_names_its_row_and_keeps_its_class(
        pg_url: str) -> None:
    from monozu.db import DataError

    database = Database.open(pg_url, pool_size=1)
    try:
        database.exec("CREATE TABLE priced (id int PRIMARY KEY, price numeric(5,2), "
                      "day date)")
        cases = [(DataError, "row 2, column price: numeric field overflow",
                  [(1, Decimal("1.5"), None), (2, Decimal("12345.6"), None)]),
                 (UniqueViolation, "row 3: duplicate key",
                  [(1, None, None), (2, None, None), (1, None, None)])]
        for cls, said, rows in cases:
            with pytest.raises(cls, match=said) as caught, database.transaction() as tx:
                tx.bulk_insert("priced", ["id", "price", "day"], rows)
            assert str(caught.value).startswith("bulk insert into priced, ")
            assert database.get_value("SELECT count(*) FROM priced") == 0
    finally:
        database.close()


def test_a_datetime_goes_into_date_and_timestamp_columns_as_exec_puts_it(
        target: Database) -> None:
    """In UTC: 22:00 at UTC-5 is the next day's 03:00 (psycopg's dumpers took the
    datetime's own date and wall time)."""
    evening = datetime(2026, 1, 1, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    columns = [_column("date"), _column("timestamp")]
    with target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", *columns], [(1, TENANT, evening, evening)])
        tx.exec(f"INSERT INTO wide (id, tenant_id, {', '.join(columns)}) VALUES "
                "(2, :t, :d, :d)", t=TENANT, d=evening)
        got = tx.select(dict, f"SELECT {columns[0]}::text AS d, {columns[1]}::text AS ts "
                              "FROM wide ORDER BY id")
    assert got == [{"d": "2026-01-02", "ts": "2026-01-02 03:00:00"}] * 2


def test_a_refused_array_names_its_own_problem_not_json(pg_url: str) -> None:
    database = Database.open(pg_url, pool_size=1)
    try:
        database.exec("CREATE TABLE arrays (n numeric[], t text[])")
        for column, value, said in (("n", [Decimal("NaN")], "NaN refused"),
                                    ("t", ["a\ud800"], "UnicodeEncodeError")):
            with pytest.raises(ParameterError, match=f"row 1, column {column}: .*{said}") as caught:
                database.bulk_insert("arrays", [column], [(value,)])
            assert "JSON" not in str(caught.value)
    finally:
        database.close()


def test_enum_and_domain_columns_go_in_with_the_server_checking_them(
        target: Database) -> None:
    """An enum goes as its label's text, a domain as its base type; the server checks
    the label and the domain's constraints, and the base type's range is the layer's."""
    import enum

    from monozu.db import CheckViolation, DataError

    class Mood(enum.StrEnum):
        HAPPY = "happy"

    columns = ["id", "tenant_id", "mood", "pos", "small"]
    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", columns, [(1, TENANT, "sad", 5, 99),
                                                (2, TENANT, Mood.HAPPY, 2**31 - 1, None)]) == 2
        got = tx.select(dict, "SELECT mood::text, pos, small FROM wide ORDER BY id")
    assert [tuple(r.values()) for r in got] == [("sad", 5, 99), ("happy", 2**31 - 1, None)]
    refused: list[tuple[tuple[Any, ...], type[Exception], str]] = [
        ((3, TENANT, "angry", 1, 1), DataError, "row 1, column mood: invalid input value"),
        ((3, TENANT, 1, 1, 1), ParameterError, "row 1, column mood"),
        ((3, TENANT, "sad", -1, 1), CheckViolation, "row 1, column pos: value for domain"),
        ((3, TENANT, "sad", 1, 100), CheckViolation, "row 1, column small: value for domain"),
        ((3, TENANT, "sad", 2**40, 1), ParameterError, "does not fit an integer column"),
    ]
    for row, cls, said in refused:
        with pytest.raises(cls, match=said), target.tenant(TENANT) as tx:
            tx.bulk_insert("wide", columns, [row])
    for value, said in (([2**40], "does not fit an integer column"), ("{1}", "takes a list")):
        with pytest.raises(ParameterError, match=f"row 1, column ints: .*{said}"), \
                target.tenant(TENANT) as tx:
            tx.bulk_insert("wide", ["id", "tenant_id", "ints"], [(3, TENANT, value)])
    with target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", "ints"], [(3, TENANT, [1, None])])
        assert tx.get_value("SELECT ints::text FROM wide WHERE id = 3") == "{1,NULL}"
    with pytest.raises(ParameterError, match="column moods: its type mood\\[\\] has no binary"), \
            target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", "moods"], [(3, TENANT, ["sad"])])


def test_a_server_lost_mid_copy_is_a_connection_failure_not_a_bad_value(pg_url: str) -> None:
    import time

    import psycopg

    from monozu.db import ConnectionFailed

    database = Database.open(pg_url, pool_size=1)
    admin = psycopg.connect(pg_url, autocommit=True)
    try:
        database.exec("CREATE TABLE lost (id int, t text)")
        with pytest.raises(ConnectionFailed), database.transaction() as tx:
            pid = tx.get_value("SELECT pg_backend_pid()")

            def rows() -> Iterator[tuple[int, str]]:
                for n in range(400_000):
                    if n == 5_000:  # the server process goes away mid-copy
                        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                        for _ in range(100):
                            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = "
                                                 "%s", (pid,)).fetchone():
                                break
                            time.sleep(0.05)
                    yield n, "x" * 50

            tx.bulk_insert("lost", ["id", "t"], rows())
        assert database.get_value("SELECT count(*) FROM lost") == 0
    finally:
        admin.close()
        database.close()


def test_a_source_that_refills_one_list_or_value_gets_every_row_as_it_was(
        target: Database) -> None:
    """Rows are read a chunk ahead of being written: a source that refills one list (a
    reader's buffer) or one array value must still get each row as it was yielded, and
    a bad value it held for one row only must still be refused."""
    flag, array, doc = _column("boolean"), _column("integer[]"), "j"

    def refilled(bad_at: int | None = None) -> Iterator[list[Any]]:
        buffer: list[Any] = [None, TENANT, None]
        for n in range(1, 2 * CHUNK + 10):
            buffer[0], buffer[2] = n, ("false" if n == bad_at else n % 2 == 0)
            yield buffer

    def refilled_values() -> Iterator[tuple[Any, ...]]:
        numbers: list[int] = []
        document: dict[str, int] = {}
        for n in range(1, 20):
            numbers[:] = [n, n + 1]
            document["n"] = n
            yield (n, TENANT, numbers, document)

    with target.tenant(TENANT) as tx:
        assert tx.bulk_insert("wide", ["id", "tenant_id", flag], refilled()) == 2 * CHUNK + 9
        assert tx.get_value(f"SELECT count(*) FILTER (WHERE {flag}) FROM wide") == CHUNK + 4
        assert tx.get_value("SELECT count(DISTINCT id) FROM wide") == 2 * CHUNK + 9
        tx.exec("DELETE FROM wide")
        tx.bulk_insert("wide", ["id", "tenant_id", array, doc], refilled_values())
        got = tx.select(dict, f"SELECT {array} AS a, {doc}->>'n' AS n FROM wide ORDER BY id")
        assert got == [{"a": [n, n + 1], "n": str(n)} for n in range(1, 20)]
    with pytest.raises(ParameterError, match=f"row {CHUNK + 3}, column {flag}"), \
            target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id", flag], refilled(bad_at=CHUNK + 3))

    def tuples_then_one_list() -> Iterator[Any]:
        shared: list[Any] = [0, TENANT]
        yield (1, TENANT)
        yield shared
        yield shared

    with pytest.raises(ParameterError, match="one list object is given for several rows"), \
            target.tenant(TENANT) as tx:
        tx.bulk_insert("wide", ["id", "tenant_id"], tuples_then_one_list())
