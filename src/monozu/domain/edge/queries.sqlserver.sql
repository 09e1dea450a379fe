-- UPDATE TOP (n) alone takes any n rows; the ordered CTE takes the oldest. UPDLOCK holds
-- the claimed rows, READPAST skips rows another poller holds, ROWLOCK keeps it to rows.
-- name: claim_commands :many DeviceCommand
WITH next_commands AS (
    SELECT TOP (:limit) id, status, acked_at
    FROM device_commands WITH (UPDLOCK, READPAST, ROWLOCK)
    WHERE tenant_id = :tenant_id AND device_id = :device_id AND status = 'pending'
    ORDER BY created_at, id
)
UPDATE next_commands SET status = 'acked', acked_at = :now
OUTPUT inserted.id, inserted.tenant_id, inserted.device_id, inserted.command,
       inserted.payload, inserted.status, inserted.created_by, inserted.created_at,
       inserted.acked_at, inserted.completed_at, inserted.result

-- name: newest_release :optional SnapRelease
SELECT id, snap_name, version, channel, sha256, blob_path, size_bytes, published_at
FROM snap_releases
WHERE snap_name = :snap_name AND channel = :channel
ORDER BY published_at DESC, id DESC
OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY

-- name: list_events :many IngestEvent
SELECT id, tenant_id, device_id, kind, event_at, data, received_at
FROM ingest_events
WHERE tenant_id = :tenant_id AND event_at >= :since AND event_at < :until
  AND (:any_device = 1 OR device_id = :device_id)
  AND (:any_kind = 1 OR kind = :kind)
ORDER BY event_at, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_events_after :many IngestEvent
SELECT id, tenant_id, device_id, kind, event_at, data, received_at
FROM ingest_events
WHERE tenant_id = :tenant_id AND event_at < :until
  AND (event_at > :after_event_at OR (event_at = :after_event_at AND id > :after_id))
  AND (:any_device = 1 OR device_id = :device_id)
  AND (:any_kind = 1 OR kind = :kind)
ORDER BY event_at, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: purge_events :rowcount
DELETE TOP (:limit) FROM ingest_events
WHERE tenant_id = :tenant_id AND received_at < :cutoff
