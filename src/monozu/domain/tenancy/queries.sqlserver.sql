-- PLAN is a reserved word in T-SQL.

-- name: get_licence :optional TenantLicense
SELECT tenant_id, [plan], expires_at, updated_at
FROM dbo.tenant_licenses WHERE tenant_id = :tenant_id
