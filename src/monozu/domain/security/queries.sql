-- Security statements: a tenant's vulnerabilities and security alerts, read beside the global
-- CVE catalog, scores cache and ExploitDB (read only). Every tenant-owned statement filters on
-- :tenant_id. The exploit flag is a {{ flag }}: a BIT on SQL Server, where EXISTS is no value.
-- The risk reads fetch the asset's name by a correlated lookup rather than a join: a
-- prepared statement's generic plan would otherwise scan all of the tenant's assets for
-- each row of the page.

-- name: catalog_scores :optional CatalogScores
SELECT c.cve_id, c.cvss_score, s.cvss_v31_score, s.cvss_v40_score, c.is_kev
FROM cve_catalog c
LEFT JOIN cve_scores_cache s ON s.cve_id = c.cve_id
WHERE c.cve_id = :cve_id

-- name: insert_vulnerability :rowcount
INSERT INTO vulnerabilities (id, tenant_id, cve_id, cvss_score, status, asset_id,
                             first_seen_at, last_seen_at)
VALUES (:id, :tenant_id, :cve_id, :cvss_score, :status, :asset_id, :first_seen_at,
        :last_seen_at)

-- name: get_vulnerability :optional Vulnerability
SELECT id, tenant_id, cve_id, cvss_score, status, asset_id, first_seen_at, last_seen_at
FROM vulnerabilities WHERE tenant_id = :tenant_id AND id = :id

-- name: find_vulnerability :optional Vulnerability
SELECT id, tenant_id, cve_id, cvss_score, status, asset_id, first_seen_at, last_seen_at
FROM vulnerabilities
WHERE tenant_id = :tenant_id AND asset_id = :asset_id AND cve_id = :cve_id

-- name: update_vulnerability :rowcount
UPDATE vulnerabilities
SET status = :status, cvss_score = :cvss_score, last_seen_at = :last_seen_at
WHERE tenant_id = :tenant_id AND id = :id AND status = :was

-- name: asset_exists :value int
SELECT count(*) FROM assets WHERE tenant_id = :tenant_id AND id = :id

-- name: site_exists :value int
SELECT count(*) FROM sites WHERE tenant_id = :tenant_id AND id = :id

-- name: device_exists :value int
SELECT count(*) FROM devices WHERE tenant_id = :tenant_id AND id = :id

-- name: alert_threshold :optional float
SELECT cvss_alert_threshold FROM vuln_scanner_settings WHERE tenant_id = :tenant_id

-- name: risk_scored :many RiskRow
SELECT v.id, v.asset_id,
       (SELECT a.name FROM assets a
        WHERE a.tenant_id = v.tenant_id AND a.id = v.asset_id) AS asset_name,
       v.cve_id, v.status, v.cvss_score,
       c.cvss_severity, c.is_kev, s.epss, s.epss_percentile,
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
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
       {{ flag EXISTS (SELECT 1 FROM exploitdb_cves e WHERE e.cve_id = v.cve_id) }}
         AS exploit_known,
       v.first_seen_at, v.last_seen_at
FROM vulnerabilities v
LEFT JOIN cve_catalog c ON c.cve_id = v.cve_id
LEFT JOIN cve_scores_cache s ON s.cve_id = v.cve_id
WHERE v.tenant_id = :tenant_id AND v.asset_id = :asset_id AND v.cve_id > :after_cve_id
ORDER BY v.cve_id
{{ limit :limit }}

-- name: insert_alert :rowcount
INSERT INTO security_alerts (id, tenant_id, title, severity, source, source_ip, destination_ip,
                             description, cve_id, asset_id, device_id, status, created_at)
VALUES (:id, :tenant_id, :title, :severity, :source, :source_ip, :destination_ip,
        :description, :cve_id, :asset_id, :device_id, :status, :created_at)

-- name: get_alert :optional SecurityAlert
SELECT id, tenant_id, title, severity, source, source_ip, destination_ip, description, cve_id,
       asset_id, device_id, status, created_at
FROM security_alerts WHERE tenant_id = :tenant_id AND id = :id

-- name: update_alert_status :rowcount
UPDATE security_alerts SET status = :status
WHERE tenant_id = :tenant_id AND id = :id AND status = :was

-- name: list_alerts :many SecurityAlert
SELECT id, tenant_id, title, severity, source, source_ip, destination_ip, description, cve_id,
       asset_id, device_id, status, created_at
FROM security_alerts
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_alerts_after :many SecurityAlert
SELECT id, tenant_id, title, severity, source, source_ip, destination_ip, description, cve_id,
       asset_id, device_id, status, created_at
FROM security_alerts
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND created_at <= :after_created_at
  AND (created_at < :after_created_at OR id > :after_id)
ORDER BY created_at DESC, id
{{ limit :limit }}
