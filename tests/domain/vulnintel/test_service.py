"""Matching tenants' assets against the catalog, on real SQLite and real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monozu.db import Database, NotFound
from monozu.db.models import CveCpeMatch, SecurityAlert, Vulnerability
from monozu.domain.vulnintel import service
from monozu.domain.vulnintel.importer import import_file
from monozu.domain.vulnintel.service import explain, match_tenants
from tests.domain.conftest import add_tenant

LOG4J = "CVE-2021-44228"


def add_asset(db: Database, tenant_id: uuid.UUID, name: str, *, cpe: str | None = None,
              producer: str | None = None, model: str | None = None,
              firmware: str | None = None) -> uuid.UUID:
    asset_id = uuid.uuid4()
    with db.tenant(tenant_id) as tx:
        site = tx.select(uuid.UUID, "SELECT id FROM sites WHERE tenant_id = :t", t=tenant_id)
        if not site:
            site = [uuid.uuid4()]
            tx.exec("INSERT INTO sites (id, tenant_id, name, created_at) "
                    "VALUES (:id, :t, 'HQ', :at)", id=site[0], t=tenant_id,
                    at=datetime.now(UTC))
        tx.exec("INSERT INTO assets (id, tenant_id, name, type, site_id, created_at, model, "
                "firmware_version, cpe, producer) VALUES (:id, :t, :name, 'device', :site, "
                ":at, :model, :fw, :cpe, :producer)", id=asset_id, t=tenant_id, name=name,
                site=site[0], at=datetime.now(UTC), model=model, fw=firmware, cpe=cpe,
                producer=producer)
    return asset_id


@pytest.fixture
def catalog(db: Database, feeds: Path) -> Database:
    for source, name in (("nvd", "nvd/nvd-page-1.json"), ("nvd", "nvd/nvd-page-2.json"),
                         ("cve5", "cvelist5"), ("kev", "kev/known_exploited_vulnerabilities.json")):
        import_file(db, source, feeds / name)
    return db


def _vulns(db: Database, tenant_id: uuid.UUID) -> dict[tuple[uuid.UUID, str], Vulnerability]:
    with db.tenant(tenant_id) as tx:
        rows = tx.select(Vulnerability, "SELECT * FROM vulnerabilities WHERE tenant_id = :t",
                         t=tenant_id)
    return {(r.asset_id, r.cve_id): r for r in rows}


def test_match_upsert_status_and_alerts(catalog: Database) -> None:
    db = catalog
    acme, other = add_tenant(db, "acme"), add_tenant(db, "other")
    switch = add_asset(db, acme, "Siemens switch", producer="Siemens",
                       model="6BK1602-0AA12-0TP0", firmware="2.6.1")
    app = add_asset(db, acme, "log server", cpe="cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*")
    fixed = add_asset(db, acme, "patched", cpe="cpe:2.3:a:apache:log4j:2.17.1:*:*:*:*:*:*:*")
    firewall = add_asset(db, acme, "edge firewall",
                         cpe="cpe:2.3:o:paloaltonetworks:pan-os:10.2.8:*:*:*:*:*:*:*")
    add_asset(db, acme, "broken", cpe="cpe:2.3:a:nonsense")
    theirs = add_asset(db, other, "their log server",
                       cpe="cpe:2.3:a:apache:log4j:2.14.0:*:*:*:*:*:*:*")

    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    first = {r.tenant_id: r for r in match_tenants(db, [acme, other], now=t0)}
    found = _vulns(db, acme)
    assert (switch, LOG4J) in found and (app, LOG4J) in found
    assert (firewall, "CVE-2024-3400") in found  # from the CVE 5 affected data
    assert not any(asset == fixed for asset, _ in found)
    assert all(v.status == "open" and v.first_seen_at == t0 for v in found.values())
    assert found[(app, LOG4J)].cvss_score == 10.0
    assert first[acme].opened == len(found) and "has 2 attributes" in first[acme].problems[0]
    assert set(_vulns(db, other)) == {(theirs, LOG4J)}  # each tenant sees only its own
    # KEV raises one alert per vulnerability (no threshold configured)
    with db.tenant(acme) as tx:
        alerts = tx.select(SecurityAlert, "SELECT * FROM security_alerts WHERE tenant_id = :t",
                           t=acme)
    assert {(a.asset_id, a.cve_id) for a in alerts} == {
        (switch, LOG4J), (app, LOG4J), (firewall, "CVE-2024-3400")}
    assert all("Known Exploited" in (a.description or "") for a in alerts)

    # a person sets a status; re-matching keeps it and raises nothing new
    with db.tenant(acme) as tx:
        tx.exec("UPDATE vulnerabilities SET status = 'accepted_risk' "
                "WHERE tenant_id = :t AND asset_id = :a", t=acme, a=app)
    t1 = t0 + timedelta(days=1)
    second = {r.tenant_id: r for r in match_tenants(db, [acme], now=t1)}[acme]
    assert (second.opened, second.seen_again, second.alerts) == (0, len(found), 0)
    again = _vulns(db, acme)
    assert again[(app, LOG4J)].status == "accepted_risk"
    assert again[(app, LOG4J)].last_seen_at == t1 and again[(app, LOG4J)].first_seen_at == t0

    # firmware upgraded past the fix: reported as no longer matching, not deleted
    with db.tenant(acme) as tx:
        tx.exec("UPDATE assets SET firmware_version = '2.7.0' WHERE tenant_id = :t AND id = :a",
                t=acme, a=switch)
    third = match_tenants(db, [acme], now=t1)[0]
    assert (switch, LOG4J) in third.no_longer_matching
    assert (switch, LOG4J) in _vulns(db, acme)


def test_threshold_alerts(catalog: Database) -> None:
    db = catalog
    tenant = add_tenant(db, "acme")
    with db.tenant(tenant) as tx:
        tx.exec("INSERT INTO vuln_scanner_settings (tenant_id, cvss_alert_threshold, updated_at)"
                " VALUES (:t, 9.0, :at)", t=tenant, at=datetime.now(UTC))
    scalance = add_asset(db, tenant, "scalance", producer="Siemens",
                         model="SCALANCE LPE9403", firmware="1.0")
    report = match_tenants(db, [tenant])[0]
    found = _vulns(db, tenant)
    assert {c for _, c in found} >= {"CVE-2023-27407", "CVE-2023-27410"}
    # CVE-2023-27407 scores 9.9 (alert), CVE-2023-27410 scores 2.7 (none); neither is in KEV
    assert report.alerts == 1
    with db.tenant(tenant) as tx:
        alert = tx.get(SecurityAlert, "SELECT * FROM security_alerts WHERE tenant_id = :t",
                       t=tenant)
    assert (alert.cve_id, alert.asset_id, alert.severity) == ("CVE-2023-27407", scalance,
                                                              "critical")
    assert match_tenants(db, [tenant])[0].alerts == 0


def test_explain(catalog: Database) -> None:
    db = catalog
    tenant = add_tenant(db, "acme")
    switch = add_asset(db, tenant, "switch", producer="Siemens", model="6BK1602-0AA12-0TP0",
                       firmware="2.6.1")
    text = explain(db, tenant, switch, LOG4J).explain()
    assert "configuration 0 matched" in text
    assert "6bk1602-0aa12-0tp0_firmware:*" in text and "< 2.7.0" in text
    assert "platform" in text
    miss = explain(db, tenant, switch, "CVE-2024-3400").explain()
    assert "no match" in miss
    other = add_tenant(db, "other")
    with pytest.raises(NotFound):
        explain(db, other, switch, LOG4J)


def test_catalog_scan_pages_keep_each_cve_whole(catalog: Database,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "SCAN_PAGE", 7)  # smaller than CVE-2021-44228's 408 rows
    with catalog.transaction() as tx:
        paged = list(service._scan_by_cve(tx))
        rows = tx.select(CveCpeMatch, "SELECT * FROM cve_cpe_matches")
    expected: dict[str, list[tuple[object, ...]]] = {}
    for row in rows:
        expected.setdefault(row.cve_id, []).append(service.as_match(row).key())
    assert len(paged) == len(expected)
    assert {c: sorted(map(repr, (m.key() for m in ms))) for c, ms in paged} == {
        c: sorted(map(repr, ks)) for c, ks in expected.items()}


def test_new_ids_are_random_version_4_uuids() -> None:
    ids = service.new_ids(1000)
    assert len(set(ids)) == 1000 and service.new_ids(0) == []
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
    assert all(uuid.UUID(str(i)) == i and uuid.UUID(bytes=i.bytes) == i for i in ids[:50])
    ordered = service.new_ids(500, ordered=True)
    assert [i.bytes for i in ordered] == sorted(i.bytes for i in ordered)


def test_a_changed_catalog_score_reaches_the_vulnerability(catalog: Database) -> None:
    db = catalog
    tenant = add_tenant(db, "acme")
    app = add_asset(db, tenant, "log server", cpe="cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*")
    match_tenants(db, [tenant])
    with db.tenant(tenant) as tx:
        tx.exec("UPDATE vulnerabilities SET status = 'false_positive' WHERE tenant_id = :t",
                t=tenant)
    db.exec("UPDATE cve_catalog SET cvss_score = 9.1 WHERE cve_id = :id", id=LOG4J)
    report = match_tenants(db, [tenant])[0]
    assert (report.opened, report.seen_again, report.alerts) == (0, 1, 0)
    row = _vulns(db, tenant)[(app, LOG4J)]
    assert (row.cvss_score, row.status) == (9.1, "false_positive")
