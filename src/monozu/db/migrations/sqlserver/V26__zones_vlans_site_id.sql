-- V26: zones/VLANs site_id. Zones and VLANs may be placed at a site; the reference is composite
-- (tenant_id, site_id) -> sites(tenant_id, id) like every reference between tenant tables.

ALTER TABLE dbo.zones ADD site_id UNIQUEIDENTIFIER NULL;
GO
ALTER TABLE dbo.zones
    ADD CONSTRAINT fk_zones_site_id FOREIGN KEY (tenant_id, site_id)
    REFERENCES dbo.sites (tenant_id, id);
CREATE INDEX ix_zones_tenant_site ON dbo.zones (tenant_id, site_id);
GO

ALTER TABLE dbo.vlans ADD site_id UNIQUEIDENTIFIER NULL;
GO
ALTER TABLE dbo.vlans
    ADD CONSTRAINT fk_vlans_site_id FOREIGN KEY (tenant_id, site_id)
    REFERENCES dbo.sites (tenant_id, id);
CREATE INDEX ix_vlans_tenant_site ON dbo.vlans (tenant_id, site_id);
GO
