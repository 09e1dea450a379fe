"""An edge service on a migrated database, with a clock the test moves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from monozu.db import Database
from monozu.domain.edge import EdgeService
from tests.domain.conftest import Clock as SharedClock
from tests.domain.conftest import add_tenant

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock(SharedClock):
    """The shared stopped clock, starting at :data:`T0`, moved by ``advance``."""

    def __init__(self) -> None:
        super().__init__(T0)

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Edge:
    db: Database
    service: EdgeService
    clock: Clock
    a: uuid.UUID
    b: uuid.UUID


@pytest.fixture
def edge(db: Database) -> Edge:
    clock = Clock()
    return Edge(db, EdgeService(db, clock=clock), clock, add_tenant(db, "acme"),
                add_tenant(db, "globex"))
