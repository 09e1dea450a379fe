"""ITSM rules: the incident lifecycle with priority and SLA, problems, changes, knowledge.

Incidents: ``open`` -> ``in_progress`` <-> ``pending`` -> ``resolved`` -> ``closed``
(``in_progress`` may resolve directly) and ``open`` -> ``cancelled``; any other move is
:class:`InvalidTransition`. Priority comes from the tenant's priority matrix cell
(severity, impact, urgency) and fixes, at creation, the SLA deadlines of the tenant's
policy for that priority. Every status change writes a ``status_change`` timeline event
and stores the breach flags as they stand at that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from monozu.db import ForeignKeyViolation, NotFound, UniqueViolation
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
from monozu.domain.audit.repository import unknown_actor
from monozu.domain.common import (
    Service,
    check_ids,
    check_move,
    choice,
    choices,
    keyset,
    like_pattern,
    new_id,
)
from monozu.domain.errors import InvalidTransition, ValidationError, check_text
from monozu.domain.itsm.repository import ItsmRepository
from monozu.domain.itsm.types import (
    ACTIVE_INCIDENT,
    CHANGE_MOVES,
    CHANGE_RISKS,
    CHANGE_STATUSES,
    CHANGE_TYPES,
    IMPACTS,
    INCIDENT_MOVES,
    INCIDENT_STATUSES,
    PROBLEM_MOVES,
    PROBLEM_STATUSES,
    SEVERITIES,
    URGENCIES,
    IncidentView,
    breach_at,
)
from monozu.domain.paging import Page, page_size, paginate

TITLE_MAX = 500
BODY_MAX = 20_000


def _minutes(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 525_600:
        raise ValidationError(f"{field} must be a whole number of minutes from 1 to 525600")
    return value


class _ItsmService(Service):
    @property
    def repo(self) -> ItsmRepository:
        return ItsmRepository(self.tx)


class IncidentService(_ItsmService):
    """Incidents of the unit of work's tenant, and the settings that prioritise them."""

    # -- settings ---------------------------------------------------------------
    def set_priority(self, severity: str, impact: str, urgency: str, priority: str) -> None:
        """Set one cell of the priority matrix."""
        cell = (choice("severity", severity, SEVERITIES), choice("impact", impact, IMPACTS),
                choice("urgency", urgency, URGENCIES))
        value = check_text("priority", priority, max_length=20)
        with self.change():
            self.repo.set_priority(*cell, value)
            self.audit("priority_matrix.updated", "priority_matrix", "/".join(cell),
                       priority=value)

    def set_sla(self, priority: str, response_minutes: int, resolve_minutes: int) -> None:
        """Set the response and resolve times of one priority."""
        value = check_text("priority", priority, max_length=20)
        response = _minutes("response_minutes", response_minutes)
        resolve = _minutes("resolve_minutes", resolve_minutes)
        if resolve < response:
            raise ValidationError("resolve_minutes must not be shorter than response_minutes")
        with self.change():
            self.repo.set_sla(value, response, resolve)
            self.audit("sla_policy.updated", "sla_policy", value, response_minutes=response,
                       resolve_minutes=resolve)

    def priority_matrix(self) -> list[PriorityMatrixEntry]:
        return self.repo.priority_matrix()

    def sla_policies(self) -> list[SlaPolicy]:
        return self.repo.sla_policies()

    # -- incidents --------------------------------------------------------------
    def _check_user(self, user_id: uuid.UUID | None) -> None:
        if user_id is not None and not self.repo.user_exists(user_id):
            raise NotFound(f"user {user_id} not found")

    def _check_site(self, site_id: uuid.UUID | None) -> None:
        if site_id is not None and not self.repo.site_exists(site_id):
            raise NotFound(f"site {site_id} not found")

    def _event(self, incident_id: uuid.UUID, event_type: str, old: str | None,
               new: str | None, at: datetime) -> None:
        try:
            self.repo.insert_event(IncidentTimelineEvent(
                id=new_id(), tenant_id=self.repo.tenant_id, incident_id=incident_id,
                event_type=event_type, old_value=old, new_value=new,
                actor_id=self.actor.user_id, created_at=at))
        except ForeignKeyViolation:  # the incident is this call's: the actor is no user here
            raise unknown_actor(self.actor) from None

    def _place(self, site_id: uuid.UUID | None,
               asset_id: uuid.UUID | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """The (site, asset) an incident concerns: both the tenant's, the asset at the site;
        an asset alone places the incident at the asset's site."""
        self._check_site(site_id)
        if asset_id is None:
            return site_id, None
        at = self.repo.asset_site(asset_id)
        if site_id not in (None, at):
            raise ValidationError(f"asset {asset_id} is not at site {site_id}")
        return at, asset_id

    def create(self, title: str, severity: str, impact: str, urgency: str, *,
               assigned_to: uuid.UUID | None = None, site_id: uuid.UUID | None = None,
               asset_id: uuid.UUID | None = None) -> Incident:
        """Open an incident: priority from the matrix, SLA deadlines from the policy.

        A matrix without a cell for (severity, impact, urgency) refuses the incident;
        a priority without an SLA policy gets no deadlines. The incident may concern a
        site and an asset of the tenant (see :meth:`_place`).
        """
        text = check_text("incident title", title, max_length=TITLE_MAX)
        cell = (choice("severity", severity, SEVERITIES), choice("impact", impact, IMPACTS),
                choice("urgency", urgency, URGENCIES))
        now = self.clock()
        with self.change():
            repo = self.repo
            priority = repo.priority_for(*cell)
            if priority is None:
                raise ValidationError("the priority matrix has no cell for severity={}, "
                                      "impact={}, urgency={}".format(*cell))
            self._check_user(assigned_to)
            site, asset = self._place(site_id, asset_id)
            policy = repo.sla_for(priority)
            incident = Incident(
                id=new_id(), tenant_id=repo.tenant_id, title=text, status="open",
                severity=cell[0], impact=cell[1], urgency=cell[2], priority=priority,
                sla_response_due=None if policy is None
                else now + timedelta(minutes=policy.response_minutes),
                sla_resolve_due=None if policy is None
                else now + timedelta(minutes=policy.resolve_minutes),
                created_at=now, assigned_to=assigned_to, sla_response_breached=False,
                sla_resolve_breached=False, resolution_note=None, resolved_at=None,
                closed_at=None, site_id=site, asset_id=asset)
            repo.insert_incident(incident)
            self._event(incident.id, "created", None, "open", now)
            self.audit("incident.created", "incident", incident.id, priority=priority,
                       severity=cell[0])
        return incident

    def transition(self, incident_id: uuid.UUID, status: str, *,
                   resolution_note: str | None = None,
                   assigned_to: uuid.UUID | None = None) -> Incident:
        """Move an incident along its lifecycle (see the module docstring)."""
        note = None if resolution_note is None else check_text(
            "resolution note", resolution_note, max_length=BODY_MAX)
        now = self.clock()
        with self.change():
            incident = self.repo.incident(incident_id)
            old = incident.status
            check_move("incident", INCIDENT_MOVES, old, status)
            self._check_user(assigned_to)
            flags = breach_at(incident, now)
            incident.sla_response_breached = flags.response
            incident.sla_resolve_breached = flags.resolve
            incident.status = status
            if assigned_to is not None:
                incident.assigned_to = assigned_to
            if status == "resolved":
                incident.resolved_at, incident.resolution_note = now, note
            elif status == "closed":
                incident.closed_at = now
            if not self.repo.update_incident(incident, was=old, assignee=assigned_to):
                # another unit of work moved it between this call's read and its write
                raise InvalidTransition("incident", self.repo.incident(incident_id).status,
                                        status)
            self._event(incident.id, "status_change", old, status, now)
            self.audit("incident.status_changed", "incident", incident.id, old=old, new=status)
        return incident

    def assign(self, incident_id: uuid.UUID, user_id: uuid.UUID) -> Incident:
        with self.change():
            incident = self.repo.incident(incident_id)
            if incident.status not in ACTIVE_INCIDENT:
                raise ValidationError(f"a {incident.status} incident cannot be reassigned")
            self._check_user(user_id)
            old = incident.assigned_to
            if not self.repo.assign_incident(incident_id, user_id, sorted(ACTIVE_INCIDENT)):
                # moved out of the active statuses by a concurrent call since the read
                current = self.repo.incident(incident_id).status
                raise ValidationError(f"a {current} incident cannot be reassigned")
            incident.assigned_to = user_id
            self._event(incident.id, "assigned", None if old is None else str(old),
                        str(user_id), self.clock())
            self.audit("incident.assigned", "incident", incident.id, user_id=str(user_id))
        return incident

    def comment(self, incident_id: uuid.UUID, body: str,
                mentions: Iterable[uuid.UUID] = ()) -> IncidentComment:
        """A comment by the acting user; mentioned users must be the tenant's."""
        if self.actor.user_id is None:
            raise ValidationError("a comment needs an author: the actor must be a user")
        text = check_text("comment", body, max_length=BODY_MAX)
        people = check_ids("mentions", mentions)
        with self.change():
            self.repo.incident(incident_id)
            for user_id in [self.actor.user_id, *people]:
                self._check_user(user_id)
            comment = IncidentComment(
                id=new_id(), tenant_id=self.repo.tenant_id, incident_id=incident_id,
                author_id=self.actor.user_id, body=text, mentions=[str(p) for p in people],
                created_at=self.clock())
            self.repo.insert_comment(comment)
            self.audit("incident.commented", "incident", incident_id,
                       comment_id=str(comment.id))
        return comment

    def get(self, incident_id: uuid.UUID, now: datetime) -> IncidentView:
        incident = self.repo.incident(incident_id)
        return IncidentView(incident, breach_at(incident, now))

    def timeline(self, incident_id: uuid.UUID) -> list[IncidentTimelineEvent]:
        self.repo.incident(incident_id)
        return self.repo.timeline(incident_id)

    def comments(self, incident_id: uuid.UUID) -> list[IncidentComment]:
        self.repo.incident(incident_id)
        return self.repo.comments(incident_id)

    def page(self, now: datetime, *, statuses: Iterable[str] | None = None,
             severities: Iterable[str] | None = None, site_id: uuid.UUID | None = None,
             asset_id: uuid.UUID | None = None, text: str | None = None,
             limit: int = 50, cursor: str | None = None) -> Page[IncidentView]:
        """Newest first, filtered by status, severity, site, asset and free text in the
        title; a site or asset that is not the tenant's is :class:`NotFound`."""
        size = page_size(limit)
        wanted_status = choices("status", statuses,
                                INCIDENT_STATUSES)
        wanted_severity = choices("severity", severities,
                                  SEVERITIES)
        after = None
        if cursor is not None:
            at, after_id = keyset(cursor, (datetime, uuid.UUID))
            after = (at, after_id)
        self._check_site(site_id)
        if asset_id is not None:
            self.repo.asset_site(asset_id)
        rows = self.repo.incident_page(statuses=wanted_status, severities=wanted_severity,
                                       site_id=site_id, asset_id=asset_id,
                                       pattern=like_pattern(text), after=after, limit=size + 1)
        page = paginate(rows, size, lambda i: (i.created_at, i.id))
        return Page([IncidentView(i, breach_at(i, now)) for i in page.items], page.next_cursor)

    def open_by_priority(self, now: datetime) -> list[IncidentView]:
        """Active incidents (open, in progress, pending) by priority, oldest first within."""
        return [IncidentView(i, breach_at(i, now))
                for i in self.repo.incidents_by_priority(sorted(ACTIVE_INCIDENT))]

    def mark_breaches(self, now: datetime) -> tuple[int, int]:
        """Store the breach flags of every incident whose deadline passed before ``now``."""
        with self.change():
            response, resolve = self.repo.mark_breaches(now, sorted(ACTIVE_INCIDENT))
            if response or resolve:
                self.audit("incident.sla_breaches_marked", "incident", None,
                           response=response, resolve=resolve)
        return response, resolve


class ProblemService(_ItsmService):
    """Problems: ``open`` -> ``investigating`` -> ``known_error`` -> ``resolved`` -> ``closed``."""

    def create(self, title: str, root_cause: str | None = None) -> Problem:
        problem = Problem(id=new_id(), tenant_id=self.repo.tenant_id,
                          title=check_text("problem title", title, max_length=TITLE_MAX),
                          status="open", root_cause=None if root_cause is None else check_text(
                              "root cause", root_cause, max_length=BODY_MAX),
                          created_at=self.clock())
        with self.change():
            self.repo.insert_problem(problem)
            self.audit("problem.created", "problem", problem.id)
        return problem

    def transition(self, problem_id: uuid.UUID, status: str, *,
                   root_cause: str | None = None) -> Problem:
        cause = None if root_cause is None else check_text("root cause", root_cause,
                                                            max_length=BODY_MAX)
        with self.change():
            problem = self.repo.problem(problem_id)
            old = problem.status
            problem.status = check_move("problem", PROBLEM_MOVES, old, status)
            if cause is not None:
                problem.root_cause = cause
            if status == "known_error" and not problem.root_cause:
                raise ValidationError("a known error needs its root cause")
            if not self.repo.update_problem(problem, was=old):
                raise InvalidTransition("problem", self.repo.problem(problem_id).status,
                                        status)
            self.audit("problem.status_changed", "problem", problem_id, old=old, new=status)
        return problem

    def get(self, problem_id: uuid.UUID) -> Problem:
        return self.repo.problem(problem_id)

    def by_status(self, statuses: Iterable[str] | None = None) -> list[Problem]:
        return self.repo.problems(choices("status", statuses, PROBLEM_STATUSES))


class ChangeService(_ItsmService):
    """Changes: ``requested`` -> ``approved`` | ``rejected``; ``approved`` -> ``implemented``
    | ``failed`` -> ``closed``; ``cancelled`` before implementation. A standard change is
    pre-approved; normal and emergency changes must state their risk."""

    def create(self, title: str, type: str, risk: str | None = None) -> Change:
        kind = choice("change type", type, CHANGE_TYPES)
        level = None if risk is None else choice("risk", risk, CHANGE_RISKS)
        if kind != "standard" and level is None:
            raise ValidationError(f"a {kind} change must state its risk")
        change = Change(id=new_id(), tenant_id=self.repo.tenant_id,
                        title=check_text("change title", title, max_length=TITLE_MAX),
                        status="approved" if kind == "standard" else "requested", type=kind,
                        risk=level, created_at=self.clock())
        with self.change():
            self.repo.insert_change(change)
            self.audit("change.created", "change", change.id, type=kind, risk=level)
        return change

    def transition(self, change_id: uuid.UUID, status: str) -> Change:
        with self.change():
            change = self.repo.change(change_id)
            old = change.status
            change.status = check_move("change", CHANGE_MOVES, old, status)
            if not self.repo.update_change(change, was=old):
                raise InvalidTransition("change", self.repo.change(change_id).status, status)
            self.audit("change.status_changed", "change", change_id, old=old, new=status)
        return change

    def get(self, change_id: uuid.UUID) -> Change:
        return self.repo.change(change_id)

    def by_status(self, statuses: Iterable[str] | None = None) -> list[Change]:
        return self.repo.changes(choices("status", statuses, CHANGE_STATUSES))


class KnowledgeService(_ItsmService):
    """Knowledge articles (Markdown runbooks) and their links to problems."""

    def create(self, title: str, body: str) -> KnowledgeArticle:
        article = KnowledgeArticle(
            id=new_id(), tenant_id=self.repo.tenant_id,
            title=check_text("article title", title, max_length=TITLE_MAX),
            body=check_text("article body", body, max_length=BODY_MAX), created_at=self.clock())
        with self.change():
            self.repo.insert_article(article)
            self.audit("knowledge.created", "knowledge_article", article.id)
        return article

    def edit(self, article_id: uuid.UUID, title: str, body: str) -> KnowledgeArticle:
        text = check_text("article title", title, max_length=TITLE_MAX)
        content = check_text("article body", body, max_length=BODY_MAX)
        with self.change():
            article = self.repo.article(article_id)
            article.title, article.body = text, content
            self.repo.update_article(article)
            self.audit("knowledge.updated", "knowledge_article", article_id)
        return article

    def get(self, article_id: uuid.UUID) -> KnowledgeArticle:
        return self.repo.article(article_id)

    def link_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> None:
        """Link an article to a problem; linking twice changes nothing."""
        try:
            with self.change():
                self.repo.article(article_id)
                self.repo.problem(problem_id)
                if not self.repo.has_problem_link(article_id, problem_id):
                    self.repo.link_problem(article_id, problem_id)
                    self.audit("knowledge.problem_linked", "knowledge_article", article_id,
                               problem_id=str(problem_id))
        except UniqueViolation:
            return  # linked by a concurrent call after the check; its savepoint is undone

    def unlink_problem(self, article_id: uuid.UUID, problem_id: uuid.UUID) -> None:
        with self.change():
            self.repo.article(article_id)
            self.repo.problem(problem_id)
            if self.repo.unlink_problem(article_id, problem_id):
                self.audit("knowledge.problem_unlinked", "knowledge_article", article_id,
                           problem_id=str(problem_id))

    def for_problem(self, problem_id: uuid.UUID) -> list[KnowledgeArticle]:
        self.repo.problem(problem_id)
        return self.repo.articles_for(problem_id)

    def problems_of(self, article_id: uuid.UUID) -> list[Problem]:
        self.repo.article(article_id)
        return self.repo.problems_for(article_id)
