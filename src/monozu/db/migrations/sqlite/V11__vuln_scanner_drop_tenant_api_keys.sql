-- V11: vuln scanner, drop tenant API keys. Feed API keys (NVD and others) become deployment
-- configuration; tenants no longer store one.
-- The column is not indexed and its only check is its own column constraint, so
-- DROP COLUMN works without rebuilding the table.

ALTER TABLE vuln_scanner_settings DROP COLUMN nvd_api_key;
