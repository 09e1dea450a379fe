"""Security rules on real SQLite and PostgreSQL: vulnerabilities, the risk view, alerts."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

import pytest

from monozu.db import Database, NotFound
from monozu.domain.audit import AuditRepository
from monozu.domain.cmdb import AssetSpec, CmdbService
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.security import (
    VULNERABILITY_MOVES,
    VULNERABILITY_STATUSES,
    SecurityRepository,
    SecurityService,
)
from tests.domain.conftest import add_tenant, table_rows

T0 = datetime(2026, 3, 1, tzinfo=UTC)
# (cve, catalog CVSS, cached v3.1, KEV, exploit in ExploitDB)
CATALOG = [
    ("CVE-2024-3400", 10.0, 10.0, True, False),
    ("CVE-2023-3595", 9.8, None, False, False),
    ("CVE-2023-27407", 7.2, 7.2, False, True),
    ("CVE-2021-22779", None, 6.5, False, False),
    ("CVE-2024-9137", None, None, False, False),
]


def add_catalog(db: Database) -> None:
    for cve, score, v31, kev, exploit in CATALOG:
        db.exec("INSERT INTO cve_catalog (cve_id, cvss_score, is_kev, kev_ransomware) "
                "VALUES (:cve, :score, :kev, :no)", cve=cve, score=score, kev=kev, no=False)
        db.exec("INSERT INTO cve_scores_cache (cve_id, cvss_v31_score, epss, fetched_at) "
                "VALUES (:cve, :v31, :epss, :at)", cve=cve, v31=v31, epss=0.5, at=T0)
        if exploit:
            db.exec("INSERT INTO exploitdb_exploits (edb_id, file_path, description, verified) "
                    "VALUES (1, 'exploits/hardware/remote/1.py', 'x', :no)", no=False)
            db.exec("INSERT INTO exploitdb_cves (edb_id, cve_id) VALUES (1, :cve)", cve=cve)


def assets(db: Database, tenant: uuid.UUID, n: int) -> list[uuid.UUID]:
    with db.tenant(tenant) as tx:
        cmdb = CmdbService(tx)
        site = cmdb.create_site("Plant")
        return [cmdb.create_asset(AssetSpec(name=f"A{i}", type="plc", site_id=site.id)).id
                for i in range(n)]


def test_record_is_one_row_per_asset_and_cve_and_raises_alerts(db: Database) -> None:
    add_catalog(db)
    a = add_tenant(db, "acme")
    [plc] = assets(db, a, 1)
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        first = sec.record(plc, "cve-2024-3400")
        again = sec.record(plc, "CVE-2024-3400")
        low = sec.record(plc, "CVE-2023-27407")
        unscored = sec.record(plc, "CVE-2024-9137")
        sec.transition(low.id, "resolved")
        assert sec.record(plc, "CVE-2023-27407").status == "open"   # seen again: reopened
        with pytest.raises(ValidationError, match="not in the CVE catalog"):
            sec.record(plc, "CVE-2099-0001")
        # ASCII digits only: Arabic-Indic and full-width digits are digits to \d
        for not_a_cve in ("GHSA-xxxx", "CVE-٢٠٢٤-٣٤٠٠", "CVE-２０２４-３４００"):
            with pytest.raises(ValidationError, match="not a CVE id"):
                sec.record(plc, not_a_cve)
            with pytest.raises(ValidationError, match="not a CVE id"):
                sec.raise_alert("t", "low", "manual", cve_id=not_a_cve)
        alerts = sec.alerts().items
        actions = [r.action for r in AuditRepository(tx).for_resource("vulnerability",
                                                                      first.id)]
    assert first.id == again.id and first.cvss_score == 10.0 and unscored.cvss_score is None
    assert [(x.cve_id, x.severity, x.source) for x in alerts] == \
        [("CVE-2024-3400", "critical", "cve_job")]
    assert sorted(actions) == ["vulnerability.recorded", "vulnerability.seen"]


def test_every_status_move_follows_the_documented_table(db: Database) -> None:
    add_catalog(db)
    a = add_tenant(db, "acme")
    ids = assets(db, a, 36)
    moves = [(o, n) for o in sorted(VULNERABILITY_STATUSES)
             for n in sorted(VULNERABILITY_STATUSES)]
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        for asset_id, (old, new) in zip(ids, moves, strict=True):
            vuln = sec.record(asset_id, "CVE-2023-27407")
            if old != "open":
                sec.transition(vuln.id, old)
            if new in VULNERABILITY_MOVES[old]:
                assert sec.transition(vuln.id, new).status == new
                continue
            with pytest.raises(InvalidTransition):
                sec.transition(vuln.id, new)
            assert sec.get(vuln.id).status == old
        with pytest.raises(ValidationError, match="vulnerability status"):
            sec.transition(vuln.id, "fixed")


def test_risk_order_pages_and_the_catalog_columns(db: Database) -> None:
    add_catalog(db)
    a = add_tenant(db, "acme")
    ids = assets(db, a, 3)
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        for asset_id in ids:
            for cve, *_ in CATALOG:
                sec.record(asset_id, cve)
        seen, cursor = [], None
        while True:
            page = sec.by_risk(limit=4, cursor=cursor)
            seen += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        one = sec.of_asset(ids[0], limit=2)
        rest = sec.of_asset(ids[0], limit=10, cursor=one.next_cursor)
    assert len(seen) == 15 and len({r.id for r in seen}) == 15
    scores = [r.cvss_score for r in seen]
    assert scores == [10.0] * 3 + [9.8] * 3 + [7.2] * 3 + [6.5] * 3 + [None] * 3
    top = seen[0]
    assert (top.cve_id, top.is_kev, top.epss, top.exploit_known) == \
        ("CVE-2024-3400", True, 0.5, False)
    assert [r.exploit_known for r in seen if r.cve_id == "CVE-2023-27407"] == [True] * 3
    assert [r.cve_id for r in one.items + rest.items] == sorted(c for c, *_ in CATALOG)


def test_other_tenant_rows_are_missing_and_unchanged(db: Database) -> None:
    add_catalog(db)
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    [plc] = assets(db, a, 1)
    [own] = assets(db, b, 1)
    with db.tenant(a) as tx:
        vuln = SecurityService(tx).record(plc, "CVE-2024-3400")
        [alert] = SecurityService(tx).alerts().items
    with db.tenant(b) as tx:
        sec = SecurityService(tx)
        for call in (lambda: sec.record(plc, "CVE-2023-3595"),
                     lambda: sec.transition(vuln.id, "resolved"), lambda: sec.get(vuln.id),
                     lambda: sec.of_asset(plc), lambda: sec.alert(alert.id),
                     lambda: sec.alert_transition(alert.id, "dismissed"),
                     lambda: sec.raise_alert("x", "high", "manual", asset_id=plc)):
            with pytest.raises(NotFound):
                call()
        assert sec.by_risk().items == [] and sec.alerts().items == []
        assert sec.of_asset(own).items == []
        assert {r.resource_type for r in AuditRepository(tx).page().items} == \
            {"site", "asset"}
    with db.tenant(a) as tx:
        assert SecurityService(tx).get(vuln.id).status == "open"


def test_alert_input_and_lifecycle(db: Database) -> None:
    a = add_tenant(db, "acme")
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        for bad, message in [({"severity": "severe"}, "alert severity"),
                             ({"source": "email"}, "alert source"),
                             ({"source_ip": "999.1.1.1"}, "source_ip"),
                             ({"title": "t" * 501}, "at most 500")]:
            fields: dict[str, str] = {"title": "Port scan", "severity": "high",
                                      "source": "ingestor", **bad}
            with pytest.raises(ValidationError, match=message):
                sec.raise_alert(**fields)  # type: ignore[arg-type]
        alert = sec.raise_alert("Port scan from 10.0.0.5", "high", "ingestor",
                                source_ip="10.0.0.5", destination_ip="10.20.0.10")
        sec.alert_transition(alert.id, "acknowledged")
        with pytest.raises(InvalidTransition):
            sec.alert_transition(alert.id, "open")
        sec.alert_transition(alert.id, "resolved")
        assert [x.status for x in sec.alerts(statuses=["resolved"]).items] == ["resolved"]
        assert sec.alerts(statuses=["open"]).items == []


def test_risk_view_filters_by_band_site_and_text_across_pages(db: Database) -> None:
    add_catalog(db)
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        north, south = cmdb.create_site("North"), cmdb.create_site("South")
        pump = cmdb.create_asset(AssetSpec(name="Pump-7", type="plc", site_id=north.id)).id
        valve = cmdb.create_asset(AssetSpec(name="Valve-2", type="plc", site_id=south.id)).id
        sec = SecurityService(tx, clock=lambda: T0)
        for asset_id in (pump, valve):
            for cve, *_ in CATALOG:
                sec.record(asset_id, cve)

        def listed(**filters: object) -> list[tuple[str, str]]:
            rows, cursor = [], None
            while True:  # one row a page: every cursor of the filtered reads is used
                page = sec.by_risk(limit=1, cursor=cursor, **filters)  # type: ignore[arg-type]
                rows += [(r.asset_name or "", r.cve_id) for r in page.items]
                if page.next_cursor is None:
                    return rows
                cursor = page.next_cursor

        everything = listed()
        assert len(everything) == 10
        # ties on a score go by id, so expectations keep the unfiltered order
        def keep(cves: set[str], asset: str | None = None) -> list[tuple[str, str]]:
            return [r for r in everything if r[1] in cves and asset in (None, r[0])]

        assert listed(severities=["critical"]) == keep({"CVE-2024-3400", "CVE-2023-3595"})
        assert listed(severities=["medium", "high"]) == keep({"CVE-2023-27407",
                                                             "CVE-2021-22779"})
        assert listed(severities=["low", "none"]) == []
        # a site keeps the unscored tail, in risk order
        assert listed(site_id=south.id) == [r for r in everything if r[0] == "Valve-2"]
        assert listed(text=" 3400 ") == [r for r in everything if r[1] == "CVE-2024-3400"]
        assert listed(text="PUMP") == [r for r in everything if r[0] == "Pump-7"]
        assert listed(text="%") == [] and listed(text="_") == []  # matched literally
        assert listed(site_id=north.id, text="cve-2023", severities=["critical", "high"]) == \
            keep({"CVE-2023-3595", "CVE-2023-27407"}, "Pump-7")
        with pytest.raises(ValidationError, match="severity"):
            sec.by_risk(severities=["severe"])
        with pytest.raises(ValidationError, match="empty"):
            sec.by_risk(severities=[])
        with pytest.raises(ValidationError, match="at most"):
            sec.by_risk(text="x" * 201)
    with db.tenant(b) as tx:
        other = SecurityService(tx)
        with pytest.raises(NotFound):  # another tenant's site is a missing one
            other.by_risk(site_id=north.id)
        assert other.by_risk(text="pump").items == []


def test_a_vulnerability_recorded_by_a_concurrent_call_is_seen_again(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    add_catalog(db)
    a = add_tenant(db, "acme")
    [plc] = assets(db, a, 1)
    with db.tenant(a) as tx:
        first = SecurityService(tx, clock=lambda: T0).record(plc, "CVE-2023-3595")
    find = SecurityRepository.find
    looked: list[bool] = []

    def stale(repo: SecurityRepository, asset_id: uuid.UUID, cve: str) -> object:
        if not looked:  # the first look ran before the other call's row was written
            looked.append(True)
            return None
        return find(repo, asset_id, cve)

    monkeypatch.setattr(SecurityRepository, "find", stale)
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        again = sec.record(plc, "CVE-2023-3595")
        assert [v.cve_id for v in sec.of_asset(plc).items] == ["CVE-2023-3595"]  # it goes on
        actions = [r.action for r in AuditRepository(tx).for_resource("vulnerability",
                                                                      first.id)]
    assert again.id == first.id
    assert sorted(actions) == ["vulnerability.recorded", "vulnerability.seen"]


def read_before(monkeypatch: pytest.MonkeyPatch, getter: str, snapshot: object) -> None:
    """The call's first read of the row returns ``snapshot``: what it was before a
    concurrent unit of work changed it (on PostgreSQL that order happens; on SQLite a unit
    of work holds the write lock, so it is staged)."""
    real = getattr(SecurityRepository, getter)
    reads: list[bool] = []

    def stale(repo: SecurityRepository, *args: object) -> object:
        if not reads:
            reads.append(True)
            return copy.copy(snapshot)  # the service changes what it reads
        return real(repo, *args)

    monkeypatch.setattr(SecurityRepository, getter, stale)


def test_a_move_lost_to_a_concurrent_one_is_refused(db: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    add_catalog(db)
    a = add_tenant(db, "acme")
    [plc] = assets(db, a, 1)
    with db.tenant(a) as tx:
        sec = SecurityService(tx, clock=lambda: T0)
        vuln = sec.record(plc, "CVE-2023-3595")
        alert = sec.raise_alert("Port scan", "high", "manual")
    with db.tenant(a) as tx:  # the concurrent moves, committed
        SecurityService(tx, clock=lambda: T0).transition(vuln.id, "resolved")
        SecurityService(tx, clock=lambda: T0).alert_transition(alert.id, "dismissed")
    tables = ("vulnerabilities", "security_alerts", "audit_logs")
    before = table_rows(db, *tables)
    with monkeypatch.context() as patch:
        read_before(patch, "vulnerability", vuln)
        with db.tenant(a) as tx, pytest.raises(InvalidTransition,
                                               match="'resolved' to 'accepted_risk'"):
            SecurityService(tx, clock=lambda: T0).transition(vuln.id, "accepted_risk")
    with monkeypatch.context() as patch:
        read_before(patch, "alert", alert)
        with db.tenant(a) as tx, pytest.raises(InvalidTransition,
                                               match="'dismissed' to 'acknowledged'"):
            SecurityService(tx, clock=lambda: T0).alert_transition(alert.id, "acknowledged")
    assert table_rows(db, *tables) == before
    # a record that read the row before the concurrent resolve looks again, and reopens it
    read_before(monkeypatch, "find", vuln)
    with db.tenant(a) as tx:
        again = SecurityService(tx, clock=lambda: T0).record(plc, "CVE-2023-3595")
        actions = [r.action for r in AuditRepository(tx).for_resource("vulnerability",
                                                                      vuln.id)]
    assert again.status == "open"
    assert db.get_value("SELECT status FROM vulnerabilities WHERE id = :id", id=vuln.id) == \
        "open"
    assert actions.count("vulnerability.reopened") == 1  # not "seen": it was resolved
    assert "vulnerability.seen" not in actions
