-- name: insert_audit :rowcount
-- Written only when the acting user is one of the tenant's (:by_system is 1 when no user
-- acts), so an actor of another tenant or of no row writes nothing instead of breaking
-- the foreign key: the caller refuses it by the count.
INSERT INTO audit_logs (id, tenant_id, user_id, action, resource_type, resource_id,
                        created_at, details)
SELECT :id, :tenant_id, :user_id, :action, :resource_type, :resource_id, :created_at,
       :details
WHERE :by_system = 1
   OR EXISTS (SELECT 1 FROM users WHERE tenant_id = :tenant_id AND id = :actor_id)

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
