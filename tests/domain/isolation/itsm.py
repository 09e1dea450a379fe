"""The ITSM context in the isolation machine: incidents, problems, changes, knowledge."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, rule

from monozu.db import NotFound, Tx
from monozu.db.models import Incident
from monozu.domain.audit import Actor
from monozu.domain.errors import InvalidTransition, ValidationError
from monozu.domain.itsm import (
    ChangeService,
    IncidentService,
    IncidentView,
    KnowledgeService,
    ProblemService,
)
from monozu.domain.itsm.types import (
    ACTIVE_INCIDENT,
    CHANGE_MOVES,
    CHANGE_STATUSES,
    CHANGE_TYPES,
    INCIDENT_MOVES,
    INCIDENT_STATUSES,
    PROBLEM_MOVES,
    PROBLEM_STATUSES,
)
from monozu.domain.paging import Page, encode_cursor
from tests.domain.isolation.base import (
    NIL,
    NOW,
    TENANTS,
    Owned,
    as_uuid,
    foreign_id_rule,
    maybe_uuid,
    not_found,
    other_tenant,
    tenant_index,
)
from tests.domain.isolation.cmdb import CmdbRules
from tests.domain.isolation.identity import IdentityRules

# ---------------------------------------------------------------------------- itsm

@dataclass
class IncidentModel:
    status: str
    assigned_to: uuid.UUID | None
    has_sla: bool
    site: uuid.UUID | None = None
    asset: uuid.UUID | None = None
    events: int = 1
    comments: int = 0
    response_breached: bool = False
    resolve_breached: bool = False


@dataclass
class ItsmModel:
    incidents: dict[uuid.UUID, IncidentModel] = field(default_factory=dict)
    problems: dict[uuid.UUID, tuple[str, bool]] = field(default_factory=dict)  # status, cause
    changes: dict[uuid.UUID, str] = field(default_factory=dict)
    articles: dict[uuid.UUID, str] = field(default_factory=dict)
    article_problems: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)


# severity -> (impact, urgency, priority): the matrix cells every tenant gets; only P1 has
# an SLA policy, so P4 incidents are never breached
CELLS = {"critical": ("high", "high", "P1"), "low": ("low", "low", "P4")}
LATER = NOW + timedelta(days=1)  # past every P1 deadline

ItsmCall = Callable[[Tx, uuid.UUID], object]
INCIDENT_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: IncidentService(tx).get(i, NOW),
    "transition": lambda tx, i: IncidentService(tx).transition(i, "in_progress"),
    "assign": lambda tx, i: IncidentService(tx).assign(i, NIL),
    "timeline": lambda tx, i: IncidentService(tx).timeline(i),
    "comments": lambda tx, i: IncidentService(tx).comments(i),
    "comment": lambda tx, i: IncidentService(tx, Actor(NIL)).comment(i, "Seen."),
}
PROBLEM_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: ProblemService(tx).get(i),
    "transition": lambda tx, i: ProblemService(tx).transition(i, "investigating"),
    "for_problem": lambda tx, i: KnowledgeService(tx).for_problem(i),
}
CHANGE_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: ChangeService(tx).get(i),
    "transition": lambda tx, i: ChangeService(tx).transition(i, "approved"),
}
ARTICLE_CALLS: dict[str, ItsmCall] = {
    "get": lambda tx, i: KnowledgeService(tx).get(i),
    "edit": lambda tx, i: KnowledgeService(tx).edit(i, "Runbook", "Restart it."),
    "problems_of": lambda tx, i: KnowledgeService(tx).problems_of(i),
    "link_problem": lambda tx, i: KnowledgeService(tx).link_problem(i, NIL),
    "unlink_problem": lambda tx, i: KnowledgeService(tx).unlink_problem(i, NIL),
}
ASSIGNEE_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low",
                                                       assigned_to=i),
}
INCIDENT_SITE_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low", site_id=i),
    "page": lambda tx, i: IncidentService(tx).page(NOW, site_id=i),
}
INCIDENT_ASSET_CALLS: dict[str, ItsmCall] = {
    "create": lambda tx, i: IncidentService(tx).create("Down", "low", "low", "low", asset_id=i),
    "page": lambda tx, i: IncidentService(tx).page(NOW, asset_id=i),
}


class ItsmRules(IdentityRules, CmdbRules):
    """Incidents (assignees and commenters are the identity context's users), problems,
    changes, knowledge articles and their links."""

    incidents = Bundle("incidents")
    problems = Bundle("problems")
    changes = Bundle("changes")
    articles = Bundle("articles")

    def __init__(self) -> None:
        super().__init__()
        self.itsm_model = [ItsmModel() for _ in range(TENANTS)]
        for t in range(TENANTS):
            self.in_tenant(t, self._settings)
            self.audited[t] += len(CELLS) + 1

    @staticmethod
    def _settings(tx: Tx) -> None:
        incidents = IncidentService(tx)
        for severity, (impact, urgency, priority) in CELLS.items():
            incidents.set_priority(severity, impact, urgency, priority)
        incidents.set_sla("P1", 15, 240)

    def _itsm_call(self, call: ItsmCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: self.in_tenant(t, lambda tx: call(tx, row_id))

    def _user(self, t: int, user: Owned) -> bool:
        return self.owns(t, user, self.model[t].users)

    # another tenant's id, passed to any call taking one
    foreign_incidents_in_itsm_calls = foreign_id_rule(incidents, INCIDENT_CALLS, "_itsm_call")
    foreign_problems_in_itsm_calls = foreign_id_rule(problems, PROBLEM_CALLS, "_itsm_call")
    foreign_changes_in_itsm_calls = foreign_id_rule(changes, CHANGE_CALLS, "_itsm_call")
    foreign_articles_in_itsm_calls = foreign_id_rule(articles, ARTICLE_CALLS, "_itsm_call")
    foreign_users_in_itsm_calls = foreign_id_rule(IdentityRules.users, ASSIGNEE_CALLS, "_itsm_call")

    @initialize(target=incidents, t=tenant_index)
    def seed_incident(self, t: int) -> Owned:
        nowhere = (t, uuid.uuid4())
        return self.create_incident(t, "critical", nowhere, False, nowhere, False, nowhere,
                                    False)

    @initialize(target=problems, t=tenant_index)
    def seed_problem(self, t: int) -> Owned:
        return self.create_problem(t, False)

    @initialize(target=changes, t=tenant_index)
    def seed_change(self, t: int) -> Owned:
        return self.create_change(t, "normal")

    @initialize(target=articles, t=tenant_index)
    def seed_article(self, t: int) -> Owned:
        return self.create_article(t)

    foreign_sites_in_itsm_calls = foreign_id_rule(
        CmdbRules.sites, INCIDENT_SITE_CALLS, "_itsm_call")
    foreign_assets_in_itsm_calls = foreign_id_rule(
        CmdbRules.assets, INCIDENT_ASSET_CALLS, "_itsm_call")

    # incidents
    @rule(target=incidents, t=tenant_index, severity=st.sampled_from(sorted(CELLS)),
          user=IdentityRules.users, assign=st.booleans(), site=CmdbRules.sites,
          at_site=st.booleans(), asset=CmdbRules.assets, of_asset=st.booleans())
    def create_incident(self, t: int, severity: str, user: Owned, assign: bool, site: Owned,
                        at_site: bool, asset: Owned, of_asset: bool) -> Owned:
        impact, urgency, priority = CELLS[severity]
        assignee = user[1] if assign else None
        site_id, asset_id = site[1] if at_site else None, asset[1] if of_asset else None
        cmdb = self.cmdb_model[t]

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).create(
                "Line 2 PLC in fault", severity, impact, urgency, assigned_to=assignee,
                site_id=site_id, asset_id=asset_id)
        if assign and not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        elif at_site and not self.owns(t, site, cmdb.sites):
            self.refused_in(t, NotFound, call, not_found("site", site[1]))
        elif of_asset and not self.owns(t, asset, cmdb.assets):
            self.refused_in(t, NotFound, call, not_found("asset", asset[1]))
        elif of_asset and at_site and cmdb.assets[asset[1]][1] != site[1]:
            self.refused_in(t, ValidationError, call, "is not at site")
        else:
            incident = self.in_tenant(t, call)
            assert incident.priority == priority
            place = cmdb.assets[asset[1]][1] if of_asset else site_id
            assert (incident.site_id, incident.asset_id) == (place, asset_id)
            self.itsm_model[t].incidents[incident.id] = IncidentModel(
                "open", assignee, priority == "P1", place, asset_id)
            self.audited[t] += 1
            return (t, incident.id)
        return (t, uuid.uuid4())

    @rule(t=tenant_index, incident=incidents, status=st.sampled_from(sorted(INCIDENT_STATUSES)),
          user=IdentityRules.users, assign=st.booleans())
    def transition_incident(self, t: int, incident: Owned, status: str, user: Owned,
                            assign: bool) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None
        assignee = user[1] if assign else None

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).transition(
                incident[1], status, resolution_note="Replaced the module.",
                assigned_to=assignee)
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif status not in INCIDENT_MOVES[found.status]:
            self.refused_in(t, InvalidTransition, call)
        elif assign and not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        else:
            assert self.in_tenant(t, call).status == status
            found.status, found.events = status, found.events + 1
            found.assigned_to = assignee or found.assigned_to
            self.audited[t] += 1

    @rule(t=tenant_index, incident=incidents, user=IdentityRules.users)
    def assign_incident(self, t: int, incident: Owned, user: Owned) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None

        def call(tx: Tx) -> Incident:
            return IncidentService(tx, clock=lambda: NOW).assign(incident[1], user[1])
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif found.status not in ACTIVE_INCIDENT:
            self.refused_in(t, ValidationError, call, "cannot be reassigned")
        elif not self._user(t, user):
            self.refused_in(t, NotFound, call, not_found("user", user[1]))
        else:
            self.in_tenant(t, call)
            found.assigned_to, found.events = user[1], found.events + 1
            self.audited[t] += 1

    @rule(t=tenant_index, incident=incidents, author=IdentityRules.users,
          mentions=st.lists(IdentityRules.users, max_size=2))
    def comment_incident(self, t: int, incident: Owned, author: Owned,
                         mentions: list[Owned]) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None

        def call(tx: Tx) -> object:
            return IncidentService(tx, Actor(author[1]), clock=lambda: NOW).comment(
                incident[1], "Seen on the HMI too.", [m[1] for m in mentions])
        people = [author, *sorted(set(mentions), key=lambda m: m[1])]
        stranger = next((p for p in people if not self._user(t, p)), None)
        if found is None:
            self.refused_in(t, NotFound, call, not_found("incident", incident[1]))
        elif stranger is not None:
            self.refused_in(t, NotFound, call, not_found("user", stranger[1]))
        else:
            self.in_tenant(t, call)
            found.comments += 1
            self.audited[t] += 1

    @rule(t=tenant_index)
    def mark_breaches(self, t: int) -> None:
        m = self.itsm_model[t]
        response = [i for i in m.incidents.values()
                    if i.has_sla and i.status == "open" and not i.response_breached]
        resolve = [i for i in m.incidents.values()
                   if i.has_sla and i.status in ACTIVE_INCIDENT and not i.resolve_breached]
        counts = self.in_tenant(t, lambda tx: IncidentService(tx).mark_breaches(LATER))
        assert counts == (len(response), len(resolve))
        for i in response:
            i.response_breached = True
        for i in resolve:
            i.resolve_breached = True
        self.audited[t] += bool(response or resolve)

    @rule(t=tenant_index, incident=incidents)
    def read_incident(self, t: int, incident: Owned) -> None:
        found = self.itsm_model[t].incidents.get(incident[1]) if incident[0] == t else None
        reads = {name: INCIDENT_CALLS[name] for name in ("get", "timeline", "comments")}
        if found is None:
            for read in reads.values():
                self.refused_in(t, NotFound, lambda tx, r=read: r(tx, incident[1]),
                                not_found("incident", incident[1]))
            return
        view = self.in_tenant(t, lambda tx: IncidentService(tx).get(incident[1], NOW))
        assert (view.incident.status, view.incident.assigned_to) == \
            (found.status, found.assigned_to)
        assert len(self.in_tenant(t, lambda tx: IncidentService(tx).timeline(incident[1]))) \
            == found.events
        assert len(self.in_tenant(t, lambda tx: IncidentService(tx).comments(incident[1]))) \
            == found.comments

    @rule(t=tenant_index)
    def read_incident_settings(self, t: int) -> None:
        """The priority matrix and SLA policies each tenant set up are what it reads."""
        matrix = self.in_tenant(t, lambda tx: IncidentService(tx).priority_matrix())
        assert {(c.tenant_id, c.severity, c.impact, c.urgency, c.priority) for c in matrix} \
            == {(self.tenants[t], s, i, u, p) for s, (i, u, p) in CELLS.items()}
        policies = self.in_tenant(t, lambda tx: IncidentService(tx).sla_policies())
        assert [(p.tenant_id, p.priority) for p in policies] == [(self.tenants[t], "P1")]

    @rule(t=tenant_index)
    def list_incidents(self, t: int) -> None:
        m = self.itsm_model[t]
        page = self.in_tenant(t, lambda tx: IncidentService(tx).page(NOW, limit=500))
        assert {v.incident.id: v.incident.status for v in page.items} == \
            {i: x.status for i, x in m.incidents.items()}
        active = self.in_tenant(t, lambda tx: IncidentService(tx).open_by_priority(NOW))
        assert {v.incident.id for v in active} == \
            {i for i, x in m.incidents.items() if x.status in ACTIVE_INCIDENT}

    @rule(t=tenant_index, shift=other_tenant)
    def incidents_after_another_tenants_incident(self, t: int, shift: int) -> None:
        """A cursor carrying another tenant's incident (time and id) pages the caller's own."""
        for row in self.foreign_rows(t, shift, Incident, "incidents")[:1]:
            page = self.in_tenant(t, lambda tx, r=row: IncidentService(tx).page(
                NOW, limit=500, cursor=encode_cursor((r.created_at, r.id))))
            assert {v.incident.id for v in page.items} <= set(self.itsm_model[t].incidents)

    @rule(t=tenant_index, site=CmdbRules.sites, asset=CmdbRules.assets)
    def incidents_by_site_and_asset(self, t: int, site: Owned, asset: Owned) -> None:
        m, cmdb = self.itsm_model[t], self.cmdb_model[t]
        for row, what, table, field_name in ((site, "site", cmdb.sites, "site"),
                                             (asset, "asset", cmdb.assets, "asset")):
            def read(tx: Tx, key: str = f"{field_name}_id", i: uuid.UUID = row[1]) -> object:
                return IncidentService(tx).page(NOW, limit=500, **{key: i})
            if not self.owns(t, row, table):
                self.refused_in(t, NotFound, read, not_found(what, row[1]))
                continue
            page = cast(Page[IncidentView], self.in_tenant(t, read))
            assert {v.incident.id for v in page.items} == \
                {i for i, x in m.incidents.items() if getattr(x, field_name) == row[1]}

    # problems, changes, knowledge
    @rule(target=problems, t=tenant_index, cause=st.booleans())
    def create_problem(self, t: int, cause: bool) -> Owned:
        problem = self.in_tenant(t, lambda tx: ProblemService(tx).create(
            "PLC faults after firmware 33", "Watchdog bug" if cause else None))
        self.itsm_model[t].problems[problem.id] = ("open", cause)
        self.audited[t] += 1
        return (t, problem.id)

    @rule(t=tenant_index, problem=problems, status=st.sampled_from(sorted(PROBLEM_STATUSES)),
          cause=st.booleans())
    def transition_problem(self, t: int, problem: Owned, status: str, cause: bool) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return ProblemService(tx).transition(problem[1], status,
                                                 root_cause="Watchdog bug" if cause else None)
        if not self.owns(t, problem, m.problems):
            self.refused_in(t, NotFound, call, not_found("problem", problem[1]))
            return
        current, has_cause = m.problems[problem[1]]
        if status not in PROBLEM_MOVES[current]:
            self.refused_in(t, InvalidTransition, call)
        elif status == "known_error" and not (cause or has_cause):
            self.refused_in(t, ValidationError, call, "root cause")
        else:
            self.in_tenant(t, call)
            m.problems[problem[1]] = (status, cause or has_cause)
            self.audited[t] += 1

    @rule(target=changes, t=tenant_index, kind=st.sampled_from(sorted(CHANGE_TYPES)))
    def create_change(self, t: int, kind: str) -> Owned:
        change = self.in_tenant(t, lambda tx: ChangeService(tx).create(
            "Upgrade firmware", kind, None if kind == "standard" else "high"))
        self.itsm_model[t].changes[change.id] = change.status
        self.audited[t] += 1
        return (t, change.id)

    @rule(t=tenant_index, change=changes, status=st.sampled_from(sorted(CHANGE_STATUSES)))
    def transition_change(self, t: int, change: Owned, status: str) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return ChangeService(tx).transition(change[1], status)
        if not self.owns(t, change, m.changes):
            self.refused_in(t, NotFound, call, not_found("change", change[1]))
        elif status not in CHANGE_MOVES[m.changes[change[1]]]:
            self.refused_in(t, InvalidTransition, call)
        else:
            self.in_tenant(t, call)
            m.changes[change[1]] = status
            self.audited[t] += 1

    @rule(target=articles, t=tenant_index)
    def create_article(self, t: int) -> Owned:
        article = self.in_tenant(t, lambda tx: KnowledgeService(tx).create(
            "Restart a faulted PLC", "1. Check the fault LED."))
        self.itsm_model[t].articles[article.id] = article.title
        self.audited[t] += 1
        return (t, article.id)

    @rule(t=tenant_index, article=articles, title=st.sampled_from(["Runbook", "Recovery"]))
    def edit_article(self, t: int, article: Owned, title: str) -> None:
        m = self.itsm_model[t]

        def call(tx: Tx) -> object:
            return KnowledgeService(tx).edit(article[1], title, "Steps.")
        if not self.owns(t, article, m.articles):
            self.refused_in(t, NotFound, call, not_found("knowledge article", article[1]))
            return
        self.in_tenant(t, call)
        m.articles[article[1]] = title
        self.audited[t] += 1

    @rule(t=tenant_index, article=articles, problem=problems, link=st.booleans())
    def article_problem(self, t: int, article: Owned, problem: Owned, link: bool) -> None:
        m, pair = self.itsm_model[t], (article[1], problem[1])

        def call(tx: Tx) -> None:
            service = KnowledgeService(tx)
            (service.link_problem if link else service.unlink_problem)(*pair)
        if not self.owns(t, article, m.articles):
            self.refused_in(t, NotFound, call, not_found("knowledge article", article[1]))
        elif not self.owns(t, problem, m.problems):
            self.refused_in(t, NotFound, call, not_found("problem", problem[1]))
        else:
            self.in_tenant(t, call)
            if (pair in m.article_problems) != link:
                (m.article_problems.add if link else m.article_problems.discard)(pair)
                self.audited[t] += 1

    @rule(t=tenant_index, article=articles, problem=problems, change=changes)
    def read_itsm_rows(self, t: int, article: Owned, problem: Owned, change: Owned) -> None:
        m = self.itsm_model[t]
        for row, what, table, read in (
                (problem, "problem", m.problems, PROBLEM_CALLS["get"]),
                (problem, "problem", m.problems, PROBLEM_CALLS["for_problem"]),
                (change, "change", m.changes, CHANGE_CALLS["get"]),
                (article, "knowledge article", m.articles, ARTICLE_CALLS["get"]),
                (article, "knowledge article", m.articles, ARTICLE_CALLS["problems_of"])):
            if not self.owns(t, row, table):
                self.refused_in(t, NotFound, lambda tx, r=read, i=row[1]: r(tx, i),
                                not_found(what, row[1]))
        if self.owns(t, problem, m.problems):
            assert self.in_tenant(t, lambda tx: ProblemService(tx).get(problem[1])).status \
                == m.problems[problem[1]][0]
            assert {a.id for a in self.in_tenant(
                t, lambda tx: KnowledgeService(tx).for_problem(problem[1]))} == \
                {a for a, p in m.article_problems if p == problem[1]}
        if self.owns(t, change, m.changes):
            assert self.in_tenant(t, lambda tx: ChangeService(tx).get(change[1])).status \
                == m.changes[change[1]]
        if self.owns(t, article, m.articles):
            assert {p.id for p in self.in_tenant(
                t, lambda tx: KnowledgeService(tx).problems_of(article[1]))} == \
                {p for a, p in m.article_problems if a == article[1]}
        assert {p.id: p.status for p in self.in_tenant(
            t, lambda tx: ProblemService(tx).by_status())} == \
            {p: s for p, (s, _) in m.problems.items()}
        assert {c.id: c.status for c in self.in_tenant(
            t, lambda tx: ChangeService(tx).by_status())} == m.changes

    @invariant()
    def each_tenants_stored_itsm_rows_are_its_own(self) -> None:
        rows = {table: self.platform_rows(f"SELECT tenant_id, {columns} FROM {table} "
                                          "WHERE tenant_id IN (:tenants)")
                for table, columns in (
                    ("incidents", "id, status, assigned_to, sla_response_breached, "
                                  "sla_resolve_breached, site_id, asset_id"),
                    ("incident_timeline_events", "incident_id"),
                    ("incident_comments", "incident_id"),
                    ("problems", "id, status"), ("changes", "id, status"),
                    ("knowledge_articles", "id, title"),
                    ("knowledge_article_problems", "article_id, problem_id"))}
        for n in range(TENANTS):
            m = self.itsm_model[n]
            assert {as_uuid(i): (s, maybe_uuid(a), bool(r1), bool(r2), maybe_uuid(site),
                               maybe_uuid(asset))
                    for i, s, a, r1, r2, site, asset in rows["incidents"][n]} == \
                {i: (x.status, x.assigned_to, x.response_breached, x.resolve_breached, x.site,
                     x.asset) for i, x in m.incidents.items()}
            assert Counter(as_uuid(i) for (i,) in rows["incident_timeline_events"][n]) == \
                Counter({i: x.events for i, x in m.incidents.items()})
            assert Counter(as_uuid(i) for (i,) in rows["incident_comments"][n]) == \
                Counter({i: x.comments for i, x in m.incidents.items() if x.comments})
            assert {as_uuid(i): s for i, s in rows["problems"][n]} == \
                {p: s for p, (s, _) in m.problems.items()}
            assert {as_uuid(i): s for i, s in rows["changes"][n]} == m.changes
            assert {as_uuid(i): title for i, title in rows["knowledge_articles"][n]} == m.articles
            assert {(as_uuid(a), as_uuid(p)) for a, p in rows["knowledge_article_problems"][n]} \
                == m.article_problems
