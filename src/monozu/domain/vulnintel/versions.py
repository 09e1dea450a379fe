"""Version ordering for NVD ranges and firmware, behind one small wrapper.

Maven's ordering (``univers.versions.MavenVersion``) is the one that gets vendor and firmware
versions right: numeric runs compare as numbers, qualifiers such as ``beta``/``rc`` sort
before the release, hotfix suffixes such as ``-h1`` after it, and ``3.0 == 3.0.0``. Callers
never see univers: they use :class:`Version` and :func:`compare`. A value that is no version
at all (empty, ``*``, ``-``) raises :class:`VersionError`, so a caller can report "unknown"
instead of silently matching or not matching.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from univers.versions import MavenVersion

_NOT_VERSIONS = frozenset({"", "*", "-", "?", "n/a", "na", "unspecified", "unknown"})
_PREFIX = re.compile(r"^[vV](?=[0-9])")


class VersionError(ValueError):
    """The text is not a version that can be ordered."""


@functools.total_ordering
class Version:
    """A comparable version; construct with :func:`parse` (cached)."""

    __slots__ = ("_key", "text")

    def __init__(self, text: str) -> None:
        cleaned = text.strip() if isinstance(text, str) else ""
        if cleaned.lower() in _NOT_VERSIONS:
            raise VersionError(f"{text!r} is not a version")
        self.text = cleaned
        try:
            self._key: Any = MavenVersion(_PREFIX.sub("", cleaned))
        except Exception as exc:  # univers raises several types for odd input
            raise VersionError(f"{text!r} is not a version ({exc})") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and bool(self._key == other._key)

    def __lt__(self, other: Version) -> bool:
        return bool(self._key < other._key)

    def __hash__(self) -> int:
        return hash(str(self._key))

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


@functools.lru_cache(maxsize=65536)
def parse(text: str) -> Version:
    return Version(text)


@functools.lru_cache(maxsize=262144)
def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` orders before, equal to, or after ``b`` (cached: matching
    compares the same asset versions with the same bounds across many CVEs)."""
    left, right = _numeric(a), _numeric(b)
    if left is not None and right is not None:  # Maven's order on plain numbers, directly
        return (left > right) - (left < right)
    first, second = parse(a), parse(b)
    return (first > second) - (first < second)


_DOTTED = re.compile(r"[0-9]+(?:\.[0-9]+)*")  # ASCII: \d takes any script's digits


def _numeric(text: str) -> tuple[int, ...] | None:
    """``1.10.0`` as ``(1, 10)``: dotted numbers compare as numbers, trailing zeros do not
    count (``3.0 == 3.0.0``), exactly as Maven orders them; None for anything else."""
    if not _DOTTED.fullmatch(text):
        return None
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def in_range(version: str, *, start_including: str | None = None,
             start_excluding: str | None = None, end_including: str | None = None,
             end_excluding: str | None = None) -> bool:
    """Whether ``version`` lies within the NVD bounds given (absent bounds are open)."""
    parse(version)  # not a version: VersionError, whatever the bounds
    if start_including is not None and compare(version, start_including) < 0:
        return False
    if start_excluding is not None and compare(version, start_excluding) <= 0:
        return False
    if end_including is not None and compare(version, end_including) > 0:
        return False
    return not (end_excluding is not None and compare(version, end_excluding) >= 0)
