"""Named SQL kept as SQL, beside the code that runs it.

A domain context keeps its statements in ``queries.sql`` under ``-- name: <name>``
headers. Where a database needs different SQL (an upsert is ``ON CONFLICT`` on
PostgreSQL and SQLite but ``MERGE`` on SQL Server), ``queries.<kind>.sql`` overrides
just those names. Files are checked when loaded: a duplicate name, an override of
a name the base file lacks, or an override whose ``:parameters`` differ from the
base statement's is an error naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import get_args

from monozu.db.config import Kind
from monozu.db.errors import QueryError
from monozu.db.sqlparams import scan

_HEADER = re.compile(r"^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass(frozen=True, slots=True)
class Statement:
    name: str
    sql: str
    source: str  # file:line, for errors


class Queries:
    """The statements of one context, resolved per database kind."""

    def __init__(self, base: dict[str, Statement],
                 overrides: dict[Kind, dict[str, Statement]]) -> None:
        self._base = base
        self._overrides = overrides

    def sql(self, name: str, kind: Kind) -> str:
        """The statement ``name`` as written for ``kind``."""
        found = self._overrides.get(kind, {}).get(name) or self._base.get(name)
        if found is None:
            raise QueryError(f"no query named {name!r}")
        return found.sql

    def names(self) -> list[str]:
        return sorted(self._base)


def parse(text: str, origin: str) -> dict[str, Statement]:
    statements: dict[str, Statement] = {}
    name: str | None = None
    start = 0
    body: list[str] = []

    def close() -> None:
        if name is None:
            return
        sql = "\n".join(body).strip().rstrip(";").strip()
        if not sql:
            raise QueryError(f"{origin}:{start}: query {name!r} is empty")
        statements[name] = Statement(name, sql, f"{origin}:{start}")

    for number, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line.strip())
        if m:
            close()
            name, start, body = m.group(1), number, []
            if name in statements:
                raise QueryError(f"{origin}:{number}: query {name!r} is defined twice")
        elif name is not None:
            body.append(line)
        elif line.strip() and not line.strip().startswith("--"):
            raise QueryError(f"{origin}:{number}: SQL before the first '-- name:' header")
    close()
    return statements


def load(package: str, filename: str = "queries.sql") -> Queries:
    """Load ``filename`` and its per-database overrides from ``package``."""
    root = resources.files(package)
    base = parse(root.joinpath(filename).read_text(encoding="utf-8"), f"{package}/{filename}")
    stem = filename.removesuffix(".sql")
    overrides: dict[Kind, dict[str, Statement]] = {}
    for kind in get_args(Kind):
        path = root.joinpath(f"{stem}.{kind}.sql")
        if not path.is_file():
            continue
        parsed = parse(path.read_text(encoding="utf-8"), f"{package}/{stem}.{kind}.sql")
        for stmt in parsed.values():
            if stmt.name not in base:
                raise QueryError(f"{stmt.source}: overrides {stmt.name!r}, "
                                 "which the base file does not define")
            if set(scan(stmt.sql, brackets=kind == "sqlserver")[1]) != \
                    set(scan(base[stmt.name].sql)[1]):
                raise QueryError(f"{stmt.source}: parameters of {stmt.name!r} differ from "
                                 f"{base[stmt.name].source}")
        overrides[kind] = parsed
    return Queries(base, overrides)
