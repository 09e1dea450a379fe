-- name: insert_audit :rowcount
INSERT INTO audit_logs (id, tenant_id, user_id, action, resource_type, resource_id,
                        created_at, details)
VALUES (:id, :tenant_id, :user_id, :action, :resource_type, :resource_id, :created_at,
        :details)

-- name: list_audit :many AuditLog
SELECT id, tenant_id, user_id, action, resource_type, resource_id, created_at, details
FROM audit_logs
WHERE tenant_id = :tenant_id
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_audit_after :many AuditLog
SELECT id, tenant_id, user_id, action, resource_type, resource_id, created_at, details
FROM audit_logs
WHERE tenant_id = :tenant_id
  AND (created_at < :after_created_at OR (created_at = :after_created_at AND id > :after_id))
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_audit_for_resource :many AuditLog
SELECT id, tenant_id, user_id, action, resource_type, resource_id, created_at, details
FROM audit_logs
WHERE tenant_id = :tenant_id AND resource_type = :resource_type AND resource_id = :resource_id
ORDER BY created_at, id
