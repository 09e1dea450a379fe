-- V26: zones/VLANs site_id. Zones and VLANs may be placed at a site; the reference is composite
-- (tenant_id, site_id) -> sites(tenant_id, id) like every reference between tenant tables.

ALTER TABLE zones ADD COLUMN site_id uuid NULL;
ALTER TABLE zones
    ADD CONSTRAINT fk_zones_site_id FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id);
CREATE INDEX ix_zones_tenant_site ON zones (tenant_id, site_id);

ALTER TABLE vlans ADD COLUMN site_id uuid NULL;
ALTER TABLE vlans
    ADD CONSTRAINT fk_vlans_site_id FOREIGN KEY (tenant_id, site_id)
    REFERENCES sites (tenant_id, id);
CREATE INDEX ix_vlans_tenant_site ON vlans (tenant_id, site_id);
