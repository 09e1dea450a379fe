-- V21: edge snap updates. The global registry of published snap releases, and the per-tenant
-- reports of snap updates on edge devices.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.snap_releases (
    id UNIQUEIDENTIFIER NOT NULL,
    snap_name NVARCHAR(100) NOT NULL,
    version NVARCHAR(50) NOT NULL,
    channel NVARCHAR(50) NOT NULL CONSTRAINT df_snap_releases_channel DEFAULT N'stable',
    sha256 NVARCHAR(64) NOT NULL,
    blob_path NVARCHAR(1000) NOT NULL,
    size_bytes BIGINT NOT NULL CONSTRAINT ck_snap_releases_size_bytes CHECK (size_bytes >= 0),
    published_at DATETIME2(3) NOT NULL
        CONSTRAINT df_snap_releases_published_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_snap_releases PRIMARY KEY (id),
    CONSTRAINT uq_snap_releases_snap_name_version_channel UNIQUE (snap_name, version, channel)
);
GO

CREATE TABLE dbo.device_snap_updates (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    device_id UNIQUEIDENTIFIER NOT NULL,
    snap_name NVARCHAR(100) NOT NULL,
    from_version NVARCHAR(50) NULL,
    to_version NVARCHAR(50) NOT NULL,
    status NVARCHAR(20) NOT NULL,
    reported_at DATETIME2(3) NOT NULL
        CONSTRAINT df_device_snap_updates_reported_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_device_snap_updates PRIMARY KEY (id),
    CONSTRAINT fk_device_snap_updates_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_device_snap_updates_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES dbo.devices (tenant_id, id)
);
CREATE INDEX ix_device_snap_updates_tenant_device_reported_at
    ON dbo.device_snap_updates (tenant_id, device_id, reported_at);
GO

CREATE SECURITY POLICY dbo.rls_device_snap_updates
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.device_snap_updates,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.device_snap_updates
    WITH (STATE = OFF);
GO
