"""The SQL snippets of query files: each database's expansion runs on real SQLite and
PostgreSQL, and parses as T-SQL for SQL Server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from monozu.db import Database, QueryError, connect
from monozu.db.dialects import dialect_for
from monozu.db.dialects.snippets import check_macros
from monozu.db.sqlparams import scan
from tests.support.tsql import assert_parses

DDL = "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state VARCHAR(20) NOT NULL, worker INTEGER)"

PAGE = "SELECT id FROM jobs WHERE id > :after ORDER BY id {{ limit :n }}"
INSERT = ("INSERT INTO jobs (id, state) {{ inserted id, state }} VALUES (:id, :state) "
          "{{ returning id, state }}")
UPDATE = ("UPDATE jobs SET state = :state {{ inserted id, state }} WHERE id = :id "
          "{{ returning id, state }}")
UPSERT = "{{ upsert jobs key (id) set (state, worker) }}"
CLAIM = ("{{ claim jobs key id set state = 'running', worker = :worker "
         "where state = 'queued' order by id limit :n }}")
FLAG = ("SELECT id, {{ flag EXISTS (SELECT 1 FROM jobs o WHERE o.id = j.id + 1) }} AS has_next "
        "FROM jobs j ORDER BY id")
ALL = (PAGE, INSERT, UPDATE, UPSERT, CLAIM, FLAG)


@dataclass(slots=True)
class Job:
    id: int
    state: str
    worker: int | None


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    database = connect(any_url)
    database.exec(DDL)
    database.exec_many("INSERT INTO jobs (id, state) VALUES (:id, 'queued')",
                       [{"id": i} for i in range(1, 8)])
    yield database
    database.close()


def _sql(db: Database, text: str) -> str:
    return db.dialect.snippets.expand(text)


def test_keyset_pagination(db: Database) -> None:
    assert db.select(int, _sql(db, PAGE), after=0, n=3) == [1, 2, 3]
    assert db.select(int, _sql(db, PAGE), after=3, n=3) == [4, 5, 6]
    assert db.select(int, _sql(db, PAGE), after=6, n=3) == [7]


def test_returning_inserted_and_updated_rows(db: Database) -> None:
    inserted = db.select(dict, _sql(db, INSERT), id=10, state="queued")
    assert inserted == [{"id": 10, "state": "queued"}]
    updated = db.select(dict, _sql(db, UPDATE), id=10, state="done")
    assert updated == [{"id": 10, "state": "done"}]


def test_a_flag_is_a_boolean_value(db: Database) -> None:
    rows = db.select(dict, _sql(db, FLAG), types={"has_next": bool})
    assert [r["has_next"] for r in rows] == [True] * 6 + [False]


def test_upsert_inserts_then_updates(db: Database) -> None:
    db.exec(_sql(db, UPSERT), id=20, state="queued", worker=None)
    db.exec(_sql(db, UPSERT), id=20, state="done", worker=5)
    assert db.select(Job, "SELECT * FROM jobs WHERE id = :id", id=20) == [Job(20, "done", 5)]


def test_claim_takes_each_row_once(db: Database) -> None:
    claimed = []
    for worker in (1, 2, 3, 4):
        with db.transaction() as tx:
            claimed.append(sorted(j.id for j in tx.select(Job, _sql(db, CLAIM),
                                                             worker=worker, n=2)))
    assert claimed == [[1, 2], [3, 4], [5, 6], [7]]
    rows = db.select(Job, "SELECT * FROM jobs ORDER BY id")
    assert [j.worker for j in rows] == [1, 1, 2, 2, 3, 3, 4]
    assert {j.state for j in rows} == {"running"}


def test_concurrent_claims_skip_locked_rows(pg_url: str) -> None:
    """Two open transactions claiming at once get disjoint rows, without waiting."""
    first, second = connect(pg_url), connect(pg_url)
    try:
        first.exec(DDL)
        first.exec_many("INSERT INTO jobs (id, state) VALUES (:id, 'queued')",
                        [{"id": i} for i in range(1, 5)])
        claim = _sql(first, CLAIM)
        with first.transaction() as tx1:
            mine = {j.id for j in tx1.select(Job, claim, worker=1, n=2)}
            with second.transaction() as tx2:
                theirs = {j.id for j in tx2.select(Job, claim, worker=2, n=2)}
        assert mine == {1, 2} and theirs == {3, 4}
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("text", ALL)
def test_sql_server_expansions_parse_as_t_sql(text: str) -> None:
    dialect = dialect_for("sqlserver")
    sql = dialect.snippets.expand(text)
    parts, _names = scan(sql, dialect.lexicon)
    assert_parses("@p".join(parts))


def test_sql_server_spellings() -> None:
    snippets = dialect_for("sqlserver").snippets
    assert snippets.expand(PAGE).endswith("ORDER BY id OFFSET 0 ROWS FETCH NEXT :n ROWS ONLY")
    assert snippets.expand(INSERT) == ("INSERT INTO jobs (id, state) OUTPUT inserted.id, "
                                       "inserted.state VALUES (:id, :state) ")
    assert "WITH (UPDLOCK, READPAST, ROWLOCK)" in snippets.expand(CLAIM)
    assert snippets.expand(UPSERT).startswith("MERGE [jobs] WITH (HOLDLOCK)")
    assert snippets.expand("{{ flag a = 1 }}") == \
        "CASE WHEN a = 1 THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END"


@pytest.mark.parametrize(("text", "message"), [
    ("{{ limit }}", "needs a count"),
    ("SELECT {{ flag }} AS f", "needs a condition"),
    ("{{ upsert jobs (id) }}", "TABLE key"),
    ("{{ claim jobs where x }}", "TABLE key COLUMN"),
    ("{{ frobnicate 1 }}", "unknown snippet"),
    ("SELECT {{ limit 1", "unclosed"),
])
def test_bad_macros_are_refused(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        check_macros(text)


def test_staging_statements_run_and_parse_as_t_sql(db: Database) -> None:
    """Session-private staging tables: run for real here, parsed for SQL Server."""
    for spell in (db.dialect.snippets, dialect_for("sqlserver").snippets):
        stage = spell.temporary_table("stage_jobs")
        statements = [
            spell.create_temporary_as(stage, "SELECT id, state FROM jobs WHERE 1 = 0"),
            spell.analyze(stage),
            spell.update_from("jobs", stage, "id", "state = x.state", "x.state <> t.state"),
        ]
        if spell is db.dialect.snippets:
            with db.transaction() as tx:
                tx.exec(statements[0])
                tx.exec(f"INSERT INTO {stage} (id, state) VALUES (1, 'done')")
                tx.exec(statements[1])
                assert tx.exec(statements[2]) == 1
            assert db.get_value("SELECT state FROM jobs WHERE id = 1") == "done"
        else:
            for statement in statements:
                assert_parses(statement)


def test_writers_in_turn_runs_and_parses_as_t_sql(db: Database) -> None:
    """The statement that makes writing transactions wait for each other: run here (None
    on SQLite, whose writers already take turns), parsed for SQL Server."""
    statement = db.dialect.snippets.writers_in_turn("jobs")
    if statement is not None:
        with db.transaction() as tx:
            tx.exec(statement)
            assert db.get_value("SELECT COUNT(*) FROM jobs") >= 0  # readers pass
    sqlserver = dialect_for("sqlserver").snippets.writers_in_turn("jobs")
    assert sqlserver is not None
    assert_parses(sqlserver)
