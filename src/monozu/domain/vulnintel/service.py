"""Matching tenants' assets against the CVE catalog, and explaining a match.

The catalog is global, read once per run: match rows are streamed in ``cve_id`` order.
Assets with identical CPE names share a profile (:class:`AssetIndex`); each distinct
criteria-and-bounds entry is evaluated once per run against the profile names of its
vendor and product (all names for a wildcard), and a CVE's configurations combine those
cached sets (:func:`matching.matching_rows`). Each tenant's results are then written
set-based inside its own unit of work (``db.tenant``):

* a new (asset, CVE) match opens a ``vulnerabilities`` row with status ``open``;
* a repeated match only refreshes ``last_seen_at`` and the score; a status a person set
  (``accepted_risk``, ``false_positive``, ``resolved``...) is never touched;
* a CVE that no longer matches is reported, never deleted;
* an open vulnerability whose score reaches the tenant's ``cvss_alert_threshold``, or whose
  CVE is in KEV, raises one ``security_alerts`` row, once.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import operator
import os
import typing
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monozu.db import Database, Tx
from monozu.db.errors import NotFound
from monozu.db.models import CveCpeMatch
from monozu.db.values import uuid_from_bytes
from monozu.domain.inputs import check_value, checked_call, listed
from monozu.domain.vulnintel import cpe, sql
from monozu.domain.vulnintel.matching import (
    Verdict,
    asset_names,
    entry_matches,
    evaluate,
    index_key,
    matching_rows,
)
from monozu.domain.vulnintel.records import CpeMatchRow
from monozu.domain.vulnintel.staging import Staging, require_staging

ALERT_SOURCE = "cve_match"
SCAN_PAGE = 20000
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
class Recorded:
    """A tenant's vulnerability as matching compares it."""

    id: uuid.UUID
    asset_id: uuid.UUID
    cve_id: str
    status: str
    cvss_score: float | None


@dataclass(slots=True)
class CveFact:
    """What a vulnerability and its alert take from the catalog."""

    cve_id: str
    cvss_score: float | None
    cvss_severity: str | None
    is_kev: bool


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


def _name_key(name: cpe.Cpe) -> tuple[str, str]:
    # unescaped, as entry_matches compares them: foo\.bar is foo.bar
    return cpe.folded(name.vendor.raw), cpe.folded(name.product.raw)


_NOTHING: frozenset[int] = frozenset()


class AssetIndex:
    """Assets of the tenants being matched, as *profiles*: assets whose CPE names are the
    same (same vendor, product and version) share one profile, so each distinct product
    version is evaluated once however many assets run it.

    :meth:`entry` gives the profiles one ``cpeMatch`` entry matches, computed once per
    distinct (criteria, bounds) and cached for the run: the catalog repeats the same
    criteria and bounds across many CVEs.
    """

    def __init__(self, assets: dict[uuid.UUID, list[Asset]]) -> None:
        numbers: dict[tuple[str, ...], int] = {}
        self.names: list[list[cpe.Cpe]] = []
        self.owners: list[list[tuple[uuid.UUID, uuid.UUID]]] = []
        for tenant_id, group in assets.items():
            for asset in group:
                if not asset.names:
                    continue
                key = tuple(str(n) for n in asset.names)
                number = numbers.setdefault(key, len(self.names))
                if number == len(self.names):
                    self.names.append(asset.names)
                    self.owners.append([])
                self.owners[number].append((tenant_id, asset.id))
        # (profile, name) pairs by the name's (vendor, product): an entry is tried only on
        # the names it could match, every name for a wildcard vendor or product
        self.everyone = [(p, n) for p, names in enumerate(self.names) for n in names]
        self.by_key: dict[tuple[str, str], list[tuple[int, cpe.Cpe]]] = defaultdict(list)
        for number, name in self.everyone:
            self.by_key[_name_key(name)].append((number, name))
        self._entries: dict[tuple[str | None, ...], frozenset[int]] = {}

    def entry(self, row: CpeMatchRow) -> frozenset[int]:
        """The profiles having a name that ``row``'s criteria and bounds cover."""
        key = (row.criteria, row.version_start_including, row.version_start_excluding,
               row.version_end_including, row.version_end_excluding)
        found = self._entries.get(key)
        if found is None:
            found = self._entries[key] = self._evaluate(row)
        return found

    def _evaluate(self, row: CpeMatchRow) -> frozenset[int]:
        key = _criteria_key(row.criteria)
        candidates = self.everyone if key == _WILD else self.by_key.get(key, ())
        unknown: list[str] = []  # reasons matter to explain, not to the bulk run
        return frozenset(p for p, name in candidates
                         if entry_matches(row, name, unknown)) or _NOTHING

    def matches(self, rows: list[CpeMatchRow]) -> set[int]:
        """The profiles one CVE's rows match (its configurations grouped only when some
        vulnerable entry matches anything at all)."""
        if not any(r.vulnerable and self.entry(r) for r in rows):
            return set()
        return matching_rows(rows, self.entry)


@functools.lru_cache(maxsize=262144)
def _criteria_key(criteria: str) -> tuple[str, str]:
    r"""The :func:`_name_key` of the names a criteria can match, or :data:`_WILD`. One
    with escapes is parsed, not split on colons: ``foo\:bar`` is one vendor, and
    ``foo\.bar`` matches a name written ``foo.bar`` (both were looked up under another
    key, and missed)."""
    if "\\" not in criteria:  # nothing escaped (nearly every one): split, not parsed
        vendor_text, product_text = index_key(criteria)
        wild = "*" in vendor_text + product_text or "?" in vendor_text + product_text
        return _WILD if wild else (vendor_text, product_text)
    try:
        name = cpe.parse(criteria)
    except cpe.CpeError:
        return _WILD  # entry_matches refuses it, whatever it is tried on
    vendor, product = name.vendor, name.product
    if vendor.is_any or product.is_any or vendor.has_wildcards or product.has_wildcards:
        return _WILD
    return cpe.folded(vendor.raw), cpe.folded(product.raw)


def as_match(row: CveCpeMatch) -> CpeMatchRow:
    return CpeMatchRow(row.config_group, row.node_operator, row.criteria, row.vulnerable,
                       row.version_start_including, row.version_start_excluding,
                       row.version_end_including, row.version_end_excluding)


@dataclass(slots=True)
class ScannedMatch(CpeMatchRow):
    """A match row as the catalog scan reads it: the entry, and its CVE."""

    cve_id: str = ""


_CVE_OF = operator.attrgetter("cve_id")


def _scan_by_cve(tx: Tx) -> Iterator[tuple[str, list[CpeMatchRow]]]:
    """Every CVE's match rows, a page of the table at a time (never the whole table).

    Pages follow the ``cve_id`` index; the last CVE of a full page may be cut off, so it is
    read again at the start of the next page.
    """
    after = ""
    while True:
        page = tx.select(ScannedMatch, sql.MATCH_SCAN, after_cve=after, limit=SCAN_PAGE)
        full = len(page) == SCAN_PAGE
        if full:
            last = page[-1].cve_id
            page = [r for r in page if r.cve_id != last] or tx.select(
                ScannedMatch, sql.MATCH_SCAN_OF, cve_id=last)  # one CVE filled the page
        for cve_id, rows in itertools.groupby(page, _CVE_OF):  # pages are in cve_id order
            yield cve_id, list(rows)
        if not full:
            return
        after = page[-1].cve_id


def tenant_ids(db: Database) -> list[uuid.UUID]:
    with db.transaction() as tx:
        return tx.select(uuid.UUID, sql.TENANT_IDS)


@checked_call
def check_tenant(db: Database, tenant_id: uuid.UUID) -> None:
    """:class:`NotFound` unless the tenant exists (a platform-side lookup)."""
    with db.transaction() as tx:
        if not tx.select(uuid.UUID, sql.TENANT_EXISTS, tenant_id=tenant_id):
            raise NotFound(f"no tenant {tenant_id}")


@checked_call
def match_tenants(db: Database, tenants: list[uuid.UUID], *,
                  now: datetime | None = None) -> list[MatchReport]:
    """Match each tenant's assets; the catalog is read once for all of them.

    One pass over the catalog: each CVE's entries are looked up in the :class:`AssetIndex`
    (distinct product versions, each entry evaluated once per run), so memory holds the
    assets, the entry cache and the matched pairs, never the catalog.
    """
    tenants = [typing.cast(uuid.UUID, check_value("tenants", t, uuid.UUID))
               for t in listed("tenants", tenants)]
    with db.transaction() as tx:  # refused before the catalog is scanned, not after
        require_staging(tx)
    with _collector_paused():
        assets: dict[uuid.UUID, list[Asset]] = {}
        for tenant_id in tenants:
            with db.tenant(tenant_id) as tx:
                assets[tenant_id] = [_asset(r) for r in tx.select(AssetRow, sql.ASSETS,
                                                                  tenant_id=tenant_id)]
        found = _scan(db, AssetIndex(assets), tenants)
        with db.transaction() as tx:
            matched = {cve_id for pairs in found.values() for _, cve_id in pairs}
            facts = {f.cve_id: f for f in tx.select(CveFact, sql.CATALOG_FACTS)
                     if f.cve_id in matched}
        return [_write_tenant(db, tenant_id, assets[tenant_id], found[tenant_id],
                              facts=facts, now=now or datetime.now(UTC))
                for tenant_id in tenants]


def _scan(db: Database, index: AssetIndex,
          tenants: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """The (asset, CVE) pairs each tenant matches (explanations are rebuilt for the few
    that alert)."""
    found: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {t: [] for t in tenants}
    with db.transaction() as tx:
        for cve_id, rows in _scan_by_cve(tx):
            for profile in index.matches(rows):
                for tenant_id, asset_id in index.owners[profile]:
                    found[tenant_id].append((asset_id, cve_id))
    return found


_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))


def new_ids(count: int, *, ordered: bool = False) -> list[uuid.UUID]:
    """``count`` random (version 4) UUIDs, as ``uuid.uuid4`` makes them, made in bulk: one
    read of the system's random source and no re-validation per id; ``ordered`` sorts them
    (by their bytes, as the databases order them)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT)
    view = bytes(raw)
    chunks = [view[i:i + 16] for i in range(0, len(view), 16)]
    if ordered:
        chunks.sort()
    return [uuid_from_bytes(chunk) for chunk in chunks]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while matching: it builds millions of small objects
    and no cycles, and each automatic collection would walk the whole growing heap (they
    took about 40 % of the run)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_tenant(db: Database, tenant_id: uuid.UUID, assets: list[Asset],
                  found: list[tuple[uuid.UUID, str]], *, facts: dict[str, CveFact],
                  now: datetime) -> MatchReport:
    """Write one tenant's matches in its unit of work, set-based.

    The tenant's recorded vulnerabilities are read once and compared in memory: new pairs
    are bulk-inserted, the ids of repeated ones staged for one ``UPDATE`` of
    ``last_seen_at`` (whatever their status: a person's status is never touched), and only
    the scores that changed are written.
    """
    report = MatchReport(tenant_id, assets=len(assets))
    for asset in assets:
        report.problems.extend(asset.problems)
    report.matches = len(found)
    with db.tenant(tenant_id) as tx, tx.bulk_writes():
        # keyed by the asset id's integer: comparing UUID objects costs a Python call each
        recorded = {(r.asset_id.int, r.cve_id): r for r in tx.select(
            Recorded, sql.TENANT_VULNERABILITIES, tenant_id=tenant_id)}
        fresh: list[tuple[uuid.UUID, str]] = []
        seen: list[tuple[uuid.UUID]] = []
        rescored: list[dict[str, object]] = []
        for asset_id, cve_id in found:
            row = recorded.get((asset_id.int, cve_id))
            if row is None:
                fresh.append((asset_id, cve_id))
                continue
            seen.append((row.id,))
            fact = facts.get(cve_id)
            if row.cvss_score != (fact.cvss_score if fact else None):
                rescored.append({"id": row.id, "tenant_id": tenant_id,
                                 "cvss_score": fact.cvss_score if fact else None})
        # rows in the order of the (tenant, asset, CVE) key, ids ascending with it: the
        # inserts then append to most of the table's indexes instead of landing all over
        fresh.sort(key=lambda pair: (pair[0].int, pair[1]))
        new = [(vid, asset_id, cve_id, facts[cve_id].cvss_score if cve_id in facts else None)
               for vid, (asset_id, cve_id) in zip(new_ids(len(fresh), ordered=True), fresh,
                                                  strict=True)]
        if seen:
            stage = Staging(tx, "seen")
            stage.load("seen", ("id",), seen)
            stage.index()
            tx.exec(stage.sql(sql.SEEN_AGAIN), tenant_id=tenant_id, now=now)
            stage.drop()
        if rescored:
            tx.exec_many(sql.RESCORE, rescored)
        if new:  # staged, so that the values every row shares are sent once
            stage = Staging(tx, "fresh")
            stage.load("fresh", ("id", "asset_id", "cve_id", "cvss_score"), new)
            tx.exec(stage.sql(sql.OPEN_FRESH), tenant_id=tenant_id, now=now)
            stage.drop()
        report.opened, report.seen_again = len(new), len(seen)
        matched = {(asset_id.int, cve_id) for asset_id, cve_id in found}
        report.no_longer_matching = sorted(
            (r.asset_id, r.cve_id) for key, r in recorded.items()
            if r.status == "open" and key not in matched)
        # a status a person set (accepted_risk, false_positive...) silences the alert
        alerting = _alerting(tx, tenant_id, facts)
        pairs = sorted({(a, c) for a, c in found if c in alerting and (
            (a.int, c) not in recorded or recorded[a.int, c].status == "open")})
        report.alerts = _raise_alerts(tx, tenant_id, pairs, alerting,
                                      assets={a.id: a for a in assets}, now=now)
    return report


def _alerting(tx: Tx, tenant_id: uuid.UUID,
              facts: dict[str, CveFact]) -> dict[str, tuple[str, str]]:
    """Of the matched CVEs, those that raise an alert (over the tenant's CVSS threshold, or
    in KEV): the reason and the alert's severity."""
    settings = tx.select(float, sql.ALERT_THRESHOLD, tenant_id=tenant_id)
    threshold = settings[0] if settings else None
    alerting = {}
    for cve_id, fact in facts.items():
        score, kev = fact.cvss_score, fact.is_kev
        over = threshold is not None and score is not None and score >= threshold
        if over or kev:
            why = " and ".join(w for w in (
                f"CVSS {score} reaches the threshold {threshold}" if over else "",
                "it is in CISA's Known Exploited Vulnerabilities catalog" if kev else "") if w)
            severity = str(fact.cvss_severity or ("critical" if kev else "high")).lower()
            alerting[cve_id] = (why, severity)
    return alerting


def _raise_alerts(tx: Tx, tenant_id: uuid.UUID, pairs: list[tuple[uuid.UUID, str]],
                  alerting: dict[str, tuple[str, str]], *, assets: dict[uuid.UUID, Asset],
                  now: datetime) -> int:
    """One alert per open matched vulnerability of an alerting CVE, once."""
    if not pairs:
        return 0
    raised = {(r.asset_id, r.cve_id) for r in tx.select(
        AlertKey, sql.RAISED_ALERTS, tenant_id=tenant_id, source=ALERT_SOURCE)}
    alerts = []
    for asset_id, cve_id in pairs:
        if (asset_id, cve_id) in raised:
            continue
        why, severity = alerting[cve_id]
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


@checked_call
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


@checked_call
def asset_tenant(db: Database, asset_id: uuid.UUID) -> uuid.UUID:
    """The tenant an asset belongs to (a platform-side lookup)."""
    from monozu.db.rls import RlsError, hidden_from

    with db.transaction() as tx:
        found = tx.select(uuid.UUID, sql.ASSET_TENANT, asset_id=asset_id)
    if not found and hidden_from(db, "assets"):  # it may be another tenant's
        raise RlsError(f"no asset {asset_id} this connection can see: row-level security "
                       "hides every tenant's assets from its role; give the asset's tenant "
                       "(--tenant), or use the platform connection "
                       "(DATABASE_URL_PLATFORM_ADMIN, a BYPASSRLS role)")
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
