"""The pooling part of a dialect: how one database pools connections and resets them.

Each database's package provides a :class:`Pooling` in its ``pool.py`` and wires it
into its dialect as ``pooling``. A connection goes back to the pool in the state a
fresh one has: whatever one unit of work left in the session (settings, temporary
tables, held cursors, prepared statements, advisory locks, the tenant) never
reaches the next one.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from monozu.db.config import DatabaseConfig, DatabaseURL
    from monozu.db.dialects.base import Dialect


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)  # a driver's connection


class Pool(Protocol[C]):
    """A bounded set of connections of one driver, handed out one at a time."""

    def acquire(self) -> C: ...
    def release(self, conn: C, *, broken: bool = False) -> None: ...
    def close(self) -> None: ...
    def stats(self) -> dict[str, int]: ...


class Pooling(abc.ABC):
    """How one database's connections are pooled and reset before reuse."""

    @abc.abstractmethod
    def make(self, dialect: Dialect, url: DatabaseURL, config: DatabaseConfig, *,
             max_size: int, timeout: float) -> Pool[Any]:
        """A bounded pool of connections made by ``dialect.connect``."""

    @abc.abstractmethod
    def reset(self, conn: Any) -> None:
        """Bring a returned connection back to a fresh one's state.

        Raises when that cannot be done; the pool then discards the connection.
        """
