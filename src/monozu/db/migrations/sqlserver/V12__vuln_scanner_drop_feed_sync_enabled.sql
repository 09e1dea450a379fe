-- V12: vuln scanner, drop feed sync enabled. Feed synchronisation becomes global
-- (cve_feeds.enabled); the per-tenant switch goes.
-- SQL Server refuses to drop a column that still has a default constraint.

ALTER TABLE dbo.vuln_scanner_settings
    DROP CONSTRAINT df_vuln_scanner_settings_feed_sync_enabled;
ALTER TABLE dbo.vuln_scanner_settings DROP COLUMN feed_sync_enabled;
GO
