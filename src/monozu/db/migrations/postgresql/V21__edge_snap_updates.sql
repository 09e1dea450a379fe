-- V21: edge snap updates. The global registry of published snap releases, and the per-tenant
-- reports of snap updates on edge devices.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE snap_releases (
    id uuid NOT NULL,
    snap_name varchar(100) NOT NULL,
    version varchar(50) NOT NULL,
    channel varchar(50) NOT NULL DEFAULT 'stable',
    sha256 varchar(64) NOT NULL,
    blob_path varchar(1000) NOT NULL,
    size_bytes bigint NOT NULL CONSTRAINT ck_snap_releases_size_bytes CHECK (size_bytes >= 0),
    published_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_snap_releases PRIMARY KEY (id),
    CONSTRAINT uq_snap_releases_snap_name_version_channel UNIQUE (snap_name, version, channel)
);

CREATE TABLE device_snap_updates (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    device_id uuid NOT NULL,
    snap_name varchar(100) NOT NULL,
    from_version varchar(50) NULL,
    to_version varchar(50) NOT NULL,
    status varchar(20) NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_device_snap_updates PRIMARY KEY (id),
    CONSTRAINT fk_device_snap_updates_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_device_snap_updates_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id)
);
CREATE INDEX ix_device_snap_updates_tenant_device_reported_at
    ON device_snap_updates (tenant_id, device_id, reported_at);

CREATE POLICY rls_device_snap_updates ON device_snap_updates
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
