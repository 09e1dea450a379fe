"""``exec_many``'s generated binder sends, for every value, what the dialect's ``adapt``
sends, and refuses what it refuses: its inlined expressions only skip a call.

Checked offline on each dialect (SQL Server's included), for a binder specialised on
each common type and fed values of every kind after that first row: the value the
expression was made for, its edge cases and subclasses, and values of other types.
"""

from __future__ import annotations

import enum
import math
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from monozu.db.binding import bind_rows
from monozu.db.dialects import dialect_for
from monozu.db.sqlparams import compile_sql
from tests.support.tz import FailingOffset, NoOffset


class Text(str):
    pass


class Whole(int):
    pass


class Real(float):
    pass


class Key(uuid.UUID):
    pass


class Moment(datetime):
    pass


class Colour(enum.Enum):
    RED = 1


_PLUS_TWO = timezone(timedelta(hours=2))
_MINUS_ONE = timezone(timedelta(hours=-1))

VALUES: list[Any] = [
    "", "plain", "été", "日本", "a\x00b", "\x00", "a\ud800b", Text("sub"), Text("a\x00"),
    0, 1, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**200, Whole(5), Whole(2**70),
    True, False,
    0.0, -0.0, 1.5, 1e308, math.nan, math.inf, -math.inf, Real(2.5), Real(math.nan),
    None,
    uuid.UUID(int=0), uuid.uuid4(), Key(int=7),
    datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=_PLUS_TWO),
    datetime(2026, 1, 2), datetime(2026, 1, 2, tzinfo=NoOffset()),
    datetime(2026, 1, 2, tzinfo=FailingOffset()), datetime(9999, 12, 31, 23, tzinfo=_MINUS_ONE),
    datetime(1, 1, 1, tzinfo=_PLUS_TWO), datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    Moment(2026, 1, 2, tzinfo=UTC), date(2026, 1, 2),
    Decimal("1.5"), Decimal("NaN"), {"a": 1}, [1, "x"], b"\x00\x01", (1, 2), Colour.RED,
    object(),
]

# The first row's value: the type the binder is specialised on.
FIRSTS: list[Any] = ["x", 1, 1.0, True, None, uuid.UUID(int=1),
                     datetime(2026, 1, 1, tzinfo=UTC), Decimal(1)]


def _outcome(action: Any) -> tuple[str, Any]:
    try:
        value = action()
    except Exception as exc:  # the refusal is what is compared
        return "refused", type(exc)
    if hasattr(value, "obj"):  # a JSON wrapper: what it wraps and how
        return "sent", (type(value), value.obj)
    return "sent", (type(value), value)


def _same(got: tuple[str, Any], expected: tuple[str, Any]) -> bool:
    if got[0] != expected[0] or got[0] == "refused":
        return got == expected
    (got_type, got_value), (want_type, want_value) = got[1], expected[1]
    if got_type is not want_type:
        return False
    if isinstance(want_value, float) and math.isnan(want_value):
        return isinstance(got_value, float) and math.isnan(got_value)
    return bool(got_value == want_value) and (
        not isinstance(want_value, float) or math.copysign(1, got_value)
        == math.copysign(1, want_value))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "sqlserver"])
@pytest.mark.parametrize("first", FIRSTS, ids=lambda v: type(v).__name__)
def test_the_binder_sends_and_refuses_what_adapt_does(kind: str, first: Any) -> None:
    dialect = dialect_for(kind)  # type: ignore[arg-type]
    compiled = compile_sql("INSERT INTO t (a, b) VALUES (:a, :b)", dialect.style,
                           dialect.lexicon)
    differing = []
    for value in VALUES:
        rows = [{"a": first, "b": first}, {"a": value, "b": first}]
        got = _outcome(lambda rows=rows: bind_rows(compiled, dialect, rows)[1][0])
        expected = _outcome(lambda value=value: dialect.adapt(value))
        if got[0] == "refused" and expected[0] == "refused":
            continue  # bind_rows names the row: the class is its own
        if not _same(got, expected):
            differing.append((value, got, expected))
    assert not differing


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "sqlserver"])
def test_every_inlined_type_is_specialised_on(kind: str) -> None:
    # A template for a type no first row here has would go untested above.
    dialect = dialect_for(kind)  # type: ignore[arg-type]
    assert set(dialect.inline_adapters) <= {type(v) for v in FIRSTS}
