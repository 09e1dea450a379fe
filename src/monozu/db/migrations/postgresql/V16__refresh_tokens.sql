-- V16: refresh tokens table. One row per issued refresh token, written at login and rotation.
-- Only a hash of the token is stored, never the token; replaced_by links a rotated token to its
-- successor.
--
-- RLS state of tables created after V14: the new policy is created with row level security not
-- enabled on the table, like those of V14, whatever state the other tables are in at the time.
-- The migration runner re-applies the current RLS state (ENABLE or DISABLE ROW LEVEL SECURITY on
-- every table with an rls_<table> policy) after each migrate, so a table created while RLS is
-- enabled is protected as soon as migrate finishes. Uniform rls_<table> names make that possible.

CREATE TABLE refresh_tokens (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_hash varchar(128) NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NULL,
    replaced_by uuid NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    user_agent varchar(500) NULL,
    ip_address varchar(45) NULL,
    CONSTRAINT pk_refresh_tokens PRIMARY KEY (id),
    CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT uq_refresh_tokens_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT fk_refresh_tokens_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_refresh_tokens_user_id FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id),
    CONSTRAINT fk_refresh_tokens_replaced_by FOREIGN KEY (tenant_id, replaced_by)
        REFERENCES refresh_tokens (tenant_id, id)
);
CREATE INDEX ix_refresh_tokens_tenant_user ON refresh_tokens (tenant_id, user_id);
CREATE INDEX ix_refresh_tokens_tenant_replaced_by ON refresh_tokens (tenant_id, replaced_by);

CREATE POLICY rls_refresh_tokens ON refresh_tokens
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
