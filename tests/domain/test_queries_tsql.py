"""Every domain context's SQL, as SQL Server would receive it, parses as T-SQL."""

from __future__ import annotations

import pkgutil
from importlib import resources

import pytest

import monozu.domain
from monozu.db.dialects import dialect_for
from monozu.db.queries import load
from monozu.db.sqlparams import scan
from tests.support.tsql import assert_parses

CONTEXTS = sorted(
    f"monozu.domain.{m.name}" for m in pkgutil.iter_modules(monozu.domain.__path__)
    if m.ispkg and resources.files(f"monozu.domain.{m.name}").joinpath("queries.sql").is_file()
)


def test_contexts_are_found() -> None:
    assert "monozu.domain.audit" in CONTEXTS


@pytest.mark.parametrize("package", CONTEXTS)
def test_sql_server_form_of_every_statement_parses(package: str) -> None:
    queries = load(package)
    sqlserver = dialect_for("sqlserver")
    for name in queries.names():
        parts, _ = scan(queries.sql(name, sqlserver), sqlserver.lexicon)
        assert_parses("@p".join(parts))
