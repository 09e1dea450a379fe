"""The Python type the dialect says psycopg gives each column type is the one it gives.

A row model's field of that very type takes such a column's values unchecked, so a
wrong entry would let a value of another type into the field.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monozu.db import Database
from monozu.db.dialects.postgresql.dialect import _GIVEN

# A value of each type the dialect names, as SQL.
SAMPLES = {
    16: "true", 17: "'\\x00ff'::bytea", 18: "'a'::\"char\"", 19: "'n'::name",
    25: "'t'::text", 1042: "'c'::char(3)", 1043: "'v'::varchar", 20: "1::bigint",
    21: "1::smallint", 23: "1::integer", 26: "1::oid", 700: "1.5::real",
    701: "1.5::double precision", 1700: "1.5::numeric", 2950: "gen_random_uuid()",
    1082: "current_date", 1184: "now()",
}


@pytest.fixture
def db(pg_url: str) -> Iterator[Database]:
    database = Database.open(pg_url, pool_size=1)
    yield database
    database.close()


def test_every_given_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(_GIVEN)


@pytest.mark.parametrize("oid", sorted(_GIVEN))
def test_psycopg_gives_the_named_type(db: Database, oid: int) -> None:
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {SAMPLES[oid]} AS v")
        assert cur.description is not None
        assert cur.description[0].type_code == oid
        assert db.dialect.given_types(cur.description) == (_GIVEN[oid],)
        (value,) = cur.fetchone() or (None,)
        assert type(value) is _GIVEN[oid], (oid, type(value))
