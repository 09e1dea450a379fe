-- Identity statements. PostgreSQL and SQLite share these; queries.sqlserver.sql overrides
-- the paged lists (OFFSET ... FETCH) and the recursive token family (no RECURSIVE keyword);
-- the email look-up is per database (queries.sqlite.sql, queries.sqlserver.sql).
-- Every statement filters on :tenant_id: a row of another tenant is never read or written.

-- name: insert_user
INSERT INTO users (id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name)
VALUES (:id, :tenant_id, :email, :password_hash, :mfa_enabled, :created_at, :display_name)

-- name: get_user
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users WHERE tenant_id = :tenant_id AND id = :id

-- Email compares without regard to case (V29), each database its own way, served by its
-- unique index: lower() here, COLLATE NOCASE on SQLite, the column's collation on SQL Server.
-- name: get_user_by_email
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users WHERE tenant_id = :tenant_id AND lower(email) = lower(:email)

-- name: set_password_hash
UPDATE users SET password_hash = :password_hash WHERE tenant_id = :tenant_id AND id = :id

-- name: set_display_name
UPDATE users SET display_name = :display_name WHERE tenant_id = :tenant_id AND id = :id

-- name: list_users
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users
WHERE tenant_id = :tenant_id
  AND (email LIKE :pattern ESCAPE '!' OR lower(display_name) LIKE :pattern ESCAPE '!')
ORDER BY email, id
{{ limit :limit }}

-- name: list_users_after
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users
WHERE tenant_id = :tenant_id
  AND (email LIKE :pattern ESCAPE '!' OR lower(display_name) LIKE :pattern ESCAPE '!')
  AND (email > :after_email OR (email = :after_email AND id > :after_id))
ORDER BY email, id
{{ limit :limit }}

-- name: insert_group
INSERT INTO groups (id, tenant_id, name) VALUES (:id, :tenant_id, :name)

-- name: get_group
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id AND id = :id

-- name: get_group_by_name
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id AND name = :name

-- name: rename_group
UPDATE groups SET name = :name WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_group
DELETE FROM groups WHERE tenant_id = :tenant_id AND id = :id

-- name: list_groups
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id ORDER BY name, id

-- name: insert_membership
INSERT INTO user_groups (tenant_id, user_id, group_id) VALUES (:tenant_id, :user_id, :group_id)

-- name: membership_count
SELECT count(*) FROM user_groups
WHERE tenant_id = :tenant_id AND user_id = :user_id AND group_id = :group_id

-- name: delete_membership
DELETE FROM user_groups
WHERE tenant_id = :tenant_id AND user_id = :user_id AND group_id = :group_id

-- name: delete_group_memberships
DELETE FROM user_groups WHERE tenant_id = :tenant_id AND group_id = :group_id

-- name: list_user_groups
SELECT g.id, g.tenant_id, g.name
FROM groups g
JOIN user_groups ug ON ug.tenant_id = g.tenant_id AND ug.group_id = g.id
WHERE ug.tenant_id = :tenant_id AND ug.user_id = :user_id
ORDER BY g.name, g.id

-- name: list_group_members
SELECT user_id FROM user_groups
WHERE tenant_id = :tenant_id AND group_id = :group_id ORDER BY user_id

-- name: insert_permission
INSERT INTO group_permissions (tenant_id, group_id, permission)
VALUES (:tenant_id, :group_id, :permission)

-- name: permission_count
SELECT count(*) FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id AND permission = :permission

-- name: delete_permission
DELETE FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id AND permission = :permission

-- name: delete_group_permissions
DELETE FROM group_permissions WHERE tenant_id = :tenant_id AND group_id = :group_id

-- name: list_group_permissions
SELECT permission FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id ORDER BY permission

-- name: user_permissions
SELECT DISTINCT gp.permission
FROM group_permissions gp
JOIN user_groups ug ON ug.tenant_id = gp.tenant_id AND ug.group_id = gp.group_id
WHERE ug.tenant_id = :tenant_id AND ug.user_id = :user_id
ORDER BY gp.permission

-- name: get_settings
SELECT user_id, tenant_id, locale, timezone, theme, density, accent_color
FROM user_settings WHERE tenant_id = :tenant_id AND user_id = :user_id

-- name: update_settings
UPDATE user_settings
SET locale = :locale, timezone = :timezone, theme = :theme, density = :density,
    accent_color = :accent_color
WHERE tenant_id = :tenant_id AND user_id = :user_id

-- name: insert_settings
INSERT INTO user_settings (user_id, tenant_id, locale, timezone, theme, density, accent_color)
VALUES (:user_id, :tenant_id, :locale, :timezone, :theme, :density, :accent_color)

-- name: insert_refresh_token
INSERT INTO refresh_tokens (id, tenant_id, user_id, token_hash, expires_at, created_at,
                            user_agent, ip_address)
VALUES (:id, :tenant_id, :user_id, :token_hash, :expires_at, :created_at, :user_agent,
        :ip_address)

-- name: get_refresh_token_by_hash
SELECT id, tenant_id, user_id, token_hash, expires_at, revoked_at, replaced_by, created_at,
       user_agent, ip_address
FROM refresh_tokens WHERE tenant_id = :tenant_id AND token_hash = :token_hash

-- name: list_user_refresh_tokens
SELECT id, tenant_id, user_id, token_hash, expires_at, revoked_at, replaced_by, created_at,
       user_agent, ip_address
FROM refresh_tokens WHERE tenant_id = :tenant_id AND user_id = :user_id
ORDER BY created_at, id

-- name: mark_refresh_token_replaced
UPDATE refresh_tokens SET replaced_by = :replaced_by
WHERE tenant_id = :tenant_id AND id = :id AND replaced_by IS NULL AND revoked_at IS NULL

-- name: refresh_token_family
WITH RECURSIVE
earlier (id) AS (
    SELECT id FROM refresh_tokens WHERE tenant_id = :tenant_id AND id = :id
    UNION ALL
    SELECT r.id FROM refresh_tokens r JOIN earlier e ON r.replaced_by = e.id
    WHERE r.tenant_id = :tenant_id
),
later (id, replaced_by) AS (
    SELECT id, replaced_by FROM refresh_tokens WHERE tenant_id = :tenant_id AND id = :id
    UNION ALL
    SELECT r.id, r.replaced_by FROM refresh_tokens r JOIN later l ON r.id = l.replaced_by
    WHERE r.tenant_id = :tenant_id
)
SELECT id FROM earlier
UNION
SELECT id FROM later

-- name: revoke_refresh_token
UPDATE refresh_tokens SET revoked_at = :revoked_at
WHERE tenant_id = :tenant_id AND id = :id AND revoked_at IS NULL

-- name: revoke_user_refresh_tokens
UPDATE refresh_tokens SET revoked_at = :revoked_at
WHERE tenant_id = :tenant_id AND user_id = :user_id AND revoked_at IS NULL
