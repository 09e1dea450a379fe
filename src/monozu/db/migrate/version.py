"""Flyway migration versions: ``1.10`` after ``1.9``, ``1 == 1.0 == 001``.

A version is compared by its numeric parts with trailing zero parts dropped, and
shown (and stored in the history table) as the file wrote it with ``_`` turned
into ``.`` -- leading zeros included.
"""

from __future__ import annotations

import re
import unicodedata
from functools import total_ordering

from monozu.db.migrate.errors import MigrationConfigError

# Flyway splits on a dot followed by an ASCII digit (Java's \d), then reads every part
# as a BigInteger, which takes any decimal digit: V١__x.sql is version 1 to Flyway, and
# its history then holds "١".
_SPLIT = re.compile(r"\.(?=[0-9])")


class InvalidVersion(ValueError):
    """Not a Flyway version: only digits and single dots (or underscores) between them."""


_ZERO = (0, "")


def _number(digits: str) -> tuple[int, str]:
    if not digits.isascii():
        digits = "".join(str(unicodedata.decimal(c)) for c in digits)
    significant = digits.lstrip("0")
    return len(significant), significant


@total_ordering
class Version:
    """One migration version. Hashable; equal versions hash alike (``1`` and ``1.0``)."""

    __slots__ = ("key", "text")

    def __init__(self, text: str) -> None:
        display = text.replace("_", ".")
        parts = _SPLIT.split(display)
        if not display or not all(p.isdecimal() for p in parts):
            raise InvalidVersion(
                f"Invalid version {text!r}: only 0..9 and '.' (or '_') between numbers "
                "are allowed"
            )
        # Each part as (digit count, digits) without leading zeros: ordered as the
        # numbers are, however long (Flyway reads them as BigInteger; int() stops at
        # 4300 digits).
        numbers = [_number(p) for p in parts]
        while len(numbers) > 1 and numbers[-1] == _ZERO:
            numbers.pop()
        self.text = display
        self.key: tuple[tuple[int, str], ...] = tuple(numbers)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


def parse_target(text: str | None) -> Version | str | None:
    """``None``/``latest`` -> None, ``current``/``next`` -> the word, else a version."""
    if text is None:
        return None
    word = text.strip().lower()
    if word in ("", "latest"):
        return None
    if word in ("current", "next"):
        return word
    try:
        return Version(text.strip())
    except InvalidVersion:
        raise MigrationConfigError(
            f"Invalid target {text!r}: use a version such as 2.1, or latest, current or next"
        ) from None
