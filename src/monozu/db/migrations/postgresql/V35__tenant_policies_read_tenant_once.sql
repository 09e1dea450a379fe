-- V35: tenant policies read the tenant once per statement.
-- The V14 policies compare tenant_id with nullif(current_setting('app.tenant_id', true), '')
-- cast to uuid, which PostgreSQL evaluates again for every row a statement reads or writes.
-- As a scalar subquery the same expression becomes an InitPlan, evaluated once per statement
-- and compared as a parameter: the same rows match, index scans on tenant_id still apply, and
-- a bulk write checks WITH CHECK without a function call per row. The switch that turns RLS
-- on or off is unchanged (ALTER TABLE ... ENABLE ROW LEVEL SECURITY is not a migration).

ALTER POLICY rls_asset_vlans ON asset_vlans
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_assets ON assets
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_audit_logs ON audit_logs
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_changes ON changes
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_device_commands ON device_commands
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_device_snap_updates ON device_snap_updates
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_devices ON devices
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_diagram_asset_links ON diagram_asset_links
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_diagrams ON diagrams
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_edge_provisioning_keys ON edge_provisioning_keys
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_group_permissions ON group_permissions
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_groups ON groups
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_incident_comments ON incident_comments
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_incident_timeline_events ON incident_timeline_events
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_incidents ON incidents
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_ingest_events ON ingest_events
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_knowledge_article_problems ON knowledge_article_problems
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_knowledge_articles ON knowledge_articles
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_priority_matrix ON priority_matrix
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_problems ON problems
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_refresh_tokens ON refresh_tokens
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_security_alerts ON security_alerts
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_sites ON sites
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_sla_policies ON sla_policies
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_tenant_features ON tenant_features
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_tenant_licenses ON tenant_licenses
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_user_groups ON user_groups
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_user_settings ON user_settings
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_users ON users
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_vlans ON vlans
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_vuln_scanner_settings ON vuln_scanner_settings
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_vulnerabilities ON vulnerabilities
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

ALTER POLICY rls_zones ON zones
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
