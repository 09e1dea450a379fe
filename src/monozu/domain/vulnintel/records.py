"""What the feed parsers produce: plain records, independent of any database.

``config_group`` packs three facts into the one integer column ``cve_cpe_matches`` has for
grouping, so a configuration can be rebuilt from its rows:
``(configuration << 8) | (node << 1) | negate``. Every stored configuration is an AND of its
nodes: an NVD configuration whose operator is OR is split into one configuration per node
(the same meaning), and a negated configuration is rewritten by De Morgan's rule. Rows
derived from CVE 5 records (CNA ``affected`` data, CISA ADP CPEs) use configuration numbers
from :data:`CVE5_CONFIG_BASE` up, so an NVD import can tell them from its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monozu.db.models import ExploitdbExploit

CVE5_CONFIG_BASE = 1 << 16
MAX_NODES = 128


def pack_group(configuration: int, node: int, negate: bool) -> int:
    if not 0 <= node < MAX_NODES:
        raise ValueError(f"node index {node} out of range")
    return (configuration << 8) | (node << 1) | int(negate)


def unpack_group(group: int) -> tuple[int, int, bool]:
    """``(configuration, node, negate)`` from a stored ``config_group``."""
    return group >> 8, (group >> 1) & (MAX_NODES - 1), bool(group & 1)


@dataclass(slots=True)
class CpeMatchRow:
    """One ``cpeMatch`` entry of one configuration node (mutable only so that the catalog
    scan builds a million of them cheaply: treat it as a value)."""

    config_group: int
    node_operator: str
    criteria: str
    vulnerable: bool = True
    version_start_including: str | None = None
    version_start_excluding: str | None = None
    version_end_including: str | None = None
    version_end_excluding: str | None = None

    def key(self) -> tuple[object, ...]:
        return (self.config_group, self.node_operator, self.criteria, self.vulnerable,
                self.version_start_including, self.version_start_excluding,
                self.version_end_including, self.version_end_excluding)


@dataclass(frozen=True, slots=True)
class Cvss:
    """One CVSS metric, recomputed from its vector."""

    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    score: float
    severity: str
    source: str = ""
    primary: bool = True


@dataclass(slots=True)
class CveRecord:
    """One CVE as the catalog stores it."""

    cve_id: str
    description: str | None = None
    published_at: datetime | None = None
    last_modified_at: datetime | None = None
    vuln_status: str | None = None
    primary: Cvss | None = None
    cvss_v31: Cvss | None = None
    cvss_v40: Cvss | None = None
    matches: list[CpeMatchRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve_id: str
    date_added: datetime | None
    due_date: datetime | None
    ransomware: bool


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve_id: str
    epss: float
    percentile: float


@dataclass(frozen=True, slots=True)
class EpssHeader:
    model_version: str
    score_date: datetime


@dataclass(slots=True)
class Exploit:
    """One exploit: its catalog row, and the CVE ids and tags gathered from its rows."""

    row: ExploitdbExploit
    cve_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def edb_id(self) -> int:
        return self.row.edb_id


CVE5_GROUP_BASE = pack_group(CVE5_CONFIG_BASE, 0, False)
