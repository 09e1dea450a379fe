-- Concurrent pollers skip each other's locked rows instead of queueing behind them, so
-- eight pollers of one device each take different commands, none twice. The CTE runs
-- once: a LIMIT inside `id IN (subquery)` may be re-evaluated and claim more rows. The
-- claimed ids reach the UPDATE as one array, so it finds them by primary key whatever the
-- planner's row estimates say (a join could scan every command of the device).
-- name: claim_commands :many DeviceCommand
WITH next_commands AS (
    SELECT id FROM device_commands
    WHERE tenant_id = :tenant_id AND device_id = :device_id AND status = 'pending'
    ORDER BY created_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE device_commands SET status = 'acked', acked_at = :now
WHERE id = ANY (ARRAY(SELECT id FROM next_commands))
  AND tenant_id = :tenant_id AND device_id = :device_id
RETURNING id, tenant_id, device_id, command, payload, status, created_by, created_at,
          acked_at, completed_at, result
