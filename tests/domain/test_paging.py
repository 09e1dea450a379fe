"""Keyset cursors: round trips, and every malformed cursor refused the same way."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from monozu.domain.common import like_pattern
from monozu.domain.errors import ValidationError
from monozu.domain.identity.service import search_pattern
from monozu.domain.paging import decode_cursor, encode_cursor, page_size, paginate

KEY_TYPES = (float, datetime, uuid.UUID, str)


def _forged(parts: list[object]) -> str:
    """A cursor a client made up: any JSON, encoded as the service encodes its own."""
    raw = json.dumps(parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_round_trip_keeps_types_and_values() -> None:
    key = (9.8, datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), uuid.uuid4(), "x/y+z")
    assert decode_cursor(encode_cursor(key), KEY_TYPES) == key


def test_integer_score_decodes_as_float() -> None:
    assert decode_cursor(encode_cursor((7,)), (float,)) == (7.0,)


def test_none_in_key_survives() -> None:
    assert decode_cursor(encode_cursor((None, "a")), (float, str)) == (None, "a")


@pytest.mark.parametrize("cursor", [
    "", "!!!", "not base64 at all", encode_cursor((1.0,)),            # wrong length
    encode_cursor(("a", "b", "c", "d")),                              # wrong types
    encode_cursor((1.0, "2026-01-01", str(uuid.uuid4()), "x")),       # untagged values
    encode_cursor((1.0, datetime(2026, 1, 1), uuid.uuid4(), "x")),    # naive timestamp
    "eyJ1IjoxfQ", "W3sidSI6Im5vdC1hLXV1aWQifV0",                      # JSON, wrong shape
    # forged values no parameter can carry: each had reached the query's own error
    _forged([10**400, {"t": "2026-01-01T00:00:00+00:00"}, {"u": str(uuid.uuid4())}, "x"]),
    _forged([1.0, {"t": "0001-01-01T00:00:00+05:00"}, {"u": str(uuid.uuid4())}, "x"]),
    _forged([1.0, {"t": "2026-01-01T00:00:00+00:00"}, {"u": str(uuid.uuid4())}, "a\x00b"]),
    _forged([1.0, {"t": "2026-01-01T00:00:00+00:00"}, {"u": str(uuid.uuid4())}, "a\ud800"]),
])
def test_malformed_cursors_are_one_clear_error(cursor: str) -> None:
    with pytest.raises(ValidationError, match="page cursor"):
        decode_cursor(cursor, KEY_TYPES)


@pytest.mark.parametrize("limit", [0, -1, 501, True, 2.5, "10"])
def test_page_size_refuses_out_of_range(limit: object) -> None:
    with pytest.raises(ValidationError, match="page size"):
        page_size(limit)  # type: ignore[arg-type]


def test_paginate_uses_extra_row_only_as_a_signal() -> None:
    rows = [(i, f"r{i}") for i in range(4)]
    page = paginate(rows, 3, lambda r: (r[0],))
    assert page.items == rows[:3]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor, (int,)) == (2,)
    assert paginate(rows[:3], 3, lambda r: (r[0],)).next_cursor is None


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**400],
                         ids=["2**63", "-2**63-1", "10**400"])
def test_an_integer_key_past_64_bits_is_a_forged_cursor(value: int) -> None:
    with pytest.raises(ValidationError, match="page cursor"):
        decode_cursor(_forged([value]), (int,))


def test_search_text_escapes_every_character_like_reads_specially() -> None:
    """``[`` opens a character class in SQL Server's LIKE: escaped, it is literal on
    every database, as ``%``, ``_`` and the escape character are."""
    assert like_pattern(" [A-C]%_\\x ") == "%\\[a-c]\\%\\_\\\\x%"
    assert search_pattern("[A-C]%_!x") == "%![a-c]!%!_!!x%"
