-- V18: assets vendor -> producer rename. "Producer" is the term the asset registry uses; the data
-- and the per-tenant index stay, the index takes the new column's name.
-- sp_rename keeps the data and the index; the policy rls_assets does not use the
-- column, so its schema binding allows the rename.

EXEC sp_rename N'dbo.assets.vendor', N'producer', N'COLUMN';
EXEC sp_rename N'dbo.assets.ix_assets_tenant_vendor', N'ix_assets_tenant_producer', N'INDEX';
GO
