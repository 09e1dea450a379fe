"""Matching tenants' assets against the CVE catalog, and explaining a match.

The catalog is global, read once per run: match rows are streamed in ``cve_id`` order and
each CVE is evaluated against the assets that share a vendor and product with one of its
criteria (all assets for a wildcard criteria). Each tenant's results are then written
inside its own unit of work (``db.tenant``):

* a new (asset, CVE) match opens a ``vulnerabilities`` row with status ``open``;
* a repeated match only refreshes ``last_seen_at`` and the score; a status a person set
  (``accepted_risk``, ``false_positive``, ``resolved``...) is never touched;
* a CVE that no longer matches is reported, never deleted;
* an open vulnerability whose score reaches the tenant's ``cvss_alert_threshold``, or whose
  CVE is in KEV, raises one ``security_alerts`` row, once.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monozu.db import Database, Tx
from monozu.db.errors import NotFound
from monozu.db.models import CveCpeMatch
from monozu.domain.vulnintel import cpe, sql
from monozu.domain.vulnintel.matching import (
    Verdict,
    asset_names,
    configurations,
    evaluate,
    evaluate_grouped,
    index_key,
)
from monozu.domain.vulnintel.records import CpeMatchRow

ALERT_SOURCE = "cve_match"
SCAN_PAGE = 20000
IN_CHUNK = 500
_WILD = ("*", "*")


@dataclass(slots=True)
class AssetRow:
    id: uuid.UUID
    name: str
    cpe: str | None
    producer: str | None
    model: str | None
    firmware_version: str | None


@dataclass(slots=True)
class VulnerabilityRow:
    id: uuid.UUID
    asset_id: uuid.UUID
    cve_id: str
    status: str
    cvss_score: float | None


@dataclass(slots=True)
class AlertKey:
    asset_id: uuid.UUID | None
    cve_id: str


@dataclass(slots=True)
class Asset:
    id: uuid.UUID
    name: str
    names: list[cpe.Cpe]
    problems: list[str]


@dataclass(slots=True)
class MatchReport:
    """What matching one tenant did."""

    tenant_id: uuid.UUID
    assets: int = 0
    matches: int = 0
    opened: int = 0
    seen_again: int = 0
    alerts: int = 0
    no_longer_matching: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"tenant {self.tenant_id}: {self.assets} assets, {self.matches} matches: "
                f"{self.opened} opened, {self.seen_again} seen again, {self.alerts} alerts, "
                f"{len(self.no_longer_matching)} no longer matching, "
                f"{len(self.problems)} asset problems")


def _asset(row: AssetRow) -> Asset:
    names, problems = asset_names(row.cpe, row.producer, row.model, row.firmware_version)
    return Asset(row.id, row.name, names,
                 [f"asset {row.id} ({row.name}): {p}" for p in problems])


def _keys(names: Iterable[cpe.Cpe]) -> set[tuple[str, str]]:
    return {(n.vendor.raw.lower(), n.product.raw.lower()) for n in names}


class AssetIndex:
    """Assets of the tenants being matched, by the (vendor, product) of their CPE names."""

    def __init__(self, assets: dict[uuid.UUID, list[Asset]]) -> None:
        self.everyone = [(t, a) for t, group in assets.items() for a in group]
        self.by_key: dict[tuple[str, str], list[tuple[uuid.UUID, Asset]]] = defaultdict(list)
        for tenant_id, asset in self.everyone:
            for key in _keys(asset.names):
                self.by_key[key].append((tenant_id, asset))

    def candidates(self, rows: list[CpeMatchRow]) -> list[tuple[uuid.UUID, Asset]]:
        keys = {_row_key(r) for r in rows}
        if _WILD in keys:
            return self.everyone
        found: dict[uuid.UUID, tuple[uuid.UUID, Asset]] = {}
        for key in keys:
            for tenant_id, asset in self.by_key.get(key, ()):
                found[asset.id] = (tenant_id, asset)
        return list(found.values())


def _row_key(row: CpeMatchRow) -> tuple[str, str]:
    return _criteria_key(row.criteria)


@functools.lru_cache(maxsize=262144)
def _criteria_key(criteria: str) -> tuple[str, str]:
    vendor, product = index_key(criteria)
    return _WILD if "*" in vendor + product or "?" in vendor + product else (vendor, product)


def as_match(row: CveCpeMatch) -> CpeMatchRow:
    return CpeMatchRow(row.config_group, row.node_operator, row.criteria, row.vulnerable,
                       row.version_start_including, row.version_start_excluding,
                       row.version_end_including, row.version_end_excluding)


def _scan_by_cve(tx: Tx) -> Iterator[tuple[str, list[CpeMatchRow]]]:
    """Every CVE's match rows, a page of the table at a time (never the whole table).

    Pages follow the ``cve_id`` index; the last CVE of a full page may be cut off, so it is
    read again at the start of the next page.
    """
    after = ""
    while True:
        page = tx.select(CveCpeMatch, sql.MATCH_SCAN, after_cve=after, limit=SCAN_PAGE)
        full = len(page) == SCAN_PAGE
        if full:
            last = page[-1].cve_id
            page = [r for r in page if r.cve_id != last] or tx.select(
                CveCpeMatch, sql.MATCH_ROWS_OF, cve_id=last)  # one CVE filled the page
        groups: dict[str, list[CpeMatchRow]] = {}
        for row in page:
            groups.setdefault(row.cve_id, []).append(as_match(row))
        yield from groups.items()
        if not full:
            return
        after = page[-1].cve_id


def _chunks(items: list[str], size: int = IN_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _facts(tx: Tx, cve_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(cve_ids))):
        for row in tx.select(dict, sql.CATALOG_FACTS, cve_ids=chunk):
            facts[row["cve_id"]] = row
    return facts


def tenant_ids(db: Database) -> list[uuid.UUID]:
    with db.transaction() as tx:
        return tx.select(uuid.UUID, sql.TENANT_IDS)


def match_tenants(db: Database, tenants: list[uuid.UUID], *,
                  now: datetime | None = None) -> list[MatchReport]:
    """Match each tenant's assets; the catalog is read once for all of them.

    One pass over the catalog: each CVE is evaluated against the assets whose names share
    a vendor and product with one of its criteria, so memory holds the assets and the
    matches, never the catalog.
    """
    assets: dict[uuid.UUID, list[Asset]] = {}
    for tenant_id in tenants:
        with db.tenant(tenant_id) as tx:
            assets[tenant_id] = [_asset(r) for r in tx.select(AssetRow, sql.ASSETS,
                                                              tenant_id=tenant_id)]
    index = AssetIndex(assets)
    # (asset, CVE) pairs only: a verdict's explanation is rebuilt for the few that alert
    found: dict[uuid.UUID, set[tuple[uuid.UUID, str]]] = {t: set() for t in tenants}
    with db.transaction() as tx:
        for cve_id, rows in _scan_by_cve(tx):
            candidates = index.candidates(rows)
            grouped = configurations(rows) if candidates else []
            for tenant_id, asset in candidates:
                if evaluate_grouped(cve_id, grouped, asset.names).matched:
                    found[tenant_id].add((asset.id, cve_id))
    return [_write_tenant(db, tenant_id, assets[tenant_id], found[tenant_id],
                          now or datetime.now(UTC)) for tenant_id in tenants]


def _write_tenant(db: Database, tenant_id: uuid.UUID, assets: list[Asset],
                  found: set[tuple[uuid.UUID, str]], now: datetime) -> MatchReport:
    report = MatchReport(tenant_id, assets=len(assets))
    for asset in assets:
        report.problems.extend(asset.problems)
    report.matches = len(found)
    with db.tenant(tenant_id) as tx:
        facts = _facts(tx, (cve for _, cve in found))
        existing = {(r.asset_id, r.cve_id): r for r in tx.select(
            VulnerabilityRow, sql.TENANT_VULNERABILITIES, tenant_id=tenant_id)}
        inserts, updates = [], []
        for (asset_id, cve_id) in found:
            score = (facts.get(cve_id) or {}).get("cvss_score")
            row = existing.get((asset_id, cve_id))
            if row is None:
                inserts.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "cve_id": cve_id,
                                "cvss_score": score, "asset_id": asset_id, "now": now})
            else:
                updates.append({"id": row.id, "tenant_id": tenant_id,
                                "cvss_score": score, "now": now})
        if inserts:
            tx.exec_many(sql.INSERT_VULNERABILITY, inserts)
        if updates:
            tx.exec_many(sql.SEEN_AGAIN, updates)
        report.opened, report.seen_again = len(inserts), len(updates)
        report.no_longer_matching = sorted(
            (a, c) for (a, c), r in existing.items()
            if (a, c) not in found and r.status == "open")
        statuses = {k: r.status for k, r in existing.items()}
        report.alerts = _raise_alerts(tx, tenant_id, found=found, statuses=statuses,
                                      facts=facts, assets={a.id: a for a in assets}, now=now)
    return report


def _raise_alerts(tx: Tx, tenant_id: uuid.UUID, *, found: set[tuple[uuid.UUID, str]],
                  statuses: dict[tuple[uuid.UUID, str], str], facts: dict[str, dict[str, Any]],
                  assets: dict[uuid.UUID, Asset], now: datetime) -> int:
    settings = tx.select(float, sql.ALERT_THRESHOLD, tenant_id=tenant_id)
    threshold = settings[0] if settings else None
    raised = {(r.asset_id, r.cve_id) for r in tx.select(
        AlertKey, sql.RAISED_ALERTS, tenant_id=tenant_id, source=ALERT_SOURCE)}
    alerts = []
    for key in sorted(found):
        asset_id, cve_id = key
        if key in raised or statuses.get(key, "open") != "open":
            continue
        fact = facts.get(cve_id) or {}
        score, kev = fact.get("cvss_score"), bool(fact.get("is_kev"))
        over = threshold is not None and score is not None and score >= threshold
        if not (over or kev):
            continue
        why = " and ".join(w for w in (
            f"CVSS {score} reaches the threshold {threshold}" if over else "",
            "it is in CISA's Known Exploited Vulnerabilities catalog" if kev else "") if w)
        severity = str(fact.get("cvss_severity") or ("critical" if kev else "high")).lower()
        asset = assets[asset_id]
        rows = [as_match(r) for r in tx.select(CveCpeMatch, sql.MATCH_ROWS_OF, cve_id=cve_id)]
        verdict = evaluate(cve_id, rows, asset.names)
        alerts.append({"id": uuid.uuid4(), "tenant_id": tenant_id,
                       "title": f"{cve_id} affects {asset.name}"[:500],
                       "severity": severity[:20], "source": ALERT_SOURCE,
                       "description": f"{why}.\n{verdict.explain()}", "cve_id": cve_id,
                       "asset_id": asset_id, "now": now})
    if alerts:
        tx.exec_many(sql.INSERT_ALERT, alerts)
    return len(alerts)


def explain(db: Database, tenant_id: uuid.UUID, asset_id: uuid.UUID, cve_id: str) -> Verdict:
    """Which configuration node and bound of ``cve_id`` match the asset, or why none does."""
    with db.tenant(tenant_id) as tx:
        rows = tx.select(AssetRow, sql.ASSET, tenant_id=tenant_id, asset_id=asset_id)
        if not rows:
            raise NotFound(f"no asset {asset_id} in tenant {tenant_id}")
        asset = _asset(rows[0])
        matches = [as_match(r) for r in tx.select(CveCpeMatch, sql.MATCH_ROWS_OF,
                                                  cve_id=cve_id)]
    verdict = evaluate(cve_id, matches, asset.names)
    verdict.unknown.extend(asset.problems)
    if not matches:
        verdict.unknown.append("the catalog has no configurations for this CVE")
    return verdict


def asset_tenant(db: Database, asset_id: uuid.UUID) -> uuid.UUID:
    """The tenant an asset belongs to (a platform-side lookup)."""
    with db.transaction() as tx:
        found = tx.select(uuid.UUID, sql.ASSET_TENANT, asset_id=asset_id)
    if not found:
        raise NotFound(f"no asset {asset_id}")
    return found[0]


@dataclass(frozen=True, slots=True)
class CatalogCounts:
    cves: int
    kev: int
    cpe_matches: int
    epss: int
    exploits: int
    exploit_cves: int


@dataclass(frozen=True, slots=True)
class FeedState:
    name: str
    kind: str
    url: str
    last_synced_at: datetime | None
    sync_cursor: str | None
    last_error: str | None


def status(db: Database) -> tuple[list[FeedState], CatalogCounts]:
    """Each source's last sync, cursor and last error, and the catalogs' row counts."""
    with db.transaction() as tx:
        feeds = tx.select(FeedState, "SELECT name, kind, url, last_synced_at, sync_cursor, "
                          "last_error FROM cve_feeds ORDER BY name")
        counts = tx.get(CatalogCounts, sql.CATALOG_COUNTS, yes=True)
    return feeds, counts
