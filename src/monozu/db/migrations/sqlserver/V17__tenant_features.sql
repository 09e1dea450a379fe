-- V17: tenant features table. Licensed feature switches per tenant, written by the licence
-- webhook and checked on every gated request.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.tenant_features (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    feature NVARCHAR(20) NOT NULL
        CONSTRAINT ck_tenant_features_feature CHECK (feature IN (N'security', N'vpn', N'backup')),
    enabled BIT NOT NULL CONSTRAINT df_tenant_features_enabled DEFAULT 1,
    CONSTRAINT pk_tenant_features PRIMARY KEY (tenant_id, feature),
    CONSTRAINT fk_tenant_features_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id)
);
GO

CREATE SECURITY POLICY dbo.rls_tenant_features
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.tenant_features,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.tenant_features
    WITH (STATE = OFF);
GO
