"""SQLite's refusals match the other databases': a Decimal it would store as infinity,
a bulk insert into an unknown column, a full database."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from monozu.db import Database, DatabaseError, ParameterError, ProgrammingError, connect
from monozu.db.errors import UndefinedTable


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    with connect(sqlite_url) as database:
        database.exec("CREATE TABLE amounts (id INTEGER PRIMARY KEY, r REAL, n NUMERIC, "
                      "t TEXT)")
        yield database


PATHS = ["exec", "exec_many", "bulk_insert"]
HUGE = [Decimal("1E+400"), Decimal("-1E+400"), Decimal("1E+100000"),
        Decimal("1.7976931348623159E+308")]


def _insert(db: Database, path: str, column: str, value: Any) -> None:
    if path == "exec":
        db.exec(f"INSERT INTO amounts (id, {column}) VALUES (:id, :v)", id=2, v=value)
    elif path == "exec_many":
        db.exec_many(f"INSERT INTO amounts (id, {column}) VALUES (:id, :v)",
                     [{"id": 1, "v": Decimal("1.5")}, {"id": 2, "v": value}])
    else:
        db.bulk_insert("amounts", ["id", column], [(1, Decimal("1.5")), (2, value)])


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("column", ["r", "n"])
@pytest.mark.parametrize("value", HUGE, ids=str)
def test_a_decimal_beyond_a_double_is_refused_not_stored_as_infinity(
        db: Database, path: str, column: str, value: Decimal) -> None:
    with pytest.raises(ParameterError) as info:
        _insert(db, path, column, value)
    message = str(info.value)
    named = {"exec": ":v", "exec_many": "row 2, :v", "bulk_insert": f"row 2, column {column}"}
    assert named[path] in message and "infinity" in message, message
    assert db.get_value("SELECT count(*) FROM amounts") == 0


@pytest.mark.parametrize("path", PATHS)
def test_a_decimal_within_a_double_still_goes_in(db: Database, path: str) -> None:
    largest = Decimal("-1.7976931348623157E+308")
    _insert(db, path, "n", largest)
    assert db.get_value("SELECT n FROM amounts WHERE id = 2") == float(largest)
    assert db.get_value("SELECT typeof(n) FROM amounts WHERE id = 2") == "real"


def test_an_unknown_bulk_column_is_a_parameter_error_before_any_row(db: Database) -> None:
    with pytest.raises(ParameterError) as info:
        db.bulk_insert("amounts", ["id", "x", "R", "y"], [(1, 2, 3.0, 4), (2, 2, 3.0, 4)])
    assert str(info.value) == 'bulk insert into "amounts": no column(s) x, y'
    assert db.get_value("SELECT count(*) FROM amounts") == 0
    with db.transaction() as tx:  # inside a unit of work, which goes on
        with pytest.raises(ParameterError, match="no column"):
            tx.bulk_insert("main.amounts", ["id", "nope"], [(1, 2)])
        tx.bulk_insert("main.amounts", ["ID", "r"], [(1, 2.5)])
    assert db.get_value("SELECT r FROM amounts WHERE id = 1") == 2.5


def test_a_bulk_insert_into_an_unknown_table_still_names_the_table(db: Database) -> None:
    with pytest.raises(UndefinedTable) as info:
        db.bulk_insert("nowhere", ["id"], [(1,)])
    assert info.value.table == "nowhere"


@pytest.mark.parametrize(("table", "insert", "says"), [
    ("audit (id INTEGER)", "INSERT INTO audit (id, missing) VALUES (new.id, 1)",
     "has no column named missing"),
    ("audit (t TEXT, id TEXT GENERATED ALWAYS AS (upper(t)))",
     "INSERT INTO audit (t, id) VALUES ('x', 'y')", "generated column"),
], ids=["unknown-column", "generated-column"])
def test_a_triggers_own_column_error_is_not_blamed_on_the_bulk_columns(
        db: Database, table: str, insert: str, says: str) -> None:
    with db.connection() as conn:
        conn.execute(f"CREATE TABLE {table}")
        conn.execute(f"CREATE TRIGGER amounts_audit AFTER INSERT ON amounts BEGIN {insert}; END")
    with pytest.raises(ProgrammingError, match=says) as info:
        db.bulk_insert("amounts", ["id"], [(1,)])
    assert not isinstance(info.value, ParameterError)


@pytest.mark.parametrize("kind", ["STORED", "VIRTUAL"])
def test_a_generated_bulk_column_is_refused_by_name_as_on_postgresql(
        db: Database, kind: str) -> None:
    db.exec(f"CREATE TABLE shouts (t TEXT, Loud TEXT GENERATED ALWAYS AS (upper(t)) {kind})")
    with pytest.raises(ParameterError) as info:
        db.bulk_insert("shouts", ["t", "LOUD"], [("a", "B")])
    assert str(info.value) == ('bulk insert into "shouts", column Loud: the database '
                               "computes its values (a generated column); leave the column out")
    assert db.bulk_insert("main.shouts", ["t"], [("a",)]) == 1
    assert db.get_value("SELECT Loud FROM shouts") == "A"


def test_a_full_database_is_a_database_error_not_a_programming_error(
        db: Database) -> None:
    with db.transaction() as tx:
        tx.exec("PRAGMA max_page_count = 1")
        with pytest.raises(DatabaseError) as info:
            tx.exec("INSERT INTO amounts (t) VALUES (zeroblob(100000))")
    assert not isinstance(info.value, ProgrammingError)
    assert info.value.code == "SQLITE_FULL"
    assert "full" in str(info.value)
