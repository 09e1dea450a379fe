-- V1: base schema, all core tables.
-- Conventions: uuid ids (supplied by the application), timestamptz, jsonb. Tenant-owned tables
-- carry tenant_id with an FK to tenants and an index leading with it; references between tenant
-- tables are composite (tenant_id, x_id) -> parent(tenant_id, id) so a row can never point at
-- another tenant's row. No ON DELETE actions, as on SQL Server (multiple cascade paths).

CREATE TABLE tenants (
    id uuid NOT NULL,
    name varchar(200) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'pending'
        CONSTRAINT ck_tenants_status CHECK (status IN ('pending', 'active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    slug varchar(63) NOT NULL,
    CONSTRAINT pk_tenants PRIMARY KEY (id),
    CONSTRAINT uq_tenants_slug UNIQUE (slug)
);

CREATE TABLE users (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    email varchar(320) NOT NULL,
    password_hash varchar(255) NULL,
    mfa_enabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    display_name varchar(200) NULL,
    totp_secret_enc varchar(512) NULL,
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_tenant_email UNIQUE (tenant_id, email),
    CONSTRAINT uq_users_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_users_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE groups (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    CONSTRAINT pk_groups PRIMARY KEY (id),
    CONSTRAINT uq_groups_tenant_name UNIQUE (tenant_id, name),
    CONSTRAINT uq_groups_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE user_groups (
    user_id uuid NOT NULL,
    group_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    CONSTRAINT pk_user_groups PRIMARY KEY (tenant_id, user_id, group_id),
    CONSTRAINT fk_user_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_user_groups_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT fk_user_groups_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES groups (tenant_id, id)
);
CREATE INDEX ix_user_groups_tenant_group ON user_groups (tenant_id, group_id);

CREATE TABLE group_permissions (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    permission varchar(100) NOT NULL
        CONSTRAINT ck_group_permissions_permission CHECK (permission LIKE '%_:_%'),
    CONSTRAINT pk_group_permissions PRIMARY KEY (tenant_id, group_id, permission),
    CONSTRAINT fk_group_permissions_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_group_permissions_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES groups (tenant_id, id)
);

CREATE TABLE tenant_licenses (
    tenant_id uuid NOT NULL,
    plan varchar(50) NOT NULL,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_tenant_licenses PRIMARY KEY (tenant_id),
    CONSTRAINT fk_tenant_licenses_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE user_settings (
    user_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    locale varchar(35) NOT NULL DEFAULT 'en',
    timezone varchar(64) NOT NULL DEFAULT 'UTC',
    CONSTRAINT pk_user_settings PRIMARY KEY (user_id),
    CONSTRAINT fk_user_settings_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_user_settings_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_user_settings_tenant_user ON user_settings (tenant_id, user_id);

CREATE TABLE sites (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    address varchar(500) NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_sites PRIMARY KEY (id),
    CONSTRAINT uq_sites_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_sites_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE zones (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    CONSTRAINT pk_zones PRIMARY KEY (id),
    CONSTRAINT uq_zones_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_zones_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE vlans (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    zone_id uuid NULL,
    vlan_number integer NOT NULL
        CONSTRAINT ck_vlans_vlan_number CHECK (vlan_number >= 1 AND vlan_number <= 4094),
    name varchar(200) NOT NULL,
    cidr varchar(43) NULL,
    CONSTRAINT pk_vlans PRIMARY KEY (id),
    CONSTRAINT uq_vlans_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vlans_zone_id FOREIGN KEY (tenant_id, zone_id) REFERENCES zones (tenant_id, id)
);
CREATE INDEX ix_vlans_tenant_zone ON vlans (tenant_id, zone_id);

CREATE TABLE assets (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    type varchar(50) NOT NULL,
    site_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    ip_address varchar(45) NULL,
    mac_address varchar(17) NULL,
    model varchar(200) NULL,
    firmware_version varchar(100) NULL,
    cpe varchar(500) NULL,
    criticality varchar(20) NULL
        CONSTRAINT ck_assets_criticality CHECK (criticality IN (
            'low', 'medium', 'high', 'critical')),
    lifecycle_state varchar(20) NOT NULL DEFAULT 'active'
        CONSTRAINT ck_assets_lifecycle_state CHECK (lifecycle_state IN (
            'planned', 'active', 'decommissioned')),
    CONSTRAINT pk_assets PRIMARY KEY (id),
    CONSTRAINT uq_assets_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_assets_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_assets_site_id FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX ix_assets_tenant_site ON assets (tenant_id, site_id);

CREATE TABLE devices (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    type varchar(50) NOT NULL,
    location varchar(200) NULL,
    device_key_hash varchar(128) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'active',
    last_seen_at timestamptz NULL,
    revoked_at timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_devices PRIMARY KEY (id),
    CONSTRAINT uq_devices_device_key_hash UNIQUE (device_key_hash),
    CONSTRAINT uq_devices_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_devices_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE edge_provisioning_keys (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    label varchar(200) NOT NULL,
    key_hash varchar(128) NOT NULL,
    expires_at timestamptz NULL,
    max_uses integer NULL CONSTRAINT ck_edge_provisioning_keys_max_uses CHECK (max_uses > 0),
    use_count integer NOT NULL DEFAULT 0
        CONSTRAINT ck_edge_provisioning_keys_use_count CHECK (use_count >= 0),
    revoked_at timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_edge_provisioning_keys PRIMARY KEY (id),
    CONSTRAINT uq_edge_provisioning_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT fk_edge_provisioning_keys_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_edge_provisioning_keys_tenant ON edge_provisioning_keys (tenant_id);

CREATE TABLE incidents (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    title varchar(500) NOT NULL,
    status varchar(30) NOT NULL DEFAULT 'open',
    severity varchar(20) NOT NULL,
    sla_response_due timestamptz NULL,
    sla_resolve_due timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    impact varchar(20) NULL,
    urgency varchar(20) NULL,
    priority varchar(20) NULL,
    assigned_to uuid NULL,
    sla_response_breached boolean NOT NULL DEFAULT false,
    sla_resolve_breached boolean NOT NULL DEFAULT false,
    resolution_note text NULL,
    resolved_at timestamptz NULL,
    closed_at timestamptz NULL,
    CONSTRAINT pk_incidents PRIMARY KEY (id),
    CONSTRAINT uq_incidents_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_incidents_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_incidents_assigned_to FOREIGN KEY (tenant_id, assigned_to)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_incidents_tenant_status ON incidents (tenant_id, status);
CREATE INDEX ix_incidents_tenant_assigned_to ON incidents (tenant_id, assigned_to);

CREATE TABLE incident_timeline_events (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    incident_id uuid NOT NULL,
    event_type varchar(50) NOT NULL,
    old_value text NULL,
    new_value text NULL,
    actor_id uuid NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_incident_timeline_events PRIMARY KEY (id),
    CONSTRAINT fk_incident_timeline_events_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES tenants (id),
    CONSTRAINT fk_incident_timeline_events_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES incidents (tenant_id, id),
    CONSTRAINT fk_incident_timeline_events_actor_id FOREIGN KEY (tenant_id, actor_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_incident_timeline_events_tenant_incident_created_at
    ON incident_timeline_events (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_timeline_events_tenant_actor
    ON incident_timeline_events (tenant_id, actor_id);

CREATE TABLE incident_comments (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    incident_id uuid NOT NULL,
    author_id uuid NOT NULL,
    body text NOT NULL,
    mentions jsonb NOT NULL DEFAULT '[]'::jsonb
        CONSTRAINT ck_incident_comments_mentions_json CHECK (jsonb_typeof(mentions) IN ('object', 'array')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_incident_comments PRIMARY KEY (id),
    CONSTRAINT fk_incident_comments_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_incident_comments_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES incidents (tenant_id, id),
    CONSTRAINT fk_incident_comments_author_id FOREIGN KEY (tenant_id, author_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_incident_comments_tenant_incident_created_at
    ON incident_comments (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_comments_tenant_author ON incident_comments (tenant_id, author_id);

CREATE TABLE sla_policies (
    tenant_id uuid NOT NULL,
    priority varchar(20) NOT NULL,
    response_minutes integer NOT NULL
        CONSTRAINT ck_sla_policies_response_minutes CHECK (response_minutes > 0),
    resolve_minutes integer NOT NULL
        CONSTRAINT ck_sla_policies_resolve_minutes CHECK (resolve_minutes > 0),
    CONSTRAINT pk_sla_policies PRIMARY KEY (tenant_id, priority),
    CONSTRAINT fk_sla_policies_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE priority_matrix (
    tenant_id uuid NOT NULL,
    severity varchar(20) NOT NULL,
    impact varchar(20) NOT NULL,
    urgency varchar(20) NOT NULL,
    priority varchar(20) NOT NULL,
    CONSTRAINT pk_priority_matrix PRIMARY KEY (tenant_id, severity, impact, urgency),
    CONSTRAINT fk_priority_matrix_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE problems (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    title varchar(500) NOT NULL,
    status varchar(30) NOT NULL DEFAULT 'open',
    root_cause text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_problems PRIMARY KEY (id),
    CONSTRAINT uq_problems_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_problems_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_problems_tenant_status ON problems (tenant_id, status);

CREATE TABLE changes (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    title varchar(500) NOT NULL,
    status varchar(30) NOT NULL,
    type varchar(20) NOT NULL
        CONSTRAINT ck_changes_type CHECK (type IN ('standard', 'normal', 'emergency')),
    risk varchar(20) NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_changes PRIMARY KEY (id),
    CONSTRAINT uq_changes_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_changes_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_changes_tenant_status ON changes (tenant_id, status);

CREATE TABLE knowledge_articles (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    title varchar(500) NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_knowledge_articles PRIMARY KEY (id),
    CONSTRAINT uq_knowledge_articles_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_knowledge_articles_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE diagrams (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    site_id uuid NOT NULL,
    name varchar(200) NOT NULL,
    description varchar(1000) NULL,
    data jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT ck_diagrams_data_json CHECK (jsonb_typeof(data) IN ('object', 'array')),
    change_id uuid NULL,
    CONSTRAINT pk_diagrams PRIMARY KEY (id),
    CONSTRAINT uq_diagrams_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_diagrams_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_diagrams_site_id FOREIGN KEY (tenant_id, site_id)
        REFERENCES sites (tenant_id, id),
    CONSTRAINT fk_diagrams_change_id FOREIGN KEY (tenant_id, change_id)
        REFERENCES changes (tenant_id, id)
);
CREATE INDEX ix_diagrams_tenant_site ON diagrams (tenant_id, site_id);
CREATE INDEX ix_diagrams_tenant_change ON diagrams (tenant_id, change_id);

CREATE TABLE diagram_asset_links (
    diagram_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    CONSTRAINT pk_diagram_asset_links PRIMARY KEY (tenant_id, diagram_id, asset_id),
    CONSTRAINT fk_diagram_asset_links_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_diagram_asset_links_diagram_id FOREIGN KEY (tenant_id, diagram_id)
        REFERENCES diagrams (tenant_id, id),
    CONSTRAINT fk_diagram_asset_links_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);
CREATE INDEX ix_diagram_asset_links_tenant_asset ON diagram_asset_links (tenant_id, asset_id);

CREATE TABLE vulnerabilities (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    cve_id varchar(32) NOT NULL
        CONSTRAINT ck_vulnerabilities_cve_id CHECK (cve_id LIKE 'CVE-%'),
    cvss_score double precision NULL
        CONSTRAINT ck_vulnerabilities_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    status varchar(30) NOT NULL DEFAULT 'open',
    asset_id uuid NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_vulnerabilities PRIMARY KEY (id),
    CONSTRAINT uq_vulnerabilities_tenant_asset_cve UNIQUE (tenant_id, asset_id, cve_id),
    CONSTRAINT fk_vulnerabilities_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vulnerabilities_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);
CREATE INDEX ix_vulnerabilities_tenant_cve ON vulnerabilities (tenant_id, cve_id);

CREATE TABLE vuln_scanner_settings (
    tenant_id uuid NOT NULL,
    nvd_api_key varchar(200) NULL,
    feed_sync_enabled boolean NOT NULL DEFAULT true,
    cvss_alert_threshold double precision NULL
        CONSTRAINT ck_vuln_scanner_settings_cvss_alert_threshold CHECK (
            cvss_alert_threshold >= 0 AND cvss_alert_threshold <= 10),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_vuln_scanner_settings PRIMARY KEY (tenant_id),
    CONSTRAINT fk_vuln_scanner_settings_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE security_alerts (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    title varchar(500) NOT NULL,
    severity varchar(20) NOT NULL,
    source varchar(50) NOT NULL,
    source_ip varchar(45) NULL,
    destination_ip varchar(45) NULL,
    description text NULL,
    cve_id varchar(32) NULL,
    asset_id uuid NULL,
    device_id uuid NULL,
    status varchar(30) NOT NULL DEFAULT 'open',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_security_alerts PRIMARY KEY (id),
    CONSTRAINT fk_security_alerts_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_security_alerts_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id),
    CONSTRAINT fk_security_alerts_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id)
);
CREATE INDEX ix_security_alerts_tenant_created_at ON security_alerts (tenant_id, created_at);
CREATE INDEX ix_security_alerts_tenant_asset ON security_alerts (tenant_id, asset_id);
CREATE INDEX ix_security_alerts_tenant_device ON security_alerts (tenant_id, device_id);

CREATE TABLE audit_logs (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid NULL,
    action varchar(100) NOT NULL,
    resource_type varchar(100) NOT NULL,
    resource_id varchar(100) NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    details jsonb NULL
        CONSTRAINT ck_audit_logs_details_json CHECK (jsonb_typeof(details) IN ('object', 'array')),
    CONSTRAINT pk_audit_logs PRIMARY KEY (id),
    CONSTRAINT fk_audit_logs_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_audit_logs_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_audit_logs_tenant_created_at ON audit_logs (tenant_id, created_at);
CREATE INDEX ix_audit_logs_tenant_user ON audit_logs (tenant_id, user_id);
