-- V33: incidents at a site and of an asset. An incident may name the site and the asset it
-- concerns, so incident lists filter by them; both references are composite
-- (tenant_id, site_id) -> sites(tenant_id, id) and (tenant_id, asset_id) -> assets(tenant_id, id)
-- like every reference between tenant tables, each served by an index led by tenant_id.

ALTER TABLE incidents ADD COLUMN site_id uuid NULL;
ALTER TABLE incidents ADD COLUMN asset_id uuid NULL;
ALTER TABLE incidents
    ADD CONSTRAINT fk_incidents_site_id FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id);
ALTER TABLE incidents
    ADD CONSTRAINT fk_incidents_asset_id FOREIGN KEY (tenant_id, asset_id)
    REFERENCES assets (tenant_id, id);
CREATE INDEX ix_incidents_tenant_site ON incidents (tenant_id, site_id);
CREATE INDEX ix_incidents_tenant_asset ON incidents (tenant_id, asset_id);
