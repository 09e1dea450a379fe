"""The edge data path on PostgreSQL, measured against the raw driver in the same run.

    .venv/bin/python bench/bench_edge.py [--events 1000000] [--batch 1000]
                                         [--commands 20000] [--purge-events 1000000]

Uses a throwaway server started from the installed binaries (or ``MONOZU_TEST_PG_URL``).

* ingest: ``--events`` events in batches of ``--batch`` through ``EdgeService.ingest``
  (limits checked, device checked, bulk path) against a raw psycopg binary ``COPY`` of
  the same rows in the same batches, each batch its own transaction. Goal: at least
  half the raw rate.
* command queue: ``--commands`` commands claimed by 8 concurrent pollers, once for one
  device and once spread over 8 devices; every claim is counted. Goal: at least 2,000
  claims a second, 0 duplicates, 0 losses.
* retention: ``--purge-events`` old events purged in batches while a writer keeps
  ingesting batches; prints the writer's batch latencies during the purge. Goal: the
  longest stall under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import psycopg

from monozu.db import Database, connect
from monozu.db.migrate import Migrator
from monozu.domain.edge import DeviceIdentity, EdgeService, EventIn

EVENT_COLUMNS = "tenant_id, device_id, kind, event_at, data, received_at"
COPY_TYPES = ["uuid", "uuid", "varchar", "timestamptz", "jsonb", "timestamptz"]


def add_tenant(db: Database, slug: str) -> uuid.UUID:
    tenant = uuid.uuid4()
    db.exec("INSERT INTO tenants (id, name, status, created_at, slug) "
            "VALUES (:id, :slug, 'active', :at, :slug)", id=tenant, slug=slug,
            at=datetime.now(UTC))
    return tenant


def new_device(service: EdgeService, tenant: uuid.UUID, name: str) -> DeviceIdentity:
    key = service.create_provisioning_key(tenant, "bench")
    issued = service.register_device(key.secret, name=name, type="gateway")
    return service.authenticate(issued.secret)


def batches(n: int, size: int, base: datetime) -> list[list[EventIn]]:
    out = []
    for start in range(0, n, size):
        out.append([EventIn("telemetry", base + timedelta(milliseconds=i),
                            {"seq": i, "temp": 21.5, "unit": "C", "sensor": f"s-{i % 16}"})
                    for i in range(start, min(n, start + size))])
    return out


def bench_ingest(url: str, service: EdgeService, dev: DeviceIdentity, n: int,
                 size: int) -> None:
    work = batches(n, size, datetime.now(UTC) - timedelta(hours=1))
    started = time.perf_counter()
    for batch in work:
        service.ingest(dev, batch)
    ours = time.perf_counter() - started
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        started = time.perf_counter()
        for batch in work:
            with conn.transaction(), conn.cursor() as cur, cur.copy(
                    f"COPY ingest_events ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(COPY_TYPES)
                for e in batch:
                    copy.write_row((dev.tenant_id, dev.device_id, e.kind, e.event_at, e.data,
                                    now))
        raw = time.perf_counter() - started
    print(f"ingest {n:,} events in batches of {size:,}: service {n / ours:,.0f} ev/s, "
          f"raw COPY {n / raw:,.0f} ev/s, ratio {raw / ours:.2f} of raw (goal >= 0.50)")


def run_pollers(service: EdgeService,
                devices: list[DeviceIdentity]) -> tuple[list[uuid.UUID], float]:
    """One thread per entry of ``devices`` polls until its device has nothing left."""
    delivered: list[uuid.UUID] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(devices) + 1)

    def poller(dev: DeviceIdentity) -> None:
        barrier.wait()
        while got := service.poll(dev, limit=10):
            with lock:
                delivered.extend(c.id for c in got)

    threads = [threading.Thread(target=poller, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return delivered, time.perf_counter() - started


def bench_queue(db: Database, service: EdgeService, tenant: uuid.UUID, n: int) -> None:
    for spread in (1, 8):
        devices = [new_device(service, tenant, f"q{spread}-{d}") for d in range(spread)]
        created = datetime.now(UTC)
        rows = [(uuid.uuid4(), tenant, devices[i % spread].device_id, "run_discovery",
                 {"n": i}, "pending", created + timedelta(microseconds=i)) for i in range(n)]
        with db.tenant(tenant) as tx:
            tx.bulk_insert("device_commands", ("id", "tenant_id", "device_id", "command",
                                               "payload", "status", "created_at"), rows)
        expected = {r[0] for r in rows}
        delivered, elapsed = run_pollers(service, [devices[i % spread] for i in range(8)])
        dups = sum(1 for c in Counter(delivered).values() if c > 1)
        lost = len(expected - set(delivered))
        print(f"queue, 8 pollers, {spread} device(s): {n:,} claims in {elapsed:.2f} s = "
              f"{n / elapsed:,.0f} claims/s (goal >= 2,000), duplicates {dups}, lost {lost}")


def bench_purge(url: str, service: EdgeService, dev: DeviceIdentity, n: int,
                size: int) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(
            f"COPY ingest_events ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(COPY_TYPES)
        for i in range(n):
            copy.write_row((dev.tenant_id, dev.device_id, "log", old, {"i": i}, old))
    latencies: list[float] = []
    stop = threading.Event()
    work = batches(size * 20, size, datetime.now(UTC) - timedelta(minutes=5))

    def writer() -> None:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            service.ingest(dev, work[i % len(work)])
            latencies.append((time.perf_counter() - started) * 1000)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    started = time.perf_counter()
    purged = service.purge(dev.tenant_id, timedelta(days=30))
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    q = (statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1
         else latencies * 99)
    print(f"purge {purged:,} events in {elapsed:.1f} s ({purged / elapsed:,.0f} rows/s, "
          f"batches of {service.purge_batch:,}) while ingesting {len(latencies)} batches "
          f"of {size:,}")
    print(f"  ingest batch latency during the purge: p50 {q[49]:.1f} ms, p90 {q[89]:.1f} ms, "
          f"p99 {q[98]:.1f} ms, max {max(latencies):.1f} ms (goal: max < 200 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--purge-events", type=int, default=1_000_000)
    parser.add_argument("--parts", default="ingest,queue,purge",
                        help="comma-separated subset of ingest, queue, purge")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, PostgreSQL")
    from tests.support import pgserver

    external = os.environ.get("MONOZU_TEST_PG_URL")
    server: Any = None if external else pgserver.start()
    try:
        url = external or server.url_for(server.create_database("bench_edge"))
        Migrator.from_url(url).migrate()
        with connect(url, pool_size=12) as db:
            service = EdgeService(db)
            tenant = add_tenant(db, "bench")
            dev = new_device(service, tenant, "ingest")
            if "ingest" in parts:
                bench_ingest(url, service, dev, args.events, args.batch)
            if "queue" in parts:
                bench_queue(db, service, tenant, args.commands)
            if "purge" in parts:
                purge_dev = new_device(service, add_tenant(db, "purge"), "purge")
                bench_purge(url, service, purge_dev, args.purge_events, args.batch)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
