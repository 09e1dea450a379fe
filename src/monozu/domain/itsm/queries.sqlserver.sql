-- SQL Server: page limits as OFFSET ... FETCH (no LIMIT clause).

-- name: list_incidents
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
ORDER BY created_at DESC, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_incidents_after
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
  AND created_at <= :after_created_at
  AND (created_at < :after_created_at OR id > :after_id)
ORDER BY created_at DESC, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY
