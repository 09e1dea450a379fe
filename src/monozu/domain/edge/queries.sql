-- Edge appliances. Every tenant-owned statement filters on :tenant_id explicitly (the
-- unit of work's tenant) and, for a device's own calls, on :device_id as well.

-- name: insert_key :rowcount
INSERT INTO edge_provisioning_keys (id, tenant_id, label, key_hash, expires_at, max_uses,
                                    use_count, created_at)
VALUES (:id, :tenant_id, :label, :key_hash, :expires_at, :max_uses, 0, :created_at)

-- name: get_key :optional EdgeProvisioningKey
SELECT id, tenant_id, label, key_hash, expires_at, max_uses, use_count, revoked_at, created_at
FROM edge_provisioning_keys
WHERE tenant_id = :tenant_id AND id = :id

-- name: key_by_hash :optional EdgeProvisioningKey
SELECT id, tenant_id, label, key_hash, expires_at, max_uses, use_count, revoked_at, created_at
FROM edge_provisioning_keys
WHERE tenant_id = :tenant_id AND key_hash = :key_hash

-- name: list_keys :many EdgeProvisioningKey
SELECT id, tenant_id, label, key_hash, expires_at, max_uses, use_count, revoked_at, created_at
FROM edge_provisioning_keys
WHERE tenant_id = :tenant_id
ORDER BY created_at, id

-- name: revoke_key :rowcount
UPDATE edge_provisioning_keys SET revoked_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND revoked_at IS NULL

-- One statement decides and counts a use, so two appliances racing for a key's last
-- use cannot both win: the loser's UPDATE re-checks use_count and changes no row.
-- name: use_key :rowcount
UPDATE edge_provisioning_keys SET use_count = use_count + 1
WHERE tenant_id = :tenant_id AND key_hash = :key_hash AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > :now)
  AND (max_uses IS NULL OR use_count < max_uses)

-- name: insert_device :rowcount
INSERT INTO devices (id, tenant_id, name, type, location, device_key_hash, status,
                     created_at)
VALUES (:id, :tenant_id, :name, :type, :location, :key_hash, 'active', :created_at)

-- name: device_by_key :optional Device
SELECT id, tenant_id, name, type, location, device_key_hash, status, last_seen_at,
       revoked_at, created_at
FROM devices
WHERE tenant_id = :tenant_id AND device_key_hash = :key_hash

-- name: get_device :optional Device
SELECT id, tenant_id, name, type, location, device_key_hash, status, last_seen_at,
       revoked_at, created_at
FROM devices
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_devices :many Device
SELECT id, tenant_id, name, type, location, device_key_hash, status, last_seen_at,
       revoked_at, created_at
FROM devices
WHERE tenant_id = :tenant_id
ORDER BY name, id

-- name: touch_device :rowcount
UPDATE devices SET last_seen_at = :now
WHERE tenant_id = :tenant_id AND id = :id

-- name: revoke_device :rowcount
UPDATE devices SET status = 'revoked', revoked_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND revoked_at IS NULL

-- name: insert_command :rowcount
INSERT INTO device_commands (id, tenant_id, device_id, command, payload, status, created_by,
                             created_at)
VALUES (:id, :tenant_id, :device_id, :command, :payload, 'pending', :created_by, :created_at)

-- Claims a device's oldest pending commands and marks them acked in the same statement
-- (the dialect's queue claim: row locks that skip locked rows; SQLite's writer lock).
-- name: claim_commands :many DeviceCommand
{{ claim device_commands key id set status = 'acked', acked_at = :now
   where tenant_id = :tenant_id AND device_id = :device_id AND status = 'pending'
   order by created_at, id limit :limit }}

-- name: finish_command :rowcount
UPDATE device_commands SET status = :status, completed_at = :now, result = :result
WHERE tenant_id = :tenant_id AND device_id = :device_id AND id = :id AND status = 'acked'

-- name: get_command :optional DeviceCommand
SELECT id, tenant_id, device_id, command, payload, status, created_by, created_at, acked_at,
       completed_at, result
FROM device_commands
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_device_commands :many DeviceCommand
SELECT id, tenant_id, device_id, command, payload, status, created_by, created_at, acked_at,
       completed_at, result
FROM device_commands
WHERE tenant_id = :tenant_id AND device_id = :device_id
ORDER BY created_at, id

-- name: expire_commands :rowcount
UPDATE device_commands SET status = 'expired', completed_at = :now
WHERE tenant_id = :tenant_id AND status = 'pending' AND created_at < :cutoff

-- name: insert_release :rowcount
INSERT INTO snap_releases (id, snap_name, version, channel, sha256, blob_path, size_bytes,
                           published_at)
VALUES (:id, :snap_name, :version, :channel, :sha256, :blob_path, :size_bytes, :published_at)

-- name: newest_release :optional SnapRelease
SELECT id, snap_name, version, channel, sha256, blob_path, size_bytes, published_at
FROM snap_releases
WHERE snap_name = :snap_name AND channel = :channel
ORDER BY published_at DESC, id DESC
{{ limit 1 }}

-- name: insert_snap_update :rowcount
INSERT INTO device_snap_updates (id, tenant_id, device_id, snap_name, from_version,
                                 to_version, status, reported_at)
VALUES (:id, :tenant_id, :device_id, :snap_name, :from_version, :to_version, :status,
        :reported_at)

-- The latest report of each (device, snap) of one tenant.
-- name: latest_snap_updates :many DeviceSnapUpdate
SELECT u.id, u.tenant_id, u.device_id, u.snap_name, u.from_version, u.to_version, u.status,
       u.reported_at
FROM device_snap_updates u
WHERE u.tenant_id = :tenant_id
  AND NOT EXISTS (
      SELECT 1 FROM device_snap_updates n
      WHERE n.tenant_id = u.tenant_id AND n.device_id = u.device_id
        AND n.snap_name = u.snap_name
        AND (n.reported_at > u.reported_at OR (n.reported_at = u.reported_at AND n.id > u.id)))
ORDER BY u.device_id, u.snap_name

-- Reads of one tenant's events in a time window; :any_device / :any_kind = 1 lift the
-- device / kind filter (fixed statements, no SQL built from input).
-- name: list_events :many IngestEvent
SELECT id, tenant_id, device_id, kind, event_at, data, received_at
FROM ingest_events
WHERE tenant_id = :tenant_id AND event_at >= :since AND event_at < :until
  AND (:any_device = 1 OR device_id = :device_id)
  AND (:any_kind = 1 OR kind = :kind)
ORDER BY event_at, id
{{ limit :limit }}

-- name: list_events_after :many IngestEvent
SELECT id, tenant_id, device_id, kind, event_at, data, received_at
FROM ingest_events
WHERE tenant_id = :tenant_id AND event_at < :until
  AND (event_at > :after_event_at OR (event_at = :after_event_at AND id > :after_id))
  AND (:any_device = 1 OR device_id = :device_id)
  AND (:any_kind = 1 OR kind = :kind)
ORDER BY event_at, id
{{ limit :limit }}

-- One bounded batch of a retention purge (its own short transaction).
-- name: purge_events :rowcount
DELETE FROM ingest_events
WHERE tenant_id = :tenant_id
  AND id IN (SELECT id FROM ingest_events
             WHERE tenant_id = :tenant_id AND received_at < :cutoff
             ORDER BY received_at, id
             {{ limit :limit }})

-- name: count_events :value int
SELECT COUNT(*) FROM ingest_events WHERE tenant_id = :tenant_id

-- name: tenant_ids :many UUID
SELECT id FROM tenants ORDER BY id
