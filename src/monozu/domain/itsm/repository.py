"""ITSM SQL on one tenant's unit of work (statements in ``queries.sql``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from monozu.db.models import (
    Change,
    Incident,
    IncidentComment,
    IncidentTimelineEvent,
    KnowledgeArticle,
    PriorityMatrixEntry,
    Problem,
    SlaPolicy,
)
from monozu.db.queries import Queries, load
from monozu.domain.common import Repository

QUERIES: Queries = load("monozu.domain.itsm")

_INCIDENT_MUTABLE = ("status", "assigned_to", "sla_response_breached", "sla_resolve_breached",
                     "resolution_note", "resolved_at", "closed_at")


class ItsmRepository(Repository):
    QUERIES = QUERIES

    # incidents
    def insert_incident(self, i: Incident) -> None:
        self.run("insert_incident", id=i.id, title=i.title, severity=i.severity,
                 sla_response_due=i.sla_response_due, sla_resolve_due=i.sla_resolve_due,
                 created_at=i.created_at, impact=i.impact, urgency=i.urgency,
                 priority=i.priority, **{f: getattr(i, f) for f in _INCIDENT_MUTABLE})

    def update_incident(self, i: Incident) -> None:
        self.run("update_incident", id=i.id, **{f: getattr(i, f) for f in _INCIDENT_MUTABLE})

    def incident(self, incident_id: uuid.UUID) -> Incident:
        return self.one(Incident, "get_incident", "incident", id=incident_id)

    def incident_page(self, *, statuses: list[str], severities: list[str], pattern: str,
                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Incident]:
        params: dict[str, object] = {"statuses": statuses, "severities": severities,
                                     "pattern": pattern, "limit": limit}
        if after is None:
            return self.rows(Incident, "list_incidents", **params)
        return self.rows(Incident, "list_incidents_after", after_created_at=after[0],
                         after_id=after[1], **params)

    def incidents_by_priority(self, statuses: list[str]) -> list[Incident]:
        return self.rows(Incident, "list_incidents_by_priority", statuses=statuses)

    def mark_breaches(self, now: datetime, active: list[str]) -> tuple[int, int]:
        flags = {"breached": True, "not_breached": False, "now": now}
        return (self.run("mark_response_breaches", **flags),
                self.run("mark_resolve_breaches", statuses=active, **flags))

    def user_exists(self, user_id: uuid.UUID) -> bool:
        return self.exists("user_exists", id=user_id)

    # priority matrix and SLA policies
    def priority_for(self, severity: str, impact: str, urgency: str) -> str | None:
        found = self.rows(str, "priority_for", severity=severity, impact=impact, urgency=urgency)
        return found[0] if found else None

    def set_priority(self, severity: str, impact: str, urgency: str, priority: str) -> None:
        cell = {"severity": severity, "impact": impact, "urgency": urgency, "priority": priority}
        if not self.run("update_priority", **cell):
            self.run("insert_priority", **cell)

    def priority_matrix(self) -> list[PriorityMatrixEntry]:
        return self.rows(PriorityMatrixEntry, "list_priority_matrix")

    def sla_for(self, priority: str) -> SlaPolicy | None:
        found = self.rows(SlaPolicy, "sla_for", priority=priority)
        return found[0] if found else None

    def set_sla(self, priority: str, response_minutes: int, resolve_minutes: int) -> None:
        times = {"priority": priority, "response_minutes": response_minutes,
                 "resolve_minutes": resolve_minutes}
        if not self.run("update_sla_policy", **times):
            self.run("insert_sla_policy", **times)

    def sla_policies(self) -> list[SlaPolicy]:
        return self.rows(SlaPolicy, "list_sla_policies")

    # timeline and comments
    def insert_event(self, e: IncidentTimelineEvent) -> None:
        self.run("insert_timeline_event", id=e.id, incident_id=e.incident_id,
                 event_type=e.event_type, old_value=e.old_value, new_value=e.new_value,
                 actor_id=e.actor_id, created_at=e.created_at)

    def timeline(self, incident_id: uuid.UUID) -> list[IncidentTimelineEvent]:
        return self.rows(IncidentTimelineEvent, "list_timeline", incident_id=incident_id)

    def insert_comment(self, c: IncidentComment) -> None:
        self.run("insert_comment", id=c.id, incident_id=c.incident_id, author_id=c.author_id,
                 body=c.body, mentions=c.mentions, created_at=c.created_at)

    def comments(self, incident_id: uuid.UUID) -> list[IncidentComment]:
        return self.rows(IncidentComment, "list_comments", incident_id=incident_id)

    # problems and changes
    def insert_problem(self, p: Problem) -> None:
        self.run("insert_problem", id=p.id, title=p.title, status=p.status,
                 root_cause=p.root_cause, created_at=p.created_at)

    def update_problem(self, p: Problem) -> None:
        self.run("update_problem", id=p.id, status=p.status, root_cause=p.root_cause)

    def problem(self, problem_id: uuid.UUID) -> Problem:
        return self.one(Problem, "get_problem", "problem", id=problem_id)

    def problems(self, statuses: list[str]) -> list[Problem]:
        return self.rows(Problem, "list_problems", statuses=statuses)

    def insert_change(self, c: Change) -> None:
        self.run("insert_change", id=c.id, title=c.title, status=c.status, type=c.type,
                 risk=c.risk, created_at=c.created_at)

    def update_change(self, c: Change) -> None:
        self.run("update_change", id=c.id, status=c.status)

    def change(self, change_id: uuid.UUID) -> Change:
        return self.one(Change, "get_change", "change", id=change_id)

    def changes(self, statuses: list[str]) -> list[Change]:
        return self.rows(Change, "list_changes", statuses=statuses)

    # knowledge
    def insert_article(self, a: KnowledgeArticle) -> None:
        self.run("insert_article", id=a.id, title=a.title, body=a.body, created_at=a.created_at)

    def update_article(self, a: KnowledgeArticle) -> None:
        self.run("update_article", id=a.id, title=a.title, body=a.body)

    def article(self, article_id: uuid.UUID) -> KnowledgeArticle:
        return self.one(KnowledgeArticle, "get_article", "knowledge article", id=article_id)

    def has_problem_link(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> bool:
        return self.exists("article_problem_exists", article_id=article_id,
                           problem_id=problem_id)

    def link_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> None:
        self.run("insert_article_problem", article_id=article_id, problem_id=problem_id)

    def unlink_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> int:
        return self.run("delete_article_problem", article_id=article_id, problem_id=problem_id)

    def articles_for(self, problem_id: uuid.UUID) -> list[KnowledgeArticle]:
        return self.rows(KnowledgeArticle, "articles_for_problem", problem_id=problem_id)

    def problems_for(self, article_id: uuid.UUID) -> list[Problem]:
        return self.rows(Problem, "problems_for_article", article_id=article_id)
