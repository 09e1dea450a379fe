"""PostgreSQL URLs: ``postgresql://`` and pgJDBC's ``jdbc:postgresql://``, to libpq conninfo."""

from __future__ import annotations

import pytest

from monozu.db.config import load_config
from monozu.db.dialects.postgresql.url import conninfo
from monozu.db.dialects.urls import parse_url


def libpq_parse(text: str) -> dict[str, str]:
    """The conninfo string as libpq itself reads it."""
    from psycopg.conninfo import conninfo_to_dict

    return {k: str(v) for k, v in conninfo_to_dict(text).items()}


@pytest.mark.parametrize(("text", "expected"), [
    ("jdbc:postgresql://db.local:5433/app?user=u&password=p%20w&sslmode=require",
     {"host": "db.local", "port": "5433", "dbname": "app", "user": "u", "password": "p w",
      "sslmode": "require"}),
    ("jdbc:postgresql://db.local/app?ssl=true&ApplicationName=mz&connectTimeout=3",
     {"host": "db.local", "port": "5432", "dbname": "app", "sslmode": "require",
      "application_name": "mz", "connect_timeout": "3"}),
    ("jdbc:postgresql://[::1]:5432/app?currentSchema=s1",
     {"host": "::1", "port": "5432", "dbname": "app", "options": "-c search_path=s1"}),
    ("postgresql://u:p%2Fw@h/app?password=p%2Fw&sslmode=disable",
     {"host": "h", "port": "5432", "dbname": "app", "user": "u", "password": "p/w",
      "sslmode": "disable"}),
    ("postgres://h/app?user=u&PASSWORD=raw/pw?#x",
     {"host": "h", "port": "5432", "dbname": "app", "user": "u", "password": "raw/pw?#x"}),
    ("postgresql://u:raw/p?w#d @x@h:5434/app",
     {"host": "h", "port": "5434", "dbname": "app", "user": "u", "password": "raw/p?w#d @x"}),
])
def test_forms_to_libpq(text: str, expected: dict[str, str]) -> None:
    url = parse_url(text)
    assert libpq_parse(conninfo(url)) == expected
    assert url.libpq_conninfo() == conninfo(url)
    if "password" in expected:
        assert expected["password"] not in url.redacted() and "***" in url.redacted()


def test_user_and_password_given_apart() -> None:
    config = load_config({}, url="jdbc:postgresql://h/app", user="u", password="pw",
                         dotenv=None)
    assert libpq_parse(conninfo(config.url))["password"] == "pw"
    assert config.url.user == "u"
