"""The CMDB context in the isolation machine: sites, zones, VLANs, assets, their links, diagrams."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, rule

from monozu.db import NotFound
from monozu.db.models import Asset
from monozu.domain.cmdb import AssetSpec, CmdbService, DiagramView
from monozu.domain.errors import ValidationError
from monozu.domain.paging import encode_cursor
from tests.domain.isolation.base import (
    NIL,
    NOW,
    TENANTS,
    E,
    IsolationMachine,
    Owned,
    R,
    as_uuid,
    foreign_id_rule,
    maybe_uuid,
    not_found,
    other_tenant,
    tenant_index,
)

# ---------------------------------------------------------------------------- cmdb

@dataclass
class CmdbModel:
    sites: dict[uuid.UUID, str] = field(default_factory=dict)             # id -> name
    zones: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)  # id -> site
    vlans: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)  # id -> site
    assets: dict[uuid.UUID, tuple[str, uuid.UUID]] = field(default_factory=dict)  # name, site
    links: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)  # (asset, VLAN)
    diagrams: dict[uuid.UUID, tuple[uuid.UUID, str, frozenset[uuid.UUID]]] = field(
        default_factory=dict)  # id -> (site, name, linked assets)

    def at_site(self, table: dict[uuid.UUID, Any], site: uuid.UUID) -> set[uuid.UUID]:
        return {i for i, v in table.items() if (v[-1] if isinstance(v, tuple) else v) == site}


def _spec(site_id: uuid.UUID, name: str = "PLC") -> AssetSpec:
    return AssetSpec(name=name, type="plc", site_id=site_id)


CmdbCall = Callable[[CmdbService, uuid.UUID], object]
SITE_CALLS: dict[str, CmdbCall] = {
    "site": CmdbService.site,
    "rename_site": lambda svc, i: svc.rename_site(i, "Plant"),
    "create_zone": lambda svc, i: svc.create_zone("Cell", site_id=i),
    "create_vlan": lambda svc, i: svc.create_vlan(10, "Ctl", site_id=i),
    "create_asset": lambda svc, i: svc.create_asset(_spec(i)),
    "assets": lambda svc, i: svc.assets(site_id=i),
    "hierarchy": CmdbService.hierarchy,
    "create_diagram": lambda svc, i: svc.create_diagram(i, "Net"),
    "diagrams_at": CmdbService.diagrams_at,
}
ZONE_CALLS: dict[str, CmdbCall] = {
    "zone": CmdbService.zone,
    "create_vlan": lambda svc, i: svc.create_vlan(10, "Ctl", zone_id=i),
}
VLAN_CALLS: dict[str, CmdbCall] = {
    "vlan": CmdbService.vlan,
}
ASSET_CALLS: dict[str, CmdbCall] = {
    "asset": CmdbService.asset,
    "update_asset": lambda svc, i: svc.update_asset(i, _spec(NIL)),
    "vlans_of": CmdbService.vlans_of,
    "link_vlan": lambda svc, i: svc.link_vlan(i, NIL),
    "unlink_vlan": lambda svc, i: svc.unlink_vlan(i, NIL),
}
DIAGRAM_CALLS: dict[str, CmdbCall] = {
    "diagram": CmdbService.diagram,
    "save_diagram": lambda svc, i: svc.save_diagram(i, "Net"),
}


class CmdbRules(IsolationMachine):
    sites = Bundle("sites")
    zones = Bundle("zones")
    vlans = Bundle("vlans")
    assets = Bundle("assets")
    diagrams = Bundle("diagrams")

    def __init__(self) -> None:
        super().__init__()
        self.cmdb_model = [CmdbModel() for _ in range(TENANTS)]

    def cmdb(self, t: int, work: Callable[[CmdbService], R]) -> R:
        return self.in_tenant(t, lambda tx: work(CmdbService(tx, clock=lambda: NOW)))

    def cmdb_refused(self, t: int, error: type[E], work: Callable[[CmdbService], object],
                     match: str | None = None) -> E:
        return self.refused_in(t, error, lambda tx: work(CmdbService(tx, clock=lambda: NOW)),
                               match)

    def _cmdb_call(self, call: CmdbCall) -> Callable[[int, uuid.UUID], object]:
        return lambda t, row_id: self.cmdb(t, lambda svc: call(svc, row_id))

    # another tenant's id, passed to any call taking one
    foreign_sites_in_cmdb_calls = foreign_id_rule(sites, SITE_CALLS, "_cmdb_call")
    foreign_zones_in_cmdb_calls = foreign_id_rule(zones, ZONE_CALLS, "_cmdb_call")
    foreign_vlans_in_cmdb_calls = foreign_id_rule(vlans, VLAN_CALLS, "_cmdb_call")
    foreign_assets_in_cmdb_calls = foreign_id_rule(assets, ASSET_CALLS, "_cmdb_call")
    foreign_diagrams_in_cmdb_calls = foreign_id_rule(diagrams, DIAGRAM_CALLS, "_cmdb_call")

    # one row of each kind to start from, so every rule can run from the first step
    @initialize(target=sites, t=tenant_index)
    def seed_site(self, t: int) -> Owned:
        return self.create_site(t, "Plant A")

    @initialize(target=zones, t=tenant_index)
    def seed_zone(self, t: int) -> Owned:
        return self.create_zone(t, self.create_site(t, "Plant B"), True)

    @initialize(target=vlans, t=tenant_index)
    def seed_vlan(self, t: int) -> Owned:
        return self.create_vlan(t, (t, uuid.uuid4()), self.create_site(t, "Plant C"),
                                False, True)

    @initialize(target=assets, t=tenant_index)
    def seed_asset(self, t: int) -> Owned:
        return self.create_asset(t, self.create_site(t, "Plant D"), "PLC-1")

    @initialize(target=diagrams, t=tenant_index)
    def seed_diagram(self, t: int) -> Owned:
        return self.create_diagram(t, self.create_site(t, "Plant E"), [])

    # sites, zones, VLANs
    @rule(target=sites, t=tenant_index, name=st.sampled_from(["Plant A", "Plant B"]))
    def create_site(self, t: int, name: str) -> Owned:
        site = self.cmdb(t, lambda svc: svc.create_site(name))
        self.cmdb_model[t].sites[site.id] = name
        self.audited[t] += 1
        return (t, site.id)

    @rule(t=tenant_index, site=sites, name=st.sampled_from(["Plant A", "Office"]))
    def rename_site(self, t: int, site: Owned, name: str) -> None:
        m = self.cmdb_model[t]
        if not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.rename_site(site[1], name),
                              not_found("site", site[1]))
            return
        assert self.cmdb(t, lambda svc: svc.rename_site(site[1], name)).name == name
        m.sites[site[1]] = name
        self.audited[t] += 1

    @rule(target=zones, t=tenant_index, site=sites, at_site=st.booleans())
    def create_zone(self, t: int, site: Owned, at_site: bool) -> Owned:
        m, site_id = self.cmdb_model[t], site[1] if at_site else None
        if at_site and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.create_zone("Cell", site_id),
                              not_found("site", site[1]))
            return (t, uuid.uuid4())
        zone = self.cmdb(t, lambda svc: svc.create_zone("Cell", site_id))
        m.zones[zone.id] = site_id
        self.audited[t] += 1
        return (t, zone.id)

    @rule(target=vlans, t=tenant_index, zone=zones, site=sites, in_zone=st.booleans(),
          at_site=st.booleans())
    def create_vlan(self, t: int, zone: Owned, site: Owned, in_zone: bool,
                    at_site: bool) -> Owned:
        m = self.cmdb_model[t]
        zone_id, site_id = zone[1] if in_zone else None, site[1] if at_site else None

        def call(svc: CmdbService) -> object:
            return svc.create_vlan(20, "Control", zone_id=zone_id, site_id=site_id)
        if at_site and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
        elif in_zone and not self.owns(t, zone, m.zones):
            self.cmdb_refused(t, NotFound, call, not_found("zone", zone[1]))
        elif in_zone and m.zones[zone[1]] is not None \
                and site_id not in (None, m.zones[zone[1]]):
            self.cmdb_refused(t, ValidationError, call, "belongs to another site")
        else:
            vlan = self.cmdb(t, call)
            m.vlans[vlan.id] = (m.zones[zone[1]] if in_zone else None) or site_id
            self.audited[t] += 1
            return (t, vlan.id)
        return (t, uuid.uuid4())

    # assets and their VLANs
    @rule(target=assets, t=tenant_index, site=sites, name=st.sampled_from(["PLC-1", "HMI-1"]))
    def create_asset(self, t: int, site: Owned, name: str) -> Owned:
        m = self.cmdb_model[t]
        if not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, lambda svc: svc.create_asset(_spec(site[1], name)),
                              not_found("site", site[1]))
            return (t, uuid.uuid4())
        asset = self.cmdb(t, lambda svc: svc.create_asset(_spec(site[1], name)))
        m.assets[asset.id] = (name, site[1])
        self.audited[t] += 1
        return (t, asset.id)

    @rule(t=tenant_index, asset=assets, site=sites, name=st.sampled_from(["PLC-1", "PLC-2"]))
    def update_asset(self, t: int, asset: Owned, site: Owned, name: str) -> None:
        m = self.cmdb_model[t]

        def call(svc: CmdbService) -> object:
            return svc.update_asset(asset[1], _spec(site[1], name))
        if not self.owns(t, asset, m.assets):
            self.cmdb_refused(t, NotFound, call, not_found("asset", asset[1]))
            return
        if m.assets[asset[1]][1] != site[1]:
            if not self.owns(t, site, m.sites):
                self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
                return
            if any(a == asset[1] and m.vlans[v] not in (None, site[1]) for a, v in m.links):
                self.cmdb_refused(t, ValidationError, call, "belongs to another site")
                return
        self.cmdb(t, call)
        m.assets[asset[1]] = (name, site[1])
        self.audited[t] += 1

    @rule(t=tenant_index, asset=assets, vlan=vlans, join=st.booleans())
    def asset_vlan(self, t: int, asset: Owned, vlan: Owned, join: bool) -> None:
        m, pair = self.cmdb_model[t], (asset[1], vlan[1])

        def call(svc: CmdbService) -> None:
            (svc.link_vlan if join else svc.unlink_vlan)(*pair)
        if not self.owns(t, asset, m.assets):
            self.cmdb_refused(t, NotFound, call, not_found("asset", asset[1]))
        elif not self.owns(t, vlan, m.vlans):
            self.cmdb_refused(t, NotFound, call, not_found("VLAN", vlan[1]))
        elif join and m.vlans[vlan[1]] not in (None, m.assets[asset[1]][1]):
            self.cmdb_refused(t, ValidationError, call, "belongs to another site")
        else:
            self.cmdb(t, call)
            if (pair in m.links) != join:
                (m.links.add if join else m.links.discard)(pair)
                self.audited[t] += 1

    # diagrams
    def _diagram_refusal(self, t: int, site: Owned | None, assets: list[Owned],
                         call: Callable[[CmdbService], object]) -> bool:
        """Refuse ``call`` as the service must when the site or an asset is not ``t``'s."""
        m = self.cmdb_model[t]
        if site is not None and not self.owns(t, site, m.sites):
            self.cmdb_refused(t, NotFound, call, not_found("site", site[1]))
            return True
        owned = {a[1] for a in assets if self.owns(t, a, m.assets)}
        missing = sorted({a[1] for a in assets} - owned)
        if missing:
            self.cmdb_refused(t, NotFound, call, not_found("asset", missing[0]))
        return bool(missing)

    @rule(target=diagrams, t=tenant_index, site=sites, assets=st.lists(assets, max_size=3))
    def create_diagram(self, t: int, site: Owned, assets: list[Owned]) -> Owned:
        ids = [a[1] for a in assets]

        def call(svc: CmdbService) -> DiagramView:
            return svc.create_diagram(site[1], "Network", data={"nodes": []}, asset_ids=ids)
        if self._diagram_refusal(t, site, assets, call):
            return (t, uuid.uuid4())
        view = self.cmdb(t, call)
        self.cmdb_model[t].diagrams[view.diagram.id] = (site[1], "Network", frozenset(ids))
        self.audited[t] += 1
        return (t, view.diagram.id)

    @rule(t=tenant_index, diagram=diagrams, assets=st.lists(assets, max_size=3),
          name=st.sampled_from(["Network", "Cell 1"]))
    def save_diagram(self, t: int, diagram: Owned, assets: list[Owned], name: str) -> None:
        m, ids = self.cmdb_model[t], [a[1] for a in assets]

        def call(svc: CmdbService) -> DiagramView:
            return svc.save_diagram(diagram[1], name, asset_ids=ids)
        if not self.owns(t, diagram, m.diagrams):
            self.cmdb_refused(t, NotFound, call, not_found("diagram", diagram[1]))
        elif not self._diagram_refusal(t, None, assets, call):
            assert set(self.cmdb(t, call).asset_ids) == set(ids)
            m.diagrams[diagram[1]] = (m.diagrams[diagram[1]][0], name, frozenset(ids))
            self.audited[t] += 1

    # what each tenant reads
    @rule(t=tenant_index, site=sites)
    def read_site(self, t: int, site: Owned) -> None:
        m, site_id = self.cmdb_model[t], site[1]
        reads: list[Callable[[CmdbService], object]] = [
            partial(CmdbService.site, site_id=site_id),
            partial(CmdbService.hierarchy, site_id=site_id),
            partial(CmdbService.diagrams_at, site_id=site_id),
            lambda svc: svc.assets(site_id=site_id)]
        if not self.owns(t, site, m.sites):
            for read in reads:
                self.cmdb_refused(t, NotFound, read, not_found("site", site_id))
            return
        tree = self.cmdb(t, lambda svc: svc.hierarchy(site_id))
        assert tree.site.name == m.sites[site_id]
        assert {z.zone.id for z in tree.zones} == m.at_site(m.zones, site_id)
        nodes = [n for z in tree.zones for n in z.vlans] + tree.loose_vlans
        assert {n.vlan.id for n in nodes} == m.at_site(m.vlans, site_id)
        here = m.at_site(m.assets, site_id)
        linked = {(a, v) for a, v in m.links if a in here and m.vlans[v] == site_id}
        assert {(a.id, n.vlan.id) for n in nodes for a in n.assets} == linked
        assert {a.id for a in tree.unlinked_assets} == here - {a for a, _ in linked}
        page = self.cmdb(t, lambda svc: svc.assets(site_id=site_id, limit=500))
        assert {a.id for a in page.items} == here
        assert {d.id: d.name for d in self.cmdb(t, lambda svc: svc.diagrams_at(site_id))} == \
            {d: name for d, (s, name, _) in m.diagrams.items() if s == site_id}

    @rule(t=tenant_index, asset=assets, zone=zones, vlan=vlans, diagram=diagrams)
    def read_cmdb_rows(self, t: int, asset: Owned, zone: Owned, vlan: Owned,
                       diagram: Owned) -> None:
        m = self.cmdb_model[t]
        for row, what, table, read in (
                (asset, "asset", m.assets, CmdbService.asset),
                (asset, "asset", m.assets, CmdbService.vlans_of),
                (zone, "zone", m.zones, CmdbService.zone),
                (vlan, "VLAN", m.vlans, CmdbService.vlan),
                (diagram, "diagram", m.diagrams, CmdbService.diagram)):
            if not self.owns(t, row, table):
                self.cmdb_refused(t, NotFound, lambda svc, r=read, i=row[1]: r(svc, i),
                                  not_found(what, row[1]))
        if self.owns(t, asset, m.assets):
            found = self.cmdb(t, lambda svc: svc.asset(asset[1]))
            assert (found.name, found.site_id) == m.assets[asset[1]]
            assert {v.id for v in self.cmdb(t, lambda svc: svc.vlans_of(asset[1]))} == \
                {v for a, v in m.links if a == asset[1]}
        if self.owns(t, zone, m.zones):
            assert self.cmdb(t, lambda svc: svc.zone(zone[1])).site_id == m.zones[zone[1]]
        if self.owns(t, vlan, m.vlans):
            assert self.cmdb(t, lambda svc: svc.vlan(vlan[1])).site_id == m.vlans[vlan[1]]
        if self.owns(t, diagram, m.diagrams):
            view = self.cmdb(t, lambda svc: svc.diagram(diagram[1]))
            assert (view.diagram.site_id, view.diagram.name, frozenset(view.asset_ids)) == \
                m.diagrams[diagram[1]]

    @rule(t=tenant_index)
    def list_cmdb(self, t: int) -> None:
        m = self.cmdb_model[t]
        assert {s.id: s.name for s in self.cmdb(t, CmdbService.sites)} == m.sites
        assert {c.site_id: c.assets for c in self.cmdb(t, CmdbService.asset_counts)} == \
            {s: len(m.at_site(m.assets, s)) for s in m.sites}
        page = self.cmdb(t, lambda svc: svc.assets(limit=500))
        assert {a.id for a in page.items} == set(m.assets)

    @rule(t=tenant_index, shift=other_tenant)
    def assets_after_another_tenants_asset(self, t: int, shift: int) -> None:
        """A cursor carrying another tenant's asset (name and id) pages the caller's own."""
        for row in self.foreign_rows(t, shift, Asset, "assets")[:1]:
            page = self.cmdb(t, lambda svc, r=row: svc.assets(
                limit=500, cursor=encode_cursor((r.name, r.id))))
            assert {a.id for a in page.items} <= set(self.cmdb_model[t].assets)

    @invariant()
    def each_tenants_stored_cmdb_rows_are_its_own(self) -> None:
        rows = {table: self.platform_rows(f"SELECT tenant_id, {columns} FROM {table} "
                                          "WHERE tenant_id IN (:tenants)")
                for table, columns in (("sites", "id, name"), ("zones", "id, site_id"),
                                       ("vlans", "id, site_id"),
                                       ("assets", "id, name, site_id"),
                                       ("asset_vlans", "asset_id, vlan_id"),
                                       ("diagrams", "id, site_id, name"),
                                       ("diagram_asset_links", "diagram_id, asset_id"))}
        for n in range(TENANTS):
            m = self.cmdb_model[n]
            assert {as_uuid(i): name for i, name in rows["sites"][n]} == m.sites
            assert {as_uuid(i): maybe_uuid(s) for i, s in rows["zones"][n]} == m.zones
            assert {as_uuid(i): maybe_uuid(s) for i, s in rows["vlans"][n]} == m.vlans
            assert {as_uuid(i): (name, as_uuid(s)) for i, name, s in rows["assets"][n]} == m.assets
            assert {(as_uuid(a), as_uuid(v)) for a, v in rows["asset_vlans"][n]} == m.links
            links = {(as_uuid(d), as_uuid(a)) for d, a in rows["diagram_asset_links"][n]}
            assert {as_uuid(d): (as_uuid(s), name,
                                 frozenset(a for x, a in links if x == as_uuid(d)))
                    for d, s, name in rows["diagrams"][n]} == m.diagrams
