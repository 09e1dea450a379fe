-- V12: vuln scanner, drop feed sync enabled. Feed synchronisation becomes global
-- (cve_feeds.enabled); the per-tenant switch goes.
-- Not indexed; its 0/1 check is its own column constraint: DROP COLUMN works.

ALTER TABLE vuln_scanner_settings DROP COLUMN feed_sync_enabled;
