"""PostgreSQL ``bulk_insert`` where ``COPY`` cannot go straight into the table: what the
staging table costs a long unit of work, and the way in for a role that may not create
one.

The staging table is made once a transaction for each table and columns: made and
dropped for each call, its locks stayed until the transaction ended, and a few
thousand calls in one unit of work filled the lock table every session shares. A role
without the ``TEMPORARY`` privilege (taken from PUBLIC on hardened servers) gets its
rows in by ``INSERT ... VALUES``, with the policies still checking each row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monozu.db import Database, ParameterError, ProgrammingError
from monozu.db.dialects.postgresql.bulk import column_types
from tests.support.plans import application_database, police

TENANT, OTHER = uuid.UUID(int=0xA1), uuid.UUID(int=0xB2)
CHECK = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid"
COLUMNS = ("id", "tenant_id", "note", "tags", "doc", "score")


@pytest.fixture
def operator(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    database.exec("CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, "
                  "note text, tags integer[], doc jsonb, score double precision)")
    police(database, "notes", CHECK)
    yield database
    database.close()


@pytest.fixture(params=["temp", "no-temp"])
def app(request: pytest.FixtureRequest, operator: Database, pg_url: str) -> Iterator[Database]:
    """The application role, RLS on; with or without the TEMPORARY privilege."""
    if request.param == "no-temp":
        name = operator.get_value("SELECT quote_ident(current_database())")
        operator.exec(f"REVOKE TEMPORARY ON DATABASE {name} FROM PUBLIC")
    with application_database(operator, pg_url) as database:
        yield database


def _rows(start: int, count: int, tenant: uuid.UUID = TENANT) -> list[tuple[Any, ...]]:
    return [(n, tenant, f"note {n}", [n, n + 1], {"n": n}, n / 4)
            for n in range(start, start + count)]


def _after_ten_and_all(tx: Any, calls: int, measure: Callable[[], Any]) -> tuple[Any, Any]:
    """``measure()`` after ten two-row bulk inserts and after ``calls`` of them."""
    after_ten = None
    for n in range(calls):
        tx.bulk_insert("notes", COLUMNS, _rows(n * 2, 2))
        if n == 9:
            after_ten = measure()
    return after_ten, measure()


def _stored(operator: Database) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in operator.select(
        dict, "SELECT id, tenant_id, note, tags, doc, score FROM notes ORDER BY id")]


def test_the_path_follows_the_privilege(app: Database, request: pytest.FixtureRequest) -> None:
    with app.tenant(TENANT) as tx:
        target = column_types(tx.conn, "notes", COLUMNS)
    assert target.staged
    assert target.may_stage is (request.node.callspec.params["app"] == "temp")


def test_rows_go_in_as_given_across_several_statements(app: Database,
                                                       operator: Database) -> None:
    rows = _rows(1, 1300)  # more than two chunks of 512
    with app.tenant(TENANT) as tx:
        assert tx.bulk_insert("notes", COLUMNS, rows) == 1300
        assert tx.bulk_insert("notes", COLUMNS, iter(_rows(2000, 3))) == 3
        assert tx.bulk_insert("notes", COLUMNS, []) == 0
    assert _stored(operator) == [(n, t, note, tags, doc, score) for n, t, note, tags, doc, score
                                 in rows + _rows(2000, 3)]


def test_another_tenant_s_row_is_refused_and_nothing_of_the_call_stays(
        app: Database, operator: Database) -> None:
    with app.tenant(TENANT) as tx:
        tx.bulk_insert("notes", COLUMNS, _rows(1, 2))
        # the refused row comes after two whole statements' worth of rows
        with pytest.raises(ProgrammingError) as refused:
            tx.bulk_insert("notes", COLUMNS, _rows(10, 1100) + _rows(5000, 1, OTHER))
        assert refused.value.code == "42501"
        assert tx.bulk_insert("notes", COLUMNS, _rows(3, 1)) == 1  # the unit goes on
    assert [r[0] for r in _stored(operator)] == [1, 2, 3]


@pytest.mark.parametrize(("column", "value", "says"), [
    ("note", "a\x00b", "NUL"),
    ("score", float("nan"), "NaN"),
    ("tags", "1,2", "takes a list"),
    ("tags", [1, True], "not a bool"),
    ("tags", [2**40], "does not fit"),
    ("doc", {"a": float("inf")}, "JSON"),
])
def test_a_value_that_cannot_go_in_is_refused_by_row_and_column(
        app: Database, operator: Database, column: str, value: Any, says: str) -> None:
    rows = _rows(1, 600)
    bad = list(rows[550])
    bad[COLUMNS.index(column)] = value
    rows[550] = tuple(bad)
    with app.tenant(TENANT) as tx, pytest.raises(ParameterError) as refused:
        tx.bulk_insert("notes", COLUMNS, rows)
    assert f"row 551, column {column}" in str(refused.value)
    assert says.lower() in str(refused.value).lower(), str(refused.value)
    assert _stored(operator) == []


def test_many_calls_in_one_unit_of_work_hold_few_locks(app: Database,
                                                       operator: Database) -> None:
    locks = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
    with app.tenant(TENANT) as tx:
        after_ten, after_all = _after_ten_and_all(tx, 300, lambda: tx.get_value(locks))
    # a table made and dropped for each call: about 80 after ten, 2,400 after all
    assert after_all <= after_ten < 40, (after_ten, after_all)
    assert len(_stored(operator)) == 600


def test_many_calls_in_one_unit_of_work_keep_few_files(app: Database,
                                                      operator: Database) -> None:
    """The staging table emptied inside each call's savepoint got new files each time
    (its heap, its TOAST table and index), the old ones kept until the transaction
    ended: three files a call on the server's disk."""
    temporary_files = ("SELECT count(*) FROM pg_ls_dir('base/' || (SELECT oid FROM "
                       "pg_database WHERE datname = current_database())) f "
                       "WHERE f LIKE 't%'")
    with app.tenant(TENANT) as tx:
        after_ten, after_all = _after_ten_and_all(
            tx, 200, lambda: operator.get_value(temporary_files))
        assert tx.get_value("SELECT count(*) FROM notes") == 400
    assert after_all == after_ten <= 5, (after_ten, after_all)
    assert operator.get_value(temporary_files) == 0
    assert len(_stored(operator)) == 400


def test_a_staging_table_follows_the_columns_types(app: Database, operator: Database) -> None:
    """A column's type changed in the same transaction gets a staging table of the new
    type (a table the role owns, its policy forced on its owner)."""
    role = app.get_value("SELECT quote_ident(current_user)")
    operator.exec(f"GRANT CREATE ON SCHEMA public TO {role}")
    with app.tenant(TENANT) as tx:
        tx.exec("CREATE TABLE counted (tenant_id uuid, n integer)")
        tx.exec("ALTER TABLE counted ENABLE ROW LEVEL SECURITY")
        tx.exec("ALTER TABLE counted FORCE ROW LEVEL SECURITY")
        tx.exec(f"CREATE POLICY tenant ON counted USING ({CHECK}) WITH CHECK ({CHECK})")
        assert column_types(tx.conn, "counted", ["tenant_id", "n"]).staged
        tx.bulk_insert("counted", ("tenant_id", "n"), [(TENANT, 1)])
        tx.exec("ALTER TABLE counted ALTER n TYPE text")
        tx.bulk_insert("counted", ("tenant_id", "n"), [(TENANT, "two")])
        assert tx.select(str, "SELECT n FROM counted ORDER BY n") == ["1", "two"]
