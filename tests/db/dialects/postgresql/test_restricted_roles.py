"""The layer for a role a hardened server restricts: its own settings, as an operator
sets them with ``ALTER ROLE ... SET``, take effect at each of its logins."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest

from monozu.db import Database
from tests.support.plans import pg_application_role


@pytest.fixture
def operator(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    yield database
    database.close()


def _role(url: str) -> str:
    return unquote(urlsplit(url).username or "")


def test_connections_the_server_ends_while_idle_are_replaced_within_the_wait(
        operator: Database, pg_url: str) -> None:
    """A session idle longer than ``idle_session_timeout`` is ended by the server. The
    dead connections are dropped and a new one handed out; the pool had waited 1, 2,
    4 s... between its checks, so a new connection too was ended while it waited, and
    every unit of work ran out of time."""
    with pg_application_role(operator, pg_url) as url:
        operator.exec(f"ALTER ROLE {_role(url)} SET idle_session_timeout = '500ms'")
        db = Database.open(url, pool_size=2, pool_timeout=5)
        try:
            for _ in range(3):
                with db.transaction() as tx:
                    pid = tx.get_value("SELECT pg_backend_pid()")
                time.sleep(0.8)  # the server ends the idle session meanwhile
                with db.transaction() as tx:
                    assert tx.get_value("SELECT pg_backend_pid()") != pid
        finally:
            db.close()
