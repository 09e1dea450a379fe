"""Staging tables for set-based imports, and the statements whose form depends on them.

This is the one place the package asks which database it is on: temporary-table names and
creation, and ``UPDATE`` from a joined table, differ between SQL Server and the others.
(These belong in the dialects once they offer them.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monozu.db import Tx
from monozu.domain.vulnintel import sql


class Staging:
    """Temporary tables on ``tx``'s connection, dropped again by :meth:`drop`."""

    def __init__(self, tx: Tx, *names: str) -> None:
        self.tx = tx
        self.kind = tx.dialect.kind
        self.names = names
        self.tables = {n: (f"#stage_{n}" if self.kind == "sqlserver" else f"stage_{n}")
                       for n in names}
        self.drop()
        for name in names:
            table, shape = self.tables[name], sql.STAGE_SHAPES[name]
            if self.kind == "sqlserver":
                select, _, rest = shape.partition(" FROM ")
                tx.exec(f"{select} INTO {table} FROM {rest}")
            else:
                tx.exec(f"CREATE TEMP TABLE {table} AS {shape}")

    def index(self) -> None:
        """Index the key column of each staging table (after loading, which is faster) and
        give the planner its statistics (temporary tables are never analysed on their own).
        """
        for name in self.names:
            column = sql.STAGE_INDEXES[name]
            self.tx.exec(f"CREATE INDEX ix_stage_{name} ON {self.tables[name]} ({column})")
            if self.kind == "sqlserver":
                self.tx.exec(f"UPDATE STATISTICS {self.tables[name]}")
            else:
                self.tx.exec(f"ANALYZE {self.tables[name]}")

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
        table = self.tables[stage]
        sets = ", ".join(f"{column} = {expr}" for column, expr in assignments.items())
        if self.kind == "sqlserver":
            return (f"UPDATE t SET {sets} FROM {target} t JOIN {table} x "
                    f"ON x.{key} = t.{key} WHERE {self.sql(where)}")
        return (f"UPDATE {target} AS t SET {sets} FROM {table} x "
                f"WHERE x.{key} = t.{key} AND {self.sql(where)}")
