-- V23: edge ingest events. Batched events from edge devices, keyed by a big counter; the index
-- (tenant_id, event_at) serves reads and retention purges.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE ingest_events (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    tenant_id uuid NOT NULL,
    device_id uuid NOT NULL,
    kind varchar(20) NOT NULL
        CONSTRAINT ck_ingest_events_kind CHECK (kind IN (
            'telemetry', 'log', 'security_alert', 'discovery', 'backup_event')),
    event_at timestamptz NOT NULL,
    data jsonb NOT NULL
        CONSTRAINT ck_ingest_events_data_json CHECK (jsonb_typeof(data) IN ('object', 'array')),
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_ingest_events PRIMARY KEY (id),
    CONSTRAINT fk_ingest_events_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_ingest_events_device_id FOREIGN KEY (tenant_id, device_id)
        REFERENCES devices (tenant_id, id)
);
CREATE INDEX ix_ingest_events_tenant_event_at ON ingest_events (tenant_id, event_at);
CREATE INDEX ix_ingest_events_tenant_device_event_at
    ON ingest_events (tenant_id, device_id, event_at);

CREATE POLICY rls_ingest_events ON ingest_events
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
