"""CMDB SQL on one tenant's unit of work: the typed statements of ``queries.sql``."""

from __future__ import annotations

import uuid

from monozu.db.models import Asset, AssetVlan, Diagram, Site, Vlan, Zone
from monozu.db.queries import QueryFile, many, optional, rowcount, value
from monozu.domain.cmdb.types import SiteAssetCount
from monozu.domain.common import Repository, found


class CmdbQueries(QueryFile):
    """The typed view of ``queries.sql`` (checked against it when loaded)."""

    insert_site = rowcount()
    get_site = optional(Site)
    list_sites = many(Site)
    update_site = rowcount()
    insert_zone = rowcount()
    get_zone = optional(Zone)
    list_zones_at_site = many(Zone)
    insert_vlan = rowcount()
    get_vlan = optional(Vlan)
    list_vlans_at_site = many(Vlan)
    insert_asset = rowcount()
    get_asset = optional(Asset)
    lock_asset = rowcount()
    update_asset = rowcount()
    list_assets = many(Asset)
    list_assets_after = many(Asset)
    list_assets_at_site = many(Asset)
    list_assets_at_site_after = many(Asset)
    assets_at_site = many(Asset)
    count_assets_per_site = many(SiteAssetCount)
    asset_vlan_exists = value(int)
    insert_asset_vlan = rowcount()
    delete_asset_vlan = rowcount()
    vlans_of_asset = many(Vlan)
    asset_vlan_links_at_site = many(AssetVlan)
    insert_diagram = rowcount()
    get_diagram = optional(Diagram)
    update_diagram = rowcount()
    list_diagrams_at_site = many(Diagram)
    delete_diagram_links = rowcount()
    insert_diagram_link = rowcount()
    diagram_asset_ids = many(uuid.UUID)


QUERIES = CmdbQueries("monozu.domain.cmdb")


class CmdbRepository(Repository):
    # sites, zones, VLANs
    def insert_site(self, site: Site) -> None:
        QUERIES.insert_site(self.tx, tenant_id=self.tenant_id, id=site.id, name=site.name,
                            address=site.address, created_at=site.created_at)

    def site(self, site_id: uuid.UUID) -> Site:
        return found(QUERIES.get_site(self.tx, tenant_id=self.tenant_id, id=site_id),
                     "site", site_id)

    def sites(self) -> list[Site]:
        return QUERIES.list_sites(self.tx, tenant_id=self.tenant_id)

    def update_site(self, site: Site) -> None:
        QUERIES.update_site(self.tx, tenant_id=self.tenant_id, id=site.id, name=site.name,
                            address=site.address)

    def insert_zone(self, zone: Zone) -> None:
        QUERIES.insert_zone(self.tx, tenant_id=self.tenant_id, id=zone.id, name=zone.name,
                            site_id=zone.site_id)

    def zone(self, zone_id: uuid.UUID) -> Zone:
        return found(QUERIES.get_zone(self.tx, tenant_id=self.tenant_id, id=zone_id),
                     "zone", zone_id)

    def zones_at(self, site_id: uuid.UUID) -> list[Zone]:
        return QUERIES.list_zones_at_site(self.tx, tenant_id=self.tenant_id, site_id=site_id)

    def insert_vlan(self, vlan: Vlan) -> None:
        QUERIES.insert_vlan(self.tx, tenant_id=self.tenant_id, id=vlan.id, zone_id=vlan.zone_id,
                            vlan_number=vlan.vlan_number, name=vlan.name, cidr=vlan.cidr,
                            site_id=vlan.site_id)

    def vlan(self, vlan_id: uuid.UUID) -> Vlan:
        return found(QUERIES.get_vlan(self.tx, tenant_id=self.tenant_id, id=vlan_id),
                     "VLAN", vlan_id)

    def vlans_at(self, site_id: uuid.UUID) -> list[Vlan]:
        return QUERIES.list_vlans_at_site(self.tx, tenant_id=self.tenant_id, site_id=site_id)

    # assets
    def insert_asset(self, a: Asset) -> None:
        QUERIES.insert_asset(self.tx, tenant_id=self.tenant_id, id=a.id, name=a.name,
                             type=a.type, site_id=a.site_id, created_at=a.created_at,
                             ip_address=a.ip_address, mac_address=a.mac_address, model=a.model,
                             firmware_version=a.firmware_version, cpe=a.cpe,
                             criticality=a.criticality, lifecycle_state=a.lifecycle_state,
                             producer=a.producer)

    def lock_asset(self, asset_id: uuid.UUID) -> None:
        """Hold the asset's row to the end of the unit of work (no row: nothing held)."""
        QUERIES.lock_asset(self.tx, tenant_id=self.tenant_id, id=asset_id)

    def update_asset(self, a: Asset) -> None:
        QUERIES.update_asset(self.tx, tenant_id=self.tenant_id, id=a.id, name=a.name,
                             type=a.type, site_id=a.site_id, ip_address=a.ip_address,
                             mac_address=a.mac_address, model=a.model,
                             firmware_version=a.firmware_version, cpe=a.cpe,
                             criticality=a.criticality, lifecycle_state=a.lifecycle_state,
                             producer=a.producer)

    def asset(self, asset_id: uuid.UUID) -> Asset:
        return found(QUERIES.get_asset(self.tx, tenant_id=self.tenant_id, id=asset_id),
                     "asset", asset_id)

    def asset_page(self, *, site_id: uuid.UUID | None, types: list[str], pattern: str,
                   after: tuple[str, uuid.UUID] | None, limit: int) -> list[Asset]:
        params: dict[str, object] = {"tenant_id": self.tenant_id, "asset_types": types,
                                     "pattern": pattern, "limit": limit}
        if after is not None:
            params.update(after_name=after[0], after_id=after[1])
        if site_id is None:
            query = QUERIES.list_assets if after is None else QUERIES.list_assets_after
        else:
            params["site_id"] = site_id
            query = QUERIES.list_assets_at_site if after is None \
                else QUERIES.list_assets_at_site_after
        return query(self.tx, **params)

    def assets_at(self, site_id: uuid.UUID) -> list[Asset]:
        return QUERIES.assets_at_site(self.tx, tenant_id=self.tenant_id, site_id=site_id)

    def asset_counts(self) -> list[SiteAssetCount]:
        return QUERIES.count_assets_per_site(self.tx, tenant_id=self.tenant_id)

    # asset <-> VLAN links
    def has_vlan_link(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> bool:
        return QUERIES.asset_vlan_exists(self.tx, tenant_id=self.tenant_id, asset_id=asset_id,
                                         vlan_id=vlan_id) > 0

    def link_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> None:
        QUERIES.insert_asset_vlan(self.tx, tenant_id=self.tenant_id, asset_id=asset_id,
                                  vlan_id=vlan_id)

    def unlink_vlan(self, asset_id: uuid.UUID, vlan_id: uuid.UUID) -> int:
        return QUERIES.delete_asset_vlan(self.tx, tenant_id=self.tenant_id, asset_id=asset_id,
                                         vlan_id=vlan_id)

    def vlans_of(self, asset_id: uuid.UUID) -> list[Vlan]:
        return QUERIES.vlans_of_asset(self.tx, tenant_id=self.tenant_id, asset_id=asset_id)

    def vlan_links_at(self, site_id: uuid.UUID) -> list[AssetVlan]:
        return QUERIES.asset_vlan_links_at_site(self.tx, tenant_id=self.tenant_id,
                                                site_id=site_id)

    # diagrams
    def insert_diagram(self, d: Diagram) -> None:
        QUERIES.insert_diagram(self.tx, tenant_id=self.tenant_id, id=d.id, site_id=d.site_id,
                               name=d.name, description=d.description, data=d.data)

    def update_diagram(self, d: Diagram) -> None:
        QUERIES.update_diagram(self.tx, tenant_id=self.tenant_id, id=d.id, name=d.name,
                               description=d.description, data=d.data)

    def diagram(self, diagram_id: uuid.UUID) -> Diagram:
        return found(QUERIES.get_diagram(self.tx, tenant_id=self.tenant_id, id=diagram_id),
                     "diagram", diagram_id)

    def diagrams_at(self, site_id: uuid.UUID) -> list[Diagram]:
        return QUERIES.list_diagrams_at_site(self.tx, tenant_id=self.tenant_id, site_id=site_id)

    def replace_diagram_links(self, diagram_id: uuid.UUID, asset_ids: list[uuid.UUID]) -> None:
        QUERIES.delete_diagram_links(self.tx, tenant_id=self.tenant_id, diagram_id=diagram_id)
        for asset_id in asset_ids:
            QUERIES.insert_diagram_link(self.tx, tenant_id=self.tenant_id,
                                        diagram_id=diagram_id, asset_id=asset_id)

    def diagram_asset_ids(self, diagram_id: uuid.UUID) -> list[uuid.UUID]:
        return QUERIES.diagram_asset_ids(self.tx, tenant_id=self.tenant_id,
                                         diagram_id=diagram_id)
