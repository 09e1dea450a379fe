"""ITSM: incidents (lifecycle, priority, SLA, timeline, comments), problems, changes and
knowledge articles.

``repository`` holds the SQL (``queries.sql``), ``service`` the rules, ``types`` the
vocabularies, lifecycles and the SLA breach rule.
"""

from monozu.domain.itsm.repository import ItsmRepository
from monozu.domain.itsm.service import (
    ChangeService,
    IncidentService,
    KnowledgeService,
    ProblemService,
)
from monozu.domain.itsm.types import (
    ACTIVE_INCIDENT,
    INCIDENT_MOVES,
    INCIDENT_STATUSES,
    Breach,
    IncidentView,
    breach_at,
)

__all__ = ["ACTIVE_INCIDENT", "INCIDENT_MOVES", "INCIDENT_STATUSES", "Breach",
           "ChangeService", "IncidentService", "IncidentView", "ItsmRepository",
           "KnowledgeService", "ProblemService", "breach_at"]
