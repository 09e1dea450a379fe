"""CMDB SQL on one tenant's unit of work (statements in ``queries.sql``)."""

from __future__ import annotations

import uuid

from monozu.db.models import Asset, AssetVlan, Diagram, Site, Vlan, Zone
from monozu.db.queries import Queries, load
from monozu.domain.cmdb.types import SiteAssetCount
from monozu.domain.common import Repository

QUERIES: Queries = load("monozu.domain.cmdb")


class CmdbRepository(Repository):
    QUERIES = QUERIES

    # sites, zones, VLANs
    def insert_site(self, site: Site) -> None:
        self.run("insert_site", id=site.id, name=site.name, address=site.address,
                 created_at=site.created_at)

    def site(self, site_id: uuid.UUID) -> Site:
        return self.one(Site, "get_site", "site", id=site_id)

    def sites(self) -> list[Site]:
        return self.rows(Site, "list_sites")

    def update_site(self, site: Site) -> None:
        self.run("update_site", id=site.id, name=site.name, address=site.address)

    def insert_zone(self, zone: Zone) -> None:
        self.run("insert_zone", id=zone.id, name=zone.name, site_id=zone.site_id)

    def zone(self, zone_id: uuid.UUID) -> Zone:
        return self.one(Zone, "get_zone", "zone", id=zone_id)

    def zones_at(self, site_id: uuid.UUID) -> list[Zone]:
        return self.rows(Zone, "list_zones_at_site", site_id=site_id)

    def insert_vlan(self, vlan: Vlan) -> None:
        self.run("insert_vlan", id=vlan.id, zone_id=vlan.zone_id, vlan_number=vlan.vlan_number,
                 name=vlan.name, cidr=vlan.cidr, site_id=vlan.site_id)

    def vlan(self, vlan_id: uuid.UUID) -> Vlan:
        return self.one(Vlan, "get_vlan", "VLAN", id=vlan_id)

    def vlans_at(self, site_id: uuid.UUID) -> list[Vlan]:
        return self.rows(Vlan, "list_vlans_at_site", site_id=site_id)

    # assets
    def insert_asset(self, a: Asset) -> None:
        self.run("insert_asset", id=a.id, name=a.name, type=a.type, site_id=a.site_id,
                 created_at=a.created_at, ip_address=a.ip_address, mac_address=a.mac_address,
                 model=a.model, firmware_version=a.firmware_version, cpe=a.cpe,
                 criticality=a.criticality, lifecycle_state=a.lifecycle_state,
                 producer=a.producer)

    def update_asset(self, a: Asset) -> None:
        self.run("update_asset", id=a.id, name=a.name, type=a.type, site_id=a.site_id,
                 ip_address=a.ip_address, mac_address=a.mac_address, model=a.model,
                 firmware_version=a.firmware_version, cpe=a.cpe, criticality=a.criticality,
                 lifecycle_state=a.lifecycle_state, producer=a.producer)

    def asset(self, asset_id: uuid.UUID) -> Asset:
        return self.one(Asset, "get_asset", "asset", id=asset_id)

    def asset_page(self, *, site_id: uuid.UUID | None, types: list[str], pattern: str,
                   after: tuple[str, uuid.UUID] | None, limit: int) -> list[Asset]:
        name = "list_assets" if site_id is None else "list_assets_at_site"
        params: dict[str, object] = {"asset_types": types, "pattern": pattern, "limit": limit}
        if site_id is not None:
            params["site_id"] = site_id
        if after is not None:
            name += "_after"
            params.update(after_name=after[0], after_id=after[1])
        return self.rows(Asset, name, **params)

    def assets_at(self, site_id: uuid.UUID) -> list[Asset]:
        return self.rows(Asset, "assets_at_site", site_id=site_id)

    def asset_counts(self) -> list[SiteAssetCount]:
        return self.rows(SiteAssetCount, "count_assets_per_site")

    # asset <-> VLAN links
    def has_vlan_link(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> bool:
        return self.exists("asset_vlan_exists", asset_id=asset_id, vlan_id=vlan_id)

    def link_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> None:
        self.run("insert_asset_vlan", asset_id=asset_id, vlan_id=vlan_id)

    def unlink_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> int:
        return self.run("delete_asset_vlan", asset_id=asset_id, vlan_id=vlan_id)

    def vlans_of(self, asset_id: uuid.UUID) -> list[Vlan]:
        return self.rows(Vlan, "vlans_of_asset", asset_id=asset_id)

    def vlan_links_at(self, site_id: uuid.UUID) -> list[AssetVlan]:
        return self.rows(AssetVlan, "asset_vlan_links_at_site", site_id=site_id)

    # diagrams
    def insert_diagram(self, d: Diagram) -> None:
        self.run("insert_diagram", id=d.id, site_id=d.site_id, name=d.name,
                 description=d.description, data=d.data)

    def update_diagram(self, d: Diagram) -> None:
        self.run("update_diagram", id=d.id, name=d.name, description=d.description, data=d.data)

    def diagram(self, diagram_id: uuid.UUID) -> Diagram:
        return self.one(Diagram, "get_diagram", "diagram", id=diagram_id)

    def diagrams_at(self, site_id: uuid.UUID) -> list[Diagram]:
        return self.rows(Diagram, "list_diagrams_at_site", site_id=site_id)

    def replace_diagram_links(self, diagram_id: uuid.UUID, asset_ids: list[uuid.UUID]) -> None:
        self.run("delete_diagram_links", diagram_id=diagram_id)
        for asset_id in asset_ids:
            self.run("insert_diagram_link", diagram_id=diagram_id, asset_id=asset_id)

    def diagram_asset_ids(self, diagram_id: uuid.UUID) -> list[uuid.UUID]:
        return self.rows(uuid.UUID, "diagram_asset_ids", diagram_id=diagram_id)
