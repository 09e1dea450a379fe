-- V32: tenant-leading keys. Every tenant-owned table gets a unique key that starts with
-- tenant_id and covers its primary key, as the referenced tables already have: sharding
-- by tenant (Azure SQL elastic database tools, Citus) places and moves rows by that key,
-- and on PostgreSQL it can become the primary key in place (ADD PRIMARY KEY USING INDEX).
-- These tables are referenced by no other table, so only the index is new.

CREATE UNIQUE INDEX uq_audit_logs_tenant_id ON audit_logs (tenant_id, id);
CREATE UNIQUE INDEX uq_device_commands_tenant_id ON device_commands (tenant_id, id);
CREATE UNIQUE INDEX uq_device_snap_updates_tenant_id ON device_snap_updates (tenant_id, id);
CREATE UNIQUE INDEX uq_edge_provisioning_keys_tenant_id ON edge_provisioning_keys (tenant_id, id);
CREATE UNIQUE INDEX uq_incident_comments_tenant_id ON incident_comments (tenant_id, id);
CREATE UNIQUE INDEX uq_incident_timeline_events_tenant_id ON incident_timeline_events (tenant_id, id);
CREATE UNIQUE INDEX uq_ingest_events_tenant_id ON ingest_events (tenant_id, id);
CREATE UNIQUE INDEX uq_security_alerts_tenant_id ON security_alerts (tenant_id, id);
CREATE UNIQUE INDEX uq_vulnerabilities_tenant_id ON vulnerabilities (tenant_id, id);
CREATE UNIQUE INDEX uq_user_settings_tenant_id ON user_settings (tenant_id, user_id);
