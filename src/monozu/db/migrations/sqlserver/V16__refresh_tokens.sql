-- V16: refresh tokens table. One row per issued refresh token, written at login and rotation.
-- Only a hash of the token is stored, never the token; replaced_by links a rotated token to its
-- successor.
--
-- RLS state of tables created after V14: the new security policy is created WITH (STATE = OFF),
-- like those of V14, whatever state the existing policies are in at the time. The migration
-- runner re-applies the current RLS state (every dbo.rls_<table> policy ON or OFF) after each
-- migrate, so a table created while RLS is enabled is protected as soon as migrate finishes.
-- This is why every policy is named rls_<table>: the switch finds them all by name.

CREATE TABLE dbo.refresh_tokens (
    id UNIQUEIDENTIFIER NOT NULL,
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    user_id UNIQUEIDENTIFIER NOT NULL,
    token_hash NVARCHAR(128) NOT NULL,
    expires_at DATETIME2(3) NOT NULL,
    revoked_at DATETIME2(3) NULL,
    replaced_by UNIQUEIDENTIFIER NULL,
    created_at DATETIME2(3) NOT NULL
        CONSTRAINT df_refresh_tokens_created_at DEFAULT SYSUTCDATETIME(),
    user_agent NVARCHAR(500) NULL,
    ip_address NVARCHAR(45) NULL,
    CONSTRAINT pk_refresh_tokens PRIMARY KEY (id),
    CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT uq_refresh_tokens_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_refresh_tokens_tenant_id FOREIGN KEY (tenant_id) REFERENCES dbo.tenants (id),
    CONSTRAINT fk_refresh_tokens_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES dbo.users (tenant_id, id),
    CONSTRAINT fk_refresh_tokens_replaced_by FOREIGN KEY (tenant_id, replaced_by)
        REFERENCES dbo.refresh_tokens (tenant_id, id)
);
CREATE INDEX ix_refresh_tokens_tenant_user ON dbo.refresh_tokens (tenant_id, user_id);
CREATE INDEX ix_refresh_tokens_tenant_replaced_by ON dbo.refresh_tokens (tenant_id, replaced_by);
GO

CREATE SECURITY POLICY dbo.rls_refresh_tokens
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.refresh_tokens,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.refresh_tokens
    WITH (STATE = OFF);
GO
