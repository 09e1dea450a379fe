-- SQL Server: page limits as OFFSET ... FETCH (no LIMIT clause).

-- name: list_assets
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_assets_after
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_assets_at_site
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
ORDER BY name, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_assets_at_site_after
SELECT id, tenant_id, name, type, site_id, created_at, ip_address, mac_address, model,
       firmware_version, cpe, criticality, lifecycle_state, producer
FROM assets
WHERE tenant_id = :tenant_id AND site_id = :site_id AND type IN (:asset_types)
  AND (LOWER(name) LIKE :pattern ESCAPE '\' OR LOWER(producer) LIKE :pattern ESCAPE '\'
       OR LOWER(model) LIKE :pattern ESCAPE '\')
  AND name >= :after_name AND (name > :after_name OR id > :after_id)
ORDER BY name, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY
