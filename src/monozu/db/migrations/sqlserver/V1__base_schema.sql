-- V1: base schema, all core tables.
-- Conventions: UNIQUEIDENTIFIER ids (supplied by the application), DATETIME2(3) holding UTC,
-- JSON in NVARCHAR(MAX) checked with ISJSON, every constraint named so later migrations can
-- drop it. Tenant-owned tables carry tenant_id with an FK to tenants and an index leading with
-- it; references between tenant tables are composite (tenant_id, x_id) -> parent(tenant_id, id)
-- so a row can never point at another tenant's row. No ON DELETE actions: SQL Server refuses
-- multiple cascade paths, and the application deletes children explicitly on every database.

CREATE TABLE dbo.tenants (
    id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    status NVARCHAR(20) NOT NULL
        CONSTRAINT df_tenants_status DEFAULT N'pending'
        CONSTRAINT ck_tenants_status CHECK (status IN (N'pending', N'active', N'suspended')),
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_tenants_created_at DEFAULT SYSUTCDATETIME(),
    slug NVARCHAR(63) NOT NULL,
    CONSTRAINT pk_tenants PRIMARY KEY (id),
    CONSTRAINT uq_tenants_slug UNIQUE (slug)
);
GO

CREATE TABLE dbo.users (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    email NVARCHAR(320) NOT NULL,
    password_hash NVARCHAR(255) NULL,
    mfa_enabled BIT NOT NULL CONSTRAINT df_users_mfa_enabled DEFAULT 0,
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_users_created_at DEFAULT SYSUTCDATETIME(),
    display_name NVARCHAR(200) NULL,
    totp_secret_enc NVARCHAR(512) NULL,
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_tenant_email UNIQUE (tenant_id, email),
    CONSTRAINT uq_users_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_users_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.groups (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    CONSTRAINT pk_groups PRIMARY KEY (id),
    CONSTRAINT uq_groups_tenant_name UNIQUE (tenant_id, name),
    CONSTRAINT uq_groups_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.user_groups (
    user_id UNIQUEIDENTIFIER NOT NULL,
    group_id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT pk_user_groups PRIMARY KEY (tenant_id, user_id, group_id),
    CONSTRAINT fk_user_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_user_groups_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES dbo.users (tenant_id, id),
    CONSTRAINT fk_user_groups_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES dbo.groups (tenant_id, id)
);
CREATE INDEX ix_user_groups_tenant_group ON dbo.user_groups (tenant_id, group_id);
GO

CREATE TABLE dbo.group_permissions (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    group_id UNIQUEIDENTIFIER NOT NULL,
    permission NVARCHAR(100) NOT NULL
        CONSTRAINT ck_group_permissions_permission CHECK (permission LIKE N'%_:_%'),
    CONSTRAINT pk_group_permissions PRIMARY KEY (tenant_id, group_id, permission),
    CONSTRAINT fk_group_permissions_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_group_permissions_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES dbo.groups (tenant_id, id)
);
GO

CREATE TABLE dbo.tenant_licenses (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    [plan] NVARCHAR(50) NOT NULL,
    expires_at DATETIME2(3) NOT NULL,
    updated_at DATETIME2(3) NOT NULL
        CONSTRAINT df_tenant_licenses_updated_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_tenant_licenses PRIMARY KEY (tenant_id),
    CONSTRAINT fk_tenant_licenses_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.user_settings (
    user_id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    locale NVARCHAR(35) NOT NULL CONSTRAINT df_user_settings_locale DEFAULT N'en',
    timezone NVARCHAR(64) NOT NULL CONSTRAINT df_user_settings_timezone DEFAULT N'UTC',
    CONSTRAINT pk_user_settings PRIMARY KEY (user_id),
    CONSTRAINT fk_user_settings_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_user_settings_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_user_settings_tenant_user ON dbo.user_settings (tenant_id, user_id);
GO

CREATE TABLE dbo.sites (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    address NVARCHAR(500) NULL,
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_sites_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_sites PRIMARY KEY (id),
    CONSTRAINT uq_sites_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_sites_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.zones (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    CONSTRAINT pk_zones PRIMARY KEY (id),
    CONSTRAINT uq_zones_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_zones_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.vlans (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    zone_id UNIQUEIDENTIFIER NULL,
    vlan_number INT NOT NULL
        CONSTRAINT ck_vlans_vlan_number CHECK (vlan_number >= 1 AND vlan_number <= 4094),
    name NVARCHAR(200) NOT NULL,
    cidr NVARCHAR(43) NULL,
    CONSTRAINT pk_vlans PRIMARY KEY (id),
    CONSTRAINT uq_vlans_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_vlans_zone_id FOREIGN KEY (tenant_id, zone_id)
        REFERENCES dbo.zones (tenant_id, id)
);
CREATE INDEX ix_vlans_tenant_zone ON dbo.vlans (tenant_id, zone_id);
GO

CREATE TABLE dbo.assets (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    type NVARCHAR(50) NOT NULL,
    site_id UNIQUEIDENTIFIER NOT NULL,
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_assets_created_at DEFAULT SYSUTCDATETIME(),
    ip_address NVARCHAR(45) NULL,
    mac_address NVARCHAR(17) NULL,
    model NVARCHAR(200) NULL,
    firmware_version NVARCHAR(100) NULL,
    cpe NVARCHAR(500) NULL,
    criticality NVARCHAR(20) NULL
        CONSTRAINT ck_assets_criticality CHECK (criticality IN (
            N'low', N'medium', N'high', N'critical')),
    lifecycle_state NVARCHAR(20) NOT NULL
        CONSTRAINT df_assets_lifecycle_state DEFAULT N'active'
        CONSTRAINT ck_assets_lifecycle_state CHECK (lifecycle_state IN (
            N'planned', N'active', N'decommissioned')),
    CONSTRAINT pk_assets PRIMARY KEY (id),
    CONSTRAINT uq_assets_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_assets_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_assets_site_id FOREIGN KEY (tenant_id, site_id)
        REFERENCES dbo.sites (tenant_id, id)
);
CREATE INDEX ix_assets_tenant_site ON dbo.assets (tenant_id, site_id);
GO

CREATE TABLE dbo.devices (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    type NVARCHAR(50) NOT NULL,
    location NVARCHAR(200) NULL,
    device_key_hash NVARCHAR(128) NOT NULL,
    status NVARCHAR(20) NOT NULL CONSTRAINT df_devices_status DEFAULT N'active',
    last_seen_at DATETIME2(3) NULL,
    revoked_at DATETIME2(3) NULL,
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_devices_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_devices PRIMARY KEY (id),
    CONSTRAINT uq_devices_device_key_hash UNIQUE (device_key_hash),
    CONSTRAINT uq_devices_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_devices_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.edge_provisioning_keys (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    label NVARCHAR(200) NOT NULL,
    key_hash NVARCHAR(128) NOT NULL,
    expires_at DATETIME2(3) NULL,
    max_uses INT NULL CONSTRAINT ck_edge_provisioning_keys_max_uses CHECK (max_uses > 0),
    use_count INT NOT NULL
        CONSTRAINT df_edge_provisioning_keys_use_count DEFAULT 0
        CONSTRAINT ck_edge_provisioning_keys_use_count CHECK (use_count >= 0),
    revoked_at DATETIME2(3) NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_edge_provisioning_keys_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_edge_provisioning_keys PRIMARY KEY (id),
    CONSTRAINT uq_edge_provisioning_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT fk_edge_provisioning_keys_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES dbo.tenants (id)
);
CREATE INDEX ix_edge_provisioning_keys_tenant ON dbo.edge_provisioning_keys (tenant_id);
GO

CREATE TABLE dbo.incidents (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    title NVARCHAR(500) NOT NULL,
    status NVARCHAR(30) NOT NULL CONSTRAINT df_incidents_status DEFAULT N'open',
    severity NVARCHAR(20) NOT NULL,
    sla_response_due DATETIME2(3) NULL,
    sla_resolve_due DATETIME2(3) NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_incidents_created_at DEFAULT SYSUTCDATETIME(),
    impact NVARCHAR(20) NULL,
    urgency NVARCHAR(20) NULL,
    priority NVARCHAR(20) NULL,
    assigned_to UNIQUEIDENTIFIER NULL,
    sla_response_breached BIT NOT NULL CONSTRAINT df_incidents_sla_response_breached DEFAULT 0,
    sla_resolve_breached BIT NOT NULL CONSTRAINT df_incidents_sla_resolve_breached DEFAULT 0,
    resolution_note NVARCHAR(MAX) NULL,
    resolved_at DATETIME2(3) NULL,
    closed_at DATETIME2(3) NULL,
    CONSTRAINT pk_incidents PRIMARY KEY (id),
    CONSTRAINT uq_incidents_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_incidents_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_incidents_assigned_to FOREIGN KEY (tenant_id, assigned_to)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_incidents_tenant_status ON dbo.incidents (tenant_id, status);
CREATE INDEX ix_incidents_tenant_assigned_to ON dbo.incidents (tenant_id, assigned_to);
GO

CREATE TABLE dbo.incident_timeline_events (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    incident_id UNIQUEIDENTIFIER NOT NULL,
    event_type NVARCHAR(50) NOT NULL,
    old_value NVARCHAR(MAX) NULL,
    new_value NVARCHAR(MAX) NULL,
    actor_id UNIQUEIDENTIFIER NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_incident_timeline_events_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_incident_timeline_events PRIMARY KEY (id),
    CONSTRAINT fk_incident_timeline_events_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES dbo.tenants (id),
    CONSTRAINT fk_incident_timeline_events_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES dbo.incidents (tenant_id, id),
    CONSTRAINT fk_incident_timeline_events_actor_id FOREIGN KEY (tenant_id, actor_id)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_incident_timeline_events_tenant_incident_created_at
    ON dbo.incident_timeline_events (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_timeline_events_tenant_actor
    ON dbo.incident_timeline_events (tenant_id, actor_id);
GO

CREATE TABLE dbo.incident_comments (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    incident_id UNIQUEIDENTIFIER NOT NULL,
    author_id UNIQUEIDENTIFIER NOT NULL,
    body NVARCHAR(MAX) NOT NULL,
    mentions NVARCHAR(MAX) NOT NULL
        CONSTRAINT df_incident_comments_mentions DEFAULT N'[]'
        CONSTRAINT ck_incident_comments_mentions_json CHECK (ISJSON(mentions) = 1),
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_incident_comments_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_incident_comments PRIMARY KEY (id),
    CONSTRAINT fk_incident_comments_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_incident_comments_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES dbo.incidents (tenant_id, id),
    CONSTRAINT fk_incident_comments_author_id FOREIGN KEY (tenant_id, author_id)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_incident_comments_tenant_incident_created_at
    ON dbo.incident_comments (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_comments_tenant_author ON dbo.incident_comments (tenant_id, author_id);
GO

CREATE TABLE dbo.sla_policies (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    priority NVARCHAR(20) NOT NULL,
    response_minutes INT NOT NULL
        CONSTRAINT ck_sla_policies_response_minutes CHECK (response_minutes > 0),
    resolve_minutes INT NOT NULL
        CONSTRAINT ck_sla_policies_resolve_minutes CHECK (resolve_minutes > 0),
    CONSTRAINT pk_sla_policies PRIMARY KEY (tenant_id, priority),
    CONSTRAINT fk_sla_policies_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.priority_matrix (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    severity NVARCHAR(20) NOT NULL,
    impact NVARCHAR(20) NOT NULL,
    urgency NVARCHAR(20) NOT NULL,
    priority NVARCHAR(20) NOT NULL,
    CONSTRAINT pk_priority_matrix PRIMARY KEY (tenant_id, severity, impact, urgency),
    CONSTRAINT fk_priority_matrix_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.problems (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    title NVARCHAR(500) NOT NULL,
    status NVARCHAR(30) NOT NULL CONSTRAINT df_problems_status DEFAULT N'open',
    root_cause NVARCHAR(MAX) NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_problems_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_problems PRIMARY KEY (id),
    CONSTRAINT uq_problems_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_problems_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
CREATE INDEX ix_problems_tenant_status ON dbo.problems (tenant_id, status);
GO

CREATE TABLE dbo.changes (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    title NVARCHAR(500) NOT NULL,
    status NVARCHAR(30) NOT NULL,
    type NVARCHAR(20) NOT NULL
        CONSTRAINT ck_changes_type CHECK (type IN (N'standard', N'normal', N'emergency')),
    risk NVARCHAR(20) NULL,
    created_at DATETIME2(3) NOT NULL CONSTRAINT df_changes_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_changes PRIMARY KEY (id),
    CONSTRAINT uq_changes_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_changes_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
CREATE INDEX ix_changes_tenant_status ON dbo.changes (tenant_id, status);
GO

CREATE TABLE dbo.knowledge_articles (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    title NVARCHAR(500) NOT NULL,
    body NVARCHAR(MAX) NOT NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_knowledge_articles_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_knowledge_articles PRIMARY KEY (id),
    CONSTRAINT uq_knowledge_articles_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_knowledge_articles_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.diagrams (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    site_id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(200) NOT NULL,
    description NVARCHAR(1000) NULL,
    data NVARCHAR(MAX) NOT NULL
        CONSTRAINT df_diagrams_data DEFAULT N'{}'
        CONSTRAINT ck_diagrams_data_json CHECK (ISJSON(data) = 1),
    change_id UNIQUEIDENTIFIER NULL,
    CONSTRAINT pk_diagrams PRIMARY KEY (id),
    CONSTRAINT uq_diagrams_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_diagrams_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_diagrams_site_id FOREIGN KEY (tenant_id, site_id)
        REFERENCES dbo.sites (tenant_id, id),
    CONSTRAINT fk_diagrams_change_id FOREIGN KEY (tenant_id, change_id)
        REFERENCES dbo.changes (tenant_id, id)
);
CREATE INDEX ix_diagrams_tenant_site ON dbo.diagrams (tenant_id, site_id);
CREATE INDEX ix_diagrams_tenant_change ON dbo.diagrams (tenant_id, change_id);
GO

CREATE TABLE dbo.diagram_asset_links (
    diagram_id UNIQUEIDENTIFIER NOT NULL,
    asset_id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT pk_diagram_asset_links PRIMARY KEY (tenant_id, diagram_id, asset_id),
    CONSTRAINT fk_diagram_asset_links_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_diagram_asset_links_diagram_id FOREIGN KEY (tenant_id, diagram_id)
        REFERENCES dbo.diagrams (tenant_id, id),
    CONSTRAINT fk_diagram_asset_links_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES dbo.assets (tenant_id, id)
);
CREATE INDEX ix_diagram_asset_links_tenant_asset ON dbo.diagram_asset_links (tenant_id, asset_id);
GO

CREATE TABLE dbo.vulnerabilities (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    cve_id NVARCHAR(32) NOT NULL
        CONSTRAINT ck_vulnerabilities_cve_id CHECK (cve_id LIKE N'CVE-%'),
    cvss_score FLOAT NULL
        CONSTRAINT ck_vulnerabilities_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    status NVARCHAR(30) NOT NULL CONSTRAINT df_vulnerabilities_status DEFAULT N'open',
    asset_id UNIQUEIDENTIFIER NOT NULL,
    first_seen_at DATETIME2(3) NOT NULL
        CONSTRAINT df_vulnerabilities_first_seen_at DEFAULT SYSUTCDATETIME(),
    last_seen_at DATETIME2(3) NOT NULL
        CONSTRAINT df_vulnerabilities_last_seen_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_vulnerabilities PRIMARY KEY (id),
    CONSTRAINT uq_vulnerabilities_tenant_asset_cve UNIQUE (tenant_id, asset_id, cve_id),
    CONSTRAINT fk_vulnerabilities_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_vulnerabilities_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES dbo.assets (tenant_id, id)
);
CREATE INDEX ix_vulnerabilities_tenant_cve ON dbo.vulnerabilities (tenant_id, cve_id);
GO

CREATE TABLE dbo.vuln_scanner_settings (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    nvd_api_key NVARCHAR(200) NULL,
    feed_sync_enabled BIT NOT NULL
        CONSTRAINT df_vuln_scanner_settings_feed_sync_enabled DEFAULT 1,
    cvss_alert_threshold FLOAT NULL
        CONSTRAINT ck_vuln_scanner_settings_cvss_alert_threshold CHECK (
            cvss_alert_threshold >= 0 AND cvss_alert_threshold <= 10),
    updated_at DATETIME2(3) NOT NULL
        CONSTRAINT df_vuln_scanner_settings_updated_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_vuln_scanner_settings PRIMARY KEY (tenant_id),
    CONSTRAINT fk_vuln_scanner_settings_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES dbo.tenants (id)
);
GO

CREATE TABLE dbo.security_alerts (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    title NVARCHAR(500) NOT NULL,
    severity NVARCHAR(20) NOT NULL,
    source NVARCHAR(50) NOT NULL,
    source_ip NVARCHAR(45) NULL,
    destination_ip NVARCHAR(45) NULL,
    description NVARCHAR(MAX) NULL,
    cve_id NVARCHAR(32) NULL,
    asset_id UNIQUEIDENTIFIER NULL,
    device_id UNIQUEIDENTIFIER NULL,
    status NVARCHAR(30) NOT NULL CONSTRAINT df_security_alerts_status DEFAULT N'open',
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_security_alerts_created_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_security_alerts PRIMARY KEY (id),
    CONSTRAINT fk_security_alerts_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_security_alerts_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES dbo.assets (tenant_id, id),
    CONSTRAINT fk_security_alerts_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES dbo.devices (tenant_id, id)
);
CREATE INDEX ix_security_alerts_tenant_created_at ON dbo.security_alerts (tenant_id, created_at);
CREATE INDEX ix_security_alerts_tenant_asset ON dbo.security_alerts (tenant_id, asset_id);
CREATE INDEX ix_security_alerts_tenant_device ON dbo.security_alerts (tenant_id, device_id);
GO

CREATE TABLE dbo.audit_logs (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    user_id UNIQUEIDENTIFIER NULL,
    action NVARCHAR(100) NOT NULL,
    resource_type NVARCHAR(100) NOT NULL,
    resource_id NVARCHAR(100) NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_audit_logs_created_at DEFAULT SYSUTCDATETIME(),
    details NVARCHAR(MAX) NULL
        CONSTRAINT ck_audit_logs_details_json CHECK (ISJSON(details) = 1),
    CONSTRAINT pk_audit_logs PRIMARY KEY (id),
    CONSTRAINT fk_audit_logs_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_audit_logs_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_audit_logs_tenant_created_at ON dbo.audit_logs (tenant_id, created_at);
CREATE INDEX ix_audit_logs_tenant_user ON dbo.audit_logs (tenant_id, user_id);
GO
