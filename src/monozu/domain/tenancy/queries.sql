-- Tenancy statements. PostgreSQL and SQLite share these; queries.sqlserver.sql
-- overrides the upserts (MERGE) and quotes the reserved word PLAN.

-- name: insert_tenant
INSERT INTO tenants (id, name, status, slug, created_at, onboarding_ot_completed)
VALUES (:id, :name, :status, :slug, :created_at, :onboarding_ot_completed)

-- name: get_tenant
SELECT id, name, status, created_at, slug, onboarding_ot_completed
FROM tenants WHERE id = :id

-- name: get_tenant_by_slug
SELECT id, name, status, created_at, slug, onboarding_ot_completed
FROM tenants WHERE slug = :slug

-- name: set_tenant_status
UPDATE tenants SET status = :status WHERE id = :id

-- name: get_licence
SELECT tenant_id, plan, expires_at, updated_at
FROM tenant_licenses WHERE tenant_id = :tenant_id

-- name: upsert_licence
INSERT INTO tenant_licenses (tenant_id, plan, expires_at, updated_at)
VALUES (:tenant_id, :plan, :expires_at, :updated_at)
ON CONFLICT (tenant_id) DO UPDATE
SET plan = excluded.plan, expires_at = excluded.expires_at, updated_at = excluded.updated_at

-- name: list_features
SELECT tenant_id, feature, enabled
FROM tenant_features WHERE tenant_id = :tenant_id ORDER BY feature

-- name: upsert_feature
INSERT INTO tenant_features (tenant_id, feature, enabled)
VALUES (:tenant_id, :feature, :enabled)
ON CONFLICT (tenant_id, feature) DO UPDATE SET enabled = excluded.enabled

-- name: feature_enabled
SELECT enabled FROM tenant_features WHERE tenant_id = :tenant_id AND feature = :feature

-- name: change_tenant_status
UPDATE tenants SET status = :status WHERE id = :id AND status = :current
