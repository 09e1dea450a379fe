-- V33: incidents at a site and of an asset. An incident may name the site and the asset it
-- concerns, so incident lists filter by them; both references are composite
-- (tenant_id, site_id) -> sites(tenant_id, id) and (tenant_id, asset_id) -> assets(tenant_id, id)
-- like every reference between tenant tables, each served by an index led by tenant_id.
-- SQLite's ADD COLUMN cannot add a composite foreign key, so incidents is rebuilt: create the
-- new table, copy, drop the old one, rename. The timeline and the comments refer to incidents
-- and are rebuilt with it, so no table refers to the old incidents when it is dropped; this
-- works whether PRAGMA foreign_keys is on or off and needs no PRAGMA (which Flyway would run
-- outside the transaction).

CREATE TABLE incidents_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    title TEXT NOT NULL CHECK (length(title) <= 500),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    severity TEXT NOT NULL CHECK (length(severity) <= 20),
    sla_response_due TEXT NULL
        CHECK (sla_response_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR sla_response_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    sla_resolve_due TEXT NULL
        CHECK (sla_resolve_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR sla_resolve_due GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    impact TEXT NULL CHECK (length(impact) <= 20),
    urgency TEXT NULL CHECK (length(urgency) <= 20),
    priority TEXT NULL CHECK (length(priority) <= 20),
    assigned_to BLOB NULL
        CHECK (assigned_to IS NULL OR (typeof(assigned_to) = 'blob' AND length(assigned_to) = 16)),
    sla_response_breached INTEGER NOT NULL DEFAULT 0 CHECK (sla_response_breached IN (0, 1)),
    sla_resolve_breached INTEGER NOT NULL DEFAULT 0 CHECK (sla_resolve_breached IN (0, 1)),
    resolution_note TEXT NULL,
    resolved_at TEXT NULL
        CHECK (resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    closed_at TEXT NULL
        CHECK (closed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR closed_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    site_id BLOB NULL
        CHECK (site_id IS NULL OR (typeof(site_id) = 'blob' AND length(site_id) = 16)),
    asset_id BLOB NULL
        CHECK (asset_id IS NULL OR (typeof(asset_id) = 'blob' AND length(asset_id) = 16)),
    CONSTRAINT pk_incidents PRIMARY KEY (id),
    CONSTRAINT uq_incidents_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_incidents_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_incidents_assigned_to FOREIGN KEY (tenant_id, assigned_to)
        REFERENCES users (tenant_id, id),
    CONSTRAINT fk_incidents_site_id FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
    CONSTRAINT fk_incidents_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);

CREATE TABLE incident_timeline_events_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    incident_id BLOB NOT NULL
        CHECK (typeof(incident_id) = 'blob' AND length(incident_id) = 16),
    event_type TEXT NOT NULL CHECK (length(event_type) <= 50),
    old_value TEXT NULL,
    new_value TEXT NULL,
    actor_id BLOB NULL
        CHECK (actor_id IS NULL OR (typeof(actor_id) = 'blob' AND length(actor_id) = 16)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_incident_timeline_events PRIMARY KEY (id),
    CONSTRAINT fk_incident_timeline_events_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES tenants (id),
    CONSTRAINT fk_incident_timeline_events_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES incidents_new (tenant_id, id),
    CONSTRAINT fk_incident_timeline_events_actor_id FOREIGN KEY (tenant_id, actor_id)
        REFERENCES users (tenant_id, id)
);

CREATE TABLE incident_comments_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    incident_id BLOB NOT NULL
        CHECK (typeof(incident_id) = 'blob' AND length(incident_id) = 16),
    author_id BLOB NOT NULL CHECK (typeof(author_id) = 'blob' AND length(author_id) = 16),
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]'
        CONSTRAINT ck_incident_comments_mentions_json CHECK (CASE WHEN json_valid(mentions) THEN json_type(mentions) IN ('object', 'array') ELSE 0 END),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_incident_comments PRIMARY KEY (id),
    CONSTRAINT fk_incident_comments_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_incident_comments_incident_id FOREIGN KEY (tenant_id, incident_id)
        REFERENCES incidents_new (tenant_id, id),
    CONSTRAINT fk_incident_comments_author_id FOREIGN KEY (tenant_id, author_id)
        REFERENCES users (tenant_id, id)
);

INSERT INTO incidents_new (id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, site_id, asset_id)
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, NULL, NULL
FROM incidents;
INSERT INTO incident_timeline_events_new (id, tenant_id, incident_id, event_type, old_value, new_value, actor_id, created_at)
SELECT id, tenant_id, incident_id, event_type, old_value, new_value, actor_id, created_at FROM incident_timeline_events;
INSERT INTO incident_comments_new (id, tenant_id, incident_id, author_id, body, mentions, created_at)
SELECT id, tenant_id, incident_id, author_id, body, mentions, created_at FROM incident_comments;

DROP TABLE incident_comments;
DROP TABLE incident_timeline_events;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
ALTER TABLE incident_timeline_events_new RENAME TO incident_timeline_events;
ALTER TABLE incident_comments_new RENAME TO incident_comments;

CREATE INDEX ix_incidents_tenant_status ON incidents (tenant_id, status);
CREATE INDEX ix_incidents_tenant_assigned_to ON incidents (tenant_id, assigned_to);
CREATE INDEX ix_incidents_tenant_site ON incidents (tenant_id, site_id);
CREATE INDEX ix_incidents_tenant_asset ON incidents (tenant_id, asset_id);
CREATE INDEX ix_incident_timeline_events_tenant_incident_created_at
    ON incident_timeline_events (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_timeline_events_tenant_actor
    ON incident_timeline_events (tenant_id, actor_id);
CREATE UNIQUE INDEX uq_incident_timeline_events_tenant_id
    ON incident_timeline_events (tenant_id, id);
CREATE INDEX ix_incident_comments_tenant_incident_created_at
    ON incident_comments (tenant_id, incident_id, created_at);
CREATE INDEX ix_incident_comments_tenant_author ON incident_comments (tenant_id, author_id);
CREATE UNIQUE INDEX uq_incident_comments_tenant_id ON incident_comments (tenant_id, id);
