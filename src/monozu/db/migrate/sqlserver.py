"""Every statement the runner sends to SQL Server, as data.

No SQL Server runs where this package is developed, so these statements are checked
by a T-SQL parser in the tests instead of by a server. ``?`` marks a driver
parameter (mssql-python uses qmark).
"""

from __future__ import annotations

from monozu.db.migrate.clean import SQLSERVER_CLEAN_QUERIES, non_empty_query
from monozu.db.migrate.history import HistorySQL
from monozu.db.migrate.locks import sqlserver_lock_sql
from monozu.db.migrate.session import SQLSERVER_FACTS, TRANSACTION_SQL


def sqlserver_statements(schema: str = "dbo", table: str = "flyway_schema_history"
                         ) -> dict[str, str]:
    """Name -> statement (or batch), for the given history table."""
    hist = HistorySQL("sqlserver", schema, table)
    acquire, release = sqlserver_lock_sql()
    begin, commit, rollback = TRANSACTION_SQL["sqlserver"]
    out: dict[str, str] = {
        "facts": SQLSERVER_FACTS,
        "lock.acquire": acquire,
        "lock.release": release,
        "tx.begin": begin,
        "tx.commit": commit,
        "tx.rollback": rollback,
        "history.columns": hist.columns(),
        "history.select": hist.select(),
        "history.next_rank": hist.next_rank(),
        "history.insert": hist.insert(),
        "history.update": hist.update(),
        "history.delete_failed_versioned": hist.delete_failed(repeatable=False),
        "history.delete_failed_repeatable": hist.delete_failed(repeatable=True),
        "schema.non_empty": non_empty_query("sqlserver", schema)[0],
    }
    for number, stmt in enumerate(hist.create(), 1):
        out[f"history.create.{number}"] = stmt
    for number, query in enumerate(SQLSERVER_CLEAN_QUERIES, 1):
        out[f"clean.query.{number}"] = query
    return out


def sqlserver_clean_examples(schema: str = "dbo") -> list[str]:
    """Statements of the shapes the clean queries generate, for the parser check."""
    q = f"[{schema}]"
    return [
        f"DROP SECURITY POLICY {q}.[tenant_policy]",
        f"ALTER TABLE {q}.[child] DROP CONSTRAINT [fk_child_parent]",
        f"ALTER TABLE {q}.[audit] SET (SYSTEM_VERSIONING = OFF)",
        f"DROP VIEW {q}.[v]",
        f"DROP PROCEDURE {q}.[p]",
        f"DROP FUNCTION {q}.[f]",
        f"DROP TABLE {q}.[t]",
        f"DROP SEQUENCE {q}.[s]",
        f"DROP SYNONYM {q}.[syn]",
        f"DROP TYPE {q}.[ty]",
    ]
