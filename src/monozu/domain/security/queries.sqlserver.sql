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

-- The filtered risk view: the same reads with the severity band of the recorded score, a
-- site (:any_site = 0) and free text in the CVE id or the asset's name (:any_text = 0).
-- Unfiltered reads keep the statements above, whose plans the filters' estimates would
-- change. Unscored rows have no band: the service skips them when a band is asked.
-- name: risk_filtered_scored :many RiskRow
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
  AND CASE WHEN v.cvss_score >= 9.0 THEN 'critical' WHEN v.cvss_score >= 7.0 THEN 'high'
           WHEN v.cvss_score >= 4.0 THEN 'medium' WHEN v.cvss_score > 0 THEN 'low'
           ELSE 'none' END IN (:severities)
  AND (:any_site = 1
       OR EXISTS (SELECT 1 FROM assets fa
                  WHERE fa.tenant_id = v.tenant_id AND fa.id = v.asset_id
                    AND fa.site_id = :site_id))
  AND (:any_text = 1 OR LOWER(v.cve_id) LIKE :pattern ESCAPE '\'
       OR EXISTS (SELECT 1 FROM assets ta
                  WHERE ta.tenant_id = v.tenant_id AND ta.id = v.asset_id
                    AND LOWER(ta.name) LIKE :pattern ESCAPE '\'))
ORDER BY v.cvss_score DESC, v.id
{{ limit :limit }}

-- name: risk_filtered_scored_after :many RiskRow
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
  AND CASE WHEN v.cvss_score >= 9.0 THEN 'critical' WHEN v.cvss_score >= 7.0 THEN 'high'
           WHEN v.cvss_score >= 4.0 THEN 'medium' WHEN v.cvss_score > 0 THEN 'low'
           ELSE 'none' END IN (:severities)
  AND (:any_site = 1
       OR EXISTS (SELECT 1 FROM assets fa
                  WHERE fa.tenant_id = v.tenant_id AND fa.id = v.asset_id
                    AND fa.site_id = :site_id))
  AND (:any_text = 1 OR LOWER(v.cve_id) LIKE :pattern ESCAPE '\'
       OR EXISTS (SELECT 1 FROM assets ta
                  WHERE ta.tenant_id = v.tenant_id AND ta.id = v.asset_id
                    AND LOWER(ta.name) LIKE :pattern ESCAPE '\'))
  AND v.cvss_score <= :after_score AND (v.cvss_score < :after_score OR v.id > :after_id)
ORDER BY v.cvss_score DESC, v.id
{{ limit :limit }}

-- name: risk_filtered_unscored :many RiskRow
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
  AND (:any_site = 1
       OR EXISTS (SELECT 1 FROM assets fa
                  WHERE fa.tenant_id = v.tenant_id AND fa.id = v.asset_id
                    AND fa.site_id = :site_id))
  AND (:any_text = 1 OR LOWER(v.cve_id) LIKE :pattern ESCAPE '\'
       OR EXISTS (SELECT 1 FROM assets ta
                  WHERE ta.tenant_id = v.tenant_id AND ta.id = v.asset_id
                    AND LOWER(ta.name) LIKE :pattern ESCAPE '\'))
ORDER BY v.id
{{ limit :limit }}

-- name: risk_filtered_unscored_after :many RiskRow
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
  AND (:any_site = 1
       OR EXISTS (SELECT 1 FROM assets fa
                  WHERE fa.tenant_id = v.tenant_id AND fa.id = v.asset_id
                    AND fa.site_id = :site_id))
  AND (:any_text = 1 OR LOWER(v.cve_id) LIKE :pattern ESCAPE '\'
       OR EXISTS (SELECT 1 FROM assets ta
                  WHERE ta.tenant_id = v.tenant_id AND ta.id = v.asset_id
                    AND LOWER(ta.name) LIKE :pattern ESCAPE '\'))
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
