-- V31: edge queue and retention indexes.
-- A device's poll claims its oldest pending commands: this index holds only pending rows,
-- in claim order (created_at, then id), so a claim reads exactly the rows it takes instead
-- of sorting every pending command of the device.
-- Retention purges a tenant's events by when they were received, in bounded batches: the
-- second index lets each batch find its oldest rows without scanning the tenant's history.

CREATE INDEX ix_device_commands_pending
    ON device_commands (tenant_id, device_id, created_at, id)
    WHERE status = 'pending';
CREATE INDEX ix_ingest_events_tenant_received_at ON ingest_events (tenant_id, received_at);
