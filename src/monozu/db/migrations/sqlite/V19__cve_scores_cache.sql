-- V19: CVE scores cache. Global cache of the scores fetched per CVE (CVSS v3.1 and v4.0, EPSS),
-- so scoring does not call the feeds for every tenant.

CREATE TABLE cve_scores_cache (
    cve_id TEXT NOT NULL
        CHECK (length(cve_id) <= 32)
        CONSTRAINT ck_cve_scores_cache_cve_id CHECK (cve_id LIKE 'CVE-%'),
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
