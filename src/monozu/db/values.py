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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from monozu.db.errors import NulCharacter, ParameterError

_new = object.__new__
_set_int = uuid.UUID.__dict__["int"].__set__
_set_safe = uuid.UUID.__dict__["is_safe"].__set__
_UNKNOWN = uuid.SafeUUID.unknown
_from_bytes = int.from_bytes
_UUID = uuid.UUID
# An escaped NUL: "\u0000" preceded by an even number of backslashes.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def uuid_from_bytes(raw: bytes) -> uuid.UUID:
    """A ``UUID`` from its 16 big-endian bytes, without re-validating them."""
    value: uuid.UUID = _new(_UUID)
    _set_int(value, _from_bytes(raw))
    _set_safe(value, _UNKNOWN)
    return value



def utc_text(value: datetime) -> str:
    """The SQLite storage form: ``2026-11-28T14:12:03.123456+00:00``."""
    if value.tzinfo is None:
        raise ParameterError(
            f"naive datetime {value.isoformat()} refused: pass a timezone-aware value "
            "(timestamps are stored in UTC)"
        )
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def utc_naive(value: datetime) -> datetime:
    """SQL Server's ``DATETIME2`` holds UTC without an offset."""
    if value.tzinfo is None:
        raise ParameterError(
            f"naive datetime {value.isoformat()} refused: pass a timezone-aware value "
            "(timestamps are stored in UTC)"
        )
    return value.astimezone(UTC).replace(tzinfo=None)



def timestamp_from_naive_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_text(value: Any) -> str:
    """Compact JSON text; NaN, infinities and NUL characters are refused."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"value is not a JSON document: {exc}") from None
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise NulCharacter(
            "JSON document contains a NUL character (U+0000), which the databases cannot "
            "store alike"
        )
    return text


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
    """Refuse NUL on every database alike: PostgreSQL text cannot hold it."""
    if "\x00" in value:
        raise NulCharacter()
    return value


Converter = Callable[[Any], Any]
