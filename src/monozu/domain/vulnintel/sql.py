"""The package's SQL: ``:name`` statements over the global catalogs and the tenant tables.

Statements that read or write staging tables are templates: ``{cve}``, ``{match}`` and the
like are replaced with the staging table names :class:`staging.Staging` gives for the
database at hand. Everything else is one text for every database.
"""

from __future__ import annotations

CVE5_BASE_PARAM = "cve5_base"

# -- staging table shapes: copied from the target tables, so types match exactly -------------
STAGE_SHAPES = {
    "cve": ("SELECT c.cve_id, c.description, c.published_at, c.last_modified_at, "
            "c.vuln_status, c.cvss_score, c.cvss_severity, c.cvss_vector, c.cvss_version, "
            "s.cvss_v31_score, s.cvss_v31_vector, s.cvss_v40_score, s.cvss_v40_vector "
            "FROM cve_catalog c, cve_scores_cache s WHERE 1 = 0"),
    "match": ("SELECT cve_id, config_group, node_operator, criteria, vulnerable, "
              "version_start_including, version_start_excluding, version_end_including, "
              "version_end_excluding FROM cve_cpe_matches WHERE 1 = 0"),
    "cve5": ("SELECT cve_id, description, published_at, vuln_status, cvss_score, "
             "cvss_severity, cvss_vector, cvss_version FROM cve_catalog WHERE 1 = 0"),
    "changed": "SELECT cve_id FROM cve_catalog WHERE 1 = 0",
    "kev": ("SELECT cve_id, kev_date_added, kev_due_date, kev_ransomware "
            "FROM cve_catalog WHERE 1 = 0"),
    "epss": "SELECT cve_id, epss, epss_percentile FROM cve_scores_cache WHERE 1 = 0",
    "edb": ("SELECT edb_id, file_path, description, date_published, author, type, platform, "
            "port, verified, date_added, date_updated, source_url "
            "FROM exploitdb_exploits WHERE 1 = 0"),
    "edb_cve": "SELECT edb_id, cve_id FROM exploitdb_cves WHERE 1 = 0",
    "seen": "SELECT id FROM vulnerabilities WHERE 1 = 0",
    "fresh": "SELECT id, asset_id, cve_id, cvss_score FROM vulnerabilities WHERE 1 = 0",
}
STAGE_INDEXES = {"cve": "cve_id", "cve5": "cve_id", "match": "cve_id", "changed": "cve_id",
                 "kev": "cve_id", "epss": "cve_id", "edb": "edb_id", "edb_cve": "edb_id",
                 "seen": "id", "fresh": "id"}

CVE_COLUMNS = ("cve_id", "description", "published_at", "last_modified_at", "vuln_status",
               "cvss_score", "cvss_severity", "cvss_vector", "cvss_version")
SCORE_COLUMNS = ("cvss_v31_score", "cvss_v31_vector", "cvss_v40_score", "cvss_v40_vector")
MATCH_COLUMNS = ("cve_id", "config_group", "node_operator", "criteria", "vulnerable",
                 "version_start_including", "version_start_excluding", "version_end_including",
                 "version_end_excluding")
EDB_COLUMNS = ("edb_id", "file_path", "description", "date_published", "author", "type",
               "platform", "port", "verified", "date_added", "date_updated", "source_url")

_CATALOG_SIDE = ("c.cve_id, c.description, c.published_at, c.last_modified_at, c.vuln_status, "
                 "c.cvss_score, c.cvss_severity, c.cvss_vector, c.cvss_version, "
                 "s.cvss_v31_score, s.cvss_v31_vector, s.cvss_v40_score, s.cvss_v40_vector")
_MATCH_LIST = ", ".join(MATCH_COLUMNS)
_MATCH_SIDE = ", ".join(f"m.{c}" for c in MATCH_COLUMNS)

# -- NVD: which staged CVEs differ from the catalog (columns, scores or NVD match rows) -------
NVD_CHANGED = f"""
INSERT INTO {{changed}} (cve_id)
SELECT cve_id FROM (
    SELECT {", ".join(CVE_COLUMNS + SCORE_COLUMNS)} FROM {{cve}}
    EXCEPT
    SELECT {_CATALOG_SIDE}
    FROM cve_catalog c JOIN {{cve}} x ON x.cve_id = c.cve_id
    LEFT JOIN cve_scores_cache s ON s.cve_id = c.cve_id
) d
UNION
SELECT cve_id FROM (
    SELECT {_MATCH_LIST} FROM {{match}}
    EXCEPT
    SELECT {_MATCH_SIDE} FROM cve_cpe_matches m JOIN {{cve}} x ON x.cve_id = m.cve_id
    WHERE m.config_group < :cve5_base
) n
UNION
SELECT cve_id FROM (
    SELECT {_MATCH_SIDE} FROM cve_cpe_matches m JOIN {{cve}} x ON x.cve_id = m.cve_id
    WHERE m.config_group < :cve5_base
    EXCEPT
    SELECT {_MATCH_LIST} FROM {{match}}
) o
UNION
SELECT DISTINCT m.cve_id FROM cve_cpe_matches m JOIN {{match}} x ON x.cve_id = m.cve_id
WHERE m.config_group >= :cve5_base
"""

STORED_DATES = """
SELECT cve_id, last_modified_at FROM cve_catalog
WHERE cve_id IN :cve_ids AND last_modified_at IS NOT NULL
"""

# a record older than the stored one never overwrites it
NVD_DROP_OLDER = """
DELETE FROM {changed} WHERE cve_id IN (
    SELECT x.cve_id FROM {cve} x JOIN cve_catalog c ON c.cve_id = x.cve_id
    WHERE c.last_modified_at > x.last_modified_at)
"""

COUNT_NEW = """
SELECT COUNT(*) FROM {changed} d
WHERE NOT EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = d.cve_id)
"""

NVD_INSERT_CATALOG = f"""
INSERT INTO cve_catalog ({", ".join(CVE_COLUMNS)})
SELECT {", ".join(f"x.{c}" for c in CVE_COLUMNS)} FROM {{cve}} x
WHERE x.cve_id IN (SELECT cve_id FROM {{changed}})
  AND NOT EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = x.cve_id)
"""

NVD_INSERT_SCORES = f"""
INSERT INTO cve_scores_cache (cve_id, {", ".join(SCORE_COLUMNS)}, fetched_at)
SELECT x.cve_id, {", ".join(f"x.{c}" for c in SCORE_COLUMNS)}, :now FROM {{cve}} x
WHERE x.cve_id IN (SELECT cve_id FROM {{changed}})
  AND NOT EXISTS (SELECT 1 FROM cve_scores_cache s WHERE s.cve_id = x.cve_id)
  AND (x.cvss_v31_vector IS NOT NULL OR x.cvss_v40_vector IS NOT NULL)
"""

NVD_DELETE_MATCHES = """
DELETE FROM cve_cpe_matches
WHERE cve_id IN (SELECT cve_id FROM {changed})
  AND (config_group < :cve5_base OR cve_id IN (SELECT cve_id FROM {match}))
"""

NVD_INSERT_MATCHES = f"""
INSERT INTO cve_cpe_matches ({_MATCH_LIST})
SELECT {_MATCH_LIST} FROM {{match}} WHERE cve_id IN (SELECT cve_id FROM {{changed}})
"""

# -- CVE 5: fills what NVD left empty; match rows only while NVD has none -------------------
CVE5_COLUMNS = ("cve_id", "description", "published_at", "vuln_status", "cvss_score",
                "cvss_severity", "cvss_vector", "cvss_version")
# a staged record changes the catalog when its CVE is new, when it fills an empty
# description or score or rejects the CVE, when a rejected CVE still has match rows, or when
# a CVE without NVD rows has CVE 5 rows other than the staged ones
CVE5_CHANGED = """
INSERT INTO {changed} (cve_id)
SELECT x.cve_id FROM {cve5} x
WHERE NOT EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = x.cve_id)
   OR EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = x.cve_id
              AND ((c.description IS NULL AND x.description IS NOT NULL)
                   OR (x.vuln_status = :rejected
                       AND (c.vuln_status IS NULL OR c.vuln_status <> :rejected))
                   OR (c.cvss_score IS NULL AND x.cvss_score IS NOT NULL)))
   OR (x.vuln_status = :rejected
       AND EXISTS (SELECT 1 FROM cve_cpe_matches m WHERE m.cve_id = x.cve_id))
UNION
SELECT cve_id FROM (
    SELECT {match_list} FROM {match} s
    WHERE NOT EXISTS (SELECT 1 FROM cve_cpe_matches m
                      WHERE m.cve_id = s.cve_id AND m.config_group < :cve5_base)
    EXCEPT
    SELECT {match_side} FROM cve_cpe_matches m JOIN {cve5} x ON x.cve_id = m.cve_id
) n
UNION
SELECT cve_id FROM (
    SELECT {match_side} FROM cve_cpe_matches m JOIN {cve5} x ON x.cve_id = m.cve_id
    WHERE x.vuln_status <> :rejected AND m.config_group >= :cve5_base
      AND NOT EXISTS (SELECT 1 FROM cve_cpe_matches o
                      WHERE o.cve_id = m.cve_id AND o.config_group < :cve5_base)
    EXCEPT
    SELECT {match_list} FROM {match}
) o
""".replace("{match_list}", _MATCH_LIST).replace("{match_side}", _MATCH_SIDE)
CVE5_INSERT_CATALOG = f"""
INSERT INTO cve_catalog ({", ".join(CVE5_COLUMNS)})
SELECT {", ".join(f"x.{c}" for c in CVE5_COLUMNS)} FROM {{cve5}} x
WHERE NOT EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = x.cve_id)
"""
# (assignments of an UPDATE ... FROM, t the catalog, x the staged record)
CVE5_FILL = {
    "description": "COALESCE(t.description, x.description)",
    "vuln_status": "CASE WHEN x.vuln_status = :rejected THEN x.vuln_status "
                   "ELSE t.vuln_status END",
    "cvss_score": "COALESCE(t.cvss_score, x.cvss_score)",
    "cvss_severity": "CASE WHEN t.cvss_score IS NULL THEN x.cvss_severity "
                     "ELSE t.cvss_severity END",
    "cvss_vector": "CASE WHEN t.cvss_score IS NULL THEN x.cvss_vector ELSE t.cvss_vector END",
    "cvss_version": "CASE WHEN t.cvss_score IS NULL THEN x.cvss_version "
                    "ELSE t.cvss_version END",
}
# a rejected CVE loses every match row; a changed CVE without NVD rows gets the staged ones
CVE5_DELETE_MATCHES = """
DELETE FROM cve_cpe_matches
WHERE cve_id IN (SELECT cve_id FROM {changed})
  AND (cve_id IN (SELECT cve_id FROM {cve5} WHERE vuln_status = :rejected)
       OR (config_group >= :cve5_base
           AND NOT EXISTS (SELECT 1 FROM cve_cpe_matches o
                           WHERE o.cve_id = cve_cpe_matches.cve_id
                             AND o.config_group < :cve5_base)))
"""
CVE5_INSERT_MATCHES = f"""
INSERT INTO cve_cpe_matches ({_MATCH_LIST})
SELECT {_MATCH_LIST} FROM {{match}} s
WHERE s.cve_id IN (SELECT cve_id FROM {{changed}})
  AND NOT EXISTS (SELECT 1 FROM cve_cpe_matches o
                  WHERE o.cve_id = s.cve_id AND o.config_group < :cve5_base)
"""

# -- KEV: the file is the whole catalog; flags of CVEs that left it are cleared -------------
KEV_INSERT_MISSING = """
INSERT INTO cve_catalog (cve_id, is_kev, kev_date_added, kev_due_date, kev_ransomware)
SELECT k.cve_id, :yes, k.kev_date_added, k.kev_due_date, k.kev_ransomware FROM {kev} k
WHERE NOT EXISTS (SELECT 1 FROM cve_catalog c WHERE c.cve_id = k.cve_id)
"""
KEV_COUNT_CHANGED = """
SELECT COUNT(*) FROM (
    SELECT cve_id, :yes AS is_kev, kev_date_added, kev_due_date, kev_ransomware FROM {kev}
    EXCEPT
    SELECT c.cve_id, c.is_kev, c.kev_date_added, c.kev_due_date, c.kev_ransomware
    FROM cve_catalog c JOIN {kev} k ON k.cve_id = c.cve_id
) d
"""
KEV_CLEAR = """
UPDATE cve_catalog SET is_kev = :no, kev_date_added = NULL, kev_due_date = NULL,
                       kev_ransomware = :no
WHERE is_kev = :yes
  AND NOT EXISTS (SELECT 1 FROM {kev} k WHERE k.cve_id = cve_catalog.cve_id)
"""

# -- EPSS: one model version at a time; CVEs missing from the file lose their score ---------
# (NOT EXISTS, never NOT IN: PostgreSQL runs a NOT IN over a large subquery row by row)
EPSS_COUNT_CHANGED = """
SELECT COUNT(*) FROM (
    SELECT cve_id, epss, epss_percentile, :model AS m, :score_date AS d FROM {epss}
    EXCEPT
    SELECT s.cve_id, s.epss, s.epss_percentile, s.epss_model_version, s.score_date
    FROM cve_scores_cache s JOIN {epss} e ON e.cve_id = s.cve_id
) d
"""
EPSS_INSERT = """
INSERT INTO cve_scores_cache (cve_id, epss, epss_percentile, epss_model_version, score_date,
                              fetched_at)
SELECT e.cve_id, e.epss, e.epss_percentile, :model, :score_date, :now FROM {epss} e
WHERE NOT EXISTS (SELECT 1 FROM cve_scores_cache s WHERE s.cve_id = e.cve_id)
"""
EPSS_CLEAR = """
UPDATE cve_scores_cache SET epss = NULL, epss_percentile = NULL, epss_model_version = NULL,
                            score_date = NULL, fetched_at = :now
WHERE epss IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {epss} e WHERE e.cve_id = cve_scores_cache.cve_id)
"""

# -- ExploitDB ---------------------------------------------------------------------------------
EDB_COUNT_CHANGED = f"""
SELECT COUNT(*) FROM (
    SELECT {", ".join(EDB_COLUMNS)} FROM {{edb}}
    EXCEPT
    SELECT {", ".join(f"e.{c}" for c in EDB_COLUMNS)}
    FROM exploitdb_exploits e JOIN {{edb}} x ON x.edb_id = e.edb_id
) d
"""
EDB_COUNT_NEW = """
SELECT COUNT(*) FROM {edb} x
WHERE NOT EXISTS (SELECT 1 FROM exploitdb_exploits e WHERE e.edb_id = x.edb_id)
"""
EDB_INSERT = f"""
INSERT INTO exploitdb_exploits ({", ".join(EDB_COLUMNS)})
SELECT {", ".join(f"x.{c}" for c in EDB_COLUMNS)} FROM {{edb}} x
WHERE NOT EXISTS (SELECT 1 FROM exploitdb_exploits e WHERE e.edb_id = x.edb_id)
"""
EDB_LINKS_CHANGED = """
SELECT COUNT(*) FROM (
    SELECT edb_id, cve_id FROM {edb_cve}
    EXCEPT
    SELECT l.edb_id, l.cve_id FROM exploitdb_cves l JOIN {edb} x ON x.edb_id = l.edb_id
) a
"""
EDB_DELETE_LINKS = """
DELETE FROM exploitdb_cves WHERE edb_id IN (SELECT edb_id FROM {edb})
  AND NOT EXISTS (SELECT 1 FROM {edb_cve} n
                  WHERE n.edb_id = exploitdb_cves.edb_id AND n.cve_id = exploitdb_cves.cve_id)
"""
EDB_INSERT_LINKS = """
INSERT INTO exploitdb_cves (edb_id, cve_id)
SELECT n.edb_id, n.cve_id FROM {edb_cve} n
WHERE NOT EXISTS (SELECT 1 FROM exploitdb_cves l
                  WHERE l.edb_id = n.edb_id AND l.cve_id = n.cve_id)
"""

# -- feed state --------------------------------------------------------------------------------
FEED_GET = "SELECT id, name, kind, url, enabled, last_synced_at, sync_cursor, last_error " \
           "FROM cve_feeds WHERE name = :name"
FEED_LIST = "SELECT id, name, kind, url, enabled, last_synced_at, sync_cursor, last_error " \
            "FROM cve_feeds ORDER BY name"
FEED_INSERT = """
INSERT INTO cve_feeds (id, name, kind, url, enabled, last_synced_at, sync_cursor, last_error)
VALUES (:id, :name, :kind, :url, :yes, :last_synced_at, :sync_cursor, :last_error)
"""
FEED_SYNCED = """
UPDATE cve_feeds SET url = :url, last_synced_at = :last_synced_at, sync_cursor = :sync_cursor,
                     last_error = NULL
WHERE name = :name
"""
FEED_FAILED = "UPDATE cve_feeds SET last_error = :last_error WHERE name = :name"

# -- matching tenants' assets (tenant tables: always filtered by :tenant_id) ----------------
MATCH_SCAN = f"""
SELECT {_MATCH_LIST} FROM cve_cpe_matches
WHERE cve_id > :after_cve
ORDER BY cve_id
LIMIT :limit
"""
MATCH_SCAN_OF = f"SELECT {_MATCH_LIST} FROM cve_cpe_matches WHERE cve_id = :cve_id"

MATCH_ROWS_OF = f"SELECT id, {_MATCH_LIST} FROM cve_cpe_matches WHERE cve_id = :cve_id " \
                "ORDER BY config_group, id"
ASSETS = """
SELECT id, name, cpe, producer, model, firmware_version FROM assets
WHERE tenant_id = :tenant_id AND lifecycle_state <> 'decommissioned'
"""
ASSET = """
SELECT id, name, cpe, producer, model, firmware_version FROM assets
WHERE tenant_id = :tenant_id AND id = :asset_id
"""
CATALOG_FACTS = "SELECT cve_id, cvss_score, cvss_severity, is_kev FROM cve_catalog"
TENANT_VULNERABILITIES = """
SELECT id, asset_id, cve_id, status, cvss_score FROM vulnerabilities
WHERE tenant_id = :tenant_id AND asset_id IS NOT NULL
"""
OPEN_FRESH = """
INSERT INTO vulnerabilities (id, tenant_id, cve_id, cvss_score, status, asset_id,
                             first_seen_at, last_seen_at)
SELECT id, :tenant_id, cve_id, cvss_score, 'open', asset_id, :now, :now FROM {fresh}
"""
# a repeated match refreshes when it was seen (the ids are staged in {seen}); the status is
# a person's call and is never touched
SEEN_AGAIN = """
UPDATE vulnerabilities SET last_seen_at = :now
WHERE tenant_id = :tenant_id
  AND EXISTS (SELECT 1 FROM {seen} s WHERE s.id = vulnerabilities.id)
"""
RESCORE = """
UPDATE vulnerabilities SET cvss_score = :cvss_score WHERE tenant_id = :tenant_id AND id = :id
"""
ALERT_THRESHOLD = """
SELECT cvss_alert_threshold FROM vuln_scanner_settings WHERE tenant_id = :tenant_id
"""
RAISED_ALERTS = """
SELECT asset_id, cve_id FROM security_alerts
WHERE tenant_id = :tenant_id AND source = :source AND cve_id IS NOT NULL
"""
INSERT_ALERT = """
INSERT INTO security_alerts (id, tenant_id, title, severity, source, description, cve_id,
                             asset_id, status, created_at)
VALUES (:id, :tenant_id, :title, :severity, :source, :description, :cve_id, :asset_id,
        'open', :now)
"""
TENANT_IDS = "SELECT id FROM tenants WHERE status = 'active' ORDER BY id"
TENANT_EXISTS = "SELECT id FROM tenants WHERE id = :tenant_id"
ASSET_TENANT = "SELECT tenant_id FROM assets WHERE id = :asset_id"
CATALOG_COUNTS = """
SELECT (SELECT COUNT(*) FROM cve_catalog) AS cves,
       (SELECT COUNT(*) FROM cve_catalog WHERE is_kev = :yes) AS kev,
       (SELECT COUNT(*) FROM cve_cpe_matches) AS cpe_matches,
       (SELECT COUNT(*) FROM cve_scores_cache WHERE epss IS NOT NULL) AS epss,
       (SELECT COUNT(*) FROM exploitdb_exploits) AS exploits,
       (SELECT COUNT(*) FROM exploitdb_cves) AS exploit_cves
"""
