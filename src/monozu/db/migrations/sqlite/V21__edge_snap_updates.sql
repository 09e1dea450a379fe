-- V21: edge snap updates. The global registry of published snap releases, and the per-tenant
-- reports of snap updates on edge devices.

CREATE TABLE snap_releases (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    snap_name TEXT NOT NULL CHECK (length(snap_name) <= 100),
    version TEXT NOT NULL CHECK (length(version) <= 50),
    channel TEXT NOT NULL DEFAULT 'stable' CHECK (length(channel) <= 50),
    sha256 TEXT NOT NULL CHECK (length(sha256) <= 64),
    blob_path TEXT NOT NULL CHECK (length(blob_path) <= 1000),
    size_bytes BIGINT NOT NULL CONSTRAINT ck_snap_releases_size_bytes CHECK (size_bytes >= 0),
    published_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (published_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR published_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_snap_releases PRIMARY KEY (id),
    CONSTRAINT uq_snap_releases_snap_name_version_channel UNIQUE (snap_name, version, channel)
);

CREATE TABLE device_snap_updates (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    device_id BLOB NOT NULL CHECK (typeof(device_id) = 'blob' AND length(device_id) = 16),
    snap_name TEXT NOT NULL CHECK (length(snap_name) <= 100),
    from_version TEXT NULL CHECK (length(from_version) <= 50),
    to_version TEXT NOT NULL CHECK (length(to_version) <= 50),
    status TEXT NOT NULL CHECK (length(status) <= 20),
    reported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (reported_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR reported_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_device_snap_updates PRIMARY KEY (id),
    CONSTRAINT fk_device_snap_updates_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_device_snap_updates_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id)
);
CREATE INDEX ix_device_snap_updates_tenant_device_reported_at
    ON device_snap_updates (tenant_id, device_id, reported_at);
