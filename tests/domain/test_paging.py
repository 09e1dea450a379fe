"""Keyset cursors: round trips, and every malformed cursor refused the same way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from monozu.domain.errors import ValidationError
from monozu.domain.paging import decode_cursor, encode_cursor, page_size, paginate

KEY_TYPES = (float, datetime, uuid.UUID, str)


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
