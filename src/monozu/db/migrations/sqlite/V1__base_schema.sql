-- V1: base schema, all core tables.
-- SQLite stores what the other databases type natively, and checks it:
--   uuid       BLOB of exactly 16 bytes (the query layer binds uuid.UUID.bytes)
--   timestamp  TEXT 'YYYY-MM-DDTHH:MM:SS.fff+00:00' or '...SS.ffffff+00:00' (UTC); the fixed
--              width keeps text order equal to time order
--   bool       INTEGER 0/1
--   string(n)  TEXT with length(x) <= n
--   json       TEXT with json_valid(x)
-- The representation checks are unnamed column constraints, so that RENAME COLUMN and DROP COLUMN
-- carry them along; rule checks (enumerations, ranges) carry the same names as on the other
-- databases. References between tenant tables are composite (tenant_id, x_id) ->
-- parent(tenant_id, id), so a row can never point at another tenant's row (enforced when the
-- connection has PRAGMA foreign_keys = ON). No ON DELETE actions, as on the other databases.

CREATE TABLE tenants (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (length(status) <= 20)
        CONSTRAINT ck_tenants_status CHECK (status IN ('pending', 'active', 'suspended')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    slug TEXT NOT NULL CHECK (length(slug) <= 63),
    CONSTRAINT pk_tenants PRIMARY KEY (id),
    CONSTRAINT uq_tenants_slug UNIQUE (slug)
);

CREATE TABLE users (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    email TEXT NOT NULL CHECK (length(email) <= 320),
    password_hash TEXT NULL CHECK (length(password_hash) <= 255),
    mfa_enabled INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enabled IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    display_name TEXT NULL CHECK (length(display_name) <= 200),
    totp_secret_enc TEXT NULL CHECK (length(totp_secret_enc) <= 512),
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT uq_users_tenant_email UNIQUE (tenant_id, email),
    CONSTRAINT uq_users_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_users_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE groups (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    CONSTRAINT pk_groups PRIMARY KEY (id),
    CONSTRAINT uq_groups_tenant_name UNIQUE (tenant_id, name),
    CONSTRAINT uq_groups_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE user_groups (
    user_id BLOB NOT NULL CHECK (typeof(user_id) = 'blob' AND length(user_id) = 16),
    group_id BLOB NOT NULL CHECK (typeof(group_id) = 'blob' AND length(group_id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    CONSTRAINT pk_user_groups PRIMARY KEY (tenant_id, user_id, group_id),
    CONSTRAINT fk_user_groups_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_user_groups_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT fk_user_groups_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES groups (tenant_id, id)
);
CREATE INDEX ix_user_groups_tenant_group ON user_groups (tenant_id, group_id);

CREATE TABLE group_permissions (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    group_id BLOB NOT NULL CHECK (typeof(group_id) = 'blob' AND length(group_id) = 16),
    permission TEXT NOT NULL
        CHECK (length(permission) <= 100)
        CONSTRAINT ck_group_permissions_permission CHECK (permission LIKE '%_:_%'),
    CONSTRAINT pk_group_permissions PRIMARY KEY (tenant_id, group_id, permission),
    CONSTRAINT fk_group_permissions_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_group_permissions_group_id FOREIGN KEY (tenant_id, group_id)
        REFERENCES groups (tenant_id, id)
);

CREATE TABLE tenant_licenses (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    plan TEXT NOT NULL CHECK (length(plan) <= 50),
    expires_at TEXT NOT NULL
        CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_tenant_licenses PRIMARY KEY (tenant_id),
    CONSTRAINT fk_tenant_licenses_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE user_settings (
    user_id BLOB NOT NULL CHECK (typeof(user_id) = 'blob' AND length(user_id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    locale TEXT NOT NULL DEFAULT 'en' CHECK (length(locale) <= 35),
    timezone TEXT NOT NULL DEFAULT 'UTC' CHECK (length(timezone) <= 64),
    CONSTRAINT pk_user_settings PRIMARY KEY (user_id),
    CONSTRAINT fk_user_settings_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_user_settings_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_user_settings_tenant_user ON user_settings (tenant_id, user_id);

CREATE TABLE sites (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    address TEXT NULL CHECK (length(address) <= 500),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_sites PRIMARY KEY (id),
    CONSTRAINT uq_sites_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_sites_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE zones (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    CONSTRAINT pk_zones PRIMARY KEY (id),
    CONSTRAINT uq_zones_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_zones_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE vlans (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    zone_id BLOB NULL
        CHECK (zone_id IS NULL OR (typeof(zone_id) = 'blob' AND length(zone_id) = 16)),
    vlan_number INTEGER NOT NULL
        CONSTRAINT ck_vlans_vlan_number CHECK (vlan_number >= 1 AND vlan_number <= 4094),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    cidr TEXT NULL CHECK (length(cidr) <= 43),
    CONSTRAINT pk_vlans PRIMARY KEY (id),
    CONSTRAINT uq_vlans_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vlans_zone_id FOREIGN KEY (tenant_id, zone_id) REFERENCES zones (tenant_id, id)
);
CREATE INDEX ix_vlans_tenant_zone ON vlans (tenant_id, zone_id);

CREATE TABLE assets (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    type TEXT NOT NULL CHECK (length(type) <= 50),
    site_id BLOB NOT NULL CHECK (typeof(site_id) = 'blob' AND length(site_id) = 16),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    ip_address TEXT NULL CHECK (length(ip_address) <= 45),
    mac_address TEXT NULL CHECK (length(mac_address) <= 17),
    model TEXT NULL CHECK (length(model) <= 200),
    firmware_version TEXT NULL CHECK (length(firmware_version) <= 100),
    cpe TEXT NULL CHECK (length(cpe) <= 500),
    criticality TEXT NULL
        CHECK (length(criticality) <= 20)
        CONSTRAINT ck_assets_criticality CHECK (criticality IN (
            'low', 'medium', 'high', 'critical')),
    lifecycle_state TEXT NOT NULL DEFAULT 'active'
        CHECK (length(lifecycle_state) <= 20)
        CONSTRAINT ck_assets_lifecycle_state CHECK (lifecycle_state IN (
            'planned', 'active', 'decommissioned')),
    CONSTRAINT pk_assets PRIMARY KEY (id),
    CONSTRAINT uq_assets_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_assets_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_assets_site_id FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE INDEX ix_assets_tenant_site ON assets (tenant_id, site_id);

CREATE TABLE devices (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    type TEXT NOT NULL CHECK (length(type) <= 50),
    location TEXT NULL CHECK (length(location) <= 200),
    device_key_hash TEXT NOT NULL CHECK (length(device_key_hash) <= 128),
    status TEXT NOT NULL DEFAULT 'active' CHECK (length(status) <= 20),
    last_seen_at TEXT NULL
        CHECK (last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    revoked_at TEXT NULL
        CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_devices PRIMARY KEY (id),
    CONSTRAINT uq_devices_device_key_hash UNIQUE (device_key_hash),
    CONSTRAINT uq_devices_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_devices_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE edge_provisioning_keys (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    label TEXT NOT NULL CHECK (length(label) <= 200),
    key_hash TEXT NOT NULL CHECK (length(key_hash) <= 128),
    expires_at TEXT NULL
        CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    max_uses INTEGER NULL CONSTRAINT ck_edge_provisioning_keys_max_uses CHECK (max_uses > 0),
    use_count INTEGER NOT NULL DEFAULT 0
        CONSTRAINT ck_edge_provisioning_keys_use_count CHECK (use_count >= 0),
    revoked_at TEXT NULL
        CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_edge_provisioning_keys PRIMARY KEY (id),
    CONSTRAINT uq_edge_provisioning_keys_key_hash UNIQUE (key_hash),
    CONSTRAINT fk_edge_provisioning_keys_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_edge_provisioning_keys_tenant ON edge_provisioning_keys (tenant_id);

CREATE TABLE incidents (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    severity TEXT NOT NULL CHECK (length(severity) <= 20),
    sla_response_due TEXT NULL
        CHECK (sla_response_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR sla_response_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    sla_resolve_due TEXT NULL
        CHECK (sla_resolve_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR sla_resolve_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    impact TEXT NULL CHECK (length(impact) <= 20),
    urgency TEXT NULL CHECK (length(urgency) <= 20),
    priority TEXT NULL CHECK (length(priority) <= 20),
    assigned_to BLOB NULL
        CHECK (assigned_to IS NULL OR (typeof(assigned_to) = 'blob' AND length(assigned_to) = 16)),
    sla_response_breached INTEGER NOT NULL DEFAULT 0 CHECK (sla_response_breached IN (0, 1)),
    sla_resolve_breached INTEGER NOT NULL DEFAULT 0 CHECK (sla_resolve_breached IN (0, 1)),
    resolution_note TEXT NULL,
    resolved_at TEXT NULL
        CHECK (resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    closed_at TEXT NULL
        CHECK (closed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR closed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_incidents PRIMARY KEY (id),
    CONSTRAINT uq_incidents_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_incidents_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_incidents_assigned_to FOREIGN KEY (tenant_id, assigned_to)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_incidents_tenant_status ON incidents (tenant_id, status);
CREATE INDEX ix_incidents_tenant_assigned_to ON incidents (tenant_id, assigned_to);

CREATE TABLE incident_timeline_events (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    incident_id BLOB NOT NULL
        CHECK (typeof(incident_id) = 'blob' AND length(incident_id) = 16),
    event_type TEXT NOT NULL CHECK (length(event_type) <= 50),
    old_value TEXT NULL,
    new_value TEXT NULL,
    actor_id BLOB NULL
        CHECK (actor_id IS NULL OR (typeof(actor_id) = 'blob' AND length(actor_id) = 16)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
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
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    incident_id BLOB NOT NULL
        CHECK (typeof(incident_id) = 'blob' AND length(incident_id) = 16),
    author_id BLOB NOT NULL CHECK (typeof(author_id) = 'blob' AND length(author_id) = 16),
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]'
        CONSTRAINT ck_incident_comments_mentions_json CHECK (CASE WHEN json_valid(mentions) THEN json_type(mentions) IN ('object', 'array') ELSE 0 END),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
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
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    priority TEXT NOT NULL CHECK (length(priority) <= 20),
    response_minutes INTEGER NOT NULL
        CONSTRAINT ck_sla_policies_response_minutes CHECK (response_minutes > 0),
    resolve_minutes INTEGER NOT NULL
        CONSTRAINT ck_sla_policies_resolve_minutes CHECK (resolve_minutes > 0),
    CONSTRAINT pk_sla_policies PRIMARY KEY (tenant_id, priority),
    CONSTRAINT fk_sla_policies_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE priority_matrix (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    severity TEXT NOT NULL CHECK (length(severity) <= 20),
    impact TEXT NOT NULL CHECK (length(impact) <= 20),
    urgency TEXT NOT NULL CHECK (length(urgency) <= 20),
    priority TEXT NOT NULL CHECK (length(priority) <= 20),
    CONSTRAINT pk_priority_matrix PRIMARY KEY (tenant_id, severity, impact, urgency),
    CONSTRAINT fk_priority_matrix_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE problems (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    root_cause TEXT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_problems PRIMARY KEY (id),
    CONSTRAINT uq_problems_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_problems_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_problems_tenant_status ON problems (tenant_id, status);

CREATE TABLE changes (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    status TEXT NOT NULL CHECK (length(status) <= 30),
    type TEXT NOT NULL
        CHECK (length(type) <= 20)
        CONSTRAINT ck_changes_type CHECK (type IN ('standard', 'normal', 'emergency')),
    risk TEXT NULL CHECK (length(risk) <= 20),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_changes PRIMARY KEY (id),
    CONSTRAINT uq_changes_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_changes_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE INDEX ix_changes_tenant_status ON changes (tenant_id, status);

CREATE TABLE knowledge_articles (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_knowledge_articles PRIMARY KEY (id),
    CONSTRAINT uq_knowledge_articles_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_knowledge_articles_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE diagrams (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    site_id BLOB NOT NULL CHECK (typeof(site_id) = 'blob' AND length(site_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    description TEXT NULL CHECK (length(description) <= 1000),
    data TEXT NOT NULL DEFAULT '{}' CONSTRAINT ck_diagrams_data_json CHECK (CASE WHEN json_valid(data) THEN json_type(data) IN ('object', 'array') ELSE 0 END),
    change_id BLOB NULL
        CHECK (change_id IS NULL OR (typeof(change_id) = 'blob' AND length(change_id) = 16)),
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
    diagram_id BLOB NOT NULL CHECK (typeof(diagram_id) = 'blob' AND length(diagram_id) = 16),
    asset_id BLOB NOT NULL CHECK (typeof(asset_id) = 'blob' AND length(asset_id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    CONSTRAINT pk_diagram_asset_links PRIMARY KEY (tenant_id, diagram_id, asset_id),
    CONSTRAINT fk_diagram_asset_links_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_diagram_asset_links_diagram_id FOREIGN KEY (tenant_id, diagram_id)
        REFERENCES diagrams (tenant_id, id),
    CONSTRAINT fk_diagram_asset_links_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);
CREATE INDEX ix_diagram_asset_links_tenant_asset ON diagram_asset_links (tenant_id, asset_id);

CREATE TABLE vulnerabilities (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_vulnerabilities_cve_id CHECK (cve_id LIKE 'CVE-%'),
    cvss_score REAL NULL
        CONSTRAINT ck_vulnerabilities_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    asset_id BLOB NOT NULL CHECK (typeof(asset_id) = 'blob' AND length(asset_id) = 16),
    first_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (first_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR first_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_vulnerabilities PRIMARY KEY (id),
    CONSTRAINT uq_vulnerabilities_tenant_asset_cve UNIQUE (tenant_id, asset_id, cve_id),
    CONSTRAINT fk_vulnerabilities_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vulnerabilities_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);
CREATE INDEX ix_vulnerabilities_tenant_cve ON vulnerabilities (tenant_id, cve_id);

CREATE TABLE vuln_scanner_settings (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    nvd_api_key TEXT NULL CHECK (length(nvd_api_key) <= 200),
    feed_sync_enabled INTEGER NOT NULL DEFAULT 1 CHECK (feed_sync_enabled IN (0, 1)),
    cvss_alert_threshold REAL NULL
        CONSTRAINT ck_vuln_scanner_settings_cvss_alert_threshold CHECK (
            cvss_alert_threshold >= 0 AND cvss_alert_threshold <= 10),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_vuln_scanner_settings PRIMARY KEY (tenant_id),
    CONSTRAINT fk_vuln_scanner_settings_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE TABLE security_alerts (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    severity TEXT NOT NULL CHECK (length(severity) <= 20),
    source TEXT NOT NULL CHECK (length(source) <= 50),
    source_ip TEXT NULL CHECK (length(source_ip) <= 45),
    destination_ip TEXT NULL CHECK (length(destination_ip) <= 45),
    description TEXT NULL,
    cve_id TEXT NULL CHECK (length(cve_id) <= 32),
    asset_id BLOB NULL
        CHECK (asset_id IS NULL OR (typeof(asset_id) = 'blob' AND length(asset_id) = 16)),
    device_id BLOB NULL
        CHECK (device_id IS NULL OR (typeof(device_id) = 'blob' AND length(device_id) = 16)),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
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
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    user_id BLOB NULL
        CHECK (user_id IS NULL OR (typeof(user_id) = 'blob' AND length(user_id) = 16)),
    action TEXT NOT NULL CHECK (length(action) <= 100),
    resource_type TEXT NOT NULL CHECK (length(resource_type) <= 100),
    resource_id TEXT NULL CHECK (length(resource_id) <= 100),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    details TEXT NULL
        CONSTRAINT ck_audit_logs_details_json CHECK (details IS NULL OR CASE WHEN json_valid(details) THEN json_type(details) IN ('object', 'array') ELSE 0 END),
    CONSTRAINT pk_audit_logs PRIMARY KEY (id),
    CONSTRAINT fk_audit_logs_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_audit_logs_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_audit_logs_tenant_created_at ON audit_logs (tenant_id, created_at);
CREATE INDEX ix_audit_logs_tenant_user ON audit_logs (tenant_id, user_id);
