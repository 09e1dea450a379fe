-- V19: CVE scores cache. Global cache of the scores fetched per CVE (CVSS v3.1 and v4.0, EPSS),
-- so scoring does not call the feeds for every tenant.

CREATE TABLE cve_scores_cache (
    cve_id varchar(32) NOT NULL
        CONSTRAINT ck_cve_scores_cache_cve_id CHECK (cve_id LIKE 'CVE-%'),
    cvss_v31_score double precision NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v31_score CHECK (
            cvss_v31_score >= 0 AND cvss_v31_score <= 10),
    cvss_v31_vector varchar(200) NULL,
    cvss_v40_score double precision NULL
        CONSTRAINT ck_cve_scores_cache_cvss_v40_score CHECK (
            cvss_v40_score >= 0 AND cvss_v40_score <= 10),
    cvss_v40_vector varchar(200) NULL,
    epss double precision NULL
        CONSTRAINT ck_cve_scores_cache_epss CHECK (epss >= 0 AND epss <= 1),
    epss_percentile double precision NULL
        CONSTRAINT ck_cve_scores_cache_epss_percentile CHECK (
            epss_percentile >= 0 AND epss_percentile <= 1),
    epss_model_version varchar(50) NULL,
    score_date timestamptz NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_cve_scores_cache PRIMARY KEY (cve_id)
);
