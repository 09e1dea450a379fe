-- V10: CVE feed catalog. Global tables (no tenant_id, no RLS): the feed registry, the CVE
-- catalog shared by every tenant, and the CPE applicability rules of each CVE. Feed API keys and
-- the feed on/off switch live here or in deployment configuration, not per tenant (V11, V12).

CREATE TABLE dbo.cve_feeds (
    id UNIQUEIDENTIFIER NOT NULL,
    name NVARCHAR(100) NOT NULL,
    kind NVARCHAR(20) NOT NULL
        CONSTRAINT ck_cve_feeds_kind CHECK (kind IN (
            N'nvd', N'kev', N'cvelist5', N'epss', N'exploitdb')),
    url NVARCHAR(2000) NOT NULL,
    enabled BIT NOT NULL CONSTRAINT df_cve_feeds_enabled DEFAULT 1,
    last_synced_at DATETIME2(3) NULL,
    sync_cursor NVARCHAR(500) NULL,
    last_error NVARCHAR(MAX) NULL,
    CONSTRAINT pk_cve_feeds PRIMARY KEY (id),
    CONSTRAINT uq_cve_feeds_name UNIQUE (name)
);
GO

CREATE TABLE dbo.cve_catalog (
    cve_id NVARCHAR(32) NOT NULL CONSTRAINT ck_cve_catalog_cve_id CHECK (cve_id LIKE N'CVE-%'),
    description NVARCHAR(MAX) NULL,
    published_at DATETIME2(3) NULL,
    last_modified_at DATETIME2(3) NULL,
    vuln_status NVARCHAR(50) NULL,
    cvss_score FLOAT NULL
        CONSTRAINT ck_cve_catalog_cvss_score CHECK (cvss_score >= 0 AND cvss_score <= 10),
    cvss_severity NVARCHAR(20) NULL,
    cvss_vector NVARCHAR(200) NULL,
    cvss_version NVARCHAR(10) NULL,
    is_kev BIT NOT NULL CONSTRAINT df_cve_catalog_is_kev DEFAULT 0,
    kev_date_added DATETIME2(3) NULL,
    kev_due_date DATETIME2(3) NULL,
    kev_ransomware BIT NOT NULL CONSTRAINT df_cve_catalog_kev_ransomware DEFAULT 0,
    CONSTRAINT pk_cve_catalog PRIMARY KEY (cve_id)
);
GO

CREATE TABLE dbo.cve_cpe_matches (
    id BIGINT IDENTITY(1, 1) NOT NULL,
    cve_id NVARCHAR(32) NOT NULL,
    config_group INT NOT NULL CONSTRAINT df_cve_cpe_matches_config_group DEFAULT 0,
    node_operator NVARCHAR(3) NOT NULL
        CONSTRAINT df_cve_cpe_matches_node_operator DEFAULT N'OR'
        CONSTRAINT ck_cve_cpe_matches_node_operator CHECK (node_operator IN (N'AND', N'OR')),
    criteria NVARCHAR(500) NOT NULL,
    vulnerable BIT NOT NULL CONSTRAINT df_cve_cpe_matches_vulnerable DEFAULT 1,
    version_start_including NVARCHAR(100) NULL,
    version_start_excluding NVARCHAR(100) NULL,
    version_end_including NVARCHAR(100) NULL,
    version_end_excluding NVARCHAR(100) NULL,
    CONSTRAINT pk_cve_cpe_matches PRIMARY KEY (id),
    CONSTRAINT fk_cve_cpe_matches_cve_id FOREIGN KEY (cve_id) REFERENCES dbo.cve_catalog (cve_id)
);
CREATE INDEX ix_cve_cpe_matches_cve_id ON dbo.cve_cpe_matches (cve_id);
CREATE INDEX ix_cve_cpe_matches_criteria ON dbo.cve_cpe_matches (criteria);
GO
