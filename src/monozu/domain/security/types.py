"""Security vocabularies, the vulnerability lifecycle and the risk view's row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

VULNERABILITY_STATUSES = frozenset({"open", "in_progress", "mitigated", "resolved",
                                    "accepted_risk", "false_positive"})
# open and in_progress are the working states; mitigated (a compensating control is in
# place) can still be fixed or found ineffective; resolved, accepted_risk and
# false_positive are decisions that only reopening undoes.
VULNERABILITY_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "mitigated", "resolved", "accepted_risk",
                       "false_positive"}),
    "in_progress": frozenset({"open", "mitigated", "resolved", "accepted_risk",
                              "false_positive"}),
    "mitigated": frozenset({"open", "in_progress", "resolved"}),
    "resolved": frozenset({"open"}),
    "accepted_risk": frozenset({"open"}),
    "false_positive": frozenset({"open"}),
}

# The CVSS qualitative bands of a recorded score: critical >= 9.0, high >= 7.0, medium
# >= 4.0, low above 0, none at 0.0 (the risk view filters on them).
VULNERABILITY_SEVERITIES = frozenset({"critical", "high", "medium", "low", "none"})
ALERT_SEVERITIES = frozenset({"critical", "high", "medium", "low", "info"})
ALERT_SOURCES = frozenset({"ingestor", "webhook", "cve_job", "manual"})
ALERT_STATUSES = frozenset({"open", "acknowledged", "resolved", "dismissed"})
ALERT_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "dismissed"}),
    "acknowledged": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}
DEFAULT_ALERT_THRESHOLD = 9.0


@dataclass(slots=True)
class CatalogScores:
    """What the global catalog and scores cache know of one CVE."""

    cve_id: str
    cvss_score: float | None
    cvss_v31_score: float | None
    cvss_v40_score: float | None
    is_kev: bool

    @property
    def base_score(self) -> float | None:
        """The score a vulnerability records: CVSS v4.0, else v3.1, else the catalog's."""
        for score in (self.cvss_v40_score, self.cvss_v31_score, self.cvss_score):
            if score is not None:
                return score
        return None


@dataclass(slots=True)
class RiskRow:
    """One vulnerability of the risk view, with what the global catalogs say of its CVE."""

    id: uuid.UUID
    asset_id: uuid.UUID
    asset_name: str
    cve_id: str
    status: str
    cvss_score: float | None
    cvss_severity: str | None
    is_kev: bool | None
    epss: float | None
    epss_percentile: float | None
    exploit_known: bool
    first_seen_at: datetime
    last_seen_at: datetime
