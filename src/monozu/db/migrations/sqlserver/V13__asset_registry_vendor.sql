-- V13: asset registry vendor. Assets record who made them, searchable per tenant.
-- The index is created in its own batch, after the batch that adds the column.

ALTER TABLE dbo.assets ADD vendor NVARCHAR(200) NULL;
GO

CREATE INDEX ix_assets_tenant_vendor ON dbo.assets (tenant_id, vendor);
GO
