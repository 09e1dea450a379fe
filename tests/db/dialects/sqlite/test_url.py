"""SQLite URLs: ``sqlite:///``, ``jdbc:sqlite:``, and never creating a file to read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from monozu.db.config import load_config
from monozu.db.dialects.urls import parse_url
from monozu.db.errors import ConfigError


@pytest.mark.parametrize(("text", "path"), [
    ("sqlite:///rel/x.db", "rel/x.db"),
    ("sqlite:////abs/x.db", "/abs/x.db"),
    ("sqlite://:memory:", ":memory:"),
    ("jdbc:sqlite:fw.db", "fw.db"),
    ("jdbc:sqlite:/abs/fw.db", "/abs/fw.db"),
    ("jdbc:sqlite:file:fw.db", "fw.db"),
    ("jdbc:sqlite::memory:", ":memory:"),
    ("jdbc:sqlite:a%20b.db", "a b.db"),
])
def test_forms(text: str, path: str) -> None:
    assert parse_url(text).path == path


def test_jdbc_and_url_forms_name_the_same_database(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = parse_url("jdbc:sqlite:fw.db"), parse_url(f"sqlite:///{tmp_path}/fw.db")
    assert a.rules.target(a) == b.rules.target(b)


def test_a_read_only_open_creates_nothing(tmp_path: Path) -> None:
    from monozu.db.database import Database

    target = tmp_path / "no" / "such" / "x.db"
    config = load_config({}, url=f"sqlite:///{target}", dotenv=None, must_exist=True)
    with pytest.raises(ConfigError, match="does not exist"):
        Database(config, pool_size=1).server_version()
    assert list(tmp_path.iterdir()) == []
    writing = load_config({}, url=f"sqlite:///{target}", dotenv=None)
    with Database(writing, pool_size=1) as database:
        assert database.server_version().startswith("SQLite")
    assert target.exists()
