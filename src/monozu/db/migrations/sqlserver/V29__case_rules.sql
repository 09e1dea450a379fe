-- V29: case rules. Identifiers, hashes and enumerations compare exactly; email compares
-- case-insensitively; the same on all three databases.
-- The database's default collation (Azure SQL: SQL_Latin1_General_CP1_CI_AS) compares without
-- regard to case, so until now 'Acme' and 'acme' were the same tenant slug, 'OPEN' passed an
-- enumeration CHECK and LIKE N'CVE-%' accepted 'cve-1'. Every string column in a primary key or
-- unique constraint, or named by a CHECK that compares it with text, gets the binary collation
-- Latin1_General_100_BIN2 (keys, =, IN and LIKE then compare code points), and so do the
-- columns whose values are looked up in those keys (incidents' priority, severity, impact and
-- urgency, security_alerts.severity, device_snap_updates.snap_name, every cve_id): comparing
-- two columns of different collations fails on SQL Server, and a foreign key needs equal ones.
-- users.email gets Latin1_General_100_CI_AS explicitly: one user per tenant per email whatever
-- its case and whatever the database's default.
-- ALTER COLUMN ... COLLATE is refused while an index, key, CHECK, foreign key or default uses
-- the column, so those are dropped first and re-created with their names after; statistics
-- the server created on a column by itself are dropped by the server. The row-level-security
-- policies are schema-bound to tenant_id only, which no statement here alters, so they stay.
-- The CHECKs check existing rows again when they come back: a row spelled in another case than
-- its enumeration (for example 'Active') makes this migration fail and must be fixed first.

ALTER TABLE dbo.cve_cpe_matches DROP CONSTRAINT fk_cve_cpe_matches_cve_id;
ALTER TABLE dbo.assets DROP CONSTRAINT ck_assets_criticality;
ALTER TABLE dbo.assets DROP CONSTRAINT ck_assets_lifecycle_state;
ALTER TABLE dbo.assets DROP CONSTRAINT df_assets_lifecycle_state;
ALTER TABLE dbo.changes DROP CONSTRAINT ck_changes_type;
ALTER TABLE dbo.cve_catalog DROP CONSTRAINT pk_cve_catalog;
ALTER TABLE dbo.cve_catalog DROP CONSTRAINT ck_cve_catalog_cve_id;
DROP INDEX ix_cve_cpe_matches_cve_id ON dbo.cve_cpe_matches;
ALTER TABLE dbo.cve_cpe_matches DROP CONSTRAINT ck_cve_cpe_matches_node_operator;
ALTER TABLE dbo.cve_cpe_matches DROP CONSTRAINT df_cve_cpe_matches_node_operator;
ALTER TABLE dbo.cve_feeds DROP CONSTRAINT uq_cve_feeds_name;
ALTER TABLE dbo.cve_feeds DROP CONSTRAINT ck_cve_feeds_kind;
ALTER TABLE dbo.cve_scores_cache DROP CONSTRAINT pk_cve_scores_cache;
ALTER TABLE dbo.cve_scores_cache DROP CONSTRAINT ck_cve_scores_cache_cve_id;
DROP INDEX ix_device_commands_tenant_device_status_created_at ON dbo.device_commands;
ALTER TABLE dbo.device_commands DROP CONSTRAINT ck_device_commands_command;
ALTER TABLE dbo.device_commands DROP CONSTRAINT ck_device_commands_status;
ALTER TABLE dbo.device_commands DROP CONSTRAINT df_device_commands_status;
ALTER TABLE dbo.devices DROP CONSTRAINT uq_devices_device_key_hash;
ALTER TABLE dbo.edge_provisioning_keys DROP CONSTRAINT uq_edge_provisioning_keys_key_hash;
DROP INDEX ix_exploitdb_cves_cve_id ON dbo.exploitdb_cves;
ALTER TABLE dbo.exploitdb_cves DROP CONSTRAINT pk_exploitdb_cves;
ALTER TABLE dbo.exploitdb_cves DROP CONSTRAINT ck_exploitdb_cves_cve_id;
ALTER TABLE dbo.group_permissions DROP CONSTRAINT pk_group_permissions;
ALTER TABLE dbo.group_permissions DROP CONSTRAINT ck_group_permissions_permission;
ALTER TABLE dbo.groups DROP CONSTRAINT uq_groups_tenant_name;
ALTER TABLE dbo.ingest_events DROP CONSTRAINT ck_ingest_events_kind;
ALTER TABLE dbo.priority_matrix DROP CONSTRAINT pk_priority_matrix;
ALTER TABLE dbo.refresh_tokens DROP CONSTRAINT uq_refresh_tokens_token_hash;
ALTER TABLE dbo.sla_policies DROP CONSTRAINT pk_sla_policies;
ALTER TABLE dbo.snap_releases DROP CONSTRAINT uq_snap_releases_snap_name_version_channel;
ALTER TABLE dbo.snap_releases DROP CONSTRAINT df_snap_releases_channel;
ALTER TABLE dbo.tenant_features DROP CONSTRAINT pk_tenant_features;
ALTER TABLE dbo.tenant_features DROP CONSTRAINT ck_tenant_features_feature;
ALTER TABLE dbo.tenants DROP CONSTRAINT uq_tenants_slug;
ALTER TABLE dbo.tenants DROP CONSTRAINT ck_tenants_status;
ALTER TABLE dbo.tenants DROP CONSTRAINT df_tenants_status;
ALTER TABLE dbo.user_settings DROP CONSTRAINT ck_user_settings_theme;
ALTER TABLE dbo.user_settings DROP CONSTRAINT df_user_settings_theme;
ALTER TABLE dbo.users DROP CONSTRAINT uq_users_tenant_email;
DROP INDEX ix_vulnerabilities_tenant_cve ON dbo.vulnerabilities;
ALTER TABLE dbo.vulnerabilities DROP CONSTRAINT uq_vulnerabilities_tenant_asset_cve;
ALTER TABLE dbo.vulnerabilities DROP CONSTRAINT ck_vulnerabilities_cve_id;
GO

ALTER TABLE dbo.assets ALTER COLUMN criticality NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE dbo.assets ALTER COLUMN lifecycle_state NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.changes ALTER COLUMN type NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_catalog ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_cpe_matches ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_cpe_matches ALTER COLUMN node_operator NVARCHAR(3)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_feeds ALTER COLUMN name NVARCHAR(100)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_feeds ALTER COLUMN kind NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cve_scores_cache ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.device_commands ALTER COLUMN command NVARCHAR(30)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.device_commands ALTER COLUMN status NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.device_snap_updates ALTER COLUMN snap_name NVARCHAR(100)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.devices ALTER COLUMN device_key_hash NVARCHAR(128)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.edge_provisioning_keys ALTER COLUMN key_hash NVARCHAR(128)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.exploitdb_cves ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.group_permissions ALTER COLUMN permission NVARCHAR(100)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.groups ALTER COLUMN name NVARCHAR(200)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.incidents ALTER COLUMN severity NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.incidents ALTER COLUMN impact NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE dbo.incidents ALTER COLUMN urgency NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE dbo.incidents ALTER COLUMN priority NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE dbo.ingest_events ALTER COLUMN kind NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.priority_matrix ALTER COLUMN severity NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.priority_matrix ALTER COLUMN impact NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.priority_matrix ALTER COLUMN urgency NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.refresh_tokens ALTER COLUMN token_hash NVARCHAR(128)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.security_alerts ALTER COLUMN severity NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.security_alerts ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE dbo.sla_policies ALTER COLUMN priority NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.snap_releases ALTER COLUMN snap_name NVARCHAR(100)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.snap_releases ALTER COLUMN version NVARCHAR(50)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.snap_releases ALTER COLUMN channel NVARCHAR(50)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.tenant_features ALTER COLUMN feature NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.tenants ALTER COLUMN status NVARCHAR(20)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.tenants ALTER COLUMN slug NVARCHAR(63)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.user_settings ALTER COLUMN theme NVARCHAR(10)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.users ALTER COLUMN email NVARCHAR(320)
    COLLATE Latin1_General_100_CI_AS NOT NULL;
ALTER TABLE dbo.vulnerabilities ALTER COLUMN cve_id NVARCHAR(32)
    COLLATE Latin1_General_100_BIN2 NOT NULL;
GO

ALTER TABLE dbo.assets ADD CONSTRAINT ck_assets_criticality
    CHECK (criticality IN (N'low', N'medium', N'high', N'critical'));
ALTER TABLE dbo.assets ADD CONSTRAINT ck_assets_lifecycle_state
    CHECK (lifecycle_state IN (N'planned', N'active', N'decommissioned'));
ALTER TABLE dbo.assets ADD CONSTRAINT df_assets_lifecycle_state
    DEFAULT N'active' FOR lifecycle_state;
ALTER TABLE dbo.changes ADD CONSTRAINT ck_changes_type
    CHECK (type IN (N'standard', N'normal', N'emergency'));
ALTER TABLE dbo.cve_catalog ADD CONSTRAINT pk_cve_catalog PRIMARY KEY (cve_id);
ALTER TABLE dbo.cve_catalog ADD CONSTRAINT ck_cve_catalog_cve_id CHECK (cve_id LIKE N'CVE-%');
CREATE INDEX ix_cve_cpe_matches_cve_id ON dbo.cve_cpe_matches (cve_id);
ALTER TABLE dbo.cve_cpe_matches ADD CONSTRAINT ck_cve_cpe_matches_node_operator
    CHECK (node_operator IN (N'AND', N'OR'));
ALTER TABLE dbo.cve_cpe_matches ADD CONSTRAINT df_cve_cpe_matches_node_operator
    DEFAULT N'OR' FOR node_operator;
ALTER TABLE dbo.cve_feeds ADD CONSTRAINT uq_cve_feeds_name UNIQUE (name);
ALTER TABLE dbo.cve_feeds ADD CONSTRAINT ck_cve_feeds_kind
    CHECK (kind IN (N'nvd', N'kev', N'cvelist5', N'epss', N'exploitdb'));
ALTER TABLE dbo.cve_scores_cache ADD CONSTRAINT pk_cve_scores_cache PRIMARY KEY (cve_id);
ALTER TABLE dbo.cve_scores_cache ADD CONSTRAINT ck_cve_scores_cache_cve_id
    CHECK (cve_id LIKE N'CVE-%');
CREATE INDEX ix_device_commands_tenant_device_status_created_at
    ON dbo.device_commands (tenant_id, device_id, status, created_at);
ALTER TABLE dbo.device_commands ADD CONSTRAINT ck_device_commands_command
    CHECK (command IN (N'update_snap', N'restart_service', N'run_discovery', N'config_update'));
ALTER TABLE dbo.device_commands ADD CONSTRAINT ck_device_commands_status
    CHECK (status IN (N'pending', N'acked', N'completed', N'failed', N'expired'));
ALTER TABLE dbo.device_commands ADD CONSTRAINT df_device_commands_status
    DEFAULT N'pending' FOR status;
ALTER TABLE dbo.devices ADD CONSTRAINT uq_devices_device_key_hash UNIQUE (device_key_hash);
ALTER TABLE dbo.edge_provisioning_keys ADD CONSTRAINT uq_edge_provisioning_keys_key_hash
    UNIQUE (key_hash);
ALTER TABLE dbo.exploitdb_cves ADD CONSTRAINT pk_exploitdb_cves PRIMARY KEY (edb_id, cve_id);
CREATE INDEX ix_exploitdb_cves_cve_id ON dbo.exploitdb_cves (cve_id);
ALTER TABLE dbo.exploitdb_cves ADD CONSTRAINT ck_exploitdb_cves_cve_id
    CHECK (cve_id LIKE N'CVE-%');
ALTER TABLE dbo.group_permissions ADD CONSTRAINT pk_group_permissions
    PRIMARY KEY (tenant_id, group_id, permission);
ALTER TABLE dbo.group_permissions ADD CONSTRAINT ck_group_permissions_permission
    CHECK (permission LIKE N'%_:_%');
ALTER TABLE dbo.groups ADD CONSTRAINT uq_groups_tenant_name UNIQUE (tenant_id, name);
ALTER TABLE dbo.ingest_events ADD CONSTRAINT ck_ingest_events_kind
    CHECK (kind IN (N'telemetry', N'log', N'security_alert', N'discovery', N'backup_event'));
ALTER TABLE dbo.priority_matrix ADD CONSTRAINT pk_priority_matrix
    PRIMARY KEY (tenant_id, severity, impact, urgency);
ALTER TABLE dbo.refresh_tokens ADD CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash);
ALTER TABLE dbo.sla_policies ADD CONSTRAINT pk_sla_policies PRIMARY KEY (tenant_id, priority);
ALTER TABLE dbo.snap_releases ADD CONSTRAINT uq_snap_releases_snap_name_version_channel
    UNIQUE (snap_name, version, channel);
ALTER TABLE dbo.snap_releases ADD CONSTRAINT df_snap_releases_channel
    DEFAULT N'stable' FOR channel;
ALTER TABLE dbo.tenant_features ADD CONSTRAINT pk_tenant_features PRIMARY KEY (tenant_id, feature);
ALTER TABLE dbo.tenant_features ADD CONSTRAINT ck_tenant_features_feature
    CHECK (feature IN (N'security', N'vpn', N'backup'));
ALTER TABLE dbo.tenants ADD CONSTRAINT uq_tenants_slug UNIQUE (slug);
ALTER TABLE dbo.tenants ADD CONSTRAINT ck_tenants_status
    CHECK (status IN (N'pending', N'active', N'suspended'));
ALTER TABLE dbo.tenants ADD CONSTRAINT df_tenants_status DEFAULT N'pending' FOR status;
ALTER TABLE dbo.user_settings ADD CONSTRAINT ck_user_settings_theme
    CHECK (theme IN (N'light', N'dark', N'system'));
ALTER TABLE dbo.user_settings ADD CONSTRAINT df_user_settings_theme DEFAULT N'system' FOR theme;
ALTER TABLE dbo.users ADD CONSTRAINT uq_users_tenant_email UNIQUE (tenant_id, email);
CREATE INDEX ix_vulnerabilities_tenant_cve ON dbo.vulnerabilities (tenant_id, cve_id);
ALTER TABLE dbo.vulnerabilities ADD CONSTRAINT uq_vulnerabilities_tenant_asset_cve
    UNIQUE (tenant_id, asset_id, cve_id);
ALTER TABLE dbo.vulnerabilities ADD CONSTRAINT ck_vulnerabilities_cve_id
    CHECK (cve_id LIKE N'CVE-%');
ALTER TABLE dbo.cve_cpe_matches ADD CONSTRAINT fk_cve_cpe_matches_cve_id FOREIGN KEY (cve_id)
    REFERENCES dbo.cve_catalog (cve_id);
GO
