-- V29: case rules. Identifiers, hashes and enumerations compare exactly; email compares
-- case-insensitively; the same on all three databases.
-- SQLite compares text exactly (BINARY) in keys, = and IN, but its LIKE ignores the case of ASCII
-- letters: CHECK (cve_id LIKE 'CVE-%') accepted 'cve-1'. Those checks become GLOB 'CVE-*', which
-- is case-exact, under the same constraint names. SQLite cannot change a CHECK in place, so each
-- table is rebuilt: create the new table, copy, drop the old one, rename, re-create its indexes.
-- cve_cpe_matches refers to cve_catalog and is rebuilt with it (its columns do not change), so
-- no table refers to the old cve_catalog when it is dropped: this works whether PRAGMA
-- foreign_keys is on or off and needs no PRAGMA (which Flyway would run outside the transaction).
-- Email: one user per tenant per email whatever its case, through a unique index on the email
-- under NOCASE (SQLite folds ASCII letters only; PostgreSQL uses lower(email)).

CREATE UNIQUE INDEX ix_users_tenant_email_nocase ON users (tenant_id, email COLLATE NOCASE);

CREATE TABLE cve_catalog_new (
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_cve_catalog_cve_id CHECK (cve_id GLOB 'CVE-*'),
    description TEXT NULL,
    published_at TEXT NULL
        CHECK (published_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR published_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    last_modified_at TEXT NULL
        CHECK (last_modified_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR last_modified_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    vuln_status TEXT NULL CHECK (length(vuln_status) <= 50),
    cvss_score REAL NULL
        CONSTRAINT ck_cve_catalog_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    cvss_severity TEXT NULL CHECK (length(cvss_severity) <= 20),
    cvss_vector TEXT NULL CHECK (length(cvss_vector) <= 200),
    cvss_version TEXT NULL CHECK (length(cvss_version) <= 10),
    is_kev INTEGER NOT NULL DEFAULT 0 CHECK (is_kev IN (0, 1)),
    kev_date_added TEXT NULL
        CHECK (kev_date_added GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR kev_date_added GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    kev_due_date TEXT NULL
        CHECK (kev_due_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR kev_due_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    kev_ransomware INTEGER NOT NULL DEFAULT 0 CHECK (kev_ransomware IN (0, 1)),
    CONSTRAINT pk_cve_catalog PRIMARY KEY (cve_id)
);

CREATE TABLE cve_cpe_matches_new (
    id INTEGER NOT NULL,
    cve_id TEXT NOT NULL CHECK (length(cve_id) <= 32),
    config_group INTEGER NOT NULL DEFAULT 0,
    node_operator TEXT NOT NULL DEFAULT 'OR'
        CHECK (length(node_operator) <= 3)
        CONSTRAINT ck_cve_cpe_matches_node_operator CHECK (node_operator IN ('AND', 'OR')),
    criteria TEXT NOT NULL CHECK (length(criteria) <= 500),
    vulnerable INTEGER NOT NULL DEFAULT 1 CHECK (vulnerable IN (0, 1)),
    version_start_including TEXT NULL CHECK (length(version_start_including) <= 100),
    version_start_excluding TEXT NULL CHECK (length(version_start_excluding) <= 100),
    version_end_including TEXT NULL CHECK (length(version_end_including) <= 100),
    version_end_excluding TEXT NULL CHECK (length(version_end_excluding) <= 100),
    CONSTRAINT pk_cve_cpe_matches PRIMARY KEY (id),
    CONSTRAINT fk_cve_cpe_matches_cve_id FOREIGN KEY (cve_id) REFERENCES cve_catalog_new (cve_id)
);

INSERT INTO cve_catalog_new (cve_id, description, published_at, last_modified_at, vuln_status, cvss_score, cvss_severity, cvss_vector, cvss_version, is_kev, kev_date_added, kev_due_date, kev_ransomware)
SELECT cve_id, description, published_at, last_modified_at, vuln_status, cvss_score, cvss_severity, cvss_vector, cvss_version, is_kev, kev_date_added, kev_due_date, kev_ransomware FROM cve_catalog;
INSERT INTO cve_cpe_matches_new (id, cve_id, config_group, node_operator, criteria, vulnerable, version_start_including, version_start_excluding, version_end_including, version_end_excluding)
SELECT id, cve_id, config_group, node_operator, criteria, vulnerable, version_start_including, version_start_excluding, version_end_including, version_end_excluding FROM cve_cpe_matches;

DROP TABLE cve_cpe_matches;
DROP TABLE cve_catalog;
ALTER TABLE cve_catalog_new RENAME TO cve_catalog;
ALTER TABLE cve_cpe_matches_new RENAME TO cve_cpe_matches;

CREATE INDEX ix_cve_cpe_matches_criteria ON cve_cpe_matches (criteria);
CREATE INDEX ix_cve_cpe_matches_cve_id ON cve_cpe_matches (cve_id);

CREATE TABLE cve_scores_cache_new (
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_cve_scores_cache_cve_id CHECK (cve_id GLOB 'CVE-*'),
    cvss_v31_score REAL NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v31_score CHECK (
            cvss_v31_score >= 0 AND cvss_v31_score <= 10),
    cvss_v31_vector TEXT NULL CHECK (length(cvss_v31_vector) <= 200),
    cvss_v40_score REAL NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v40_score CHECK (
            cvss_v40_score >= 0 AND cvss_v40_score <= 10),
    cvss_v40_vector TEXT NULL CHECK (length(cvss_v40_vector) <= 200),
    epss REAL NULL CONSTRAINT ck_cve_scores_cache_epss CHECK (epss >= 0 AND epss <= 1),
    epss_percentile REAL NULL
        CONSTRAINT ck_cve_scores_cache_epss_percentile CHECK (
            epss_percentile >= 0 AND epss_percentile <= 1),
    epss_model_version TEXT NULL CHECK (length(epss_model_version) <= 50),
    score_date TEXT NULL
        CHECK (score_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR score_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    fetched_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (fetched_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR fetched_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_cve_scores_cache PRIMARY KEY (cve_id)
);

INSERT INTO cve_scores_cache_new (cve_id, cvss_v31_score, cvss_v31_vector, cvss_v40_score, cvss_v40_vector, epss, epss_percentile, epss_model_version, score_date, fetched_at)
SELECT cve_id, cvss_v31_score, cvss_v31_vector, cvss_v40_score, cvss_v40_vector, epss, epss_percentile, epss_model_version, score_date, fetched_at FROM cve_scores_cache;

DROP TABLE cve_scores_cache;
ALTER TABLE cve_scores_cache_new RENAME TO cve_scores_cache;



CREATE TABLE vulnerabilities_new (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_vulnerabilities_cve_id CHECK (cve_id GLOB 'CVE-*'),
    cvss_score REAL NULL
        CONSTRAINT ck_vulnerabilities_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    status TEXT NOT NULL DEFAULT 'open' CHECK (length(status) <= 30),
    asset_id BLOB NOT NULL CHECK (typeof(asset_id) = 'blob' AND length(asset_id) = 16),
    first_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (first_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR first_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
        CHECK (last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    CONSTRAINT pk_vulnerabilities PRIMARY KEY (id),
    CONSTRAINT uq_vulnerabilities_tenant_asset_cve UNIQUE (tenant_id, asset_id, cve_id),
    CONSTRAINT fk_vulnerabilities_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT fk_vulnerabilities_asset_id FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id)
);

INSERT INTO vulnerabilities_new (id, tenant_id, cve_id, cvss_score, status, asset_id, first_seen_at, last_seen_at)
SELECT id, tenant_id, cve_id, cvss_score, status, asset_id, first_seen_at, last_seen_at FROM vulnerabilities;

DROP TABLE vulnerabilities;
ALTER TABLE vulnerabilities_new RENAME TO vulnerabilities;

CREATE INDEX ix_vulnerabilities_tenant_cve ON vulnerabilities (tenant_id, cve_id);

CREATE TABLE exploitdb_cves_new (
    edb_id INTEGER NOT NULL,
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_exploitdb_cves_cve_id CHECK (cve_id GLOB 'CVE-*'),
    CONSTRAINT pk_exploitdb_cves PRIMARY KEY (edb_id, cve_id),
    CONSTRAINT fk_exploitdb_cves_edb_id FOREIGN KEY (edb_id) REFERENCES exploitdb_exploits (edb_id)
);

INSERT INTO exploitdb_cves_new (edb_id, cve_id)
SELECT edb_id, cve_id FROM exploitdb_cves;

DROP TABLE exploitdb_cves;
ALTER TABLE exploitdb_cves_new RENAME TO exploitdb_cves;

CREATE INDEX ix_exploitdb_cves_cve_id ON exploitdb_cves (cve_id);
