"""Time zones a caller could pass that do not give a usable offset."""

from __future__ import annotations

from datetime import datetime, tzinfo


class NoOffset(tzinfo):
    """Gives no offset: a datetime with it is naive, as Python defines naive."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None


class FailingOffset(NoOffset):
    """Fails when asked for its offset."""

    def utcoffset(self, dt: datetime | None) -> None:
        raise ValueError("no offset for you")


class OffsetUnavailable(Exception):
    """An exception of a tzinfo's own, of no kind the layer knows."""


class OwnErrorOffset(NoOffset):
    """Fails when asked for its offset, with an exception of its own."""

    def utcoffset(self, dt: datetime | None) -> None:
        raise OffsetUnavailable("the zone database is unavailable")
