"""PostgreSQL ``bulk_insert`` under row-level security: the staging path's key order.

The application role here is neither superuser nor BYPASSRLS, so ``COPY`` into the
policed tables is refused and the rows go through a staging table and one
``INSERT ... SELECT``. That statement adds rows one at a time, so it orders them by the
target's primary key when every key column is given; the heap then holds them in key
order, which is what these tests read back (``ctid``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from monozu.db import Database, ProgrammingError
from monozu.db.dialects.postgresql.bulk import column_types
from tests.support.plans import application_database, police

TENANT, OTHER = uuid.UUID(int=0xA1), uuid.UUID(int=0xB2)
CHECK = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid"


@pytest.fixture
def app(pg_url: str) -> Iterator[tuple[Database, Database]]:
    """The operator and an application role the tables' policies apply to."""
    operator = Database.open(pg_url, pool_size=1)
    for table, definition in (
            # a key declared in the opposite order of the columns
            ("keyed", "(a int NOT NULL, b uuid NOT NULL, tenant_id uuid NOT NULL, "
                      "note text, PRIMARY KEY (b, a))"),
            # a key the rows do not give: nothing to order by
            ("counted", "(id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                        "tenant_id uuid NOT NULL, note text)")):
        operator.exec(f"CREATE TABLE {table} {definition}")
        police(operator, table, CHECK)
    with application_database(operator, pg_url) as database:
        yield operator, database
    operator.close()


def test_the_key_comes_back_in_key_order_only_when_every_key_column_is_given(
        app: tuple[Database, Database]) -> None:
    _, database = app
    with database.tenant(TENANT) as tx:
        target = column_types(tx.conn, "keyed", ["tenant_id", "a", "b", "note"])
        assert (target.rls, target.key) == (True, ["b", "a"])
        assert [t.sql for t in target.types] == ["uuid", "integer", "uuid", "text"]
        assert column_types(tx.conn, "keyed", ["tenant_id", "a", "note"]).key == []
        assert column_types(tx.conn, "counted", ["tenant_id", "note"]).key == []


def test_staged_rows_reach_the_table_in_primary_key_order(
        app: tuple[Database, Database]) -> None:
    operator, database = app
    # Random UUIDs in the key's first column, in an order that is not the key's.
    rows = [(TENANT, n, uuid.uuid4(), f"row {n}") for n in range(500)]
    with database.tenant(TENANT) as tx:
        assert tx.bulk_insert("keyed", ("tenant_id", "a", "b", "note"), rows) == 500
    stored = [(r["b"], r["a"])
              for r in operator.select(dict, "SELECT a, b FROM keyed ORDER BY ctid")]
    assert stored == sorted((b, a) for _, a, b, _ in rows)
    assert stored != [(b, a) for _, a, b, _ in rows]  # the input was not in key order


def test_without_the_key_the_rows_keep_their_order_and_the_policy_still_holds(
        app: tuple[Database, Database]) -> None:
    operator, database = app
    notes = [f"note {n:03}" for n in range(300, 0, -1)]
    with database.tenant(TENANT) as tx:
        assert tx.bulk_insert("counted", ("tenant_id", "note"),
                              [(TENANT, n) for n in notes]) == 300
    assert [r["note"] for r in operator.select(dict, "SELECT note FROM counted ORDER BY id")] \
        == notes
    with pytest.raises(ProgrammingError) as refused, database.tenant(TENANT) as tx:
        tx.bulk_insert("keyed", ("tenant_id", "a", "b", "note"),
                       [(TENANT, 1, uuid.uuid4(), "mine"), (OTHER, 2, uuid.uuid4(), "theirs")])
    assert refused.value.code == "42501"
    assert operator.get_value("SELECT count(*) FROM keyed") == 0
