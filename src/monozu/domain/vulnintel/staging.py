"""Staging tables for set-based imports, and the statements whose form depends on them.

Temporary-table names and creation, statistics and ``UPDATE`` from a joined table are
spelled by the dialect (its snippets); this module only arranges them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monozu.db import ProgrammingError, Tx
from monozu.domain.vulnintel import sql


def require_staging(tx: Tx) -> None:
    """Refuse in one line, before any work, a role that may not create temporary tables
    (PostgreSQL's TEMPORARY privilege, taken from PUBLIC on hardened servers): imports
    and matching stage their rows in them. Code 42501, as the server's own refusal."""
    query = tx.dialect.snippets.staging_refused()
    if query is None:
        return
    row = tx.select(dict, query)[0]
    if row["refused"]:
        role, database = row["role"], row["database"]
        raise ProgrammingError(
            f"the role {role} may not create temporary tables in database {database}, "
            f"where importing and matching stage their rows: GRANT TEMPORARY ON DATABASE "
            f"{database} TO {role}", code="42501")


class Staging:
    """Temporary tables on ``tx``'s connection, dropped again by :meth:`drop`."""

    def __init__(self, tx: Tx, *names: str) -> None:
        require_staging(tx)
        self.tx = tx
        self.spell = tx.dialect.snippets
        self.names = names
        self.tables = {n: self.spell.temporary_table(f"stage_{n}") for n in names}
        self.drop()
        for name in names:
            tx.exec(self.spell.create_temporary_as(self.tables[name], sql.STAGE_SHAPES[name]))

    def index(self) -> None:
        """Index the key column of each staging table (after loading, which is faster) and
        give the planner its statistics (temporary tables are never analysed on their own).
        """
        for name in self.names:
            column = sql.STAGE_INDEXES[name]
            self.tx.exec(f"CREATE INDEX ix_stage_{name} ON {self.tables[name]} ({column})")
            self.tx.exec(self.spell.analyze(self.tables[name]))

    def drop(self) -> None:
        for table in self.tables.values():
            self.tx.exec(f"DROP TABLE IF EXISTS {table}")

    def load(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.tx.bulk_insert(self.tables[name], columns, rows)

    def sql(self, template: str) -> str:
        return template.format(table="{table}", **self.tables)

    def update_from(self, target: str, stage: str, key: str, assignments: Mapping[str, str],
                    where: str = "1 = 1") -> str:
        """``UPDATE target t SET col = expr, ... FROM <stage> x WHERE x.key = t.key AND ...``.

        Expressions and ``where`` name the target ``t`` and the staging table ``x``.
        """
        sets = ", ".join(f"{column} = {expr}" for column, expr in assignments.items())
        return self.spell.update_from(target, self.tables[stage], key, sets, self.sql(where))
