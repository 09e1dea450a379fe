from __future__ import annotations

import random

import pytest

from monozu.domain.vulnintel.versions import VersionError, compare, in_range, parse


@pytest.mark.parametrize(("low", "high"), [
    ("2.3.1", "2.15.0"),
    ("7.4.0.999", "7.4.0.1570"),
    ("2.0-beta9", "2.0"),
    ("1.0rc1", "1.0"),
    ("10.2.9", "10.2.9-h1"),
    ("11.1.2-h3", "11.1.2-h10"),
    ("1.0.2j", "1.0.2k"),
    ("2.8.75", "2.8.123e"),
    ("15.2(4)M7", "15.2(4)M10"),
    ("9.0(4)", "9.0(10)"),
    ("R7000_V1.0.9.88", "R7000_V1.0.11.100"),
    ("6.4.9", "6.4.15"),
    ("2021-12-02", "2021-12-13"),
])
def test_firmware_ordering(low: str, high: str) -> None:
    assert compare(low, high) == -1
    assert compare(high, low) == 1


@pytest.mark.parametrize(("a", "b"), [("3.0", "3.0.0"), ("v2.1", "2.1"), ("V2.1", "2.1")])
def test_equal(a: str, b: str) -> None:
    assert compare(a, b) == 0


@pytest.mark.parametrize("text", ["", " ", "*", "-", "n/a"])
def test_not_versions(text: str) -> None:
    with pytest.raises(VersionError):
        compare(text, "1.0")


def test_ranges() -> None:
    assert in_range("10.2.8", start_including="10.2.0", end_excluding="10.2.9-h1")
    assert in_range("10.2.9", start_including="10.2.0", end_excluding="10.2.9-h1")
    assert not in_range("10.2.9-h1", start_including="10.2.0", end_excluding="10.2.9-h1")
    assert not in_range("2.0", start_excluding="2.0")
    assert in_range("2.15.0", end_including="2.15.0")
    assert not in_range("2.15.1", end_including="2.15.0")
    assert in_range("1.0")


def test_dotted_numbers_order_as_maven_orders_them() -> None:
    """compare's shortcut for plain dotted numbers agrees with the Maven ordering."""
    rng = random.Random(11)
    texts = [".".join(str(rng.choice((0, 0, 1, 2, 9, 10, 11, 100))) for _ in
                      range(rng.randint(1, 4))) for _ in range(300)] + ["01.2", "1.02", "0"]
    for a, b in zip(texts, reversed(texts), strict=True):
        left, right = parse(a), parse(b)
        assert compare(a, b) == (left > right) - (left < right), (a, b)
