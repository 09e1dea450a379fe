-- V22: edge device control. Commands queued for edge devices; the device polls its pending
-- commands (index leading with tenant, device, status) and acknowledges them.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.device_commands (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    device_id UNIQUEIDENTIFIER NOT NULL,
    command NVARCHAR(30) NOT NULL
        CONSTRAINT ck_device_commands_command CHECK (command IN (
            N'update_snap', N'restart_service', N'run_discovery', N'config_update')),
    payload NVARCHAR(MAX) NOT NULL
        CONSTRAINT df_device_commands_payload DEFAULT N'{}'
        CONSTRAINT ck_device_commands_payload_json CHECK (ISJSON(payload) = 1),
    status NVARCHAR(20) NOT NULL
        CONSTRAINT df_device_commands_status DEFAULT N'pending'
        CONSTRAINT ck_device_commands_status CHECK (status IN (
            N'pending', N'acked', N'completed', N'failed', N'expired')),
    created_by UNIQUEIDENTIFIER NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_device_commands_created_at DEFAULT SYSUTCDATETIME(),
    acked_at DATETIME2(3) NULL,
    completed_at DATETIME2(3) NULL,
    result NVARCHAR(MAX) NULL
        CONSTRAINT ck_device_commands_result_json CHECK (ISJSON(result) = 1),
    CONSTRAINT pk_device_commands PRIMARY KEY (id),
    CONSTRAINT fk_device_commands_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_device_commands_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES dbo.devices (tenant_id, id),
    CONSTRAINT fk_device_commands_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES dbo.users (tenant_id, id)
);
CREATE INDEX ix_device_commands_tenant_device_status_created_at
    ON dbo.device_commands (tenant_id, device_id, status, created_at);
CREATE INDEX ix_device_commands_tenant_created_by ON dbo.device_commands (tenant_id, created_by);
GO

CREATE SECURITY POLICY dbo.rls_device_commands
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.device_commands,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.device_commands
    WITH (STATE = OFF);
GO
