-- V28: drop diagram-related change_id. Diagrams are no longer linked to changes: the column,
-- its foreign key and its index go; every other diagram column and row stays.
-- SQLite's DROP COLUMN refuses a column used by a foreign key, so diagrams is rebuilt: create
-- the new table, copy, drop the old one, rename. diagram_asset_links refers to diagrams and is
-- rebuilt with it (its columns do not change), so no table refers to the old diagrams when it
-- is dropped: this works whether PRAGMA foreign_keys is on or off and needs no PRAGMA (which
-- Flyway would run outside the transaction).

CREATE TABLE diagrams_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    site_id BLOB NOT NULL CHECK (typeof(site_id) = 'blob' AND length(site_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    description TEXT NULL CHECK (length(description) <= 1000),
    data TEXT NOT NULL DEFAULT '{}' CONSTRAINT ck_diagrams_data_json CHECK (CASE WHEN json_valid(data) THEN json_type(data) IN ('object', 'array') ELSE 0 END),
    CONSTRAINT pk_diagrams PRIMARY KEY (id),
    CONSTRAINT uq_diagrams_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_diagrams_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_diagrams_site_id FOREIGN KEY (tenant_id, site_id)
        REFERENCES sites (tenant_id, id)
);

CREATE TABLE diagram_asset_links_new (
    diagram_id BLOB NOT NULL CHECK (typeof(diagram_id) = 'blob' AND length(diagram_id) = 16),
    asset_id BLOB NOT NULL CHECK (typeof(asset_id) = 'blob' AND length(asset_id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    CONSTRAINT pk_diagram_asset_links PRIMARY KEY (tenant_id, diagram_id, asset_id),
    CONSTRAINT fk_diagram_asset_links_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_diagram_asset_links_diagram_id FOREIGN KEY (tenant_id, diagram_id)
        REFERENCES diagrams_new (tenant_id, id),
    CONSTRAINT fk_diagram_asset_links_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);

INSERT INTO diagrams_new (id, tenant_id, site_id, name, description, data)
SELECT id, tenant_id, site_id, name, description, data FROM diagrams;
INSERT INTO diagram_asset_links_new (diagram_id, asset_id, tenant_id)
SELECT diagram_id, asset_id, tenant_id FROM diagram_asset_links;

DROP TABLE diagram_asset_links;
DROP TABLE diagrams;
ALTER TABLE diagrams_new RENAME TO diagrams;
ALTER TABLE diagram_asset_links_new RENAME TO diagram_asset_links;

CREATE INDEX ix_diagrams_tenant_site ON diagrams (tenant_id, site_id);
CREATE INDEX ix_diagram_asset_links_tenant_asset ON diagram_asset_links (tenant_id, asset_id);
