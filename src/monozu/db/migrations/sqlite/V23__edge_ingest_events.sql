-- V23: edge ingest events. Batched events from edge devices, keyed by a big counter; the index
-- (tenant_id, event_at) serves reads and retention purges.

CREATE TABLE ingest_events (
    id INTEGER NOT NULL,
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    device_id BLOB NOT NULL CHECK (typeof(device_id) = 'blob' AND length(device_id) = 16),
    kind TEXT NOT NULL
        CHECK (length(kind) <= 20)
        CONSTRAINT ck_ingest_events_kind CHECK (kind IN (
            'telemetry', 'log', 'security_alert', 'discovery', 'backup_event')),
    event_at TEXT NOT NULL
        CHECK (event_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR event_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    data TEXT NOT NULL CONSTRAINT ck_ingest_events_data_json CHECK (CASE WHEN json_valid(data) THEN json_type(data) IN ('object', 'array') ELSE 0 END),
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (received_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR received_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_ingest_events PRIMARY KEY (id),
    CONSTRAINT fk_ingest_events_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_ingest_events_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id)
);
CREATE INDEX ix_ingest_events_tenant_event_at ON ingest_events (tenant_id, event_at);
CREATE INDEX ix_ingest_events_tenant_device_event_at
    ON ingest_events (tenant_id, device_id, event_at);
