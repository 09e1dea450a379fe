-- CMDB statements: sites, zones, VLANs, assets, their VLAN links, diagrams.
-- Every statement filters on :tenant_id; pages end in the limit snippet, shared by every database.

-- name: insert_site :rowcount
INSERT INTO sites (id, tenant_id, name, address, created_at)
VALUES (:id, :tenant_id, :name, :address, :created_at)

-- name: get_site :optional Site
SELECT id, tenant_id, name, address, created_at
FROM sites WHERE tenant_id = :tenant_id AND id = :id

-- name: list_sites :many Site
SELECT id, tenant_id, name, address, created_at
FROM sites WHERE tenant_id = :tenant_id ORDER BY name, id

-- name: update_site :rowcount
UPDATE sites SET name = :name, address = :address
WHERE tenant_id = :tenant_id AND id = :id

-- name: insert_zone :rowcount
INSERT INTO zones (id, tenant_id, name, site_id)
VALUES (:id, :tenant_id, :name, :site_id)

-- name: get_zone :optional Zone
SELECT id, tenant_id, name, site_id
FROM zones WHERE tenant_id = :tenant_id AND id = :id

-- name: list_zones_at_site :many Zone
SELECT id, tenant_id, name, site_id
FROM zones WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: insert_vlan :rowcount
INSERT INTO vlans (id, tenant_id, zone_id, vlan_number, name, cidr, site_id)
VALUES (:id, :tenant_id, :zone_id, :vlan_number, :name, :cidr, :site_id)

-- name: get_vlan :optional Vlan
SELECT id, tenant_id, zone_id, vlan_number, name, cidr, site_id
FROM vlans WHERE tenant_id = :tenant_id AND id = :id

-- name: list_vlans_at_site :many Vlan
SELECT id, tenant_id, zone_id, vlan_number, name, cidr, site_id
FROM vlans WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY vlan_number, id

-- name: insert_asset :rowcount
INSERT INTO assets (id, tenant_id, name, type, site_id, created_at, ip_address, mac_address,
                    model, firmware_version, cpe, criticality, lifecycle_state, producer)
VALUES (:id, :tenant_id, :name, :type, :site_id, :created_at, :ip_address, :mac_address,
        :model, :firmware_version, :cpe, :criticality, :lifecycle_state, :producer)

-- name: get_asset :optional Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets WHERE tenant_id = :tenant_id AND id = :id

-- Holds the asset's row until the unit of work ends, so that a move and a VLAN link of
-- one asset run one after the other and each sees what the other did.
-- name: lock_asset :rowcount
UPDATE assets SET site_id = site_id WHERE tenant_id = :tenant_id AND id = :id

-- name: update_asset :rowcount
UPDATE assets
SET name = :name, type = :type, site_id = :site_id, ip_address = :ip_address,
    mac_address = :mac_address, model = :model, firmware_version = :firmware_version,
    cpe = :cpe, criticality = :criticality, lifecycle_state = :lifecycle_state,
    producer = :producer
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_assets :many Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_after :many Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_at_site :many Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_at_site_after :many Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
{{ limit :limit }}

-- name: assets_at_site :many Asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: count_assets_per_site :many SiteAssetCount
SELECT s.id AS site_id, s.name AS site_name, COUNT(a.id) AS assets
FROM sites s
LEFT JOIN assets a ON a.tenant_id = s.tenant_id AND a.site_id = s.id
WHERE s.tenant_id = :tenant_id
GROUP BY s.id, s.name
ORDER BY s.name, s.id

-- name: asset_vlan_exists :value int
SELECT count(*) FROM asset_vlans
WHERE tenant_id = :tenant_id AND asset_id = :asset_id AND vlan_id = :vlan_id

-- name: insert_asset_vlan :rowcount
INSERT INTO asset_vlans (tenant_id, asset_id, vlan_id) VALUES (:tenant_id, :asset_id, :vlan_id)

-- name: delete_asset_vlan :rowcount
DELETE FROM asset_vlans
WHERE tenant_id = :tenant_id AND asset_id = :asset_id AND vlan_id = :vlan_id

-- name: vlans_of_asset :many Vlan
SELECT v.id, v.tenant_id, v.zone_id, v.vlan_number, v.name, v.cidr, v.site_id
FROM asset_vlans av
JOIN vlans v ON v.tenant_id = av.tenant_id AND v.id = av.vlan_id
WHERE av.tenant_id = :tenant_id AND av.asset_id = :asset_id
ORDER BY v.vlan_number, v.id

-- name: asset_vlan_links_at_site :many AssetVlan
SELECT av.tenant_id, av.asset_id, av.vlan_id
FROM asset_vlans av
JOIN assets a ON a.tenant_id = av.tenant_id AND a.id = av.asset_id
WHERE av.tenant_id = :tenant_id AND a.site_id = :site_id

-- name: insert_diagram :rowcount
INSERT INTO diagrams (id, tenant_id, site_id, name, description, data)
VALUES (:id, :tenant_id, :site_id, :name, :description, :data)

-- name: get_diagram :optional Diagram
SELECT id, tenant_id, site_id, name, description, data
FROM diagrams WHERE tenant_id = :tenant_id AND id = :id

-- name: update_diagram :rowcount
UPDATE diagrams SET name = :name, description = :description, data = :data
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_diagrams_at_site :many Diagram
SELECT id, tenant_id, site_id, name, description, data
FROM diagrams WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: delete_diagram_links :rowcount
DELETE FROM diagram_asset_links WHERE tenant_id = :tenant_id AND diagram_id = :diagram_id

-- name: insert_diagram_link :rowcount
INSERT INTO diagram_asset_links (diagram_id, asset_id, tenant_id)
VALUES (:diagram_id, :asset_id, :tenant_id)

-- name: diagram_asset_ids :many UUID
SELECT asset_id FROM diagram_asset_links
WHERE tenant_id = :tenant_id AND diagram_id = :diagram_id ORDER BY asset_id
