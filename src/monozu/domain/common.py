"""Pieces the context packages share: a repository base, a service base, input checks.

A repository calls the declared statements of its context (a
:class:`~monozu.db.queries.QueryFile`) on the caller's unit of work, always passing the
bound tenant's id (``tenant_of(tx)``) so every tenant-owned statement filters on it
explicitly. A service method that changes data runs inside :meth:`Service.change`, a
savepoint: a refused call leaves nothing behind, audit row included, even when the caller
goes on using the same unit of work.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import typing
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from monozu.db import NotFound, Tx
from monozu.db.tenant import tenant_of
from monozu.domain.audit import Actor, record
from monozu.domain.errors import InvalidTransition, ValidationError, check_text
from monozu.domain.inputs import check_value, checked, listed
from monozu.domain.paging import KeyValue, decode_cursor

T = TypeVar("T")

# Bound where an optional id filter is off (its flag says so), so that every parameter
# keeps its type on every database.
NO_ID = uuid.UUID(int=0)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Repository:
    """One context's typed statements on one tenant's unit of work: ``tx``, and
    ``tenant_id``, the bound tenant every tenant-owned statement filters on."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.tenant_id = tenant_of(tx)


def not_found(what: str, row_id: object) -> NotFound:
    """:class:`NotFound` worded as every service words a missing (or another tenant's)
    row: ``"asset <id> not found"``."""
    return NotFound(f"{what} {row_id} not found")


def found(row: T | None, what: str, row_id: object) -> T:
    """``row``, or :func:`not_found` of it."""
    if row is None:
        raise not_found(what, row_id)
    return row


class Service:
    """Rules over one tenant's unit of work; ``actor`` is recorded in the audit trail.

    Every public method of a subclass checks its arguments against its signature
    (:func:`monozu.domain.inputs.checked`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        checked(cls)

    def __init__(self, tx: Tx, actor: Actor | None = None, *, clock: Clock = utc_now) -> None:
        self.tx = tx
        # checked here, not at the first audit row, which would be after a change was made
        self.actor = Actor.system() if actor is None \
            else typing.cast(Actor, check_value("actor", actor, Actor))
        self.clock = clock
        tenant_of(tx)  # refuse an unbound unit of work up front

    @contextlib.contextmanager
    def change(self) -> Iterator[None]:
        """A savepoint around one state-changing call."""
        with self.tx.transaction():
            yield

    def audit(self, action: str, resource_type: str, resource_id: object,
              **details: Any) -> None:
        record(self.tx, self.actor, action, resource_type, resource_id,
               details=details or None, at=self.clock())


def choice(field: str, value: str, allowed: Collection[str]) -> str:
    """``value`` if it is one of ``allowed``, else a :class:`ValidationError` listing them."""
    if not isinstance(value, str):  # an unhashable value would fail the look-up itself
        raise ValidationError(f"{field} must be text, one of {', '.join(sorted(allowed))}; "
                              f"got {type(value).__name__}")
    value = str.__str__(value)
    if value not in allowed:
        raise ValidationError(f"{field} must be one of {', '.join(sorted(allowed))}; "
                              f"got {value!r:.80}")
    return value


def check_move(entity: str, moves: Mapping[str, Collection[str]], current: str,
               wanted: str) -> str:
    """``wanted`` if the lifecycle ``moves`` allows it from ``current``.

    An unknown status is a :class:`ValidationError`, a known one the lifecycle does not
    reach from ``current`` an :class:`InvalidTransition`.
    """
    choice(f"{entity} status", wanted, moves.keys())
    if wanted not in moves.get(current, ()):
        raise InvalidTransition(entity, current, wanted)
    return wanted


def choices(field: str, values: Iterable[str] | None, allowed: Collection[str]) -> list[str]:
    """A filter's values, each checked; ``None`` means every allowed value."""
    if values is None:
        return sorted(allowed)
    wanted = listed(field, values)
    if not wanted:
        raise ValidationError(f"{field} filter is empty; leave it out to mean all")
    return sorted({choice(field, v, allowed) for v in wanted})


def check_ids(field: str, values: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """A collection of ids, each a ``UUID``, in order and without repeats."""
    ids = [check_value(field, value, uuid.UUID) for value in listed(field, values)]
    return sorted(set(typing.cast(list[uuid.UUID], ids)))


def like_pattern(text: str | None, *, max_length: int = 200) -> str:
    """A case-insensitive ``LIKE ... ESCAPE '\\'`` pattern for free text (``%`` for none):
    ``%``, ``_``, ``\\`` and ``[`` (a character class on SQL Server) are escaped."""
    if text is None or not text.strip():
        return "%"
    wanted = text.strip().lower()
    if len(wanted) > max_length:
        raise ValidationError(f"search text is {len(wanted)} characters long; "
                              f"at most {max_length}")
    escaped = re.sub(r"([\\%_\[])", r"\\\1", wanted)
    return f"%{escaped}%"


def check_ip(field: str, value: str | None) -> str | None:
    """An IPv4 or IPv6 address in its canonical text form; empty or ``None`` is ``None``."""
    text = None if value is None else check_text(field, value, max_length=45, required=False)
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValidationError(f"{field} {text!r} is not an IPv4 or IPv6 address") from None


def keyset(cursor: str, types: tuple[type, ...], *,
           nullable: frozenset[int] = frozenset()) -> tuple[Any, ...]:
    """The sort key of a cursor, every part present except the ``nullable`` positions."""
    key: tuple[KeyValue, ...] = decode_cursor(cursor, types)
    if any(value is None and i not in nullable for i, value in enumerate(key)):
        raise ValidationError("the page cursor is not one this service issued")
    return key


def new_id() -> uuid.UUID:
    return uuid.uuid4()
