"""ITSM SQL on one tenant's unit of work: the typed statements of ``queries.sql``."""

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
from monozu.db.queries import QueryFile, many, optional, rowcount, value
from monozu.domain.common import NO_ID, Repository, found


class ItsmQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_incident = rowcount()
    get_incident = optional(Incident)
    update_incident = rowcount()
    assign_incident = rowcount()
    list_incidents = many(Incident)
    list_incidents_after = many(Incident)
    list_incidents_by_priority = many(Incident)
    mark_response_breaches = rowcount()
    mark_resolve_breaches = rowcount()
    user_exists = value(int)
    site_exists = value(int)
    asset_site = optional(uuid.UUID)
    priority_for = optional(str)
    upsert_priority = rowcount()
    list_priority_matrix = many(PriorityMatrixEntry)
    sla_for = optional(SlaPolicy)
    list_sla_policies = many(SlaPolicy)
    upsert_sla_policy = rowcount()
    insert_timeline_event = rowcount()
    list_timeline = many(IncidentTimelineEvent)
    insert_comment = rowcount()
    list_comments = many(IncidentComment)
    insert_problem = rowcount()
    get_problem = optional(Problem)
    update_problem = rowcount()
    list_problems = many(Problem)
    insert_change = rowcount()
    get_change = optional(Change)
    update_change = rowcount()
    list_changes = many(Change)
    insert_article = rowcount()
    get_article = optional(KnowledgeArticle)
    update_article = rowcount()
    article_problem_exists = value(int)
    insert_article_problem = rowcount()
    delete_article_problem = rowcount()
    articles_for_problem = many(KnowledgeArticle)
    problems_for_article = many(Problem)


QUERIES = ItsmQueries("monozu.domain.itsm")

_INCIDENT_FIXED = ("title", "severity", "sla_response_due", "sla_resolve_due", "created_at",
                   "impact", "urgency", "priority", "site_id", "asset_id")
_INCIDENT_MUTABLE = ("status", "assigned_to", "sla_response_breached", "sla_resolve_breached",
                     "resolution_note", "resolved_at", "closed_at")


class ItsmRepository(Repository):
    # incidents
    def insert_incident(self, i: Incident) -> None:
        QUERIES.insert_incident(self.tx, tenant_id=self.tenant_id, id=i.id,
                                **{f: getattr(i, f)
                                   for f in (*_INCIDENT_FIXED, *_INCIDENT_MUTABLE)})

    def update_incident(self, i: Incident, *, was: str, assignee: uuid.UUID | None) -> int:
        """Move ``i`` from status ``was`` (0 rows: a concurrent call moved it first); the
        assignee changes only to ``assignee``, when given."""
        fields = {f: getattr(i, f) for f in _INCIDENT_MUTABLE}
        fields["assigned_to"] = assignee
        return QUERIES.update_incident(self.tx, tenant_id=self.tenant_id, id=i.id, was=was,
                                       **fields)

    def assign_incident(self, incident_id: uuid.UUID, user_id: uuid.UUID,
                        active: list[str]) -> int:
        """Assign the incident while its status is one of ``active`` (else 0 rows)."""
        return QUERIES.assign_incident(self.tx, tenant_id=self.tenant_id, id=incident_id,
                                       assigned_to=user_id, active=active)

    def incident(self, incident_id: uuid.UUID) -> Incident:
        return found(QUERIES.get_incident(self.tx, tenant_id=self.tenant_id, id=incident_id),
                     "incident", incident_id)

    def incident_page(self, *, statuses: list[str], severities: list[str],
                      site_id: uuid.UUID | None, asset_id: uuid.UUID | None, pattern: str,
                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Incident]:
        """A page of the list; a ``None`` site or asset does not filter."""
        params: dict[str, object] = {
            "tenant_id": self.tenant_id, "statuses": statuses, "severities": severities,
            "any_site": int(site_id is None), "site_id": site_id or NO_ID,
            "any_asset": int(asset_id is None), "asset_id": asset_id or NO_ID,
            "pattern": pattern, "limit": limit}
        if after is None:
            return QUERIES.list_incidents(self.tx, **params)
        return QUERIES.list_incidents_after(self.tx, after_created_at=after[0],
                                            after_id=after[1], **params)

    def incidents_by_priority(self, statuses: list[str]) -> list[Incident]:
        return QUERIES.list_incidents_by_priority(self.tx, tenant_id=self.tenant_id,
                                                  statuses=statuses)

    def mark_breaches(self, now: datetime, active: list[str]) -> tuple[int, int]:
        flags = {"tenant_id": self.tenant_id, "breached": True, "not_breached": False,
                 "now": now}
        return (QUERIES.mark_response_breaches(self.tx, **flags),
                QUERIES.mark_resolve_breaches(self.tx, statuses=active, **flags))

    def user_exists(self, user_id: uuid.UUID) -> bool:
        return QUERIES.user_exists(self.tx, tenant_id=self.tenant_id, id=user_id) > 0

    def site_exists(self, site_id: uuid.UUID) -> bool:
        return QUERIES.site_exists(self.tx, tenant_id=self.tenant_id, id=site_id) > 0

    def asset_site(self, asset_id: uuid.UUID) -> uuid.UUID:
        """The site of one of the tenant's assets (:class:`NotFound` for any other id)."""
        return found(QUERIES.asset_site(self.tx, tenant_id=self.tenant_id, id=asset_id),
                     "asset", asset_id)

    # priority matrix and SLA policies
    def priority_for(self, severity: str, impact: str, urgency: str) -> str | None:
        return QUERIES.priority_for(self.tx, tenant_id=self.tenant_id, severity=severity,
                                    impact=impact, urgency=urgency)

    def set_priority(self, severity: str, impact: str, urgency: str, priority: str) -> None:
        QUERIES.upsert_priority(self.tx, tenant_id=self.tenant_id, severity=severity,
                                impact=impact, urgency=urgency, priority=priority)

    def priority_matrix(self) -> list[PriorityMatrixEntry]:
        return QUERIES.list_priority_matrix(self.tx, tenant_id=self.tenant_id)

    def sla_for(self, priority: str) -> SlaPolicy | None:
        return QUERIES.sla_for(self.tx, tenant_id=self.tenant_id, priority=priority)

    def set_sla(self, priority: str, response_minutes: int, resolve_minutes: int) -> None:
        QUERIES.upsert_sla_policy(self.tx, tenant_id=self.tenant_id, priority=priority,
                                  response_minutes=response_minutes,
                                  resolve_minutes=resolve_minutes)

    def sla_policies(self) -> list[SlaPolicy]:
        return QUERIES.list_sla_policies(self.tx, tenant_id=self.tenant_id)

    # timeline and comments
    def insert_event(self, e: IncidentTimelineEvent) -> None:
        QUERIES.insert_timeline_event(self.tx, tenant_id=self.tenant_id, id=e.id,
                                      incident_id=e.incident_id, event_type=e.event_type,
                                      old_value=e.old_value, new_value=e.new_value,
                                      actor_id=e.actor_id, created_at=e.created_at)

    def timeline(self, incident_id: uuid.UUID) -> list[IncidentTimelineEvent]:
        return QUERIES.list_timeline(self.tx, tenant_id=self.tenant_id, incident_id=incident_id)

    def insert_comment(self, c: IncidentComment) -> None:
        QUERIES.insert_comment(self.tx, tenant_id=self.tenant_id, id=c.id,
                               incident_id=c.incident_id, author_id=c.author_id, body=c.body,
                               mentions=c.mentions, created_at=c.created_at)

    def comments(self, incident_id: uuid.UUID) -> list[IncidentComment]:
        return QUERIES.list_comments(self.tx, tenant_id=self.tenant_id, incident_id=incident_id)

    # problems and changes
    def insert_problem(self, p: Problem) -> None:
        QUERIES.insert_problem(self.tx, tenant_id=self.tenant_id, id=p.id, title=p.title,
                               status=p.status, root_cause=p.root_cause,
                               created_at=p.created_at)

    def update_problem(self, p: Problem, *, was: str) -> int:
        return QUERIES.update_problem(self.tx, tenant_id=self.tenant_id, id=p.id,
                                      status=p.status, root_cause=p.root_cause, was=was)

    def problem(self, problem_id: uuid.UUID) -> Problem:
        return found(QUERIES.get_problem(self.tx, tenant_id=self.tenant_id, id=problem_id),
                     "problem", problem_id)

    def problems(self, statuses: list[str]) -> list[Problem]:
        return QUERIES.list_problems(self.tx, tenant_id=self.tenant_id, statuses=statuses)

    def insert_change(self, c: Change) -> None:
        QUERIES.insert_change(self.tx, tenant_id=self.tenant_id, id=c.id, title=c.title,
                              status=c.status, type=c.type, risk=c.risk,
                              created_at=c.created_at)

    def update_change(self, c: Change, *, was: str) -> int:
        return QUERIES.update_change(self.tx, tenant_id=self.tenant_id, id=c.id,
                                     status=c.status, was=was)

    def change(self, change_id: uuid.UUID) -> Change:
        return found(QUERIES.get_change(self.tx, tenant_id=self.tenant_id, id=change_id),
                     "change", change_id)

    def changes(self, statuses: list[str]) -> list[Change]:
        return QUERIES.list_changes(self.tx, tenant_id=self.tenant_id, statuses=statuses)

    # knowledge
    def insert_article(self, a: KnowledgeArticle) -> None:
        QUERIES.insert_article(self.tx, tenant_id=self.tenant_id, id=a.id, title=a.title,
                               body=a.body, created_at=a.created_at)

    def update_article(self, a: KnowledgeArticle) -> None:
        QUERIES.update_article(self.tx, tenant_id=self.tenant_id, id=a.id, title=a.title,
                               body=a.body)

    def article(self, article_id: uuid.UUID) -> KnowledgeArticle:
        return found(QUERIES.get_article(self.tx, tenant_id=self.tenant_id, id=article_id),
                     "knowledge article", article_id)

    def has_problem_link(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> bool:
        return QUERIES.article_problem_exists(self.tx, tenant_id=self.tenant_id,
                                              article_id=article_id, problem_id=problem_id) > 0

    def link_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> None:
        QUERIES.insert_article_problem(self.tx, tenant_id=self.tenant_id,
                                       article_id=article_id, problem_id=problem_id)

    def unlink_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> int:
        return QUERIES.delete_article_problem(self.tx, tenant_id=self.tenant_id,
                                              article_id=article_id, problem_id=problem_id)

    def articles_for(self, problem_id: uuid.UUID) -> list[KnowledgeArticle]:
        return QUERIES.articles_for_problem(self.tx, tenant_id=self.tenant_id,
                                            problem_id=problem_id)

    def problems_for(self, article_id: uuid.UUID) -> list[Problem]:
        return QUERIES.problems_for_article(self.tx, tenant_id=self.tenant_id,
                                            article_id=article_id)
