-- SQL Server: a recursive common table expression is written without the RECURSIVE
-- keyword, and the email column's collation already ignores case.

-- name: get_user_by_email :optional User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM dbo.users WHERE tenant_id = :tenant_id AND email = :email

-- name: refresh_token_family :many UUID
WITH
earlier (id) AS (
    SELECT id FROM dbo.refresh_tokens WHERE tenant_id = :tenant_id AND id = :id
    UNION ALL
    SELECT r.id FROM dbo.refresh_tokens r JOIN earlier e ON r.replaced_by = e.id
    WHERE r.tenant_id = :tenant_id
),
later (id, replaced_by) AS (
    SELECT id, replaced_by FROM dbo.refresh_tokens WHERE tenant_id = :tenant_id AND id = :id
    UNION ALL
    SELECT r.id, r.replaced_by FROM dbo.refresh_tokens r JOIN later l ON r.id = l.replaced_by
    WHERE r.tenant_id = :tenant_id
)
SELECT id FROM earlier
UNION
SELECT id FROM later
