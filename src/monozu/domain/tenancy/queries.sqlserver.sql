-- SQL Server has no ON CONFLICT: upserts are MERGE with HOLDLOCK so two concurrent
-- webhooks cannot both insert. PLAN is a reserved word in T-SQL.

-- name: get_licence
SELECT tenant_id, [plan], expires_at, updated_at
FROM dbo.tenant_licenses WHERE tenant_id = :tenant_id

-- name: upsert_licence
MERGE dbo.tenant_licenses WITH (HOLDLOCK) AS t
USING (SELECT :tenant_id AS tenant_id, :plan AS [plan], :expires_at AS expires_at,
              :updated_at AS updated_at) AS s
ON t.tenant_id = s.tenant_id
WHEN MATCHED THEN UPDATE SET [plan] = s.[plan], expires_at = s.expires_at,
                             updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (tenant_id, [plan], expires_at, updated_at)
                      VALUES (s.tenant_id, s.[plan], s.expires_at, s.updated_at);

-- name: upsert_feature
MERGE dbo.tenant_features WITH (HOLDLOCK) AS t
USING (SELECT :tenant_id AS tenant_id, :feature AS feature, :enabled AS enabled) AS s
ON t.tenant_id = s.tenant_id AND t.feature = s.feature
WHEN MATCHED THEN UPDATE SET enabled = s.enabled
WHEN NOT MATCHED THEN INSERT (tenant_id, feature, enabled)
                      VALUES (s.tenant_id, s.feature, s.enabled);
