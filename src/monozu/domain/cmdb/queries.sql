-- CMDB statements: sites, zones, VLANs, assets, their VLAN links, diagrams.
-- Every statement filters on :tenant_id; queries.sqlserver.sql overrides the page limits.

-- name: insert_site
INSERT INTO sites (id, tenant_id, name, address, created_at)
VALUES (:id, :tenant_id, :name, :address, :created_at)

-- name: get_site
SELECT id, tenant_id, name, address, created_at
FROM sites WHERE tenant_id = :tenant_id AND id = :id

-- name: list_sites
SELECT id, tenant_id, name, address, created_at
FROM sites WHERE tenant_id = :tenant_id ORDER BY name, id

-- name: update_site
UPDATE sites SET name = :name, address = :address
WHERE tenant_id = :tenant_id AND id = :id

-- name: insert_zone
INSERT INTO zones (id, tenant_id, name, site_id)
VALUES (:id, :tenant_id, :name, :site_id)

-- name: get_zone
SELECT id, tenant_id, name, site_id
FROM zones WHERE tenant_id = :tenant_id AND id = :id

-- name: list_zones_at_site
SELECT id, tenant_id, name, site_id
FROM zones WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: insert_vlan
INSERT INTO vlans (id, tenant_id, zone_id, vlan_number, name, cidr, site_id)
VALUES (:id, :tenant_id, :zone_id, :vlan_number, :name, :cidr, :site_id)

-- name: get_vlan
SELECT id, tenant_id, zone_id, vlan_number, name, cidr, site_id
FROM vlans WHERE tenant_id = :tenant_id AND id = :id

-- name: list_vlans_at_site
SELECT id, tenant_id, zone_id, vlan_number, name, cidr, site_id
FROM vlans WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY vlan_number, id

-- name: insert_asset
INSERT INTO assets (id, tenant_id, name, type, site_id, created_at, ip_address, mac_address,
                    model, firmware_version, cpe, criticality, lifecycle_state, producer)
VALUES (:id, :tenant_id, :name, :type, :site_id, :created_at, :ip_address, :mac_address,
        :model, :firmware_version, :cpe, :criticality, :lifecycle_state, :producer)

-- name: get_asset
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets WHERE tenant_id = :tenant_id AND id = :id

-- name: update_asset
UPDATE assets
SET name = :name, type = :type, site_id = :site_id, ip_address = :ip_address,
    mac_address = :mac_address, model = :model, firmware_version = :firmware_version,
    cpe = :cpe, criticality = :criticality, lifecycle_state = :lifecycle_state,
    producer = :producer
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_assets
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_after
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_at_site
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
{{ limit :limit }}

-- name: list_assets_at_site_after
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
{{ limit :limit }}

-- name: assets_at_site
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: count_assets_per_site
SELECT s.id AS site_id, s.name AS site_name, COUNT(a.id) AS assets
FROM sites s
LEFT JOIN assets a ON a.tenant_id = s.tenant_id AND a.site_id = s.id
WHERE s.tenant_id = :tenant_id
GROUP BY s.id, s.name
ORDER BY s.name, s.id

-- name: asset_vlan_exists
SELECT 1 FROM asset_vlans
WHERE tenant_id = :tenant_id AND asset_id = :asset_id AND vlan_id = :vlan_id

-- name: insert_asset_vlan
INSERT INTO asset_vlans (tenant_id, asset_id, vlan_id) VALUES (:tenant_id, :asset_id, :vlan_id)

-- name: delete_asset_vlan
DELETE FROM asset_vlans
WHERE tenant_id = :tenant_id AND asset_id = :asset_id AND vlan_id = :vlan_id

-- name: vlans_of_asset
SELECT v.id, v.tenant_id, v.zone_id, v.vlan_number, v.name, v.cidr, v.site_id
FROM asset_vlans av
JOIN vlans v ON v.tenant_id = av.tenant_id AND v.id = av.vlan_id
WHERE av.tenant_id = :tenant_id AND av.asset_id = :asset_id
ORDER BY v.vlan_number, v.id

-- name: asset_vlan_links_at_site
SELECT av.tenant_id, av.asset_id, av.vlan_id
FROM asset_vlans av
JOIN assets a ON a.tenant_id = av.tenant_id AND a.id = av.asset_id
WHERE av.tenant_id = :tenant_id AND a.site_id = :site_id

-- name: insert_diagram
INSERT INTO diagrams (id, tenant_id, site_id, name, description, data)
VALUES (:id, :tenant_id, :site_id, :name, :description, :data)

-- name: get_diagram
SELECT id, tenant_id, site_id, name, description, data
FROM diagrams WHERE tenant_id = :tenant_id AND id = :id

-- name: update_diagram
UPDATE diagrams SET name = :name, description = :description, data = :data
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_diagrams_at_site
SELECT id, tenant_id, site_id, name, description, data
FROM diagrams WHERE tenant_id = :tenant_id AND site_id = :site_id ORDER BY name, id

-- name: delete_diagram_links
DELETE FROM diagram_asset_links WHERE tenant_id = :tenant_id AND diagram_id = :diagram_id

-- name: insert_diagram_link
INSERT INTO diagram_asset_links (diagram_id, asset_id, tenant_id)
VALUES (:diagram_id, :asset_id, :tenant_id)

-- name: diagram_asset_ids
SELECT asset_id FROM diagram_asset_links
WHERE tenant_id = :tenant_id AND diagram_id = :diagram_id ORDER BY asset_id
