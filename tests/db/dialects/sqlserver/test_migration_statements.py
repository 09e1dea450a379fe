"""SQL Server without a server: every statement the runner sends is parsed as T-SQL,
and the GO splitter follows Flyway's rules."""

from __future__ import annotations

import json
import re

import pytest
import sqlfluff

from monozu.db.dialects.sqlserver import DIALECT
from monozu.db.dialects.sqlserver import migration as mssql
from monozu.db.dialects.sqlserver.statements import RULES
from monozu.db.migrate.history import HistorySQL
from monozu.db.migrate.splitter import split


def sqlserver_statements(schema: str = "dbo", table: str = "flyway_schema_history"
                         ) -> dict[str, str]:
    """Name -> statement (or batch): every one the runner sends to SQL Server."""
    part = DIALECT.migration
    out = HistorySQL(part, schema, table).statements()
    out.update({
        "facts": mssql.FACTS, "session": mssql.SESSION,
        "lock.acquire": mssql.LOCK_ACQUIRE, "lock.release": mssql.LOCK_RELEASE,
        "tx.begin": part.begin_sql, "tx.commit": part.commit_sql,
        "tx.rollback": part.rollback_sql, "schema.non_empty": part.non_empty(schema)[0],
        "rls.probe": part.rls_probe_sql or "",
    })
    for number, query in enumerate(part.clean_queries(), 1):
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


STATEMENTS = sqlserver_statements()


def parse_tsql(sql: str) -> dict[str, object]:
    """Parse with sqlfluff's T-SQL grammar; driver ``?`` parameters become ``@pN``."""
    counter = iter(range(1, 100))
    text = re.sub(r"\?", lambda _m: f"@p{next(counter)}", sql)
    tree = sqlfluff.parse(text, dialect="tsql")  # raises APIParsingError when unparsable
    assert "unparsable" not in json.dumps(tree)
    return tree


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_parses_as_tsql(name: str) -> None:
    parse_tsql(STATEMENTS[name])


@pytest.mark.parametrize("sql", sqlserver_clean_examples())
def test_generated_clean_statements_parse(sql: str) -> None:
    parse_tsql(sql)


def test_the_parser_check_can_fail() -> None:
    with pytest.raises(sqlfluff.api.APIParsingError):
        parse_tsql("CREATE TABLE [dbo].[x] ([id] INT,, bad)")


def test_history_ddl_is_flyways() -> None:
    ddl = STATEMENTS["history.create.1"]
    assert ddl.startswith("CREATE TABLE [dbo].[flyway_schema_history] (\n")
    for column in ("[installed_rank] INT NOT NULL,", "[version] NVARCHAR(50),",
                   "[description] NVARCHAR(200),", "[type] NVARCHAR(20) NOT NULL,",
                   "[script] NVARCHAR(1000) NOT NULL,", "[checksum] INT,",
                   "[installed_by] NVARCHAR(100) NOT NULL,",
                   "[installed_on] DATETIME NOT NULL DEFAULT GETDATE(),",
                   "[execution_time] INT NOT NULL,", "[success] BIT NOT NULL"):
        assert f"\n    {column}\n" in ddl
    assert ("ALTER TABLE [dbo].[flyway_schema_history] ADD CONSTRAINT "
            "[flyway_schema_history_pk] PRIMARY KEY ([installed_rank]);") in ddl
    assert ("CREATE INDEX [flyway_schema_history_s_idx] ON [dbo].[flyway_schema_history] "
            "([success]);") in ddl
    assert "installed_on" not in STATEMENTS["history.insert"]
    assert STATEMENTS["history.delete_failed_versioned"].endswith(
        "WHERE [success] = 0 AND [version] = ?")
    assert "SUSER_SNAME()" in STATEMENTS["facts"]


def test_applock_is_flyways() -> None:
    acquire = STATEMENTS["lock.acquire"]
    assert "sp_getapplock @Resource = ?, @LockTimeout = ?" in acquire
    assert "@LockMode = 'Exclusive', @LockOwner = 'Session'" in acquire
    assert "sp_releaseapplock @Resource = ?, @LockOwner = 'Session'" in STATEMENTS["lock.release"]


def test_other_schema_and_table_are_quoted() -> None:
    other = sqlserver_statements("app", "migration_log")
    assert "[app].[migration_log]" in other["history.select"]
    assert "[migration_log_pk]" in other["history.create.1"]
    for sql in other.values():
        parse_tsql(sql)
    # A closing bracket in a name is doubled (sqlfluff's grammar cannot parse that form).
    assert "[app].[odd]]name]" in sqlserver_statements("app", "odd]name")["history.select"]


def batches(text: str) -> list[str]:
    return [s.sql for s in split(RULES, text).statements]


def test_go_splits_batches_and_never_on_semicolons() -> None:
    text = "CREATE TABLE t (id INT); INSERT INTO t VALUES (1)\nGO\nSELECT 1;\nSELECT 2\n"
    assert batches(text) == ["CREATE TABLE t (id INT); INSERT INTO t VALUES (1)",
                             "SELECT 1;\nSELECT 2"]


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT 1\ngo\nSELECT 2", ["SELECT 1", "SELECT 2"]),            # any case
    ("SELECT 1 GO SELECT 2", ["SELECT 1", "SELECT 2"]),              # not alone on its line
    ("GO\nSELECT 1\nGO\nGO\n", ["SELECT 1"]),                        # empty batches dropped
    ("SELECT 1\nGO;\nSELECT 2", ["SELECT 1\nGO;\nSELECT 2"]),        # GO; is not a delimiter
    ("SELECT 1\nGO 5\nSELECT 2", ["SELECT 1", "5\nSELECT 2"]),       # no sqlcmd GO <count>
    ("SELECT 'a\nGO\nb'\nGO", ["SELECT 'a\nGO\nb'"]),                # inside a string
    ("SELECT 1 -- GO\n/* GO\n*/\nGO", ["SELECT 1 -- GO\n/* GO\n*/"]),  # inside comments
    ("SELECT [GO] FROM t\nGO", ["SELECT [GO] FROM t"]),              # a bracketed name
    ("SELECT 1 AS GOAL\nGO", ["SELECT 1 AS GOAL"]),                  # only the whole word
    ("SELECT 1\nGO", ["SELECT 1"]),                                  # GO at the end of file
])
def test_go_rules(text: str, expected: list[str]) -> None:
    assert batches(text) == expected


def test_go_inside_begin_end_does_not_split() -> None:
    text = ("CREATE PROCEDURE p AS\nBEGIN\n  SELECT CASE WHEN 1 = 1 THEN 1 END\n  GO\nEND\nGO\n"
            "BEGIN TRANSACTION\nGO\nCOMMIT\n")
    assert batches(text) == [
        "CREATE PROCEDURE p AS\nBEGIN\n  SELECT CASE WHEN 1 = 1 THEN 1 END\n  GO\nEND",
        "BEGIN TRANSACTION", "COMMIT"]


def test_batch_line_numbers() -> None:
    script = split(RULES, "-- header\nSELECT 1\nGO\n\n\nSELECT 2\nGO\n")
    assert [s.line for s in script.statements] == [2, 6]


@pytest.mark.parametrize(("batch", "transactional"), [
    ("BACKUP DATABASE app TO DISK = 'x.bak'", False),
    ("RESTORE DATABASE app FROM DISK = 'x.bak'", False),
    ("RECONFIGURE", False),
    ("CREATE DATABASE other", False),
    ("ALTER DATABASE app SET READ_COMMITTED_SNAPSHOT ON", False),
    ("CREATE FULLTEXT CATALOG ftc", False),
    ("DROP FULLTEXT INDEX ON dbo.t", False),
    ("EXEC sp_addlinkedserver @server = 'x'", False),
    ("EXECUTE [master].[dbo].[sp_serveroption] 'x', 'rpc', 'true'", False),
    ("EXEC sp_rename 'dbo.t.a', 'b', 'COLUMN'", True),
    ("CREATE TABLE dbo.t (id INT)", True),
    ("CREATE SECURITY POLICY p ADD FILTER PREDICATE dbo.f(tenant_id) ON dbo.t", True),
])
def test_non_transactional_batches(batch: str, transactional: bool) -> None:
    (stmt,) = split(RULES, batch + "\nGO\n").statements
    assert stmt.transactional is transactional


def test_mixed_script_is_detected() -> None:
    script = split(RULES, "CREATE TABLE t (id INT)\nGO\nCREATE FULLTEXT CATALOG c\nGO\n")
    assert script.mixed and not script.transactional
