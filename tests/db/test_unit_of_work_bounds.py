"""A unit of work's transaction is the layer's: SQL inside it cannot end or restart it,
and a Tx kept past its with-block cannot reach the pooled connection again.

A ``COMMIT`` sent inside a unit of work used to commit the work before it, whatever
the unit of work did next (an exception no longer rolled it back), and on PostgreSQL
it dropped the tenant binding for the rest of the block. A stale Tx on a pool of one
connection ran its statements inside the next unit of work, another tenant's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from monozu.db import Database, QueryError, Tx
from monozu.db.dialects.postgresql.statements import LEXICON as POSTGRESQL
from monozu.db.dialects.sqlite.statements import LEXICON as SQLITE
from monozu.db.dialects.sqlserver.statements import LEXICON as SQLSERVER
from monozu.db.sqlparams import compile_sql
from monozu.db.sqltext import Lexicon

A, B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)

CONTROL = ["COMMIT", "commit;", "COMMIT AND CHAIN", "END", "END TRANSACTION", "ROLLBACK",
           "ROLLBACK TRANSACTION", "ROLLBACK WORK;", "/**/COMMIT", "SELECT 1;;COMMIT",
           "ABORT", "BEGIN", "BEGIN IMMEDIATE", "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
           "SELECT 1; COMMIT", "UPDATE notes SET id = id; ROLLBACK",
           "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END; COMMIT",
           "/* first */ COMMIT", "-- a comment\nCOMMIT"]
NOT_CONTROL = ["SELECT 'COMMIT'", "SELECT 1 -- COMMIT", "SELECT \"end\" FROM notes",
               "ROLLBACK TO SAVEPOINT a", "SAVEPOINT a", "RELEASE SAVEPOINT a",
               "ROLLBACK TRANSACTION TO SAVEPOINT a", "ROLLBACK WORK TO a",
               "SELECT CASE WHEN 1 = 1 THEN 1 END",
               # a trigger's body: its ";" ends no statement, its END no transaction
               "CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); "
               "UPDATE b SET x = CASE WHEN 1 THEN 2 END; END",
               "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END; SELECT 2",
               "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END"]
TSQL_CONTROL = ["COMMIT", "IF @@TRANCOUNT > 0 COMMIT", "BEGIN TRAN", "BEGIN TRANSACTION x",
                "BEGIN DISTRIBUTED TRANSACTION", "ROLLBACK TRANSACTION",
                "UPDATE t SET a = 1 COMMIT"]
TSQL_NOT_CONTROL = ["BEGIN TRY SELECT 1 END TRY BEGIN CATCH SELECT 2 END CATCH",
                    "IF 1 = 1 BEGIN SELECT 1; END;", "SELECT 'COMMIT'", "SELECT [commit] FROM t",
                    "SAVE TRANSACTION a", "SELECT abort FROM t"]


@pytest.mark.parametrize("lexicon", [POSTGRESQL, SQLITE], ids=lambda x: x.label)
@pytest.mark.parametrize("sql", CONTROL)
def test_statements_that_end_or_begin_a_transaction_are_noted(lexicon: Lexicon,
                                                               sql: str) -> None:
    assert compile_sql(sql, "qmark", lexicon).transaction_control


@pytest.mark.parametrize("lexicon", [POSTGRESQL, SQLITE], ids=lambda x: x.label)
@pytest.mark.parametrize("sql", NOT_CONTROL)
def test_the_same_words_in_strings_comments_and_savepoints_are_not(lexicon: Lexicon,
                                                                    sql: str) -> None:
    assert compile_sql(sql, "qmark", lexicon).transaction_control == ""


def test_a_dollar_quoted_body_is_not_read_for_transaction_words() -> None:
    sql = "DO $$BEGIN PERFORM 1; END$$"
    assert compile_sql(sql, "dollar", POSTGRESQL).transaction_control == ""


@pytest.mark.parametrize("sql", TSQL_CONTROL)
def test_tsql_transaction_words_are_noted_wherever_they_stand(sql: str) -> None:
    assert compile_sql(sql, "qmark", SQLSERVER).transaction_control


@pytest.mark.parametrize("sql", TSQL_NOT_CONTROL)
def test_tsql_blocks_and_savepoints_are_not_transaction_control(sql: str) -> None:
    assert compile_sql(sql, "qmark", SQLSERVER).transaction_control == ""


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    database = Database.open(any_url, pool_size=1)
    database.exec("CREATE TABLE notes (id int PRIMARY KEY, tenant_id text)")
    yield database
    database.close()


@pytest.mark.parametrize("sql", ["COMMIT", "END", "ROLLBACK", "SELECT 1; COMMIT"])
@pytest.mark.parametrize("verb", ["exec", "get_value", "exec_many"])
def test_sql_cannot_commit_a_unit_of_work_that_then_fails(db: Database, sql: str,
                                                          verb: str) -> None:
    with pytest.raises(RuntimeError), db.tenant(A) as tx:
        tx.exec("INSERT INTO notes VALUES (1, 'a')")
        with pytest.raises(QueryError, match="refused inside a unit of work"):
            if verb == "exec":
                tx.exec(sql)
            elif verb == "get_value":
                tx.get_value(sql)
            else:
                tx.exec_many(sql, [{}])
        assert tx.get_value("SELECT count(*) FROM notes") == 1  # still the same transaction
        raise RuntimeError("the unit of work fails after the refused statement")
    assert db.get_value("SELECT count(*) FROM notes") == 0  # so nothing was committed


def test_savepoint_statements_still_work(db: Database) -> None:
    with db.transaction() as tx:
        tx.exec("INSERT INTO notes VALUES (1, 'a')")
        tx.exec("SAVEPOINT mine")
        tx.exec("INSERT INTO notes VALUES (2, 'a')")
        tx.exec("ROLLBACK TO SAVEPOINT mine")
        tx.exec("RELEASE SAVEPOINT mine")
    assert db.select(int, "SELECT id FROM notes") == [1]


def _stale(db: Database) -> Tx:
    with db.tenant(B) as tx:
        tx.exec("INSERT INTO notes VALUES (1, 'b')")
    return tx


@pytest.mark.parametrize("use", ["exec", "select", "get_value", "exec_many", "bulk_insert",
                                 "savepoint", "conn"])
def test_a_tx_kept_past_its_block_cannot_run_anything(db: Database, use: str) -> None:
    stale = _stale(db)
    with db.tenant(A) as current:  # a pool of one: the same connection as the stale Tx's
        with pytest.raises(QueryError, match="unit of work has ended"):
            if use == "exec":
                stale.exec("INSERT INTO notes VALUES (2, 'b')")
            elif use == "select":
                stale.select(int, "SELECT id FROM notes")
            elif use == "get_value":
                stale.get_value("SELECT count(*) FROM notes")
            elif use == "exec_many":
                stale.exec_many("INSERT INTO notes VALUES (:i, 'b')", [{"i": 2}])
            elif use == "bulk_insert":
                stale.bulk_insert("notes", ["id", "tenant_id"], [(2, "b")])
            elif use == "savepoint":
                with stale.transaction():
                    pass
            else:
                stale.conn.cursor()
        current.exec("INSERT INTO notes VALUES (3, 'a')")
    assert db.select(int, "SELECT id FROM notes ORDER BY id") == [1, 3]


VERBS_AFTER_CLOSE = {
    "exec": lambda tx: tx.exec("SELECT 1"),
    "exec_many": lambda tx: tx.exec_many("INSERT INTO notes (id) VALUES (:id)", [{"id": 1}]),
    "select": lambda tx: tx.select(dict, "SELECT 1 AS a"),
    "get_value": lambda tx: tx.get_value("SELECT 1"),
    "bulk_insert": lambda tx: tx.bulk_insert("notes", ["id"], [(1,)]),
    "savepoint": lambda tx: tx.transaction().__enter__(),
}


@pytest.mark.parametrize("verb", list(VERBS_AFTER_CLOSE))
def test_a_verb_on_a_raw_connection_closed_by_hand_is_the_layers_error(
        db: Database, verb: str) -> None:
    """Code that closed ``tx.conn`` got the driver's own exception from the next verb
    (psycopg's OperationalError, sqlite3's ProgrammingError)."""
    from monozu.db import MonozuError

    with pytest.raises(MonozuError) as failed, db.tenant(A) as tx:
        tx.conn.close()
        VERBS_AFTER_CLOSE[verb](tx)
    assert "closed" in str(failed.value)
    with db.tenant(B) as tx:  # the pool made another
        assert tx.get_value("SELECT count(*) FROM notes") == 0
