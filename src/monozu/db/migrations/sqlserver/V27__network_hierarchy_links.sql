-- V27: network hierarchy links. Assets link to VLANs many-to-many, both of the same tenant.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.asset_vlans (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    asset_id UNIQUEIDENTIFIER NOT NULL,
    vlan_id UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT pk_asset_vlans PRIMARY KEY (tenant_id, asset_id, vlan_id),
    CONSTRAINT fk_asset_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_asset_vlans_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES dbo.assets (tenant_id, id),
    CONSTRAINT fk_asset_vlans_vlan_id FOREIGN KEY (tenant_id, vlan_id)
        REFERENCES dbo.vlans (tenant_id, id)
);
CREATE INDEX ix_asset_vlans_tenant_vlan ON dbo.asset_vlans (tenant_id, vlan_id);
GO

CREATE SECURITY POLICY dbo.rls_asset_vlans
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.asset_vlans,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.asset_vlans
    WITH (STATE = OFF);
GO
