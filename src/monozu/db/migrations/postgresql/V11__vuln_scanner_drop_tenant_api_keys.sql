-- V11: vuln scanner, drop tenant API keys. Feed API keys (NVD and others) become deployment
-- configuration; tenants no longer store one.

ALTER TABLE vuln_scanner_settings DROP COLUMN nvd_api_key;
