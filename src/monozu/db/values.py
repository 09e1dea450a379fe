"""Value conversions shared by the dialects: Python values in, Python values out.

The Python side always sees ``uuid.UUID``, timezone-aware UTC ``datetime``, ``bool``,
``float``, ``Decimal`` and ``dict``/``list`` for JSON, whatever the database. SQLite
has none of these natively, so its storage forms are chosen to be cheap to read:

* UUIDs are 16-byte BLOBs, rebuilt by :func:`uuid_from_bytes`, which sets the
  ``UUID``'s slots directly (about 3.5x cheaper than ``uuid.UUID(text)``: the
  validation it skips was done when the value was written and by the column CHECK);
* timestamps are fixed-form ISO-8601 text with an explicit ``+00:00``, which
  ``datetime.fromisoformat`` parses in C straight into an aware value (no
  ``replace(tzinfo=...)`` call per row) and which sorts correctly as text.
"""

from __future__ import annotations

import json
import re
import types
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from monozu.db.errors import MonozuError, NulCharacter, ParameterError

_new = object.__new__
_get_int = uuid.UUID.__dict__["int"].__get__
_set_int = uuid.UUID.__dict__["int"].__set__
_set_safe = uuid.UUID.__dict__["is_safe"].__set__
_UNKNOWN = uuid.SafeUUID.unknown
_from_bytes = int.from_bytes
_UUID = uuid.UUID
# An escaped NUL: "\u0000" preceded by an even number of backslashes.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def uuid_from_bytes(raw: bytes) -> uuid.UUID:
    """A ``UUID`` from its 16 big-endian bytes, without re-validating them; a value of
    any other length (or text) is refused: it would make a UUID of its number."""
    number = _from_bytes(raw)  # text fails here (TypeError)
    if len(raw) != 16:
        raise ValueError(f"a UUID is 16 bytes, not {len(raw)}")
    value: uuid.UUID = _new(_UUID)
    _set_int(value, number)
    _set_safe(value, _UNKNOWN)
    return value


# uuid_from_bytes as one expression, for generated row code (no Python frame per value:
# a result of 100,000 rows with two UUID columns reads 3 ms faster). ``{x}`` is the
# value, ``{c}`` uuid_from_bytes itself, which refuses a value of another length.
UUID_FROM_BYTES_INLINE = ("(_set_int(_u := _new(_UUID), _from_bytes(_b)) or "
                          "_set_safe(_u, _UNKNOWN) or _u) if len(_b := {x}) == 16 else {c}(_b)")
UUID_FROM_BYTES_ENV: dict[str, Any] = {
    "_new": _new, "_UUID": _UUID, "_set_int": _set_int, "_set_safe": _set_safe,
    "_UNKNOWN": _UNKNOWN, "_from_bytes": _from_bytes}



_EDGE_YEARS = frozenset({1, 9999})


def aware(value: datetime) -> datetime:
    """``value`` if it carries a time zone; naive values are refused on every path.

    Naive as Python defines it: no tzinfo, or one whose ``utcoffset()`` is None (such a
    value had gone into SQLite as local time written as UTC). A tzinfo whose
    ``utcoffset()`` fails raises its own error, which the callers name."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ParameterError(
            f"naive datetime {value.isoformat()} refused: pass a timezone-aware value "
            "(timestamps are stored in UTC)"
        )
    if value.year in _EDGE_YEARS:  # in UTC it may leave the years a datetime holds
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ParameterError(
                f"datetime {value.isoformat()} is outside the years 1 to 9999 in UTC: "
                "stored, it could not be read back") from None
    return value


def has_offset(value: datetime) -> bool:
    """Whether ``value`` is aware, for checks that refuse in their own words: a tzinfo
    that gives no offset, or fails to (with any exception of its own), makes it naive
    here."""
    try:
        return value.tzinfo is not None and value.utcoffset() is not None
    except SEND_FAILURES:
        return False


def utc_text(value: datetime) -> str:
    """The SQLite storage form: ``2026-11-28T14:12:03.123456+00:00``."""
    return aware(value).astimezone(UTC).isoformat(timespec="microseconds")


def utc_naive(value: datetime) -> datetime:
    """SQL Server's ``DATETIME2`` holds UTC without an offset."""
    return aware(value).astimezone(UTC).replace(tzinfo=None)


def timestamp_from_naive_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_from_text(text: str) -> datetime:
    """A timestamp stored as text (SQLite), in UTC: the layer's own form carries
    ``+00:00``; text without an offset is UTC, as SQLite's ``CURRENT_TIMESTAMP`` writes
    it; another offset is converted. A date alone is not a timestamp (PostgreSQL refuses
    a ``date`` for a ``datetime`` too)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None and _is_date_only(text):
        raise ValueError("the text is a date, not a timestamp")
    return timestamp_from_naive_utc(value)


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# Deeper documents are refused alike: SQLite's JSON functions stop at 1,000 levels and
# reading a document back must stay well inside Python's default recursion limit.
MAX_JSON_DEPTH = 500


def json_refusal(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``value`` cannot be written as JSON as it is, None if it can: a container
    nested deeper than ``limit``, or an object key that is not a ``str``, which
    ``json.dumps`` would rewrite as text (``2.5`` as ``"2.5"``; ``True`` as ``"true"``,
    losing one of ``{True: 1, "true": 2}``). Walked without recursion."""
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return f"JSON document is nested deeper than {limit} levels"
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    return (f"JSON object key of type {type(key).__name__} refused: JSON "
                            "keys are text, and it would be rewritten as text (two keys "
                            "may then collide); convert the keys to str")
            children = node.values()
        else:
            children = node
        todo.extend((c, depth + 1) for c in children if isinstance(c, dict | list | tuple))
    return None


def json_text(value: Any) -> str:
    """Compact JSON text; NaN, infinities, NUL characters, lone surrogates, object keys
    that are not text and documents nested deeper than :data:`MAX_JSON_DEPTH` are
    refused."""
    if isinstance(value, dict | list | tuple):
        why = json_refusal(value)
        if why is not None:
            raise ParameterError(why)
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"value is not a JSON document: {exc}") from None
    except RecursionError:  # a lowered recursion limit
        raise ParameterError(f"JSON document is nested deeper than {MAX_JSON_DEPTH} "
                             "levels") from None
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise NulCharacter(
            "JSON document contains a NUL character (U+0000), which the databases cannot "
            "store alike"
        )
    return check_unicode(text, "JSON document")


def json_from_text(value: Any) -> Any:
    if isinstance(value, str | bytes | bytearray):
        return json.loads(value)
    return value


def decimal_from_any(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def check_text(value: str) -> str:
    """Refuse NUL on every database alike (PostgreSQL text cannot hold it) and text
    that is not Unicode (a lone surrogate cannot be encoded for any driver)."""
    if "\x00" in value:
        raise NulCharacter()
    return value if value.isascii() else check_unicode(value, "text")


def check_unicode(value: str, what: str) -> str:
    """``value`` if it encodes as UTF-8, else a :class:`ParameterError` saying where not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError(
            f"{what} contains a lone surrogate (U+{ord(value[exc.start]):04X} at "
            f"position {exc.start}), which is not Unicode and cannot be stored") from None
    return value


def check_float(value: float) -> float:
    """Refuse NaN and infinities alike: SQLite stores NaN as NULL, SQL Server has neither."""
    if value - value == 0:
        return value
    raise _not_finite(value)


def check_decimal(value: Decimal) -> Decimal:
    """The same for ``Decimal``: PostgreSQL's numeric holds NaN and infinities, SQL
    Server's decimal neither, and SQLite would keep the word ``NaN`` as text."""
    if value.is_finite():
        return value
    raise _not_finite(value)


def _not_finite(value: float | Decimal) -> ParameterError:
    shown = decimal_shown(value) if isinstance(value, Decimal) else value
    return ParameterError(f"{shown} refused: NaN and infinities cannot be stored alike "
                          "on every database")


def decimal_shown(value: Decimal) -> str:
    """``value`` for a message: itself when short, else its size. A Decimal may have
    any number of digits (a NaN carries a payload of any length too), and a refusal
    stays one short line."""
    text = str(value)
    if len(text) <= 40:
        return text
    digits = len(value.as_tuple().digits)
    if not value.is_finite():
        return f"a NaN with a payload of {digits} digits"
    return f"a Decimal of {digits} digits (about 1E{value.adjusted():+d})"


def check_decimal_within(value: Decimal, database: str, *, precision: int | None = None,
                         whole_digits: int | None = None, scale: int | None = None
                         ) -> Decimal:
    """``value`` if ``database``'s decimal type can receive it at all: at most
    ``precision`` digits written out (as its driver counts them: leading and trailing
    zeros included), ``whole_digits`` before the point and ``scale`` after it. Beyond
    these every column refuses it (SQL Server's driver, PostgreSQL's numeric input),
    and there without its parameter's name."""
    check_decimal(value)
    _, number, exponent = value.as_tuple()
    digits = len(number)
    assert isinstance(exponent, int)  # finite: checked above
    after = max(0, -exponent)
    before = max(value.adjusted() + 1, 0) if value else 0
    written = digits + exponent if exponent >= 0 else max(digits, after)
    beyond = [f"{limit} digits {what} (it has {count})" for limit, count, what in (
        (precision, written, "written out"), (whole_digits, before, "before the point"),
        (scale, after, "after the point")) if limit is not None and count > limit]
    if beyond:
        raise ParameterError(f"{decimal_shown(value)} refused: {database}'s decimal numbers "
                             f"hold at most {beyond[0]}")
    return value


# SQLite INTEGER and SQL Server BIGINT are signed 64-bit; larger ints go as Decimal.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_int64(value: int) -> int:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    shown = value if abs(value) < 10**20 else f"of {value.bit_length()} bits"
    raise ParameterError(f"integer {shown} does not fit in 64 bits: pass a Decimal for a "
                         "NUMERIC column")


def truncate_to_millis(value: datetime) -> datetime:
    """Drop the microseconds a ``DATETIME2(3)`` column cannot hold instead of letting
    the server round them (23:59:59.9996 would become the next day)."""
    micro = value.microsecond
    return value.replace(microsecond=micro - micro % 1000) if micro % 1000 else value


# A subclass's own value, read by the base type's C code: what a subclass's methods
# (``__float__``, ``__bytes__``, a ``year`` property) claim is not what is sent.
def _plain_datetime(v: datetime) -> datetime:
    return datetime(*datetime.__reduce_ex__(v, 4)[1])  # its state: fields, tzinfo, fold


def _plain_date(v: date) -> date:
    return date(*date.__reduce_ex__(v, 4)[1])


def _plain_bytes(v: bytes | bytearray | memoryview) -> bytes:
    if isinstance(v, bytes):
        return bytes.__bytes__(v)
    if isinstance(v, bytearray):
        return bytes(bytearray.copy(v))
    return v.tobytes()  # a memoryview, contiguous or not: its bytes in logical order


# A subclass of a type every driver takes is sent as that type's value (a StrEnum as
# str, an IntEnum as int). Order matters: bool is an int, datetime a date. A list and a
# dict are what iterating them gives, as JSON and an IN list read them.
_BASE_TYPES: tuple[tuple[type | types.UnionType, Callable[[Any], Any]], ...] = (
    (bool, bool),
    (str, str.__str__),
    (int, int.__index__),
    (float, float.__float__),
    (bytes | bytearray | memoryview, _plain_bytes),
    (datetime, _plain_datetime),
    (date, _plain_date),
    (uuid.UUID, lambda u: uuid.UUID(int=_get_int(u))),
    (Decimal, Decimal),
    (dict, dict),
    (list, list),
)


def as_base_type(value: Any) -> Any | None:
    """``value`` as the plain type it derives from, or None if it derives from none."""
    for base, convert in _BASE_TYPES:
        if isinstance(value, base):
            return convert(value)
    return None


# What a value's conversion raises when it cannot be sent, in the layer's adapters or
# the driver's: text it cannot encode, a date that overflows in UTC, and whatever a
# value's own methods raise (a tzinfo whose utcoffset() fails, a subclass's __iter__),
# which may be any exception at all. Callers catch the driver's own errors before
# these; an exception of a caller's row source is raised outside the conversions and
# goes out as it is; a KeyboardInterrupt (not an Exception) is never caught.
SEND_FAILURES: tuple[type[Exception], ...] = (Exception,)
# A value refused by the layer's own checks, or failing as above. The layer's own
# errors other than a refusal (a MonozuError) are passed on as they are by
# find_refusal and refusal.
UNSENDABLE: tuple[type[Exception], ...] = (ParameterError, *SEND_FAILURES)


def find_refusal(adapt: Callable[[Any], Any], named: Iterable[tuple[str, Any]],
                 where: str = "") -> ParameterError | None:
    """The :class:`ParameterError` ``adapt`` raises for one of ``named``, naming it;
    a value's own failure is its ``__cause__`` (raise it ``from`` that).

    ``named`` gives (name, value) pairs (``:param`` names or column names). Only
    called once something failed, so it may be slow.
    """
    prefix = f"{where}, " if where else ""
    for name, value in named:
        try:  # a list or tuple subclass's own iteration may fail
            candidates = [value, *value] if isinstance(value, list | tuple) else [value]
        except SEND_FAILURES as bad:
            return named_refusal(f"{prefix}{name}", bad)
        for candidate in candidates:
            try:
                adapt(candidate)
            except SEND_FAILURES as bad:
                return named_refusal(f"{prefix}{name}", bad)
    return None


def named_refusal(name: str, exc: Exception) -> ParameterError:
    """``exc``, raised while ``name``'s value was checked or sent, as the refusal naming
    it: a ParameterError in its own words, anything else with ``exc`` as its
    ``__cause__``. A MonozuError that is not a refusal is the layer's own: raised."""
    if isinstance(exc, ParameterError):
        return type(exc)(f"{name}: {exc}")
    if isinstance(exc, MonozuError):
        raise exc
    refused = ParameterError(f"{name}: {_failed(exc)}")
    refused.__cause__ = exc
    return refused


def refusal(exc: BaseException, where: str = "") -> ParameterError:
    """``exc`` as a :class:`ParameterError` when no single value could be named (a
    value's own failure as its ``__cause__``)."""
    prefix = f"{where}: " if where else ""
    if isinstance(exc, ParameterError):
        return type(exc)(f"{prefix}{exc}") if prefix else exc
    if isinstance(exc, MonozuError):
        raise exc
    refused = ParameterError(f"{prefix}a value {_failed(exc)}")
    refused.__cause__ = exc
    return refused


def why_unsendable(exc: BaseException) -> str:
    """The reason in a refusal: a ParameterError's own words, or what failed."""
    return str(exc) if isinstance(exc, ParameterError) else _failed(exc)


def _failed(exc: BaseException) -> str:
    return f"cannot be sent: {type(exc).__name__}: {str(exc)[:200]}"


Converter = Callable[[Any], Any]
