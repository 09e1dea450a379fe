-- V22: edge device control. Commands queued for edge devices; the device polls its pending
-- commands (index leading with tenant, device, status) and acknowledges them.

CREATE TABLE device_commands (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    device_id BLOB NOT NULL CHECK (typeof(device_id) = 'blob' AND length(device_id) = 16),
    command TEXT NOT NULL
        CHECK (length(command) <= 30)
        CONSTRAINT ck_device_commands_command CHECK (command IN (
            'update_snap', 'restart_service', 'run_discovery', 'config_update')),
    payload TEXT NOT NULL DEFAULT '{}'
        CONSTRAINT ck_device_commands_payload_json CHECK (CASE WHEN json_valid(payload) THEN json_type(payload) IN ('object', 'array') ELSE 0 END),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (length(status) <= 20)
        CONSTRAINT ck_device_commands_status CHECK (status IN (
            'pending', 'acked', 'completed', 'failed', 'expired')),
    created_by BLOB NULL
        CHECK (created_by IS NULL OR (typeof(created_by) = 'blob' AND length(created_by) = 16)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    acked_at TEXT NULL
        CHECK (acked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR acked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    completed_at TEXT NULL
        CHECK (completed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR completed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    result TEXT NULL
        CONSTRAINT ck_device_commands_result_json CHECK (result IS NULL OR CASE WHEN json_valid(result) THEN json_type(result) IN ('object', 'array') ELSE 0 END),
    CONSTRAINT pk_device_commands PRIMARY KEY (id),
    CONSTRAINT fk_device_commands_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_device_commands_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id),
    CONSTRAINT fk_device_commands_created_by FOREIGN KEY (tenant_id, created_by)
        REFERENCES users (tenant_id, id)
);
CREATE INDEX ix_device_commands_tenant_device_status_created_at
    ON device_commands (tenant_id, device_id, status, created_at);
CREATE INDEX ix_device_commands_tenant_created_by ON device_commands (tenant_id, created_by);
