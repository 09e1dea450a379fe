-- V29: case rules. Identifiers, hashes and enumerations compare exactly; email compares
-- case-insensitively; the same on all three databases.
-- PostgreSQL's default collations are deterministic and its LIKE is case-sensitive, so keys,
-- enumeration CHECKs and LIKE 'CVE-%' already compare exactly here. Email: one user per tenant
-- per email whatever its case, through a unique index on lower(email). The exact unique
-- constraint uq_users_tenant_email stays (it is implied by this one, and named in errors).

CREATE UNIQUE INDEX ix_users_tenant_email_nocase ON users (tenant_id, lower(email));
