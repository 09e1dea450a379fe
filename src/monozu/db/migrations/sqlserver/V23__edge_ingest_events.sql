-- V23: edge ingest events. Batched events from edge devices, keyed by a big counter; the index
-- (tenant_id, event_at) serves reads and retention purges.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.ingest_events (
    id BIGINT IDENTITY(1, 1) NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    device_id UNIQUEIDENTIFIER NOT NULL,
    kind NVARCHAR(20) NOT NULL
        CONSTRAINT ck_ingest_events_kind CHECK (kind IN (
            N'telemetry', N'log', N'security_alert', N'discovery', N'backup_event')),
    event_at DATETIME2(3) NOT NULL,
    data NVARCHAR(MAX) NOT NULL CONSTRAINT ck_ingest_events_data_json CHECK (ISJSON(data) = 1),
    received_at DATETIME2(3) NOT NULL
        CONSTRAINT df_ingest_events_received_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_ingest_events PRIMARY KEY (id),
    CONSTRAINT fk_ingest_events_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_ingest_events_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES dbo.devices (tenant_id, id)
);
CREATE INDEX ix_ingest_events_tenant_event_at ON dbo.ingest_events (tenant_id, event_at);
CREATE INDEX ix_ingest_events_tenant_device_event_at
    ON dbo.ingest_events (tenant_id, device_id, event_at);
GO

CREATE SECURITY POLICY dbo.rls_ingest_events
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.ingest_events,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.ingest_events
    WITH (STATE = OFF);
GO
