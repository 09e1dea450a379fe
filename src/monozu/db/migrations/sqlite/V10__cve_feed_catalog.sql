-- V10: CVE feed catalog. Global tables (no tenant_id, no RLS): the feed registry, the CVE
-- catalog shared by every tenant, and the CPE applicability rules of each CVE. Feed API keys and
-- the feed on/off switch live here or in deployment configuration, not per tenant (V11, V12).

CREATE TABLE cve_feeds (
    id BLOB NOT NULL CHECK (typeof(id) = 'blob' AND length(id) = 16),
    name TEXT NOT NULL CHECK (length(name) <= 100),
    kind TEXT NOT NULL
        CHECK (length(kind) <= 20)
        CONSTRAINT ck_cve_feeds_kind CHECK (kind IN (
            'nvd', 'kev', 'cvelist5', 'epss', 'exploitdb')),
    url TEXT NOT NULL CHECK (length(url) <= 2000),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_synced_at TEXT NULL
        CHECK (last_synced_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]+00:00'
            OR last_synced_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00'),
    sync_cursor TEXT NULL CHECK (length(sync_cursor) <= 500),
    last_error TEXT NULL,
    CONSTRAINT pk_cve_feeds PRIMARY KEY (id),
    CONSTRAINT uq_cve_feeds_name UNIQUE (name)
);

CREATE TABLE cve_catalog (
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_cve_catalog_cve_id CHECK (cve_id LIKE 'CVE-%'),
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

CREATE TABLE cve_cpe_matches (
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
    CONSTRAINT fk_cve_cpe_matches_cve_id FOREIGN KEY (cve_id) REFERENCES cve_catalog (cve_id)
);
CREATE INDEX ix_cve_cpe_matches_cve_id ON cve_cpe_matches (cve_id);
CREATE INDEX ix_cve_cpe_matches_criteria ON cve_cpe_matches (criteria);
