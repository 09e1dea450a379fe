-- SQL Server: the exploit flag as a BIT (an EXISTS predicate cannot stand in a select list).

-- name: risk_scored :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.status = :status AND v.cvss_score IS NOT NULL
ORDER BY v.cvss_score DESC, v.id
{{ limit :limit }}

-- name: risk_scored_after :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.status = :status AND v.cvss_score IS NOT NULL
  AND v.cvss_score <= :after_score AND (v.cvss_score < :after_score OR v.id > :after_id)
ORDER BY v.cvss_score DESC, v.id
{{ limit :limit }}

-- name: risk_unscored :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.status = :status AND v.cvss_score IS NULL
ORDER BY v.id
{{ limit :limit }}

-- name: risk_unscored_after :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.status = :status AND v.cvss_score IS NULL
  AND v.id > :after_id
ORDER BY v.id
{{ limit :limit }}

-- name: asset_vulnerabilities :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.asset_id = :asset_id
ORDER BY v.cve_id
{{ limit :limit }}

-- name: asset_vulnerabilities_after :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       CASE WHEN EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id)
            THEN CAST(1 AS BIT) ELSE CAST(0 AS BIT) END AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.asset_id = :asset_id AND v.cve_id > :after_cve_id
ORDER BY v.cve_id
{{ limit :limit }}
