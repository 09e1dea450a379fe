-- V10: CVE feed catalog. Global tables (no tenant_id, no RLS): the feed registry, the CVE
-- catalog shared by every tenant, and the CPE applicability rules of each CVE. Feed API keys and
-- the feed on/off switch live here or in deployment configuration, not per tenant (V11, V12).

CREATE TABLE cve_feeds (
    id uuid NOT NULL,
    name varchar(100) NOT NULL,
    kind varchar(20) NOT NULL
        CONSTRAINT ck_cve_feeds_kind CHECK (kind IN (
            'nvd', 'kev', 'cvelist5', 'epss', 'exploitdb')),
    url varchar(2000) NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    last_synced_at timestamptz NULL,
    sync_cursor varchar(500) NULL,
    last_error text NULL,
    CONSTRAINT pk_cve_feeds PRIMARY KEY (id),
    CONSTRAINT uq_cve_feeds_name UNIQUE (name)
);

CREATE TABLE cve_catalog (
    cve_id varchar(32) NOT NULL CONSTRAINT ck_cve_catalog_cve_id CHECK (cve_id LIKE 'CVE-%'),
    description text NULL,
    published_at timestamptz NULL,
    last_modified_at timestamptz NULL,
    vuln_status varchar(50) NULL,
    cvss_score double precision NULL
        CONSTRAINT ck_cve_catalog_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    cvss_severity varchar(20) NULL,
    cvss_vector varchar(200) NULL,
    cvss_version varchar(10) NULL,
    is_kev boolean NOT NULL DEFAULT false,
    kev_date_added timestamptz NULL,
    kev_due_date timestamptz NULL,
    kev_ransomware boolean NOT NULL DEFAULT false,
    CONSTRAINT pk_cve_catalog PRIMARY KEY (cve_id)
);

CREATE TABLE cve_cpe_matches (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    cve_id varchar(32) NOT NULL,
    config_group integer NOT NULL DEFAULT 0,
    node_operator varchar(3) NOT NULL DEFAULT 'OR'
        CONSTRAINT ck_cve_cpe_matches_node_operator CHECK (node_operator IN ('AND', 'OR')),
    criteria varchar(500) NOT NULL,
    vulnerable boolean NOT NULL DEFAULT true,
    version_start_including varchar(100) NULL,
    version_start_excluding varchar(100) NULL,
    version_end_including varchar(100) NULL,
    version_end_excluding varchar(100) NULL,
    CONSTRAINT pk_cve_cpe_matches PRIMARY KEY (id),
    CONSTRAINT fk_cve_cpe_matches_cve_id FOREIGN KEY (cve_id) REFERENCES cve_catalog (cve_id)
);
CREATE INDEX ix_cve_cpe_matches_cve_id ON cve_cpe_matches (cve_id);
CREATE INDEX ix_cve_cpe_matches_criteria ON cve_cpe_matches (criteria);
