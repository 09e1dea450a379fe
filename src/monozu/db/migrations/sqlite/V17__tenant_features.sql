-- V17: tenant features table. Licensed feature switches per tenant, written by the licence
-- webhook and checked on every gated request.

CREATE TABLE tenant_features (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    feature TEXT NOT NULL
        CHECK (length(feature) <= 20)
        CONSTRAINT ck_tenant_features_feature CHECK (feature IN ('security', 'vpn', 'backup')),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    CONSTRAINT pk_tenant_features PRIMARY KEY (tenant_id, feature),
    CONSTRAINT fk_tenant_features_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
