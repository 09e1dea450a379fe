"""A seeded generator of tenants, assets and vulnerabilities, loaded by the bulk path.

The same seed gives the same rows. Vulnerabilities spread over the statuses roughly as a
working SOC's would (about half open), one in twenty without a score; their CVEs come
from a pool written to the global catalog, scores cache and ExploitDB tables.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monozu.db import Database

STATUSES = (["open"] * 10 + ["in_progress"] * 2 + ["mitigated"] * 2 + ["resolved"] * 4
            + ["accepted_risk", "false_positive"])
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Loaded:
    tenants: list[uuid.UUID]
    assets: dict[uuid.UUID, list[uuid.UUID]]  # per tenant
    vulnerabilities: int
    cves: int
    sites: dict[uuid.UUID, uuid.UUID]  # each tenant's one site


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def load(db: Database, *, tenants: int, assets: int, vulnerabilities: int, seed: int = 7,
         cves: int = 5000, batch: int = 50_000) -> Loaded:
    """``assets`` and ``vulnerabilities`` are totals, spread evenly over the tenants."""
    rng = random.Random(seed)
    tenant_ids = [_uuid(rng) for _ in range(tenants)]
    cve_ids = [f"CVE-{2015 + i % 11}-{10000 + i}" for i in range(cves)]
    with db.transaction() as tx:
        tx.bulk_insert("tenants", ("id", "name", "status", "created_at", "slug"),
                       [(t, f"Tenant {i}", "active", T0, f"bench-{i}-{t.hex[:6]}")
                        for i, t in enumerate(tenant_ids)])
        tx.bulk_insert("cve_catalog", ("cve_id", "cvss_score", "is_kev", "kev_ransomware"),
                       [(c, round(rng.uniform(1, 10), 1), rng.random() < 0.05, False)
                        for c in cve_ids])
        tx.bulk_insert("cve_scores_cache", ("cve_id", "epss", "epss_percentile", "fetched_at"),
                       [(c, round(rng.random() ** 4, 5), round(rng.random(), 5), T0)
                        for c in cve_ids])
        tx.bulk_insert("exploitdb_exploits", ("edb_id", "file_path", "description", "verified"),
                       [(i + 1, f"exploits/x/{i}.py", f"exploit {i}", False)
                        for i in range(cves // 20)])
        tx.bulk_insert("exploitdb_cves", ("edb_id", "cve_id"),
                       [(i + 1, cve_ids[i * 20]) for i in range(cves // 20)])
        sites = {t: _uuid(rng) for t in tenant_ids}
        tx.bulk_insert("sites", ("id", "tenant_id", "name", "created_at"),
                       [(s, t, "Main site", T0) for t, s in sites.items()])
    per_tenant = max(1, assets // tenants)
    asset_ids = {t: [_uuid(rng) for _ in range(per_tenant)] for t in tenant_ids}
    with db.transaction() as tx:
        tx.bulk_insert("assets", ("id", "tenant_id", "name", "type", "site_id", "created_at",
                                  "lifecycle_state"),
                       [(a, t, f"asset-{i:06}", "plc", sites[t], T0, "active")
                        for t in tenant_ids for i, a in enumerate(asset_ids[t])])
    per_asset_target = max(1, vulnerabilities // max(1, assets))
    written = 0
    rows: list[tuple[object, ...]] = []

    def flush() -> None:
        nonlocal written
        if rows:
            with db.transaction() as tx:
                written += tx.bulk_insert("vulnerabilities", (
                    "id", "tenant_id", "cve_id", "cvss_score", "status", "asset_id",
                    "first_seen_at", "last_seen_at"), rows)
            rows.clear()

    for t in tenant_ids:
        for a in asset_ids[t]:
            for cve in rng.sample(cve_ids, per_asset_target):
                score = None if rng.random() < 0.05 else round(rng.uniform(0, 10), 1)
                seen = T0 + timedelta(minutes=rng.randrange(500_000))
                rows.append((_uuid(rng), t, cve, score, rng.choice(STATUSES), a, seen, seen))
                if len(rows) >= batch:
                    flush()
    flush()
    return Loaded(tenant_ids, asset_ids, written, cves, sites)
