-- V22: edge device control. Commands queued for edge devices; the device polls its pending
-- commands (index leading with tenant, device, status) and acknowledges them.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE device_commands (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    device_id uuid NOT NULL,
    command varchar(30) NOT NULL
        CONSTRAINT ck_device_commands_command CHECK (command IN (
            'update_snap', 'restart_service', 'run_discovery', 'config_update')),
    payload jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT ck_device_commands_payload_json CHECK (jsonb_typeof(payload) IN ('object', 'array')),
    status varchar(20) NOT NULL DEFAULT 'pending'
        CONSTRAINT ck_device_commands_status CHECK (status IN (
            'pending', 'acked', 'completed', 'failed', 'expired')),
    created_by uuid NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    acked_at timestamptz NULL,
    completed_at timestamptz NULL,
    result jsonb NULL
        CONSTRAINT ck_device_commands_result_json CHECK (jsonb_typeof(result) IN ('object', 'array')),
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

CREATE POLICY rls_device_commands ON device_commands
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
