"""The one table of database codes, and what every translated error carries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monozu.db import Database, errors
from tests.support.items import INSERT, item, items_database


def _all_classes() -> list[type[errors.DatabaseError]]:
    out: list[type[errors.DatabaseError]] = []
    todo: list[type[errors.DatabaseError]] = [errors.DatabaseError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def test_every_code_names_one_class() -> None:
    seen: dict[tuple[str, object], str] = {}
    for cls in _all_classes():
        for attr in ("sqlstate", "sqlserver", "sqlite"):
            for code in cls.__dict__.get(attr, ()):
                assert (attr, code) not in seen, (code, cls.__name__, seen[(attr, code)])
                seen[(attr, code)] = cls.__name__
    with pytest.raises(TypeError, match="declared by both"):
        type("Again", (errors.DatabaseError,), {"sqlstate": ("23505",)})


@pytest.mark.parametrize(("lookup", "code", "cls"), [
    (errors.for_sqlstate, "23505", errors.UniqueViolation),
    (errors.for_sqlstate, "23P01", errors.IntegrityError),  # its class "23"
    (errors.for_sqlstate, "22P02", errors.DataError),
    (errors.for_sqlstate, "42501", errors.ProgrammingError),
    (errors.for_sqlstate, "HYT00", errors.Timeout),
    (errors.for_sqlstate, "57P01", errors.ConnectionFailed),  # admin shutdown
    (errors.for_sqlstate, "57P03", errors.ConnectionFailed),  # cannot connect now
    (errors.for_sqlstate, "57014", errors.Timeout),  # the rest of class 57 stays apart
    (errors.for_sqlstate, "XX000", None),
    (errors.for_sqlstate, None, None),
    (errors.for_sqlserver, 2601, errors.UniqueViolation),
    (errors.for_sqlserver, 547, errors.IntegrityError),
    (errors.for_sqlserver, 1205, errors.Deadlock),
    (errors.for_sqlserver, 33504, errors.ProgrammingError),
    (errors.for_sqlserver, 208, errors.UndefinedTable),
    (errors.for_sqlstate, "42P01", errors.UndefinedTable),
    (errors.for_sqlserver, 99999, None),
    (errors.for_sqlite, "SQLITE_CONSTRAINT_PRIMARYKEY", errors.UniqueViolation),
    (errors.for_sqlite, "SQLITE_CONSTRAINT_TRIGGER", errors.IntegrityError),
    (errors.for_sqlite, "SQLITE_BUSY_SNAPSHOT", errors.Timeout),
    (errors.for_sqlite, "SQLITE_ERROR", None),
])
def test_lookups(lookup: object, code: object, cls: type[errors.DatabaseError] | None) -> None:
    assert lookup(code) is cls  # type: ignore[operator]


def test_the_subclasses_do_not_inherit_their_parents_codes() -> None:
    assert errors.for_sqlstate("23503") is errors.ForeignKeyViolation
    assert errors.NulCharacter.__dict__.get("sqlstate") is None


@pytest.fixture
def db(any_url: str) -> Iterator[Database]:
    with items_database(any_url) as database:
        yield database


def test_translated_errors_keep_the_cause_and_name_table_and_column(db: Database) -> None:
    db.exec(INSERT, item("a"))
    check_table = {"postgresql": "items", "sqlite": None}[db.dialect.kind]  # SQLite: not said
    cases: list[tuple[type[errors.DatabaseError], dict[str, object], str | None, str | None]] = [
        (errors.UniqueViolation, item("a"), "items", "name"),
        (errors.NotNullViolation, item(None), "items", "name"),  # type: ignore[arg-type]
        (errors.CheckViolation, item("c", qty=-1), check_table, None),
    ]
    for cls, row, table, column in cases:
        with pytest.raises(cls) as info:
            db.exec(INSERT, row)
        err = info.value
        assert isinstance(err.__cause__, db.dialect.driver_errors())
        assert (err.table, err.column) == (table, column), cls
    with pytest.raises(errors.CheckViolation) as check:
        db.exec(INSERT, item("c", qty=-1))
    assert check.value.constraint == "ck_items_qty"
    with pytest.raises(errors.ProgrammingError) as bad:
        db.get_value("SELECT nope FROM items")
    assert isinstance(bad.value.__cause__, db.dialect.driver_errors())


def test_a_missing_table_is_undefined_table_and_named(db: Database) -> None:
    """What a command meets on a database migrated less far than its SQL expects."""
    for sql in ("SELECT * FROM no_such_items", "INSERT INTO no_such_items VALUES (1)"):
        with pytest.raises(errors.UndefinedTable) as missing:
            db.exec(sql)
        assert missing.value.table == "no_such_items"
        assert isinstance(missing.value, errors.ProgrammingError)
    with pytest.raises(errors.ProgrammingError) as other:  # a column is not a table
        db.get_value("SELECT nope FROM items")
    assert not isinstance(other.value, errors.UndefinedTable)


def test_a_violation_never_echoes_the_failing_row(db: Database) -> None:
    """PostgreSQL details a NOT NULL or CHECK violation with every value of the row,
    which may be a password hash or a secret: the translated message leaves it out, and
    so does the driver's exception it keeps as its cause (a traceback, a log record of
    the error shows that one too)."""
    import traceback

    from tests.db.dialects.test_urls import exception_texts

    secret = "$2b$12$a-password-hash-that-must-stay-in-its-row"
    for cls, row in [(errors.NotNullViolation, item(None, doc={"key": secret})),  # type: ignore[arg-type]
                     (errors.CheckViolation, item("c", qty=-1, doc={"key": secret}))]:
        with pytest.raises(cls) as info:
            db.exec(INSERT, row)
        texts = [*exception_texts(info.value), "".join(traceback.format_exception(info.value))]
        assert [t for t in texts if secret in t] == []
        assert info.value.__cause__ is not None  # the driver's report is still there
