-- V31: ingest events received_at index. Retention purges a tenant's events by when they
-- were received, in bounded batches; this index lets each batch find its oldest rows
-- without scanning the tenant's whole event history.

CREATE INDEX ix_ingest_events_tenant_received_at ON ingest_events (tenant_id, received_at);
