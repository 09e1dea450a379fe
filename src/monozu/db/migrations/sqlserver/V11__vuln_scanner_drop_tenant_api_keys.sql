-- V11: vuln scanner, drop tenant API keys. Feed API keys (NVD and others) become deployment
-- configuration; tenants no longer store one.
-- The column has no default or check constraint to drop first.

ALTER TABLE dbo.vuln_scanner_settings DROP COLUMN nvd_api_key;
GO
