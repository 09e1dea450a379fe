-- V18: assets vendor -> producer rename. "Producer" is the term the asset registry uses; the data
-- and the per-tenant index stay, the index takes the new column's name.
-- RENAME COLUMN keeps the data and rewrites the index and the column's check.
-- SQLite cannot rename an index, so it is dropped and created under its new name.

ALTER TABLE assets RENAME COLUMN vendor TO producer;
DROP INDEX ix_assets_tenant_vendor;
CREATE INDEX ix_assets_tenant_producer ON assets (tenant_id, producer);
