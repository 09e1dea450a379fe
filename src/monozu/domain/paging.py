"""Keyset pagination: an opaque cursor and a page of rows.

A list is ordered by a stable key (for example ``(cvss_score DESC, id)``) and the
next page starts after the last row's key, so no page is an ``OFFSET`` scan and
rows inserted meanwhile never shift a page. The cursor carries that key as
URL-safe base64 of a small JSON array; callers treat it as opaque. A cursor that
does not decode to the expected key types is a :class:`ValidationError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from monozu.db.errors import MonozuError
from monozu.db.values import aware, check_float, check_int64, check_text
from monozu.domain.errors import ValidationError

T = TypeVar("T")
KeyValue = str | int | float | uuid.UUID | datetime | None
MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Sequence[KeyValue]) -> str:
    """The opaque cursor for a row whose sort key is ``key``."""
    parts: list[object] = []
    for value in key:
        if isinstance(value, uuid.UUID):
            parts.append({"u": str(value)})
        elif isinstance(value, datetime):
            parts.append({"t": value.isoformat()})
        else:
            parts.append(value)
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: Sequence[type]) -> tuple[KeyValue, ...]:
    """The sort key a cursor carries, checked against the expected ``types``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationError("the page cursor is not one this service issued") from None
    if not isinstance(parts, list) or len(parts) != len(types):
        raise ValidationError("the page cursor is not one this service issued")
    return tuple(_value(part, wanted) for part, wanted in zip(parts, types, strict=True))


def _value(part: object, wanted: type) -> KeyValue:
    # A cursor comes back from a client: each value is checked as a parameter would be
    # (NUL, a lone surrogate, an int past 64 bits, a time that overflows in UTC), so a
    # forged one is this error, not the query's.
    try:
        if part is None:
            return None
        if wanted is uuid.UUID and isinstance(part, dict) and set(part) == {"u"}:
            return uuid.UUID(str(part["u"]))
        if wanted is datetime and isinstance(part, dict) and set(part) == {"t"}:
            value = datetime.fromisoformat(str(part["t"]))
            if value.tzinfo is not None:
                return aware(value)
        elif wanted is float and isinstance(part, int | float) and not isinstance(part, bool):
            return check_float(float(part))
        elif wanted is str and type(part) is str:
            return check_text(part)
        elif wanted is int and type(part) is int:
            return check_int64(part)
    except (ValueError, OverflowError, MonozuError):  # a number too large for a float...
        pass
    raise ValidationError("the page cursor is not one this service issued")


def page_size(limit: int) -> int:
    """``limit`` checked: 1 to :data:`MAX_PAGE_SIZE` rows a page."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return limit


def paginate(rows: list[T], limit: int, key: Callable[[T], Sequence[KeyValue]]) -> Page[T]:
    """A page from ``limit + 1`` fetched rows: the extra row only says there is more."""
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    return Page(items, encode_cursor(key(items[-1])))

