-- V16: refresh tokens table. One row per issued refresh token, written at login and rotation.
-- Only a hash of the token is stored, never the token; replaced_by links a rotated token to its
-- successor.
--
-- SQLite has no row-level security (see V14); the tenant is enforced by the application.

CREATE TABLE refresh_tokens (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    user_id BLOB NOT NULL CHECK (typeof(user_id) = 'blob' AND length(user_id) = 16),
    token_hash TEXT NOT NULL CHECK (length(token_hash) <= 128),
    expires_at TEXT NOT NULL
        CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    revoked_at TEXT NULL
        CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    replaced_by BLOB NULL
        CHECK (replaced_by IS NULL OR (typeof(replaced_by) = 'blob' AND length(replaced_by) = 16)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR created_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    user_agent TEXT NULL CHECK (length(user_agent) <= 500),
    ip_address TEXT NULL CHECK (length(ip_address) <= 45),
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
