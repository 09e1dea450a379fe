"""Query-layer overhead against the raw drivers, on the same data, in one run.

    .venv/bin/python bench/bench_query.py [--rows 100000] [--repeat 7]

Prints, for SQLite and PostgreSQL (a throwaway server started from the installed
binaries, or ``MONOZU_TEST_PG_URL``), each figure as a ratio to a hand-written loop
over the raw driver that builds the same row objects with the same Python types:

* select N rows into a row model: monozu, the driver's bare ``fetchall`` of tuples,
  psycopg's ``class_row``, SQLAlchemy Core ``text()`` with the same construction;
* SQLite's storage choice: UUIDs as 16-byte blobs rebuilt by ``uuid_from_bytes`` and
  offset-carrying ISO timestamps, against text UUIDs with ``uuid.UUID(text)`` and
  naive timestamps with ``fromisoformat(...).replace(tzinfo=UTC)``;
* ``exec_many`` of N rows against the driver's ``executemany`` fed the same values,
  and PostgreSQL's ``COPY`` bulk path against ``executemany``, also inside a tenant's
  unit of work as a role row-level security applies to (the staging path), beside
  the server's own share of that path: the same rows already in ``COPY``'s binary
  form, staged and inserted with no client work left, a floor no staging path beats;
* the reset a pooled connection gets before reuse: many one-statement units of work
  with the reset and with it switched off.

Timings are the minimum of ``--repeat`` interleaved runs (noise only ever adds time),
with the garbage collector paused during each run, as ``timeit`` does. Emptying the
table before an insert and building the input rows are done outside the timed region:
they cost every variant the same and would only pull the ratios towards 1.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from monozu.db import Database, connect
from monozu.db.values import uuid_from_bytes


@dataclass(slots=True)
class Row:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    status: str
    created_at: datetime
    score: float
    active: bool


COLUMNS = ("id", "tenant_id", "name", "status", "created_at", "score", "active")
SELECT = "SELECT id, tenant_id, name, status, created_at, score, active FROM bench_rows"
INSERT = ("INSERT INTO bench_rows (id, tenant_id, name, status, created_at, score, active) "
          "VALUES (:id, :tenant_id, :name, :status, :created_at, :score, :active)")
DRIVER_INSERT = re.sub(r":(\w+)", r"%(\1)s", INSERT)  # the same statement in psycopg's style
DDL = {
    "sqlite": "CREATE TABLE bench_rows (id BLOB PRIMARY KEY, tenant_id BLOB NOT NULL, "
              "name TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, "
              "score REAL NOT NULL, active INTEGER NOT NULL)",
    "postgresql": "CREATE UNLOGGED TABLE bench_rows (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, "
                  "name text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, "
                  "score double precision NOT NULL, active boolean NOT NULL)",
}


def make_rows(n: int) -> list[dict[str, Any]]:
    tenants = [uuid.uuid4() for _ in range(20)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [{"id": uuid.uuid4(), "tenant_id": tenants[i % 20], "name": f"asset-{i}",
             "status": ("open", "closed", "pending")[i % 3],
             "created_at": start + timedelta(seconds=i, microseconds=i),
             "score": i / 7, "active": i % 2 == 0} for i in range(n)]


def best(fns: dict[str, Callable[[], Any]], repeat: int,
         setup: Callable[[], None] | None = None) -> dict[str, float]:
    """Minimum time of each function over interleaved rounds.

    ``setup`` (emptying the table an insert fills) runs before each call, untimed.

    The cyclic garbage collector is paused while a variant runs, as ``timeit`` does:
    otherwise whether a full collection over the benchmark's own 100,000 input rows
    lands inside one variant or another decides the ratio, not the code under test.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if setup is not None:
                setup()
            gc.collect()
            gc.disable()
            try:
                t0 = time.perf_counter()
                result = fn()
                elapsed = time.perf_counter() - t0
            finally:
                gc.enable()
            del result  # freeing the rows is not part of the measurement
            times[name].append(elapsed)
    return {k: min(v) for k, v in times.items()}


def report(title: str, times: dict[str, float], base: str, notes: dict[str, str]) -> None:
    print(f"\n{title}")
    width = max(46, *map(len, times))
    print(f"  {'variant':<{width}} {'ms':>9} {'ratio':>7}")
    for name, t in times.items():
        mark = notes.get(name, "")
        print(f"  {name:<{width}} {t * 1000:9.1f} {t / times[base]:6.3f}x {mark}")


# -- SQLite ---------------------------------------------------------------------

def bench_sqlite(rows: list[dict[str, Any]], repeat: int) -> None:
    import sqlite3

    tmp = tempfile.mkdtemp(prefix="monozu-bench-")
    db = connect(f"sqlite:///{tmp}/bench.db")
    db.exec(DDL["sqlite"])
    db.bulk_insert("bench_rows", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows])
    raw = sqlite3.connect(f"{tmp}/bench.db")
    fromiso = datetime.fromisoformat

    def hand() -> list[Row]:
        cur = raw.execute(SELECT)
        return [Row(uuid_from_bytes(r[0]), uuid_from_bytes(r[1]), r[2], r[3], fromiso(r[4]),
                    r[5], bool(r[6])) for r in cur.fetchall()]

    def ours() -> list[Row]:
        return db.select(Row, SELECT)

    def bare() -> list[Any]:
        return raw.execute(SELECT).fetchall()

    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp}/bench.db")
    sa_conn = engine.connect()
    sa_select = text(SELECT)

    def sqlalchemy_core() -> list[Row]:
        return [Row(uuid_from_bytes(r[0]), uuid_from_bytes(r[1]), r[2], r[3], fromiso(r[4]),
                    r[5], bool(r[6])) for r in sa_conn.execute(sa_select).all()]

    assert ours() == hand() == sqlalchemy_core()
    times = best({"hand-written loop over sqlite3": hand, "monozu select(Row)": ours,
                  "sqlite3 fetchall (tuples, no conversion)": bare,
                  "SQLAlchemy Core text(), same construction": sqlalchemy_core}, repeat)
    report(f"SQLite: select {len(rows):,} rows into a row model", times,
           "hand-written loop over sqlite3", {"monozu select(Row)": "(goal <= 1.05x)"})

    # Storage representation: the same rows with text UUIDs and naive text timestamps.
    raw.execute("CREATE TABLE bench_text (id TEXT, tenant_id TEXT, name TEXT, status TEXT, "
                "created_at TEXT, score REAL, active INTEGER)")
    raw.executemany("INSERT INTO bench_text VALUES (?,?,?,?,?,?,?)", [
        (str(r["id"]), str(r["tenant_id"]), r["name"], r["status"],
         r["created_at"].replace(tzinfo=None).isoformat(sep=" "), r["score"], int(r["active"]))
        for r in rows])
    raw.commit()
    text_select = SELECT.replace("bench_rows", "bench_text")
    UUID = uuid.UUID

    def obvious() -> list[Row]:
        return [Row(UUID(r[0]), UUID(r[1]), r[2], r[3], fromiso(r[4]).replace(tzinfo=UTC),
                    r[5], bool(r[6])) for r in raw.execute(text_select).fetchall()]

    def fetch_only() -> list[Any]:
        return raw.execute(text_select).fetchall()

    assert obvious() == hand()
    times = best({"fetch only (text table)": fetch_only,
                  "text UUID + naive text timestamp (obvious)": obvious,
                  "16-byte blob UUID + offset timestamp (ours)": hand}, repeat)
    fetch = times["fetch only (text table)"]
    conv_obvious = times["text UUID + naive text timestamp (obvious)"] - fetch
    report(f"SQLite: cost of the storage representation, {len(rows):,} rows", times,
           "fetch only (text table)", {})
    print(f"  conversion alone, obvious: {conv_obvious * 1000:.1f} ms "
          f"({conv_obvious / times['fetch only (text table)']:.1f}x the fetch)")

    # exec_many against executemany fed the same (converted) values.
    def fresh() -> None:
        raw.execute("DELETE FROM bench_rows")
        raw.commit()

    def driver_many() -> None:
        raw.execute("BEGIN")
        raw.executemany("INSERT INTO bench_rows VALUES (?,?,?,?,?,?,?)", [
            (r["id"].bytes, r["tenant_id"].bytes, r["name"], r["status"],
             r["created_at"].astimezone(UTC).isoformat(timespec="microseconds"), r["score"],
             int(r["active"])) for r in rows])
        raw.commit()

    def ours_many() -> None:
        db.exec_many(INSERT, rows)

    times = best({"sqlite3 executemany (values converted by hand)": driver_many,
                  "monozu exec_many": ours_many}, repeat, fresh)
    report(f"SQLite: insert {len(rows):,} rows", times,
           "sqlite3 executemany (values converted by hand)",
           {"monozu exec_many": "(goal <= 1.1x)"})
    sa_conn.close()
    bench_reset("SQLite", db, lambda: _switch_reset(db.pool, "_reset"), repeat)
    db.close()


# -- the reset before reuse ------------------------------------------------------

UNITS = 2_000


def _switch_reset(pool: Any, attr: str) -> Callable[[], None]:
    """Switch the pool's reset off; the returned function switches it back on."""
    owner = getattr(pool, "_pool", pool)
    saved = getattr(owner, attr)
    setattr(owner, attr, None)
    return lambda: setattr(owner, attr, saved)


def _switch_pg_reset(pool: Any) -> Callable[[], None]:
    """PostgreSQL without the reset is a plain psycopg_pool: no reset, and so the round
    trip that checks a connection on every checkout, which a fresh reset lets the
    layer skip."""
    from monozu.db.dialects.postgresql import pool as pg_pool

    switch_on = _switch_reset(pool, "_reset")
    window, pg_pool.ALIVE_WINDOW = pg_pool.ALIVE_WINDOW, 0.0

    def back() -> None:
        pg_pool.ALIVE_WINDOW = window
        switch_on()

    return back


def bench_reset(title: str, db: Database, switch_off: Callable[[], Callable[[], None]],
                repeat: int) -> None:
    tenant = uuid.uuid4()

    def units() -> None:  # a UUID parameter, as nearly every tenant query has
        for _ in range(UNITS):
            db.get_value("SELECT :id", id=tenant)

    def units_without_reset() -> None:
        switch_on = switch_off()
        try:
            units()
        finally:
            switch_on()

    times = best({"without the reset": units_without_reset, "with the reset (shipped)": units},
                 max(3, repeat // 2))
    report(f"{title}: {UNITS:,} one-statement units of work on a pooled connection, "
           "each binding a UUID", times,
           "without the reset", {})
    extra = times["with the reset (shipped)"] - times["without the reset"]
    print(f"  reset cost per unit of work: {extra / UNITS * 1e6:.1f} us")


# -- PostgreSQL -----------------------------------------------------------------

def bench_postgres(url: str, rows: list[dict[str, Any]], repeat: int) -> None:
    import psycopg
    from psycopg.rows import class_row
    from psycopg.types.json import Jsonb  # noqa: F401 - keeps import cost out of timings

    db = Database.open(url, pool_size=2)
    db.exec(DDL["postgresql"])
    db.bulk_insert("bench_rows", COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows])
    raw = psycopg.connect(url)
    raw.execute("SET TIME ZONE 'UTC'")

    def hand() -> list[Row]:
        with raw.cursor() as cur:
            cur.execute(SELECT)
            return [Row(*r) for r in cur.fetchall()]

    def ours() -> list[Row]:
        return db.select(Row, SELECT)

    def bare() -> list[Any]:
        with raw.cursor() as cur:
            cur.execute(SELECT)
            return cur.fetchall()

    def psycopg_class_row() -> list[Row]:
        with raw.cursor(row_factory=class_row(Row)) as cur:
            cur.execute(SELECT)
            return cur.fetchall()

    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    sa_conn = engine.connect()
    sa_conn.execute(text("SET TIME ZONE 'UTC'"))
    sa_select = text(SELECT)

    def sqlalchemy_core() -> list[Row]:
        return [Row(*r) for r in sa_conn.execute(sa_select).all()]

    assert ours() == hand() == psycopg_class_row() == sqlalchemy_core()
    times = best({"hand-written loop over psycopg": hand, "monozu select(Row)": ours,
                  "psycopg fetchall (tuples)": bare, "psycopg class_row": psycopg_class_row,
                  "SQLAlchemy Core text(), same construction": sqlalchemy_core}, repeat)
    report(f"PostgreSQL: select {len(rows):,} rows into a row model", times,
           "hand-written loop over psycopg", {"monozu select(Row)": "(goal <= 1.05x)"})
    # End the readers' transactions: their locks would make TRUNCATE below wait forever.
    sa_conn.close()
    raw.commit()

    # The same input, built untimed: executemany and exec_many take the rows' mappings
    # (psycopg's own %(name)s style), bulk_insert its tuples.
    tuples = [tuple(r[c] for c in COLUMNS) for r in rows]

    def fresh() -> None:
        raw.execute("TRUNCATE bench_rows")
        raw.commit()

    def driver_many() -> None:
        with raw.cursor() as cur:
            cur.executemany(DRIVER_INSERT, rows)
        raw.commit()

    def ours_many() -> None:
        db.exec_many(INSERT, rows)

    def ours_copy() -> None:
        db.bulk_insert("bench_rows", COLUMNS, tuples)

    times = best({"psycopg executemany": driver_many, "monozu exec_many": ours_many,
                  "monozu bulk_insert (COPY)": ours_copy}, repeat, fresh)
    report(f"PostgreSQL: insert {len(rows):,} rows", times, "psycopg executemany",
           {"monozu exec_many": "(goal <= 1.1x)",
            "monozu bulk_insert (COPY)": "(goal: >= 5x faster, i.e. <= 0.2x)"})
    bench_postgres_rls(url, raw, rows, repeat)
    bench_reset("PostgreSQL", db, lambda: _switch_pg_reset(db.pool), repeat)
    raw.close()
    db.close()


def bench_postgres_rls(url: str, raw: Any, rows: list[dict[str, Any]], repeat: int) -> None:
    """Inserts in a tenant's unit of work, as a role the table's policy applies to."""
    import psycopg

    tenant = rows[0]["tenant_id"]
    mine = [r | {"tenant_id": tenant} for r in rows]
    tuples = [tuple(r[c] for c in COLUMNS) for r in mine]
    role, password = f"bench_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    # The schema's own policy expression (V35): the tenant read once per statement.
    check = "tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid)"
    for sql in (f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'",
                f"GRANT SELECT, INSERT ON bench_rows TO {role}",
                "ALTER TABLE bench_rows ENABLE ROW LEVEL SECURITY",
                f"CREATE POLICY bench_tenant ON bench_rows USING ({check}) WITH CHECK ({check})"):
        raw.execute(sql)
    raw.commit()
    parts = urlsplit(url)
    netloc = f"{role}:{password}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    app_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    app = Database.open(app_url, pool_size=2)
    app_raw = psycopg.connect(app_url)

    def fresh() -> None:
        raw.execute("TRUNCATE bench_rows")
        raw.commit()

    def driver_many() -> None:
        with app_raw.cursor() as cur:
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
            cur.executemany(DRIVER_INSERT, mine)
        app_raw.commit()

    def ours_many() -> None:
        with app.tenant(tenant) as tx:
            tx.exec_many(INSERT, mine)

    def ours_bulk() -> None:
        with app.tenant(tenant) as tx:
            tx.bulk_insert("bench_rows", COLUMNS, tuples)

    # The server's own share of any staging path: the same rows, already in COPY's
    # binary form (made untimed), staged and inserted in key order with no client work
    # left. No path through a staging table can be faster than this.
    staged = "id uuid, tenant_id uuid, name text, status text, created_at timestamptz, " \
             "score double precision, active boolean"
    formatted = bytearray()
    with app_raw.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE bench_formatted ({staged})")
        with cur.copy("COPY bench_formatted FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "uuid", "text", "text", "timestamptz", "float8", "bool"])
            for row in tuples:
                copy.write_row(row)
        with cur.copy("COPY bench_formatted TO STDOUT (FORMAT BINARY)") as copy:
            for block in copy:
                formatted += block
        cur.execute("DROP TABLE bench_formatted")
    app_raw.commit()

    def server_floor() -> None:
        with app_raw.cursor() as cur:
            cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
            cur.execute(f"CREATE TEMPORARY TABLE bench_stage ({staged}) ON COMMIT DROP")
            with cur.copy("COPY bench_stage FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(formatted)
            cur.execute(f"INSERT INTO bench_rows ({', '.join(COLUMNS)}) "
                        f"SELECT {', '.join(COLUMNS)} FROM bench_stage ORDER BY id")
        app_raw.commit()

    floor = "server alone: pre-formatted rows, staging + INSERT SELECT"
    try:
        times = best({"psycopg executemany (RLS on)": driver_many,
                      "monozu exec_many (RLS on)": ours_many,
                      "monozu bulk_insert (RLS on: staging + INSERT SELECT)": ours_bulk,
                      floor: server_floor},
                     repeat, fresh)
        report(f"PostgreSQL: insert {len(rows):,} rows in a tenant's unit of work, RLS on",
               times, "psycopg executemany (RLS on)",
               {"monozu exec_many (RLS on)": "(goal <= 1.1x)",
                "monozu bulk_insert (RLS on: staging + INSERT SELECT)":
                    "(goal: >= 5x faster, i.e. <= 0.2x)",
                floor: "(no staging path can beat it)"})
    finally:
        app_raw.close()
        app.close()
        for sql in ("DROP POLICY bench_tenant ON bench_rows",
                    "ALTER TABLE bench_rows DISABLE ROW LEVEL SECURITY",
                    f"DROP OWNED BY {role}", f"DROP ROLE {role}"):
            raw.execute(sql)
        raw.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, rows={args.rows:,}, "
          f"repeat={args.repeat} (minimum of interleaved runs)")
    bench_sqlite(rows, args.repeat)
    from tests.support import pgserver

    server = pgserver.start()
    try:
        name = server.create_database("bench")
        bench_postgres(server.url_for(name), rows, args.repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
