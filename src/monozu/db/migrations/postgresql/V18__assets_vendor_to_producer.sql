-- V18: assets vendor -> producer rename. "Producer" is the term the asset registry uses; the data
-- and the per-tenant index stay, the index takes the new column's name.

ALTER TABLE assets RENAME COLUMN vendor TO producer;
ALTER INDEX ix_assets_tenant_vendor RENAME TO ix_assets_tenant_producer;
