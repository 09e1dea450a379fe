-- Tenancy statements, the same on every database: the upserts are snippets
-- ({{ upsert }}: ON CONFLICT or MERGE). queries.sqlserver.sql quotes the
-- reserved word PLAN in the one statement that names it outside a snippet.

-- name: insert_tenant :rowcount
INSERT INTO tenants (id, name, status, slug, created_at, onboarding_ot_completed)
VALUES (:id, :name, :status, :slug, :created_at, :onboarding_ot_completed)

-- name: get_tenant :one Tenant
SELECT id, name, status, created_at, slug, onboarding_ot_completed
FROM tenants WHERE id = :id

-- name: get_tenant_by_slug :one Tenant
SELECT id, name, status, created_at, slug, onboarding_ot_completed
FROM tenants WHERE slug = :slug

-- name: set_tenant_status :rowcount
UPDATE tenants SET status = :status WHERE id = :id

-- name: get_licence :optional TenantLicense
SELECT tenant_id, plan, expires_at, updated_at
FROM tenant_licenses WHERE tenant_id = :tenant_id

-- name: upsert_licence :rowcount
{{ upsert tenant_licenses key (tenant_id) set (plan, expires_at, updated_at) }}

-- name: list_features :many TenantFeature
SELECT tenant_id, feature, enabled
FROM tenant_features WHERE tenant_id = :tenant_id ORDER BY feature

-- name: upsert_feature :rowcount
{{ upsert tenant_features key (tenant_id, feature) set (enabled) }}

-- name: feature_enabled :optional bool
SELECT enabled FROM tenant_features WHERE tenant_id = :tenant_id AND feature = :feature

-- name: change_tenant_status :rowcount
UPDATE tenants SET status = :status WHERE id = :id AND status = :current
