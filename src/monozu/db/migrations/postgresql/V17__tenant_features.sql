-- V17: tenant features table. Licensed feature switches per tenant, written by the licence
-- webhook and checked on every gated request.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE tenant_features (
    tenant_id uuid NOT NULL,
    feature varchar(20) NOT NULL
        CONSTRAINT ck_tenant_features_feature CHECK (feature IN ('security', 'vpn', 'backup')),
    enabled boolean NOT NULL DEFAULT true,
    CONSTRAINT pk_tenant_features PRIMARY KEY (tenant_id, feature),
    CONSTRAINT fk_tenant_features_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

CREATE POLICY rls_tenant_features ON tenant_features
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
