-- SQLite: the email look-up compares under NOCASE, the collation of its unique index.

-- name: get_user_by_email :optional User
SELECT id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name,
       totp_secret_enc
FROM users WHERE tenant_id = :tenant_id AND email = :email COLLATE NOCASE
