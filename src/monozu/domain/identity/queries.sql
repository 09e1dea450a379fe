-- Identity statements, shared by every database (pages end in the limit snippet, the settings
-- are an upsert snippet), except the recursive token family, which queries.sqlserver.sql
-- writes without the RECURSIVE keyword, and the email look-up, which is per database
-- (queries.sqlite.sql, queries.sqlserver.sql).
-- Every statement filters on :tenant_id: a row of another tenant is never read or written.

-- name: insert_user :rowcount
INSERT INTO users (id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name)
VALUES (:id, :tenant_id, :email, :password_hash, :mfa_enabled, :created_at, :display_name)

-- name: get_user :optional User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users WHERE tenant_id = :tenant_id AND id = :id

-- Email compares without regard to case (V29), each database its own way, served by its
-- unique index: lower() here, COLLATE NOCASE on SQLite, the column's collation on SQL Server.
-- name: get_user_by_email :optional User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users WHERE tenant_id = :tenant_id AND lower(email) = lower(:email)

-- Holds the user's row until the unit of work ends: a password change and a session being
-- started or rotated run one after the other, so the change revokes every session.
-- name: lock_user :rowcount
UPDATE users SET mfa_enabled = mfa_enabled WHERE tenant_id = :tenant_id AND id = :id

-- name: set_password_hash :rowcount
UPDATE users SET password_hash = :password_hash WHERE tenant_id = :tenant_id AND id = :id

-- name: set_display_name :rowcount
UPDATE users SET display_name = :display_name WHERE tenant_id = :tenant_id AND id = :id

-- name: list_users :many User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users
WHERE tenant_id = :tenant_id
  AND (email LIKE :pattern ESCAPE '!' OR lower(display_name) LIKE :pattern ESCAPE '!')
ORDER BY email, id
{{ limit :limit }}

-- name: list_users_after :many User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users
WHERE tenant_id = :tenant_id
  AND (email LIKE :pattern ESCAPE '!' OR lower(display_name) LIKE :pattern ESCAPE '!')
  AND (email > :after_email OR (email = :after_email AND id > :after_id))
ORDER BY email, id
{{ limit :limit }}

-- name: insert_group :rowcount
INSERT INTO groups (id, tenant_id, name) VALUES (:id, :tenant_id, :name)

-- name: get_group :optional Group
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id AND id = :id

-- name: get_group_by_name :optional Group
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id AND name = :name

-- name: rename_group :rowcount
UPDATE groups SET name = :name WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_group :rowcount
DELETE FROM groups WHERE tenant_id = :tenant_id AND id = :id

-- name: list_groups :many Group
SELECT id, tenant_id, name FROM groups WHERE tenant_id = :tenant_id ORDER BY name, id

-- name: insert_membership :rowcount
INSERT INTO user_groups (tenant_id, user_id, group_id) VALUES (:tenant_id, :user_id, :group_id)

-- name: membership_count :value int
SELECT count(*) FROM user_groups
WHERE tenant_id = :tenant_id AND user_id = :user_id AND group_id = :group_id

-- name: delete_membership :rowcount
DELETE FROM user_groups
WHERE tenant_id = :tenant_id AND user_id = :user_id AND group_id = :group_id

-- name: delete_group_memberships :rowcount
DELETE FROM user_groups WHERE tenant_id = :tenant_id AND group_id = :group_id

-- name: list_user_groups :many Group
SELECT g.id, g.tenant_id, g.name
FROM groups g
JOIN user_groups ug ON ug.tenant_id = g.tenant_id AND ug.group_id = g.id
WHERE ug.tenant_id = :tenant_id AND ug.user_id = :user_id
ORDER BY g.name, g.id

-- name: list_group_members :many UUID
SELECT user_id FROM user_groups
WHERE tenant_id = :tenant_id AND group_id = :group_id ORDER BY user_id

-- name: insert_permission :rowcount
INSERT INTO group_permissions (tenant_id, group_id, permission)
VALUES (:tenant_id, :group_id, :permission)

-- name: permission_count :value int
SELECT count(*) FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id AND permission = :permission

-- name: delete_permission :rowcount
DELETE FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id AND permission = :permission

-- name: delete_group_permissions :rowcount
DELETE FROM group_permissions WHERE tenant_id = :tenant_id AND group_id = :group_id

-- name: list_group_permissions :many str
SELECT permission FROM group_permissions
WHERE tenant_id = :tenant_id AND group_id = :group_id ORDER BY permission

-- name: user_permissions :many str
SELECT DISTINCT gp.permission
FROM group_permissions gp
JOIN user_groups ug ON ug.tenant_id = gp.tenant_id AND ug.group_id = gp.group_id
WHERE ug.tenant_id = :tenant_id AND ug.user_id = :user_id
ORDER BY gp.permission

-- name: get_settings :optional UserSettings
SELECT user_id, tenant_id, locale, timezone, theme, density, accent_color
FROM user_settings WHERE tenant_id = :tenant_id AND user_id = :user_id

-- name: upsert_settings :rowcount
{{ upsert user_settings key (tenant_id, user_id) set (locale, timezone, theme, density, accent_color) }}

-- name: insert_refresh_token :rowcount
INSERT INTO refresh_tokens (id, tenant_id, user_id, token_hash, expires_at, created_at,
                            user_agent, ip_address)
VALUES (:id, :tenant_id, :user_id, :token_hash, :expires_at, :created_at, :user_agent,
        :ip_address)

-- name: get_refresh_token_by_hash :optional RefreshToken
SELECT id, tenant_id, user_id, token_hash, expires_at, revoked_at, replaced_by, created_at,
       user_agent, ip_address
FROM refresh_tokens WHERE tenant_id = :tenant_id AND token_hash = :token_hash

-- name: list_user_refresh_tokens :many RefreshToken
SELECT id, tenant_id, user_id, token_hash, expires_at, revoked_at, replaced_by, created_at,
       user_agent, ip_address
FROM refresh_tokens WHERE tenant_id = :tenant_id AND user_id = :user_id
ORDER BY created_at, id

-- name: mark_refresh_token_replaced :rowcount
UPDATE refresh_tokens SET replaced_by = :replaced_by
WHERE tenant_id = :tenant_id AND id = :id AND replaced_by IS NULL AND revoked_at IS NULL

-- name: refresh_token_family :many UUID
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

-- name: revoke_refresh_token :rowcount
UPDATE refresh_tokens SET revoked_at = :revoked_at
WHERE tenant_id = :tenant_id AND id = :id AND revoked_at IS NULL

-- name: revoke_user_refresh_tokens :rowcount
UPDATE refresh_tokens SET revoked_at = :revoked_at
WHERE tenant_id = :tenant_id AND user_id = :user_id AND revoked_at IS NULL
