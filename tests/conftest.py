"""Shared fixtures: a real SQLite file per test and a real PostgreSQL database per test.

PostgreSQL comes from a throwaway cluster started once per session (see
``tests/support/pgserver.py``). Outside CI a machine without PostgreSQL skips those
tests with the reason; with ``CI=true`` they fail instead, so CI can never go green
without having exercised PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import pgserver

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(reason: str) -> None:
    """Skip outside CI, fail inside it: a missing service never passes silently in CI."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


_server: pgserver.PgServer | None = None
_server_error: str | None = None


def _get_server() -> pgserver.PgServer:
    global _server, _server_error
    if _server is None and _server_error is None:
        try:
            _server = pgserver.start()
        except pgserver.PostgresUnavailable as exc:
            _server_error = str(exc)
    if _server is None:
        require(f"PostgreSQL unavailable: {_server_error}")
    assert _server is not None
    return _server


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _server is not None:
        _server.stop()


@pytest.fixture(scope="session")
def pg_server() -> pgserver.PgServer:
    """The session's PostgreSQL server (admin URL in ``.admin_url``)."""
    return _get_server()


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = pg_server.create_database()
    try:
        yield pg_server.url_for(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Secrets are remembered for the life of a process (see ``known_secrets``): each
    test starts with none, so one test's password masks nothing in another's output."""
    from monozu.db import known_secrets

    known_secrets.forget_all()
    yield
    known_secrets.forget_all()
