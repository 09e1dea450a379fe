-- Concurrent pollers skip each other's locked rows instead of queueing behind them, so
-- eight pollers of one device each take different commands, none twice. The CTE runs
-- once: a LIMIT inside `id IN (subquery)` may be re-evaluated and claim more rows.
-- name: claim_commands
WITH next_commands AS (
    SELECT id FROM device_commands
    WHERE tenant_id = :tenant_id AND device_id = :device_id AND status = 'pending'
    ORDER BY created_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE device_commands AS c SET status = 'acked', acked_at = :now
FROM next_commands AS n
WHERE c.id = n.id AND c.tenant_id = :tenant_id AND c.device_id = :device_id
RETURNING c.id, c.tenant_id, c.device_id, c.command, c.payload, c.status, c.created_by,
          c.created_at, c.acked_at, c.completed_at, c.result
