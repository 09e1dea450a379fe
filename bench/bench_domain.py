"""Tenant reads of the security context at scale, with the index each one uses.

    .venv/bin/python bench/bench_domain.py [--scale 1.0] [--repeat 300] [--only postgresql]

Loads, through the bulk path (``tx.bulk_insert``) and a seeded generator, 1,000,000
vulnerabilities on 200,000 assets across 100 tenants into PostgreSQL (a throwaway
server started from the installed binaries, or ``MONOZU_TEST_PG_URL``) and 100,000 on
20,000 assets into SQLite; ``--scale`` multiplies those counts. On PostgreSQL row-level
security is switched on and the reads run as an application role that is neither
superuser nor BYPASSRLS. For one tenant it then times, through ``SecurityService``:

* the first page (50) of open vulnerabilities in risk order,
* the next page, from the first page's cursor,
* one asset's vulnerabilities (a different asset of the tenant each time),

each inside an open tenant unit of work (the service call: SQL, rows, page), and prints
the median and 95th percentile beside the index the plan reads ``vulnerabilities``
through (from ``EXPLAIN`` / ``EXPLAIN QUERY PLAN`` of the same statement).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.support.plans import (
    Plan,
    pg_application_role,
    postgresql_execution_ms,
    postgresql_plan,
    sqlite_plan,
)
from tests.support.vuln_data import Loaded, load

from monozu.db import Database, Tx, connect
from monozu.db import rls as rls_switch
from monozu.db.migrate import Migrator
from monozu.domain.security import SecurityService
from monozu.domain.security.repository import QUERIES

Explain = Callable[[Tx, str, dict[str, Any]], Plan]
ServerTime = Callable[[Tx, str, dict[str, Any]], float]
GOAL_MS = 5.0


def timed(fn: Callable[[int], object], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds of ``repeat`` calls (after 10 warm-ups)."""
    for i in range(10):
        fn(i)
    samples = []
    gc.disable()
    try:
        for i in range(repeat):
            start = time.perf_counter()
            fn(i)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(db: Database, data: Loaded, explain: Explain, repeat: int, label: str, *,
            server_time: ServerTime | None = None) -> bool:
    tenant = data.tenants[len(data.tenants) // 2]
    assets = data.assets[tenant]
    ok = True
    with db.tenant(tenant) as tx:
        sec = SecurityService(tx)
        first = sec.by_risk(limit=50)
        cursor = first.next_cursor
        last = first.items[-1]
        base = {"tenant_id": tenant, "status": "open", "limit": 51}
        cases: list[tuple[str, Callable[[int], object], str, dict[str, Any]]] = [
            ("first page of open by risk", lambda _i: sec.by_risk(limit=50),
             "risk_scored", base),
            ("next page by cursor", lambda _i: sec.by_risk(limit=50, cursor=cursor),
             "risk_scored_after", {**base, "after_score": last.cvss_score,
                                   "after_id": last.id}),
            ("one asset's vulnerabilities",
             lambda i: sec.of_asset(assets[i % len(assets)]), "asset_vulnerabilities",
             {"tenant_id": tenant, "asset_id": assets[0], "limit": 51}),
        ]
        print(f"\n{label}: tenant {tenant} ({len(assets):,} assets), "
              f"{len(first.items)} rows on the first page")
        print(f"  {'read':30} {'median':>9} {'p95':>9} {'server':>9}  {'sorts':5}  "
              "index on vulnerabilities")
        for name, fn, statement, params in cases:
            sql = QUERIES.bound(statement).sql(tx.dialect)
            plan = explain(tx, sql, params)
            median, p95 = timed(fn, repeat)
            server = "-"
            if server_time is not None:
                runs = [server_time(tx, sql, params) for _ in range(51)]
                server = f"{statistics.median(runs):.3f}ms"
            index = plan.indexes.get("v", "NONE")
            ok = ok and median <= GOAL_MS and index != "NONE"
            print(f"  {name:30} {median:7.3f}ms {p95:7.3f}ms {server:>9}  "
                  f"{'yes' if plan.sorts else 'no':5}  {index}")
    return ok


def load_timed(db: Database, *, assets: int, vulnerabilities: int) -> Loaded:
    start = time.perf_counter()
    data = load(db, tenants=100, assets=assets, vulnerabilities=vulnerabilities)
    print(f"  loaded {data.vulnerabilities:,} vulnerabilities on {assets:,} assets, "
          f"100 tenants, in {time.perf_counter() - start:.1f}s (bulk path)")
    return data


def bench_postgresql(url: str, scale: float, repeat: int) -> bool:
    Migrator.from_url(url).migrate()
    with connect(url) as operator:
        data = load_timed(operator, assets=int(200_000 * scale),
                          vulnerabilities=int(1_000_000 * scale))
        operator.exec("ANALYZE")
        rls_switch.enable(operator)
        with pg_application_role(operator, url) as app_url, connect(app_url) as app:
            with app.transaction(tenant_id=uuid.uuid4()) as tx:
                hidden = tx.get_value("SELECT COUNT(*) FROM vulnerabilities")
            print(f"  RLS on: another tenant's unit of work sees {hidden} rows")
            return measure(app, data, postgresql_plan, repeat,
                           "PostgreSQL, application role, RLS on",
                           server_time=postgresql_execution_ms)


def bench_sqlite(scale: float, repeat: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        Migrator.from_url(url).migrate()
        with connect(url) as db:
            data = load_timed(db, assets=int(20_000 * scale),
                              vulnerabilities=int(100_000 * scale))
            db.exec("ANALYZE")
            return measure(db, data, sqlite_plan, repeat, "SQLite")


def run_sqlite(scale: float, repeat: int) -> bool:
    print(f"SQLite at {int(100_000 * scale):,} vulnerabilities")
    return bench_sqlite(scale, repeat)


def run_postgresql(scale: float, repeat: int) -> bool:
    from tests.support import pgserver

    print(f"\nPostgreSQL at {int(1_000_000 * scale):,} vulnerabilities")
    server = pgserver.start()
    try:
        return bench_postgresql(server.url_for(server.create_database("bench")), scale, repeat)
    finally:
        server.stop()


RUNS: dict[str, Callable[[float, int], bool]] = {"sqlite": run_sqlite,
                                                 "postgresql": run_postgresql}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply the row counts (0.01 for a quick run)")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--only", choices=sorted(RUNS))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f} at the start; "
          "median and p95 of the service call, server: median execution time on the server")
    results = [RUNS[name](args.scale, args.repeat) for name in
               ([args.only] if args.only else list(RUNS))]
    ok = all(results)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    print(f"every read uses an index and has a median within {GOAL_MS} ms: "
          f"{'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
