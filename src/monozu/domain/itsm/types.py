"""ITSM vocabularies, lifecycles, and the SLA breach rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monozu.db.models import Incident

SEVERITIES = frozenset({"critical", "high", "medium", "low"})
IMPACTS = frozenset({"high", "medium", "low"})
URGENCIES = frozenset({"high", "medium", "low"})

INCIDENT_STATUSES = frozenset({"open", "in_progress", "pending", "resolved", "closed",
                               "cancelled"})
ACTIVE_INCIDENT = frozenset({"open", "in_progress", "pending"})
INCIDENT_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"pending", "resolved"}),
    "pending": frozenset({"in_progress", "resolved"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}

PROBLEM_STATUSES = frozenset({"open", "investigating", "known_error", "resolved", "closed"})
PROBLEM_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"investigating", "closed"}),
    "investigating": frozenset({"known_error", "resolved", "closed"}),
    "known_error": frozenset({"resolved", "closed"}),
    "resolved": frozenset({"investigating", "closed"}),
    "closed": frozenset(),
}

CHANGE_TYPES = frozenset({"standard", "normal", "emergency"})
CHANGE_RISKS = frozenset({"low", "medium", "high", "critical"})
CHANGE_STATUSES = frozenset({"requested", "approved", "rejected", "implemented", "failed",
                             "closed", "cancelled"})
CHANGE_MOVES: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"implemented", "failed", "cancelled"}),
    "implemented": frozenset({"closed"}),
    "failed": frozenset({"closed"}),
    "rejected": frozenset(),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


@dataclass(frozen=True, slots=True)
class Breach:
    """Whether an incident missed its first-response and its resolve deadline."""

    response: bool
    resolve: bool

    @property
    def any(self) -> bool:
        return self.response or self.resolve


def breach_at(incident: Incident, now: datetime) -> Breach:
    """The breach flags at ``now``.

    A stored flag stays true. Otherwise the response deadline is missed while the
    incident is still ``open`` after ``sla_response_due``; the resolve deadline while
    it is still active (open, in progress, pending) after ``sla_resolve_due``. An
    incident without deadlines (no SLA policy for its priority) is never breached.
    """
    response_due, resolve_due = incident.sla_response_due, incident.sla_resolve_due
    response = incident.sla_response_breached or (
        incident.status == "open" and response_due is not None and now > response_due)
    resolve = incident.sla_resolve_breached or (
        incident.status in ACTIVE_INCIDENT and resolve_due is not None and now > resolve_due)
    return Breach(response, resolve)


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An incident with its breach flags as of the caller's clock."""

    incident: Incident
    breach: Breach
