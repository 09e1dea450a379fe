-- V14: disable tenant RLS (RLS policy definition).
-- Defines tenant row-level security and leaves it switched off: one inline predicate function
-- and one security policy rls_<table> per tenant-owned table, each with a FILTER predicate
-- (limits SELECT, UPDATE, DELETE to the session's tenant) and a BLOCK predicate (refuses writes
-- of rows for another tenant), created WITH (STATE = OFF). Switching them on or off is an
-- operational command (ALTER SECURITY POLICY ... WITH (STATE = ON)), not a migration.
-- The tenant comes from SESSION_CONTEXT(N'tenant_id'), set on every connection checkout.
-- The policies are schema-bound: tenant_id of these tables cannot be altered while they exist.
-- Security policies bind dbo and table owners too, so platform jobs (the connection of
-- DATABASE_URL_PLATFORM_ADMIN) pass through membership of the monozu_platform role, the
-- counterpart of PostgreSQL's BYPASSRLS: an operator adds that login's user to the role.

IF DATABASE_PRINCIPAL_ID(N'monozu_platform') IS NULL
    CREATE ROLE monozu_platform;
GO

CREATE FUNCTION dbo.fn_rls_tenant(@tenant_id UNIQUEIDENTIFIER)
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
    SELECT 1 AS fn_rls_tenant_result
    WHERE @tenant_id = CAST(SESSION_CONTEXT(N'tenant_id') AS UNIQUEIDENTIFIER)
       OR IS_ROLEMEMBER(N'monozu_platform') = 1;
GO

CREATE SECURITY POLICY dbo.rls_users
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.users,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.users
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_groups
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.groups,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.groups
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_user_groups
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.user_groups,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.user_groups
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_group_permissions
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.group_permissions,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.group_permissions
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_tenant_licenses
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.tenant_licenses,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.tenant_licenses
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_user_settings
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.user_settings,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.user_settings
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_sites
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.sites,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.sites
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_zones
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.zones,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.zones
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_vlans
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vlans,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vlans
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_assets
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.assets,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.assets
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_devices
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.devices,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.devices
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_edge_provisioning_keys
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.edge_provisioning_keys,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.edge_provisioning_keys
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_incidents
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incidents,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incidents
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_incident_timeline_events
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incident_timeline_events,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incident_timeline_events
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_incident_comments
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incident_comments,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.incident_comments
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_sla_policies
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.sla_policies,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.sla_policies
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_priority_matrix
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.priority_matrix,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.priority_matrix
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_problems
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.problems,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.problems
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_changes
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.changes,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.changes
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_knowledge_articles
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.knowledge_articles,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.knowledge_articles
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_diagrams
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.diagrams,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.diagrams
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_diagram_asset_links
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.diagram_asset_links,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.diagram_asset_links
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_vulnerabilities
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vulnerabilities,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vulnerabilities
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_vuln_scanner_settings
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vuln_scanner_settings,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.vuln_scanner_settings
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_security_alerts
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.security_alerts,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.security_alerts
    WITH (STATE = OFF);
GO

CREATE SECURITY POLICY dbo.rls_audit_logs
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.audit_logs,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.audit_logs
    WITH (STATE = OFF);
GO
