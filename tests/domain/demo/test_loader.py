"""``monozu demo`` on real SQLite and PostgreSQL: the content, the overview, idempotency."""

from __future__ import annotations

import uuid

import pytest

from monozu.cli import main
from monozu.db import connect
from monozu.db.models import TABLES
from monozu.domain.demo import DEMO_NOW, TENANTS, run_demo
from monozu.domain.itsm import INCIDENT_STATUSES, IncidentService


def counts(url: str) -> dict[str, int]:
    with connect(url) as db:
        return {t: db.get_value(f"SELECT COUNT(*) FROM {t}") for t in TABLES}


def test_demo_loads_once_and_prints_the_same_overview(
        any_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", any_url]) == 0
    first = capsys.readouterr().out
    loaded = counts(any_url)
    assert main(["demo", "--url", any_url]) == 0
    again = capsys.readouterr().out
    assert counts(any_url) == loaded
    assert first.startswith("Loaded: northwind-msp, acme-industries, globex-retail\n")
    assert again.startswith("Demo already loaded; nothing changed.\n")
    assert first.split("\n", 1)[1] == again.split("\n", 1)[1]
    assert "response SLA breached" in first and "resolve SLA breached" in first
    assert "CVE-2024-3400" in first and "Rotterdam Plant" in first
    for table in ("users", "groups", "group_permissions", "user_groups", "devices",
                  "device_commands", "ingest_events", "problems", "changes",
                  "knowledge_articles", "knowledge_article_problems", "diagrams",
                  "asset_vlans", "security_alerts", "cve_catalog", "exploitdb_cves"):
        assert loaded[table] > 0, table


def test_every_incident_status_and_breaches_are_read_back(any_url: str) -> None:
    assert main(["demo", "--url", any_url]) == 0
    with connect(any_url) as db:
        overviews, loaded = run_demo(db)
        acme = next(t for t in TENANTS if t.slug == "acme-industries")
        tenant_id = db.get_value("SELECT id FROM tenants WHERE slug = :s", s=acme.slug,
                                 type=uuid.UUID)
        with db.tenant(tenant_id) as tx:
            statuses = {v.incident.status for v in IncidentService(tx).page(DEMO_NOW).items}
    assert loaded == []
    assert statuses == INCIDENT_STATUSES
    by_slug = {o.slug: o for o in overviews}
    acme_view = by_slug["acme-industries"]
    assert [v.incident.priority for v in acme_view.incidents] == \
        sorted(v.incident.priority or "" for v in acme_view.incidents)
    assert any(v.breach.response for v in acme_view.incidents)
    assert any(v.breach.resolve for v in acme_view.incidents)
    assert any(not v.breach.any for v in acme_view.incidents)
    scores = [r.cvss_score or 0 for r in acme_view.risks]
    assert len(acme_view.risks) == 5 and scores == sorted(scores, reverse=True)
    assert {s.site_name: s.assets for s in acme_view.sites} == {
        "Antwerp Packaging": 4, "Rotterdam Plant": 14, "Utrecht Head Office": 2}


def test_demos_started_together_load_everything_once(any_url: str) -> None:
    """Each tenant is loaded by exactly one of four concurrent runs; none fails."""
    from tests.support.threads import at_once

    assert main(["db", "migrate", "--url", any_url]) == 0

    def one() -> list[str]:
        with connect(any_url) as db:
            return run_demo(db)[1]

    results, errors = at_once(4, one)
    assert errors == []
    assert sorted(slug for loaded in results for slug in loaded) == sorted(
        t.slug for t in TENANTS)
    loaded = counts(any_url)
    with connect(any_url) as db:
        assert run_demo(db)[1] == []
    assert counts(any_url) == loaded
