-- V27: network hierarchy links. Assets link to VLANs many-to-many, both of the same tenant.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE asset_vlans (
    tenant_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    vlan_id uuid NOT NULL,
    CONSTRAINT pk_asset_vlans PRIMARY KEY (tenant_id, asset_id, vlan_id),
    CONSTRAINT fk_asset_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_asset_vlans_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id),
    CONSTRAINT fk_asset_vlans_vlan_id FOREIGN KEY (tenant_id, vlan_id)
        REFERENCES vlans (tenant_id, id)
);
CREATE INDEX ix_asset_vlans_tenant_vlan ON asset_vlans (tenant_id, vlan_id);

CREATE POLICY rls_asset_vlans ON asset_vlans
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
