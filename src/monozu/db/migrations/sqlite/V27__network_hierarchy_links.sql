-- V27: network hierarchy links. Assets link to VLANs many-to-many, both of the same tenant.

CREATE TABLE asset_vlans (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    asset_id BLOB NOT NULL CHECK (typeof(asset_id) = 'blob' AND length(asset_id) = 16),
    vlan_id BLOB NOT NULL CHECK (typeof(vlan_id) = 'blob' AND length(vlan_id) = 16),
    CONSTRAINT pk_asset_vlans PRIMARY KEY (tenant_id, asset_id, vlan_id),
    CONSTRAINT fk_asset_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_asset_vlans_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id),
    CONSTRAINT fk_asset_vlans_vlan_id FOREIGN KEY (tenant_id, vlan_id)
        REFERENCES vlans (tenant_id, id)
);
CREATE INDEX ix_asset_vlans_tenant_vlan ON asset_vlans (tenant_id, vlan_id);
