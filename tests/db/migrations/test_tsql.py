"""The SQL Server migrations are valid T-SQL, batch by batch, as far as parsers can tell.

Each file is split into batches on ``GO`` the way Flyway does, and every batch must parse
with sqlfluff's T-SQL grammar without an unparsable section. The replay with sqlglot
(``tests/support/schema_tsql.py``) then checks what a grammar cannot: that the statements
make sense in order (columns dropped only once nothing uses them, foreign keys onto keys...).
No SQL Server runs here: these files were parsed, never executed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlfluff
from sqlfluff.api.simple import APIParsingError

from tests.support.schema_apply import folder, migration_files
from tests.support.schema_tsql import ReplayError, replay
from tests.support.tsql import split_go

SQLSERVER_FILES = [f for _v, f in migration_files(folder("sqlserver"))]


def unparsable(batch: str) -> str | None:
    """sqlfluff's complaint about ``batch`` as T-SQL, or None."""
    try:
        sqlfluff.parse(batch, dialect="tsql")
    except APIParsingError as exc:
        return str(exc)
    return None


def file_problems(text: str) -> list[str]:
    problems = []
    for i, batch in enumerate(split_go(text), start=1):
        problem = unparsable(batch)
        if problem is not None:
            problems.append(f"batch {i}: {problem}")
    return problems


@pytest.mark.parametrize("path", SQLSERVER_FILES, ids=lambda p: p.name)
def test_every_batch_parses_as_tsql(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    batches = split_go(text)
    assert batches, "no statement found"
    assert file_problems(text) == []


@pytest.mark.parametrize("path", SQLSERVER_FILES, ids=lambda p: p.name)
def test_batches_that_tsql_requires_are_separate(path: Path) -> None:
    """CREATE FUNCTION must open its batch; security policies get their own batch too."""
    for batch in split_go(path.read_text(encoding="utf-8")):
        code = "\n".join(ln for ln in batch.splitlines() if not ln.lstrip().startswith("--"))
        for statement in ("CREATE FUNCTION", "CREATE SECURITY POLICY"):
            count = len(re.findall(statement.replace(" ", r"\s+"), code, re.I))
            if count:
                assert count == 1 and code.lstrip().upper().startswith(statement), batch[:200]


@pytest.mark.parametrize("path", SQLSERVER_FILES, ids=lambda p: p.name)
def test_names_are_schema_qualified(path: Path) -> None:
    code = "\n".join(ln for ln in path.read_text(encoding="utf-8").splitlines()
                     if not ln.lstrip().startswith("--"))
    code = re.sub(r"\bRETURNS\s+TABLE\b", "", code, flags=re.I)
    for m in re.finditer(r"\b(?:TABLE|REFERENCES|ON|FUNCTION|POLICY|PREDICATE)\s+([\w.\[\]]+)",
                         code, re.I):
        target = m.group(1)
        if target.upper() in ("DELETE", "UPDATE"):
            continue
        assert target.lower().startswith("dbo."), f"{path.name}: {m.group(0)}"


@pytest.mark.parametrize("broken", [
    "CREATE TABLE dbo.x (id INT,, bad);",
    "ALTER TABLE dbo.assets ADD COLUMN vendor NVARCHAR(200) NULL;",  # ADD COLUMN is not T-SQL
    "CREATE INDEX ix_x ON dbo.assets (tenant_id, ;",
])
def test_a_broken_statement_is_reported(broken: str) -> None:
    (v13,) = [f for f in SQLSERVER_FILES if f.name.startswith("V13__")]
    original = v13.read_text(encoding="utf-8")
    assert file_problems(original) == []
    text = original + "\n" + broken + "\nGO\n"
    problems = file_problems(text)
    assert len(problems) == 1
    assert f"batch {len(split_go(text))}:" in problems[0]


def test_a_statement_broken_inside_a_batch_is_reported() -> None:
    text = SQLSERVER_FILES[0].read_text(encoding="utf-8")
    broken = text.replace("CONSTRAINT pk_users PRIMARY KEY (id),",
                          "CONSTRAINT pk_users PRIMARY KEY (id)", 1)
    assert broken != text
    assert len(file_problems(broken)) == 1


def test_go_splitting_follows_flyways_rule() -> None:
    text = (
        "SELECT 'GO ' AS a; -- GO here is a comment\n"
        "/* GO */ SELECT [GO ] FROM dbo.t\n"
        "go\n"
        "SELECT 1 AS GOTO_;\n"
        "  GO  \n"
        "GO\n"
        "SELECT 2 GO"
    )
    assert split_go(text) == [
        "SELECT 'GO ' AS a; -- GO here is a comment\n/* GO */ SELECT [GO ] FROM dbo.t",
        "SELECT 1 AS GOTO_;",
        "SELECT 2",
    ]


# --------------------------------------------------------------------------- replay


def replace_in(name: str, old: str, new: str, tmp_path: Path) -> list[Path]:
    """The SQL Server files with one text replacement in file ``name``."""
    out = []
    for f in SQLSERVER_FILES:
        target = tmp_path / f.name
        text = f.read_text(encoding="utf-8")
        if f.name == name:
            assert old in text
            text = text.replace(old, new, 1)
        target.write_text(text, encoding="utf-8")
        out.append(target)
    return out


def test_replay_of_the_real_files_succeeds() -> None:
    schema = replay(SQLSERVER_FILES).schema()
    assert "assets" in schema.tables and "producer" in schema.table("assets").column_names
    # V29: collations and the defaults re-created with ADD CONSTRAINT ... DEFAULT ... FOR
    assert schema.table("tenants").column("slug").collation == "Latin1_General_100_BIN2"
    assert schema.table("users").column("email").collation == "Latin1_General_100_CI_AS"
    status = schema.table("tenants").column("status")
    assert (status.has_default, status.default) == (True, "N'pending'")


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    # dropping a column whose default constraint still exists
    ("V12__vuln_scanner_drop_feed_sync_enabled.sql",
     "ALTER TABLE dbo.vuln_scanner_settings\n    DROP CONSTRAINT "
     "df_vuln_scanner_settings_feed_sync_enabled;\n", "",
     "df_vuln_scanner_settings_feed_sync_enabled"),
    # dropping a column a foreign key and an index still use
    ("V28__drop_diagram_change_id.sql",
     "ALTER TABLE dbo.diagrams DROP CONSTRAINT fk_diagrams_change_id;\n", "",
     "fk_diagrams_change_id"),
    # a reference onto columns that are not a key of the parent
    ("V1__base_schema.sql", "REFERENCES dbo.sites (tenant_id, id)",
     "REFERENCES dbo.sites (tenant_id, name)", "is not a key"),
    # renaming an index that does not exist
    ("V18__assets_vendor_to_producer.sql", "N'dbo.assets.ix_assets_tenant_vendor'",
     "N'dbo.assets.ix_assets_vendor'", "no index"),
    # a policy over a column of its table that does not exist
    ("V14__disable_tenant_rls.sql",
     "fn_rls_tenant(tenant_id) ON dbo.users,\n"
     "    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.users",
     "fn_rls_tenant(tenant) ON dbo.users,\n"
     "    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant) ON dbo.users", "no column"),
    # a primary key too wide for SQL Server's clustered index
    ("V1__base_schema.sql", "permission NVARCHAR(100) NOT NULL",
     "permission NVARCHAR(450) NOT NULL", "exceeds 900"),
    # an NVARCHAR(MAX) index key
    ("V13__asset_registry_vendor.sql", "vendor NVARCHAR(200) NULL", "vendor NVARCHAR(MAX) NULL",
     "cannot be an index key"),
    # a reserved word as a column name, unquoted
    ("V1__base_schema.sql", "[plan] NVARCHAR(50)", "plan NVARCHAR(50)", "reserved word"),
    # altering a table under a schema-bound policy on its tenant column
    ("V28__drop_diagram_change_id.sql", "ALTER TABLE dbo.diagrams DROP COLUMN change_id;",
     "EXEC sp_rename N'dbo.diagrams.tenant_id', N'owner_id', N'COLUMN';",
     "security policy"),
    # changing a column's collation while its unique constraint still exists
    ("V29__case_rules.sql", "ALTER TABLE dbo.tenants DROP CONSTRAINT uq_tenants_slug;\n", "",
     "cannot alter tenants.slug: used by uq_tenants_slug"),
    # ... or while its default still exists
    ("V29__case_rules.sql", "ALTER TABLE dbo.tenants DROP CONSTRAINT df_tenants_status;\n", "",
     "used by df_tenants_status"),
    # a foreign key between columns of different collations (the server's error 1757)
    ("V29__case_rules.sql", "ALTER TABLE dbo.cve_cpe_matches ALTER COLUMN cve_id NVARCHAR(32)\n"
     "    COLLATE Latin1_General_100_BIN2 NOT NULL;\n", "", "differ in collation"),
    # ALTER COLUMN without NULL / NOT NULL makes the column nullable on SQL Server
    ("V29__case_rules.sql", "ALTER TABLE dbo.tenants ALTER COLUMN slug NVARCHAR(63)\n"
     "    COLLATE Latin1_General_100_BIN2 NOT NULL;",
     "ALTER TABLE dbo.tenants ALTER COLUMN slug NVARCHAR(63)\n"
     "    COLLATE Latin1_General_100_BIN2;", "say NULL or NOT NULL"),
])
def test_replay_refuses_what_sql_server_would(name: str, old: str, new: str, message: str,
                                              tmp_path: Path) -> None:
    files = replace_in(name, old, new, tmp_path)
    with pytest.raises(ReplayError, match=re.escape(message)):
        replay(files)
