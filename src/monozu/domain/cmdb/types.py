"""CMDB vocabularies and the richer values the CMDB service returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from monozu.db.models import Asset, Diagram, Site, Vlan, Zone

ASSET_TYPES = frozenset({
    "plc", "hmi", "rtu", "ied", "scada_server", "historian", "engineering_workstation",
    "switch", "router", "firewall", "gateway", "wireless_ap", "server", "workstation",
    "sensor", "drive", "camera", "printer", "other",
})
CRITICALITIES = frozenset({"low", "medium", "high", "critical"})
LIFECYCLE_STATES = frozenset({"planned", "active", "decommissioned"})


@dataclass(frozen=True, slots=True)
class AssetSpec:
    """What describes an asset; the service checks every field before writing."""

    name: str
    type: str
    site_id: uuid.UUID
    producer: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    cpe: str | None = None
    ip_address: str | None = None
    mac_address: str | None = None
    criticality: str | None = None
    lifecycle_state: str = "active"


@dataclass(frozen=True, slots=True)
class SiteAssetCount:
    site_id: uuid.UUID
    site_name: str
    assets: int


@dataclass(slots=True)
class VlanNode:
    vlan: Vlan
    assets: list[Asset] = field(default_factory=list)


@dataclass(slots=True)
class ZoneNode:
    zone: Zone
    vlans: list[VlanNode] = field(default_factory=list)


@dataclass(slots=True)
class SiteHierarchy:
    """Site -> zone -> VLAN -> asset, as diagrams import it.

    ``loose_vlans`` are VLANs at the site without a zone there; ``unlinked_assets``
    are assets of the site in no VLAN: they hang straight off the site.
    """

    site: Site
    zones: list[ZoneNode]
    loose_vlans: list[VlanNode]
    unlinked_assets: list[Asset]


@dataclass(frozen=True, slots=True)
class DiagramView:
    diagram: Diagram
    asset_ids: list[uuid.UUID]
