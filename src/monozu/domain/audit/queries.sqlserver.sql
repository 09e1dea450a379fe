-- name: list_audit
SELECT id, tenant_id, user_id, action, resource_type, resource_id, created_at, details
FROM audit_logs
WHERE tenant_id = :tenant_id
ORDER BY created_at DESC, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY

-- name: list_audit_after
SELECT id, tenant_id, user_id, action, resource_type, resource_id, created_at, details
FROM audit_logs
WHERE tenant_id = :tenant_id
  AND (created_at < :after_created_at OR (created_at = :after_created_at AND id > :after_id))
ORDER BY created_at DESC, id
OFFSET 0 ROWS FETCH NEXT :limit ROWS ONLY
