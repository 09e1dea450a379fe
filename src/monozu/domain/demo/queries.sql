-- Demo rows that have no service on this layer yet: users, groups and their permissions, edge
-- devices with their commands and ingest events. Tenant-owned, filtered on :tenant_id.

-- name: user_exists :value int
SELECT count(*) FROM users WHERE tenant_id = :tenant_id AND id = :id

-- name: insert_user :rowcount
INSERT INTO users (id, tenant_id, email, password_hash, mfa_enabled, created_at, display_name)
VALUES (:id, :tenant_id, :email, NULL, :mfa_enabled, :created_at, :display_name)

-- name: insert_group :rowcount
INSERT INTO groups (id, tenant_id, name) VALUES (:id, :tenant_id, :name)

-- name: insert_group_permission :rowcount
INSERT INTO group_permissions (tenant_id, group_id, permission)
VALUES (:tenant_id, :group_id, :permission)

-- name: insert_membership :rowcount
INSERT INTO user_groups (user_id, group_id, tenant_id) VALUES (:user_id, :group_id, :tenant_id)

-- name: insert_device :rowcount
INSERT INTO devices (id, tenant_id, name, type, location, device_key_hash, status,
                     last_seen_at, created_at)
VALUES (:id, :tenant_id, :name, :type, :location, :device_key_hash, :status, :last_seen_at,
        :created_at)

-- name: insert_device_command :rowcount
INSERT INTO device_commands (id, tenant_id, device_id, command, payload, status, created_by,
                             created_at, acked_at, completed_at, result)
VALUES (:id, :tenant_id, :device_id, :command, :payload, :status, :created_by, :created_at,
        :acked_at, :completed_at, :result)

-- name: insert_ingest_event :rowcount
INSERT INTO ingest_events (tenant_id, device_id, kind, event_at, data, received_at)
VALUES (:tenant_id, :device_id, :kind, :event_at, :data, :received_at)

-- name: catalog_has :value int
SELECT count(*) FROM cve_catalog WHERE cve_id = :cve_id

-- name: insert_catalog_entry :rowcount
INSERT INTO cve_catalog (cve_id, description, published_at, vuln_status, cvss_score,
                         cvss_severity, cvss_vector, cvss_version, is_kev, kev_date_added,
                         kev_due_date, kev_ransomware)
VALUES (:cve_id, :description, :published_at, :vuln_status, :cvss_score, :cvss_severity,
        :cvss_vector, :cvss_version, :is_kev, :kev_date_added, :kev_due_date, :kev_ransomware)

-- name: scores_have :value int
SELECT count(*) FROM cve_scores_cache WHERE cve_id = :cve_id

-- name: insert_scores :rowcount
INSERT INTO cve_scores_cache (cve_id, cvss_v31_score, cvss_v31_vector, cvss_v40_score,
                              cvss_v40_vector, epss, epss_percentile, epss_model_version,
                              score_date, fetched_at)
VALUES (:cve_id, :cvss_v31_score, :cvss_v31_vector, :cvss_v40_score, :cvss_v40_vector, :epss,
        :epss_percentile, :epss_model_version, :score_date, :fetched_at)

-- name: exploit_has :value int
SELECT count(*) FROM exploitdb_exploits WHERE edb_id = :edb_id

-- name: insert_exploit :rowcount
INSERT INTO exploitdb_exploits (edb_id, file_path, description, date_published, author, type,
                                platform, verified, date_added)
VALUES (:edb_id, :file_path, :description, :date_published, :author, :type, :platform,
        :verified, :date_added)

-- name: insert_exploit_cve :rowcount
INSERT INTO exploitdb_cves (edb_id, cve_id) VALUES (:edb_id, :cve_id)
