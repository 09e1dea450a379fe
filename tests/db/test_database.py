"""The query layer against real SQLite and real PostgreSQL, with the same test bodies."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from monozu.db import (
    CheckViolation,
    ConfigError,
    ConnectionFailed,
    Database,
    Deadlock,
    ForeignKeyViolation,
    MappingError,
    NotFound,
    NotNullViolation,
    ParameterError,
    ProgrammingError,
    SerializationFailure,
    Timeout,
    TooManyRows,
    UniqueViolation,
    connect,
)
from tests.support.items import COLUMNS, INSERT, Item, create, item, items_database
from tests.support.threads import at_once


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    with items_database(any_url) as database:
        yield database


def test_values_round_trip_the_same_on_every_database(db: Database) -> None:
    parent = item("parent")
    db.exec(INSERT, parent)
    when = datetime(2026, 11, 28, 14, 12, 3, 123456, tzinfo=timezone(timedelta(hours=2)))
    child = item("child", tenant_id=uuid.uuid4(), at=when, ok=False, score=0.1 + 0.2,
                 amount=Decimal("1234.5678"), doc={"a": [1, 2.5, None, True], "b": "é😀"},
                 parent=parent["id"], qty=0)
    db.exec(INSERT, child)
    got = db.get(Item, "SELECT * FROM items WHERE id = :id", id=child["id"])
    assert got == Item(**child)
    assert got.at is not None and got.at.utcoffset() == timedelta(0) and got.at == when
    assert type(got.ok) is bool and type(got.score) is float and type(got.amount) is Decimal
    assert isinstance(got.id, uuid.UUID) and isinstance(got.doc, dict)
    as_dict = db.get(dict, "SELECT id, doc, ok FROM items WHERE id = :id", id=child["id"],
                     types={"id": uuid.UUID, "doc": dict, "ok": bool})
    assert as_dict == {"id": child["id"], "doc": child["doc"], "ok": False}
    assert db.get_value("SELECT parent FROM items WHERE id = :id", id=child["id"],
                        type=uuid.UUID) == parent["id"]
    assert db.get_value("SELECT at FROM items WHERE id = :id", id=child["id"],
                        type=datetime) == when
    nothing = db.get(Item, "SELECT * FROM items WHERE id = :id", id=parent["id"])
    assert nothing == Item(**parent)
    db.exec(INSERT, item("list-doc", doc=[1, {"x": []}]))
    doc = db.get_value("SELECT doc FROM items WHERE name = 'list-doc'", type=list)
    assert doc == [1, {"x": []}]


def test_get_select_and_scalars(db: Database) -> None:
    rows = [item(f"n{i}", qty=i) for i in range(5)]
    assert db.exec_many(INSERT, rows) == 5
    assert [r.name for r in db.select(Item, "SELECT * FROM items ORDER BY qty")] == \
        [r["name"] for r in rows]
    assert db.select(int, "SELECT qty FROM items WHERE qty >= :q ORDER BY qty", q=3) == [3, 4]
    assert db.get_value("SELECT count(*) FROM items") == 5
    with pytest.raises(NotFound):
        db.get(Item, "SELECT * FROM items WHERE qty = :q", q=99)
    with pytest.raises(TooManyRows):
        db.get(Item, "SELECT * FROM items")
    with pytest.raises(MappingError, match="needs exactly one column"):
        db.select(int, "SELECT qty, name FROM items")


def test_unmapped_and_missing_columns(db: Database) -> None:
    db.exec(INSERT, item("x"))
    with pytest.raises(MappingError, match="column 'extra' has no field in Item"):
        db.select(Item, "SELECT *, 1 AS extra FROM items")
    assert len(db.select(Item, "SELECT *, 1 AS extra FROM items", lenient=True)) == 1
    with pytest.raises(MappingError, match="have no column in the result"):
        db.select(Item, "SELECT id, name FROM items")

    @dataclass(slots=True)
    class Partial:
        name: str
        qty: int | None = None

    assert db.select(Partial, "SELECT name FROM items") == [Partial("x")]


def test_exec_counts_and_in_lists(db: Database) -> None:
    rows = [item(f"r{i}", qty=i) for i in range(10)]
    db.exec_many(INSERT, rows)
    ids = [rows[1]["id"], rows[3]["id"], rows[5]["id"]]
    assert db.exec("UPDATE items SET qty = qty + 100 WHERE id IN :ids", ids=ids) == 3
    assert db.select(int, "SELECT qty FROM items WHERE id IN (:ids) ORDER BY qty", ids=ids) == \
        [101, 103, 105]
    with pytest.raises(ParameterError, match="empty list"):
        db.exec("DELETE FROM items WHERE id IN :ids", ids=[])
    assert db.get_value("SELECT count(*) FROM items") == 10


def test_bad_parameters_fail_before_the_database_is_touched(db: Database) -> None:
    # The statement is not even valid SQL: reaching the database would give a syntax error.
    with pytest.raises(ParameterError, match="missing :b"):
        db.exec("THIS IS NOT SQL :a :b", a=1)
    with pytest.raises(ParameterError, match="unknown :c"):
        db.exec("THIS IS NOT SQL :a", a=1, c=2)
    with pytest.raises(ParameterError, match="missing :qty"):
        db.exec_many(INSERT, [item("ok"), {k: v for k, v in item("bad").items() if k != "qty"}])
    assert db.get_value("SELECT count(*) FROM items") == 0
    with pytest.raises(ParameterError, match="naive datetime"):
        db.exec(INSERT, item("naive", at=datetime(2026, 1, 1)))
    with pytest.raises(ParameterError, match=r"cannot bind|JSON"):
        db.exec(INSERT, item("set", doc={"a": {1, 2}}))


def test_transactions_commit_rollback_and_savepoints(db: Database) -> None:
    with db.transaction() as tx:
        tx.exec(INSERT, item("kept"))
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.exec(INSERT, item("rolled-back"))
        raise RuntimeError("boom")
    with db.transaction() as tx:
        tx.exec(INSERT, item("outer"))
        with pytest.raises(UniqueViolation), tx.transaction() as inner:
            inner.exec(INSERT, item("inner"))
            inner.exec(INSERT, item("outer"))
        with tx.transaction() as inner:
            inner.exec(INSERT, item("inner-kept"))
            with tx.transaction() as deeper:
                deeper.exec(INSERT, item("deeper-kept"))
    names = db.select(str, "SELECT name FROM items ORDER BY name")
    assert names == ["deeper-kept", "inner-kept", "kept", "outer"]


def test_error_taxonomy_keeps_the_driver_code(db: Database) -> None:
    db.exec(INSERT, item("a"))
    cases = [
        (UniqueViolation, item("a"), {"sqlite": "SQLITE_CONSTRAINT_UNIQUE", "postgresql": "23505"}),
        (ForeignKeyViolation, item("b", parent=uuid.uuid4()),
         {"sqlite": "SQLITE_CONSTRAINT_FOREIGNKEY", "postgresql": "23503"}),
        (CheckViolation, item("c", qty=-1),
         {"sqlite": "SQLITE_CONSTRAINT_CHECK", "postgresql": "23514"}),
        (NotNullViolation, item(None),  # type: ignore[arg-type]
         {"sqlite": "SQLITE_CONSTRAINT_NOTNULL", "postgresql": "23502"}),
    ]
    for cls, values, codes in cases:
        with pytest.raises(cls) as info:
            db.exec(INSERT, values)
        assert info.value.code == codes[db.dialect.kind]
    with pytest.raises(CheckViolation) as check:
        db.exec(INSERT, item("c", qty=-1))
    assert check.value.constraint is not None and "ck_items_qty" in check.value.constraint
    with pytest.raises(ProgrammingError):
        db.select(dict, "SELECT nope FROM items")
    assert db.get_value("SELECT count(*) FROM items") == 1


def test_bulk_insert(db: Database) -> None:
    rows = [item(f"b{i}", qty=i, doc={"i": i}, at=datetime.now(UTC)) for i in range(1000)]
    assert db.bulk_insert("items", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows]) == 1000
    assert db.get_value("SELECT sum(qty) FROM items") == sum(range(1000))
    got = db.get(Item, "SELECT * FROM items WHERE name = 'b7'")
    assert got == Item(**rows[7])


HOSTILE = [
    "O'Reilly", "'; DROP TABLE items; --", "-- comment", "/* open", ":name", "::uuid",
    "$1", "?", "%s", "%(name)s", "\\", '"quoted"', "[bracket]", "é😀𝕏\U0010fffd", "x" * 100_000,
    "line\nbreak\r\n", "\t", "N'x'", "$$ :x $$",
]


def test_hostile_strings_round_trip_on_every_path(db: Database) -> None:
    rows = [item(f"h{i}") | {"doc": {"v": s}} for i, s in enumerate(HOSTILE)]
    for r, s in zip(rows[:7], HOSTILE, strict=False):
        db.exec(INSERT, r | {"name": s})
    db.exec_many(INSERT, [r | {"name": s} for r, s in zip(rows[7:14], HOSTILE[7:14], strict=True)])
    db.bulk_insert("items", COLUMNS, [tuple((r | {"name": s})[c] for c in COLUMNS)
                                      for r, s in zip(rows[14:], HOSTILE[14:], strict=True)])
    for s in HOSTILE:
        got = db.get(Item, "SELECT * FROM items WHERE name = :s", s=s)
        assert got.name == s and got.doc == {"v": s}
        assert db.get_value("SELECT name FROM items WHERE name = :s", s=s) == s
        assert db.select(dict, "SELECT name FROM items WHERE name = :s", s=s) == [{"name": s}]
    assert db.get_value("SELECT count(*) FROM items") == len(HOSTILE)


@pytest.mark.parametrize("path", ["exec", "exec_many", "bulk_insert", "json"])
def test_nul_is_refused_alike_on_every_database(db: Database, path: str) -> None:
    bad = "before\x00after"
    with pytest.raises(ParameterError, match="NUL"):
        if path == "exec":
            db.exec(INSERT, item(bad))
        elif path == "exec_many":
            db.exec_many(INSERT, [item("fine"), item(bad)])
        elif path == "bulk_insert":
            db.bulk_insert("items", COLUMNS, [tuple(item(bad)[c] for c in COLUMNS)])
        else:
            db.exec(INSERT, item("doc", doc={"k": bad}))
    assert db.get_value("SELECT count(*) FROM items") == 0


def test_pool_is_bounded_and_closes_cleanly(any_url: str) -> None:
    database = Database.open(any_url, pool_size=2, pool_timeout=0.3)
    with database.connection(), database.connection(), \
            pytest.raises(Timeout, match=r"no .*connection"), database.connection():
        pass
    with database.connection():  # released ones are reused
        pass
    database.close()
    database.close()  # idempotent


def test_unreachable_databases_fail_clearly(tmp_path: object) -> None:
    database = connect("postgresql://app:hunter2@127.0.0.1:1/monozu?connect_timeout=2")
    with pytest.raises(ConnectionFailed) as info:
        database.get_value("SELECT 1")
    assert "hunter2" not in str(info.value) and "127.0.0.1" in str(info.value)
    blocker = f"{tmp_path}/file"
    open(blocker, "w").close()
    with pytest.raises(ConfigError, match="is not a folder"):  # refused before connecting
        connect(f"sqlite:///{blocker}/sub/db.sqlite").get_value("SELECT 1")


def test_postgres_deadlock_and_serialization_are_retryable(pg_url: str) -> None:
    database = Database.open(pg_url, pool_size=4)
    create(database)
    a, b = item("a", qty=1), item("b", qty=1)
    database.exec_many(INSERT, [a, b])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(first: dict[str, object], second: dict[str, object]) -> None:
        try:
            with database.transaction() as tx:
                tx.exec("UPDATE items SET qty = qty + 1 WHERE id = :id", id=first["id"])
                barrier.wait(timeout=10)
                tx.exec("UPDATE items SET qty = qty + 1 WHERE id = :id", id=second["id"])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a, b)),
               threading.Thread(target=worker, args=(b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], Deadlock)
    assert errors[0].retryable and errors[0].code == "40P01"

    with database.transaction() as tx:
        tx.exec("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        tx.get_value("SELECT sum(qty) FROM items")  # takes the snapshot
        database.exec("UPDATE items SET qty = 0 WHERE id = :id", id=a["id"])  # commits meanwhile
        with pytest.raises(SerializationFailure) as info:
            tx.exec("UPDATE items SET qty = 5 WHERE id = :id", id=a["id"])
        assert info.value.retryable and info.value.code == "40001"
    database.close()


def test_exec_many_handles_rows_whose_types_differ_from_the_first(db: Database) -> None:
    first = item("first")  # mostly None: the binder specialises on these types
    later = item("later", tenant_id=uuid.uuid4(), at=datetime.now(UTC), ok=True, score=1,
                 amount=Decimal("2.5"), doc={"k": ["v"]}, qty=2)
    text_where_int = item("third", qty="7")
    assert db.exec_many(INSERT, [first, later, text_where_int]) == 3
    got = db.get(Item, "SELECT * FROM items WHERE name = 'later'")
    assert got == Item(**(later | {"score": 1.0}))
    assert db.get_value("SELECT qty FROM items WHERE name = 'third'") == 7
    with pytest.raises(ParameterError, match="naive datetime"):
        db.exec_many(INSERT, [item("x", at=datetime.now(UTC)),
                              item("y", at=datetime(2026, 1, 1))])
    with pytest.raises(ParameterError, match="unknown :extra"):
        db.exec_many(INSERT, [item("x"), item("y") | {"extra": 1}])
    assert db.get_value("SELECT count(*) FROM items") == 3


def test_bulk_insert_refuses_bad_rows_and_keeps_nothing(db: Database) -> None:
    good = tuple(item("ok")[c] for c in COLUMNS)
    naive = tuple(item("naive", at=datetime(2026, 1, 1))[c] for c in COLUMNS)
    with pytest.raises(ParameterError, match="naive datetime"):
        db.bulk_insert("items", COLUMNS, [good, naive])
    with pytest.raises((ParameterError, ProgrammingError), match="nope"):
        db.bulk_insert("items", ("id", "nope"), [(uuid.uuid4(), 1)])
    with pytest.raises(UniqueViolation):
        db.bulk_insert("items", COLUMNS, [good, good])
    assert db.get_value("SELECT count(*) FROM items") == 0


def test_exec_many_stores_every_zone_as_the_same_instant(db: Database) -> None:
    from zoneinfo import ZoneInfo

    instant = datetime(2026, 11, 28, 12, 0, 0, 250000, tzinfo=UTC)
    zones = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)),
             ZoneInfo("UTC"), ZoneInfo("Europe/Amsterdam")]
    rows = [item(f"z{i}", qty=i, at=instant.astimezone(zone)) for i, zone in enumerate(zones)]
    assert db.exec_many(INSERT, rows) == len(zones)
    stored = db.select(datetime, "SELECT at FROM items WHERE name LIKE 'z%' ORDER BY qty")
    assert stored == [instant] * len(zones)
    assert {d.utcoffset() for d in stored} == {timedelta(0)}
    # one text form per instant on SQLite, so the column also sorts and compares as text
    assert db.select(int, "SELECT count(DISTINCT at) FROM items WHERE name LIKE 'z%'") == [1]


def test_threads_reaching_a_new_database_at_once_share_one_pool(
        any_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool is made on first use. Two were made when threads got there together:
    one was left open, and a connection taken from it was returned to the other
    ("can't return connection to pool 'monozu', it comes from pool 'monozu'")."""
    import time as clock

    from monozu.db import database as database_module

    made = []
    real = database_module.make_pool

    def slow_make_pool(*args: object, **kwargs: object) -> object:
        clock.sleep(0.05)  # widens the window every thread would race through
        made.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(database_module, "make_pool", slow_make_pool)
    with items_database(any_url) as seeded:
        seeded.exec(INSERT, item("one"))
    made.clear()
    db = Database.open(any_url, pool_size=3)

    def units_of_work() -> None:
        for _ in range(5):
            with db.transaction() as tx:
                assert tx.get_value("SELECT count(*) FROM items") == 1

    _, failures = at_once(8, units_of_work)
    db.close()
    assert failures == []
    assert len(made) == 1


def test_a_unit_of_work_waiting_when_the_database_closes_gets_connection_failed(
        any_url: str) -> None:
    """psycopg_pool's own PoolClosed had reached the caller; SQLite's pool had opened a
    connection for it all the same."""
    import time

    db = Database.open(any_url, pool_size=1, pool_timeout=10)
    holding, waiting = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def second() -> None:
        holding.wait()
        try:
            waiting.set()
            with db.transaction() as tx:  # blocks: the only connection is taken
                tx.exec("SELECT 1")
            outcome.append(None)
        except BaseException as exc:  # what the waiting unit of work was told
            outcome.append(exc)

    waiter = threading.Thread(target=second)
    waiter.start()
    with db.transaction() as tx:
        tx.exec("SELECT 1")
        holding.set()
        waiting.wait()
        time.sleep(0.2)  # the waiter is inside the pool's wait now
        db.close()
    waiter.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionFailed), outcome
    assert "was closed while the unit of work waited for one" in str(outcome[0])
