-- V13: asset registry vendor. Assets record who made them, searchable per tenant.

ALTER TABLE assets ADD COLUMN vendor TEXT NULL CHECK (length(vendor) <= 200);

CREATE INDEX ix_assets_tenant_vendor ON assets (tenant_id, vendor);
