-- V13: asset registry vendor. Assets record who made them, searchable per tenant.

ALTER TABLE assets ADD COLUMN vendor varchar(200) NULL;

CREATE INDEX ix_assets_tenant_vendor ON assets (tenant_id, vendor);
