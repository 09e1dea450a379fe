"""SQL Server's value adapter, offline: what it sends is what DATETIME2(3) and the
driver can hold, and what it cannot send is a ParameterError."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from monozu.db.dialects.sqlserver import DIALECT
from monozu.db.errors import NulCharacter, ParameterError


def test_timestamps_are_cut_to_the_milliseconds_the_column_keeps() -> None:
    last = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    sent = DIALECT.adapt(last)
    # Rounded by the server, .9999995 would become 2027-01-01 00:00:00.000.
    assert sent == datetime(2026, 12, 31, 23, 59, 59, 999000)
    assert sent.tzinfo is None
    reader = DIALECT.reader(datetime)
    assert reader is not None
    back = reader(sent)
    assert back.year == 2026 and back.tzinfo is not None
    assert last - back < timedelta(milliseconds=1)
    plus_two = datetime(2027, 1, 1, 1, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert DIALECT.adapt(plus_two) == sent  # the same instant, sent in UTC
    exact = datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert DIALECT.adapt(exact) == exact.replace(tzinfo=None)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Blob(bytes):
    pass


@pytest.mark.parametrize(("value", "sent"), [
    (Colour.RED, "red"), (Level.HIGH, 3), (Blob(b"ab"), b"ab"), (bytearray(b"ab"), b"ab"),
    (memoryview(b"ab"), b"ab"), (True, True), (Decimal("1.5"), Decimal("1.5")),
    (uuid.UUID(int=1), uuid.UUID(int=1)), (2**63 - 1, 2**63 - 1), ([1], "[1]"),
])
def test_subclasses_and_bytes_like_values_go_as_their_base_type(value: Any, sent: Any) -> None:
    got = DIALECT.adapt(value)
    assert got == sent and type(got) is type(sent)


@pytest.mark.parametrize("value", [
    "a\ud800b", {"k": "\udfff"}, float("nan"), float("inf"), 2**63, -(2**63) - 1,
    datetime(2026, 1, 1), object(), {1, 2}, complex(1, 2), Decimal("NaN"), Decimal("sNaN"),
    Decimal("-Infinity"), type("Money", (Decimal,), {})("Infinity"),
    # more than the 38 digits the driver binds (it raised a ValueError naming nothing)
    Decimal("1E+38"), Decimal("9" * 39), Decimal("1E-39"), Decimal("1." + "0" * 38),
    type("Money", (Decimal,), {})("1E+100"),
])
def test_what_cannot_be_sent_is_refused(value: Any) -> None:
    with pytest.raises(ParameterError):
        DIALECT.adapt(value)


@pytest.mark.parametrize("value", ["9" * 38, "-9" * 1 + "9" * 37, "1E-38", "0.5", "1E+37",
                                   "0." + "0" * 36 + "1"])
def test_decimals_of_up_to_38_digits_go_as_they_are(value: str) -> None:
    assert DIALECT.adapt(Decimal(value)) == Decimal(value)


def test_a_decimal_past_38_digits_is_named_in_bulk_rows_before_anything_is_sent() -> None:
    """mssql-python's executemany writes out every Decimal in full before it checks its
    precision: 1E+999999999 would be a string of a billion digits."""
    class Conn:
        autocommit = False

        def cursor(self) -> Any:
            raise AssertionError("nothing may be sent")

    rows = [(1, Decimal("1.5")), (2, Decimal("1E+999999999"))]
    with pytest.raises(ParameterError) as info:
        DIALECT.bulk_insert(Conn(), "dbo.prices", ("id", "amount"), rows)
    assert str(info.value).startswith("bulk insert into dbo.prices, row 2, column amount: "
                                      "1E+999999999 refused: SQL Server's decimal numbers "
                                      "hold at most 38 digits"), info.value


def test_bulk_rows_name_the_row_and_column_before_anything_is_sent() -> None:
    class Conn:
        autocommit = False

        def cursor(self) -> Any:
            raise AssertionError("nothing may be sent")

    rows = [(uuid.UUID(int=1), "fine"), (uuid.UUID(int=2), "bad\x00")]
    with pytest.raises(NulCharacter, match=r"dbo\.assets, row 2, column name"):
        DIALECT.bulk_insert(Conn(), "dbo.assets", ("id", "name"), rows)


@pytest.mark.parametrize("row", [{"id": 1, "name": "x"}, "ab", (1,), 7],
                         ids=["dict", "str", "short", "scalar"])
def test_bulk_rows_of_the_wrong_shape_are_refused_before_anything_is_sent(row: Any) -> None:
    class Conn:
        autocommit = False

        def cursor(self) -> Any:
            raise AssertionError("nothing may be sent")

    rows = [(uuid.UUID(int=1), "fine"), row]
    with pytest.raises(ParameterError, match=r"dbo\.assets, row 2: expected a tuple or list "
                                             r"of 2 values"):
        DIALECT.bulk_insert(Conn(), "dbo.assets", ("id", "name"), rows)


def test_bulk_rows_are_adapted_as_they_come_from_a_source_that_refills_them() -> None:
    """A reader that refills one list, and one dict for a JSON value, for every row: the
    rows were read all before any was adapted, so each became the last (no server
    needed: the batch is what the driver is given)."""
    document: dict[str, int] = {}

    def refilled() -> Any:
        buffer: list[Any] = [0, None]
        for n in range(1, 6):
            document["n"] = n
            buffer[0], buffer[1] = n, document
            yield buffer

    batch = DIALECT.adapt_rows("t", ["id", "doc"], refilled())
    assert [(r[0], r[1]) for r in batch] == [(n, f'{{"n":{n}}}') for n in range(1, 6)]
