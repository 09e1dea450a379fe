-- V19: CVE scores cache. Global cache of the scores fetched per CVE (CVSS v3.1 and v4.0, EPSS),
-- so scoring does not call the feeds for every tenant.

CREATE TABLE dbo.cve_scores_cache (
    cve_id NVARCHAR(32) NOT NULL
        CONSTRAINT ck_cve_scores_cache_cve_id CHECK (cve_id LIKE N'CVE-%'),
    cvss_v31_score FLOAT NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v31_score CHECK (
            cvss_v31_score >= 0 AND cvss_v31_score <= 10),
    cvss_v31_vector NVARCHAR(200) NULL,
    cvss_v40_score FLOAT NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v40_score CHECK (
            cvss_v40_score >= 0 AND cvss_v40_score <= 10),
    cvss_v40_vector NVARCHAR(200) NULL,
    epss FLOAT NULL CONSTRAINT ck_cve_scores_cache_epss CHECK (epss >= 0 AND epss <= 1),
    epss_percentile FLOAT NULL
        CONSTRAINT ck_cve_scores_cache_epss_percentile CHECK (
            epss_percentile >= 0 AND epss_percentile <= 1),
    epss_model_version NVARCHAR(50) NULL,
    score_date DATETIME2(3) NULL,
    fetched_at DATETIME2(3) NOT NULL
        CONSTRAINT df_cve_scores_cache_fetched_at DEFAULT SYSUTCDATETIME(),
    CONSTRAINT pk_cve_scores_cache PRIMARY KEY (cve_id)
);
GO
