"""CMDB rules: what a site, zone, VLAN, asset and diagram may hold, and how they link.

Every id a call receives must be one of the bound tenant's rows; another tenant's
id is reported exactly like a missing one (:class:`monozu.db.NotFound`). The
network hierarchy is tenant -> site -> zone -> VLAN -> asset: a zone may sit at a
site, a VLAN in a zone (its site is then the zone's), and an asset may join only
VLANs of its own site (a VLAN with no site anywhere joins any asset).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable

from monozu.db import UniqueViolation
from monozu.db.models import JSON, Asset, Diagram, Site, Vlan, Zone
from monozu.domain.cmdb.repository import CmdbRepository
from monozu.domain.cmdb.types import (
    ASSET_TYPES,
    CRITICALITIES,
    LIFECYCLE_STATES,
    AssetSpec,
    DiagramView,
    SiteAssetCount,
    SiteHierarchy,
    VlanNode,
    ZoneNode,
)
from monozu.domain.common import (
    Service,
    check_ids,
    check_ip,
    choice,
    choices,
    keyset,
    like_pattern,
    new_id,
)
from monozu.domain.errors import ValidationError, check_text
from monozu.domain.inputs import json_size, shown_number
from monozu.domain.paging import Page, page_size, paginate

# Far below what either database refuses (PostgreSQL's jsonb stops near 256 MB, SQLite
# at its 1 GB string limit), so the same document is stored or refused on both.
MAX_DIAGRAM_BYTES = 10 * 1024 * 1024
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")
_CPE_SPLIT = re.compile(r"(?<!\\):")


def _optional(field: str, value: str | None, max_length: int) -> str | None:
    if value is None:
        return None
    return check_text(field, value, max_length=max_length, required=False) or None


def check_cpe(value: str | None) -> str | None:
    """A CPE 2.3 formatted string (``cpe:2.3:part:vendor:product:version:...``, 13 parts)."""
    cpe = _optional("cpe", value, 500)
    if cpe is None:
        return None
    parts = _CPE_SPLIT.split(cpe)
    if len(parts) != 13 or parts[:2] != ["cpe", "2.3"] or parts[2] not in ("a", "h", "o"):
        raise ValidationError(f"cpe must be a CPE 2.3 string with 13 parts "
                              f"(cpe:2.3:a|h|o:vendor:product:version:...); got {cpe!r}")
    return cpe


def _mac(value: str | None) -> str | None:
    text = _optional("mac_address", value, 17)
    if text is None:
        return None
    if not _MAC.match(text.lower()):
        raise ValidationError(f"mac_address {text!r} is not six hex pairs like 00:1d:9c:0a:0b:0c")
    return text.lower().replace("-", ":")


def _cidr(value: str | None) -> str | None:
    text = _optional("cidr", value, 43)
    if text is None:
        return None
    try:
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError:
        raise ValidationError(f"cidr {text!r} is not a network like 10.20.0.0/24") from None


class CmdbService(Service):
    """Sites, zones, VLANs, assets and diagrams of the unit of work's tenant."""

    @property
    def repo(self) -> CmdbRepository:
        return CmdbRepository(self.tx)

    # -- sites ----------------------------------------------------------------
    def create_site(self, name: str, address: str | None = None) -> Site:
        site = Site(id=new_id(), tenant_id=self.repo.tenant_id,
                    name=check_text("site name", name, max_length=200),
                    address=_optional("address", address, 500), created_at=self.clock())
        with self.change():
            self.repo.insert_site(site)
            self.audit("site.created", "site", site.id, name=site.name)
        return site

    def rename_site(self, site_id: uuid.UUID, name: str, address: str | None = None) -> Site:
        with self.change():
            site = self.repo.site(site_id)
            site.name = check_text("site name", name, max_length=200)
            site.address = _optional("address", address, 500)
            self.repo.update_site(site)
            self.audit("site.updated", "site", site.id, name=site.name)
        return site

    def site(self, site_id: uuid.UUID) -> Site:
        return self.repo.site(site_id)

    def sites(self) -> list[Site]:
        return self.repo.sites()

    # -- zones and VLANs ------------------------------------------------------
    def create_zone(self, name: str, site_id: uuid.UUID | None = None) -> Zone:
        zone = Zone(id=new_id(), tenant_id=self.repo.tenant_id,
                    name=check_text("zone name", name, max_length=200), site_id=site_id)
        with self.change():
            if site_id is not None:
                self.repo.site(site_id)
            self.repo.insert_zone(zone)
            self.audit("zone.created", "zone", zone.id, name=zone.name)
        return zone

    def zone(self, zone_id: uuid.UUID) -> Zone:
        return self.repo.zone(zone_id)

    def create_vlan(self, vlan_number: int, name: str, *, zone_id: uuid.UUID | None = None,
                    site_id: uuid.UUID | None = None, cidr: str | None = None) -> Vlan:
        """A VLAN in a zone takes the zone's site; naming another site is refused."""
        if isinstance(vlan_number, bool) or not isinstance(vlan_number, int) \
                or not 1 <= vlan_number <= 4094:
            raise ValidationError(f"vlan_number must be a whole number from 1 to 4094; "
                                  f"got {shown_number(vlan_number)}")
        vlan = Vlan(id=new_id(), tenant_id=self.repo.tenant_id, zone_id=zone_id,
                    vlan_number=vlan_number, name=check_text("VLAN name", name, max_length=200),
                    cidr=_cidr(cidr), site_id=site_id)
        with self.change():
            if site_id is not None:
                self.repo.site(site_id)
            if zone_id is not None:
                zone = self.repo.zone(zone_id)
                if zone.site_id is not None and site_id not in (None, zone.site_id):
                    raise ValidationError(f"VLAN {vlan_number} is in zone {zone.name!r}, "
                                          "which belongs to another site")
                vlan.site_id = zone.site_id or site_id
            self.repo.insert_vlan(vlan)
            self.audit("vlan.created", "vlan", vlan.id, vlan_number=vlan_number)
        return vlan

    def vlan(self, vlan_id: uuid.UUID) -> Vlan:
        return self.repo.vlan(vlan_id)

    # -- assets ---------------------------------------------------------------
    def _checked(self, spec: AssetSpec, asset_id: uuid.UUID) -> Asset:
        return Asset(
            id=asset_id, tenant_id=self.repo.tenant_id,
            name=check_text("asset name", spec.name, max_length=200),
            type=choice("asset type", spec.type, ASSET_TYPES), site_id=spec.site_id,
            created_at=self.clock(), ip_address=check_ip("ip_address", spec.ip_address),
            mac_address=_mac(spec.mac_address), model=_optional("model", spec.model, 200),
            firmware_version=_optional("firmware_version", spec.firmware_version, 100),
            cpe=check_cpe(spec.cpe),
            criticality=None if spec.criticality is None
            else choice("criticality", spec.criticality, CRITICALITIES),
            lifecycle_state=choice("lifecycle_state", spec.lifecycle_state, LIFECYCLE_STATES),
            producer=_optional("producer", spec.producer, 200))

    def create_asset(self, spec: AssetSpec) -> Asset:
        asset = self._checked(spec, new_id())
        with self.change():
            self.repo.site(spec.site_id)
            self.repo.insert_asset(asset)
            self.audit("asset.created", "asset", asset.id, name=asset.name, type=asset.type)
        return asset

    def update_asset(self, asset_id: uuid.UUID, spec: AssetSpec) -> Asset:
        """Replace an asset's description; moving it keeps its VLAN links valid or is refused."""
        with self.change():
            old = self.repo.asset(asset_id)
            asset = self._checked(spec, asset_id)
            asset.created_at = old.created_at
            if asset.site_id != old.site_id:
                self.repo.site(asset.site_id)
            # written before its links are read: the row stays held, so a concurrent link
            # either came first and is read here, or waits and then sees the new site
            self.repo.update_asset(asset)
            if asset.site_id != old.site_id:
                for vlan in self.repo.vlans_of(asset_id):
                    self._check_vlan_site(asset, vlan)
            self.audit("asset.updated", "asset", asset.id, name=asset.name)
        return asset

    def asset(self, asset_id: uuid.UUID) -> Asset:
        return self.repo.asset(asset_id)

    def assets(self, *, site_id: uuid.UUID | None = None, types: Iterable[str] | None = None,
               text: str | None = None, limit: int = 50,
               cursor: str | None = None) -> Page[Asset]:
        """Assets by name, filtered by site, type and free text (name, producer, model)."""
        size = page_size(limit)
        wanted = choices("asset type", types, ASSET_TYPES)
        pattern = like_pattern(text)
        if site_id is not None:
            self.repo.site(site_id)
        after = None
        if cursor is not None:
            name, after_id = keyset(cursor, (str, uuid.UUID))
            after = (name, after_id)
        rows = self.repo.asset_page(site_id=site_id, types=wanted, pattern=pattern,
                                    after=after, limit=size + 1)
        return paginate(rows, size, lambda a: (a.name, a.id))

    def asset_counts(self) -> list[SiteAssetCount]:
        """Every site with its number of assets, by site name."""
        return self.repo.asset_counts()

    # -- asset <-> VLAN -------------------------------------------------------
    def _vlan_site(self, vlan: Vlan) -> uuid.UUID | None:
        if vlan.site_id is not None:
            return vlan.site_id
        return None if vlan.zone_id is None else self.repo.zone(vlan.zone_id).site_id

    def _check_vlan_site(self, asset: Asset, vlan: Vlan) -> None:
        site = self._vlan_site(vlan)
        if site is not None and site != asset.site_id:
            raise ValidationError(f"VLAN {vlan.vlan_number} belongs to another site than "
                                  f"asset {asset.name!r}")

    def link_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> None:
        """Put an asset in a VLAN of its site; linking twice changes nothing."""
        try:
            with self.change():
                self.repo.lock_asset(asset_id)  # a concurrent move waits, or came first
                asset, vlan = self.repo.asset(asset_id), self.repo.vlan(vlan_id)
                self._check_vlan_site(asset, vlan)
                if self.repo.has_vlan_link(asset_id, vlan_id):
                    return
                self.repo.link_vlan(asset_id, vlan_id)
                self.audit("asset.vlan_linked", "asset", asset_id, vlan_id=str(vlan_id))
        except UniqueViolation:
            return  # linked by a concurrent call after the check; its savepoint is undone

    def unlink_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> None:
        with self.change():
            self.repo.asset(asset_id)
            self.repo.vlan(vlan_id)
            if self.repo.unlink_vlan(asset_id, vlan_id):
                self.audit("asset.vlan_unlinked", "asset", asset_id, vlan_id=str(vlan_id))

    def vlans_of(self, asset_id: uuid.UUID) -> list[Vlan]:
        self.repo.asset(asset_id)
        return self.repo.vlans_of(asset_id)

    def hierarchy(self, site_id: uuid.UUID) -> SiteHierarchy:
        """The site's network hierarchy: zones, their VLANs, each VLAN's assets."""
        repo = self.repo
        site = repo.site(site_id)
        assets = {a.id: a for a in repo.assets_at(site_id)}
        vlan_nodes = {v.id: VlanNode(v) for v in repo.vlans_at(site_id)}
        linked: set[uuid.UUID] = set()
        for link in repo.vlan_links_at(site_id):
            node = vlan_nodes.get(link.vlan_id)
            if node is not None:
                node.assets.append(assets[link.asset_id])
                linked.add(link.asset_id)
        zones = [ZoneNode(z) for z in repo.zones_at(site_id)]
        by_zone = {z.zone.id: z for z in zones}
        loose: list[VlanNode] = []
        for node in vlan_nodes.values():
            owner = by_zone.get(node.vlan.zone_id) if node.vlan.zone_id else None
            (owner.vlans if owner else loose).append(node)
        return SiteHierarchy(site, zones, loose,
                             [a for a in assets.values() if a.id not in linked])

    # -- diagrams -------------------------------------------------------------
    def _diagram_fields(self, name: str, description: str | None,
                        data: JSON | None) -> tuple[str, str | None, JSON]:
        if data is not None and json_size("diagram data", data) > MAX_DIAGRAM_BYTES:
            raise ValidationError(f"diagram data is larger than {MAX_DIAGRAM_BYTES} bytes")
        return (check_text("diagram name", name, max_length=200),
                _optional("description", description, 1000), {} if data is None else data)

    def _set_assets(self, diagram_id: uuid.UUID, asset_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        wanted = check_ids("asset_ids", asset_ids)
        for asset_id in wanted:
            self.repo.asset(asset_id)
        self.repo.replace_diagram_links(diagram_id, wanted)
        return wanted

    def create_diagram(self, site_id: uuid.UUID, name: str, *, description: str | None = None,
                       data: JSON | None = None,
                       asset_ids: Iterable[uuid.UUID] = ()) -> DiagramView:
        title, text, doc = self._diagram_fields(name, description, data)
        diagram = Diagram(id=new_id(), tenant_id=self.repo.tenant_id, site_id=site_id,
                          name=title, description=text, data=doc)
        with self.change():
            self.repo.site(site_id)
            self.repo.insert_diagram(diagram)
            linked = self._set_assets(diagram.id, asset_ids)
            self.audit("diagram.created", "diagram", diagram.id, name=title, assets=len(linked))
        return DiagramView(diagram, linked)

    def save_diagram(self, diagram_id: uuid.UUID, name: str, *, description: str | None = None,
                     data: JSON | None = None,
                     asset_ids: Iterable[uuid.UUID] = ()) -> DiagramView:
        """Save the whole diagram: its fields, its document and its linked assets."""
        title, text, doc = self._diagram_fields(name, description, data)
        with self.change():
            diagram = self.repo.diagram(diagram_id)
            diagram.name, diagram.description, diagram.data = title, text, doc
            self.repo.update_diagram(diagram)
            linked = self._set_assets(diagram_id, asset_ids)
            self.audit("diagram.updated", "diagram", diagram_id, name=title, assets=len(linked))
        return DiagramView(diagram, linked)

    def diagram(self, diagram_id: uuid.UUID) -> DiagramView:
        return DiagramView(self.repo.diagram(diagram_id), self.repo.diagram_asset_ids(diagram_id))

    def diagrams_at(self, site_id: uuid.UUID) -> list[Diagram]:
        self.repo.site(site_id)
        return self.repo.diagrams_at(site_id)
