"""ITSM rules on real SQLite and PostgreSQL: lifecycle, priority, SLA, breaches, refusals."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from monozu.db import Database, NotFound
from monozu.db.models import Incident
from monozu.domain.audit import Actor, AuditRepository
from monozu.domain.cmdb import AssetSpec, CmdbService
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.itsm import (
    INCIDENT_MOVES,
    INCIDENT_STATUSES,
    ChangeService,
    IncidentService,
    ItsmRepository,
    KnowledgeService,
    ProblemService,
)
from tests.domain.conftest import add_tenant, table_rows

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def add_user(db: Database, tenant: uuid.UUID, email: str) -> uuid.UUID:
    user_id = uuid.uuid4()
    db.exec("INSERT INTO users (id, tenant_id, email, mfa_enabled, created_at) "
            "VALUES (:id, :t, :email, :mfa, :at)", id=user_id, t=tenant, email=email,
            mfa=False, at=T0)
    return user_id


def clock_at(start: datetime) -> tuple[Callable[[], datetime], list[datetime]]:
    now = [start]
    return (lambda: now[0]), now


def settings(db: Database, tenant: uuid.UUID) -> None:
    with db.tenant(tenant) as tx:
        svc = IncidentService(tx)
        svc.set_priority("critical", "high", "high", "P1")
        svc.set_priority("high", "medium", "medium", "P2")
        svc.set_priority("low", "low", "low", "P4")
        svc.set_sla("P1", 15, 240)
        svc.set_sla("P2", 60, 480)


def test_priority_and_sla_come_from_the_tenant(db: Database) -> None:
    a = add_tenant(db, "acme")
    settings(db, a)
    with db.tenant(a) as tx:
        svc = IncidentService(tx, clock=lambda: T0)
        p1 = svc.create("Line 3 PLC down", "critical", "high", "high")
        p4 = svc.create("Label printer jam", "low", "low", "low")
        with pytest.raises(ValidationError, match="priority matrix has no cell"):
            svc.create("Unmapped", "medium", "low", "high")
        with pytest.raises(ValidationError, match="severity"):
            svc.create("Bad", "catastrophic", "high", "high")
        assert len(svc.page(T0).items) == 2
    assert (p1.priority, p1.sla_response_due, p1.sla_resolve_due) == \
        ("P1", T0 + timedelta(minutes=15), T0 + timedelta(hours=4))
    assert (p4.priority, p4.sla_response_due, p4.sla_resolve_due) == ("P4", None, None)


def test_lifecycle_writes_timeline_audit_and_breach_flags(db: Database) -> None:
    a = add_tenant(db, "acme")
    settings(db, a)
    alice = add_user(db, a, "alice@acme.test")
    clock, now = clock_at(T0)
    with db.tenant(a) as tx:
        svc = IncidentService(tx, Actor(alice), clock=clock)
        inc = svc.create("Line 3 PLC down", "critical", "high", "high")
        assert not svc.get(inc.id, T0 + timedelta(minutes=10)).breach.any
        assert svc.get(inc.id, T0 + timedelta(minutes=16)).breach.response
        now[0] = T0 + timedelta(minutes=20)   # late first response
        svc.transition(inc.id, "in_progress", assigned_to=alice)
        now[0] += timedelta(minutes=1)
        svc.transition(inc.id, "pending")
        now[0] += timedelta(minutes=1)
        svc.transition(inc.id, "in_progress")
        now[0] = T0 + timedelta(hours=2)      # resolved in time
        svc.transition(inc.id, "resolved", resolution_note="Replaced the power supply")
        now[0] += timedelta(minutes=1)
        svc.transition(inc.id, "closed")
        view = svc.get(inc.id, T0 + timedelta(days=3))
        events = svc.timeline(inc.id)
        audit = AuditRepository(tx).for_resource("incident", inc.id)
    assert (view.breach.response, view.breach.resolve) == (True, False)
    assert view.incident.resolution_note == "Replaced the power supply"
    assert view.incident.closed_at == T0 + timedelta(hours=2, minutes=1)
    assert [(e.old_value, e.new_value) for e in events if e.event_type == "status_change"] == [
        ("open", "in_progress"), ("in_progress", "pending"), ("pending", "in_progress"),
        ("in_progress", "resolved"), ("resolved", "closed")]
    assert all(e.actor_id == alice for e in events)
    assert [r.action for r in audit] == ["incident.created"] + ["incident.status_changed"] * 5


PATHS = {"open": [], "in_progress": ["in_progress"], "pending": ["in_progress", "pending"],
         "resolved": ["in_progress", "resolved"], "closed": ["in_progress", "resolved", "closed"],
         "cancelled": ["cancelled"]}


def test_every_move_outside_the_lifecycle_is_refused(db: Database) -> None:
    a = add_tenant(db, "acme")
    settings(db, a)
    refused = []
    with db.tenant(a) as tx:
        svc = IncidentService(tx, clock=lambda: T0)
        for old in sorted(INCIDENT_STATUSES):
            for new in sorted(INCIDENT_STATUSES):
                inc = svc.create(f"{old} -> {new}", "low", "low", "low")
                for step in PATHS[old]:
                    svc.transition(inc.id, step)
                if new in INCIDENT_MOVES[old]:
                    assert svc.transition(inc.id, new).status == new
                    continue
                before = len(AuditRepository(tx).for_resource("incident", inc.id))
                with pytest.raises(InvalidTransition):
                    svc.transition(inc.id, new)
                refused.append((old, new))
                assert svc.get(inc.id, T0).incident.status == old
                assert len(AuditRepository(tx).for_resource("incident", inc.id)) == before
                assert len(svc.timeline(inc.id)) == 1 + len(PATHS[old])
    assert len(refused) == 36 - 7


def test_other_tenant_incidents_and_users_are_missing(db: Database) -> None:
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    settings(db, a)
    settings(db, b)
    alice = add_user(db, a, "alice@acme.test")
    bob = add_user(db, b, "bob@globex.test")
    with db.tenant(a) as tx:
        inc = IncidentService(tx).create("A's incident", "low", "low", "low")
        problem = ProblemService(tx).create("A's problem")
    with db.tenant(b) as tx:
        svc = IncidentService(tx, Actor(bob))
        mine = svc.create("B's incident", "low", "low", "low")
        for call in (lambda: svc.transition(inc.id, "in_progress"),
                     lambda: svc.comment(inc.id, "hello"), lambda: svc.timeline(inc.id),
                     lambda: svc.get(inc.id, T0), lambda: svc.assign(mine.id, alice),
                     lambda: svc.comment(mine.id, "hi", [alice]),
                     lambda: ProblemService(tx).transition(problem.id, "investigating"),
                     lambda: KnowledgeService(tx).for_problem(problem.id)):
            with pytest.raises(NotFound):
                call()
        assert [v.incident.title for v in svc.page(T0).items] == ["B's incident"]
        assert svc.comments(mine.id) == []
    with db.tenant(a) as tx:
        assert IncidentService(tx).get(inc.id, T0).incident.status == "open"


def test_comments_need_an_author_and_bounded_text(db: Database) -> None:
    a = add_tenant(db, "acme")
    settings(db, a)
    alice, carol = add_user(db, a, "alice@acme.test"), add_user(db, a, "carol@acme.test")
    with db.tenant(a) as tx:
        inc = IncidentService(tx).create("x", "low", "low", "low")
        with pytest.raises(ValidationError, match="author"):
            IncidentService(tx).comment(inc.id, "anonymous")
        svc = IncidentService(tx, Actor(alice))
        with pytest.raises(ValidationError, match="at most 20000"):
            svc.comment(inc.id, "x" * 20_001)
        svc.comment(inc.id, "@carol please check the HMI", [carol])
        [comment] = svc.comments(inc.id)
    assert (comment.author_id, comment.mentions) == (alice, [str(carol)])


def test_incident_list_filters_and_pages(db: Database) -> None:
    a = add_tenant(db, "acme")
    settings(db, a)
    clock, now = clock_at(T0)
    with db.tenant(a) as tx:
        svc = IncidentService(tx, clock=clock)
        for i in range(5):
            now[0] = T0 + timedelta(minutes=i)
            svc.create(f"Pump {i} vibration", "high", "medium", "medium")
        now[0] = T0 + timedelta(minutes=9)
        svc.create("Firewall_rule review", "critical", "high", "high")
        later = T0 + timedelta(days=1)
        seen, cursor = [], None
        while True:
            page = svc.page(later, severities=["high"], limit=2, cursor=cursor)
            seen += [v.incident.title for v in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == [f"Pump {i} vibration" for i in reversed(range(5))]
        assert [v.incident.title for v in svc.page(later, text="RULE").items] == \
            ["Firewall_rule review"]
        assert svc.page(later, text="pump_").items == []
        assert svc.page(later, statuses=["closed"]).items == []
        assert all(v.breach.any for v in svc.page(later).items if v.incident.priority != "P4")
        assert svc.mark_breaches(later) == (6, 6)
        assert svc.mark_breaches(later) == (0, 0)
        with pytest.raises(ValidationError, match="status"):
            svc.page(later, statuses=["escalated"])


def test_incidents_at_a_site_and_of_an_asset_are_filtered_by_them(db: Database) -> None:
    a, b = add_tenant(db, "acme"), add_tenant(db, "globex")
    settings(db, a)
    with db.tenant(b) as tx:
        cmdb = CmdbService(tx)
        their_site = cmdb.create_site("Globex DC")
        their_asset = cmdb.create_asset(AssetSpec("DC-FW", "firewall", their_site.id)).id
    with db.tenant(a) as tx:
        cmdb = CmdbService(tx)
        plant, office = cmdb.create_site("Plant"), cmdb.create_site("Office")
        plc = cmdb.create_asset(AssetSpec("PLC-1", "plc", plant.id)).id
        svc = IncidentService(tx, clock=lambda: T0)
        on_plc = svc.create("PLC fault", "low", "low", "low", asset_id=plc)
        at_office = svc.create("Printer", "low", "low", "low", site_id=office.id)
        svc.create("Somewhere", "low", "low", "low")
        assert (on_plc.site_id, on_plc.asset_id) == (plant.id, plc)  # the asset's site
        assert svc.get(on_plc.id, T0).incident.asset_id == plc

        def titles(**filters: uuid.UUID) -> list[str]:
            return [v.incident.title for v in svc.page(T0, **filters).items]
        assert titles(site_id=plant.id) == ["PLC fault"]
        assert titles(site_id=office.id) == [at_office.title]
        assert titles(asset_id=plc) == ["PLC fault"]
        assert titles(site_id=office.id, asset_id=plc) == []
        assert len(titles()) == 3
    before = table_rows(db, "incidents", "incident_timeline_events", "audit_logs")
    with db.tenant(a) as tx:  # refusals in a unit of work that then commits
        svc = IncidentService(tx, clock=lambda: T0)
        for call, error, message in (
                (lambda: svc.create("x", "low", "low", "low", site_id=their_site.id),
                 NotFound, f"site {their_site.id} not found"),
                (lambda: svc.create("x", "low", "low", "low", asset_id=their_asset),
                 NotFound, f"asset {their_asset} not found"),
                (lambda: svc.create("x", "low", "low", "low", asset_id=uuid.uuid4()),
                 NotFound, "asset .* not found"),
                (lambda: svc.create("x", "low", "low", "low", site_id=office.id, asset_id=plc),
                 ValidationError, f"asset {plc} is not at site {office.id}"),
                (lambda: svc.page(T0, site_id=their_site.id), NotFound, "site .* not found"),
                (lambda: svc.page(T0, asset_id=their_asset), NotFound, "asset .* not found")):
            with pytest.raises(error, match=f"^{message}$"):
                call()
    assert table_rows(db, "incidents", "incident_timeline_events", "audit_logs") == before


def test_problems_changes_and_knowledge(db: Database) -> None:
    a = add_tenant(db, "acme")
    with db.tenant(a) as tx:
        problems, changes, kb = ProblemService(tx), ChangeService(tx), KnowledgeService(tx)
        problem = problems.create("Recurring PLC faults on line 3")
        problems.transition(problem.id, "investigating")
        with pytest.raises(ValidationError, match="root cause"):
            problems.transition(problem.id, "known_error")
        problems.transition(problem.id, "known_error", root_cause="Undersized PSU")
        with pytest.raises(InvalidTransition):
            problems.transition(problem.id, "open")
        std = changes.create("Rotate switch logs", "standard")
        with pytest.raises(ValidationError, match="risk"):
            changes.create("Replace PSU", "emergency")
        em = changes.create("Replace PSU", "emergency", "high")
        changes.transition(em.id, "approved")
        changes.transition(em.id, "implemented")
        with pytest.raises(InvalidTransition):
            changes.transition(std.id, "requested")
        with pytest.raises(ValidationError, match="change type"):
            changes.create("x", "urgent", "low")
        article = kb.create("PSU replacement runbook", "1. Isolate the cabinet ...")
        kb.link_problem(article.id, problem.id)
        kb.link_problem(article.id, problem.id)
        assert [x.title for x in kb.for_problem(problem.id)] == ["PSU replacement runbook"]
        assert [p.status for p in kb.problems_of(article.id)] == ["known_error"]
        kb.unlink_problem(article.id, problem.id)
        assert kb.for_problem(problem.id) == []
        assert (std.status, changes.get(em.id).status) == ("approved", "implemented")
        assert [c.title for c in changes.by_status(["approved"])] == ["Rotate switch logs"]
        assert [p.title for p in problems.by_status(["known_error"])] == [problem.title]


def test_a_link_made_by_a_concurrent_call_changes_nothing(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    a = add_tenant(db, "acme")
    with db.tenant(a) as tx:
        kb = KnowledgeService(tx)
        problem = ProblemService(tx).create("Recurring PLC faults on line 3")
        article = kb.create("PSU replacement runbook", "1. Isolate the cabinet ...")
        kb.link_problem(article.id, problem.id)
    # another call linked the pair between this call's check and its write
    monkeypatch.setattr(ItsmRepository, "has_problem_link", lambda *_args: False)
    with db.tenant(a) as tx:
        kb = KnowledgeService(tx)
        kb.link_problem(article.id, problem.id)
        # the unit of work goes on: only the failed call's savepoint was undone
        assert [x.id for x in kb.for_problem(problem.id)] == [article.id]
        audit = AuditRepository(tx).for_resource("knowledge_article", article.id)
    assert [r.action for r in audit].count("knowledge.problem_linked") == 1


def read_before(monkeypatch: pytest.MonkeyPatch, getter: str, snapshot: object) -> None:
    """The call's first read of the row returns ``snapshot``: what it was before a
    concurrent unit of work changed it (on PostgreSQL that order happens; on SQLite a unit
    of work holds the write lock, so it is staged)."""
    real = getattr(ItsmRepository, getter)
    reads: list[bool] = []

    def stale(repo: ItsmRepository, row_id: uuid.UUID) -> object:
        if not reads:
            reads.append(True)
            return copy.copy(snapshot)  # the service changes what it reads
        return real(repo, row_id)

    monkeypatch.setattr(ItsmRepository, getter, stale)


def an_open_incident(db: Database) -> tuple[uuid.UUID, uuid.UUID, Incident]:
    """A tenant with its SLA settings, a user, and a critical incident: (tenant, user, it)."""
    a = add_tenant(db, "acme")
    settings(db, a)
    alice = add_user(db, a, "alice@acme.test")
    with db.tenant(a) as tx:
        incident = IncidentService(tx, clock=lambda: T0).create("PLC down", "critical",
                                                                 "high", "high")
    return a, alice, incident


TRAILS = ("incidents", "incident_timeline_events", "problems", "changes", "audit_logs")


def test_a_move_lost_to_a_concurrent_one_is_refused(db: Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a, alice, incident = an_open_incident(db)
    with db.tenant(a) as tx:
        problem = ProblemService(tx).create("Recurring PLC faults")
        change = ChangeService(tx).create("Replace PSU", "emergency", "high")
    with db.tenant(a) as tx:  # the concurrent moves, committed
        IncidentService(tx, clock=lambda: T0).transition(incident.id, "cancelled")
        ProblemService(tx).transition(problem.id, "investigating")
        ChangeService(tx).transition(change.id, "rejected")
    before = table_rows(db, *TRAILS)
    for getter, snapshot, call, match in (
            ("incident", incident,
             lambda tx: IncidentService(tx, clock=lambda: T0).transition(incident.id,
                                                                          "in_progress"),
             "'cancelled' to 'in_progress'"),
            ("incident", incident,
             lambda tx: IncidentService(tx, clock=lambda: T0).assign(incident.id, alice),
             "a cancelled incident cannot be reassigned"),
            ("problem", problem,
             lambda tx: ProblemService(tx).transition(problem.id, "closed"),
             "'investigating' to 'closed'"),
            ("change", change,
             lambda tx: ChangeService(tx).transition(change.id, "approved"),
             "'rejected' to 'approved'")):
        with monkeypatch.context() as patch:
            read_before(patch, getter, snapshot)
            with db.tenant(a) as tx, pytest.raises((InvalidTransition, ValidationError),
                                                   match=match):
                call(tx)
    assert table_rows(db, *TRAILS) == before


def test_a_move_keeps_an_assignment_made_by_a_concurrent_call(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    a, alice, incident = an_open_incident(db)
    with db.tenant(a) as tx:  # the concurrent assignment, committed
        IncidentService(tx, clock=lambda: T0).assign(incident.id, alice)
    read_before(monkeypatch, "incident", incident)
    with db.tenant(a) as tx:
        IncidentService(tx, clock=lambda: T0).transition(incident.id, "in_progress")
    monkeypatch.undo()
    with db.tenant(a) as tx:
        now = IncidentService(tx, clock=lambda: T0).get(incident.id, T0)
    assert (now.incident.status, now.incident.assigned_to) == ("in_progress", alice)
