-- V26: zones/VLANs site_id. Zones and VLANs may be placed at a site; the reference is composite
-- (tenant_id, site_id) -> sites(tenant_id, id) like every reference between tenant tables.
-- SQLite's ADD COLUMN cannot add a composite foreign key, so zones and vlans are rebuilt:
-- create the new tables, copy, drop the old ones, rename. vlans refers to zones and is rebuilt
-- with it, so no table refers to the old zones when it is dropped; this works whether
-- PRAGMA foreign_keys is on or off and needs no PRAGMA (which Flyway would run outside the
-- transaction).

CREATE TABLE zones_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    site_id BLOB NULL
        CHECK (site_id IS NULL OR (typeof(site_id) = 'blob' AND length(site_id) = 16)),
    CONSTRAINT pk_zones PRIMARY KEY (id),
    CONSTRAINT uq_zones_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_zones_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_zones_site_id FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);

CREATE TABLE vlans_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    zone_id BLOB NULL
        CHECK (zone_id IS NULL OR (typeof(zone_id) = 'blob' AND length(zone_id) = 16)),
    vlan_number INTEGER NOT NULL
        CONSTRAINT ck_vlans_vlan_number CHECK (vlan_number >= 1 AND vlan_number <= 4094),
    name TEXT NOT NULL CHECK (length(name) <= 200),
    cidr TEXT NULL CHECK (length(cidr) <= 43),
    site_id BLOB NULL
        CHECK (site_id IS NULL OR (typeof(site_id) = 'blob' AND length(site_id) = 16)),
    CONSTRAINT pk_vlans PRIMARY KEY (id),
    CONSTRAINT uq_vlans_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_vlans_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vlans_zone_id FOREIGN KEY (tenant_id, zone_id)
        REFERENCES zones_new (tenant_id, id),
    CONSTRAINT fk_vlans_site_id FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);

INSERT INTO zones_new (id, tenant_id, name, site_id)
SELECT id, tenant_id, name, NULL FROM zones;
INSERT INTO vlans_new (id, tenant_id, zone_id, vlan_number, name, cidr, site_id)
SELECT id, tenant_id, zone_id, vlan_number, name, cidr, NULL FROM vlans;

DROP TABLE vlans;
DROP TABLE zones;
ALTER TABLE zones_new RENAME TO zones;
ALTER TABLE vlans_new RENAME TO vlans;

CREATE INDEX ix_zones_tenant_site ON zones (tenant_id, site_id);
CREATE INDEX ix_vlans_tenant_zone ON vlans (tenant_id, zone_id);
CREATE INDEX ix_vlans_tenant_site ON vlans (tenant_id, site_id);
