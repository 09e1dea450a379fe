-- ITSM statements: incidents with their timeline and comments, the priority matrix and SLA
-- policies, problems, changes, knowledge articles. Every statement filters on :tenant_id;
-- pages end in the limit snippet, shared by every database.

-- name: insert_incident :rowcount
INSERT INTO incidents (id, tenant_id, title, status, severity, sla_response_due,
                       sla_resolve_due, created_at, impact, urgency, priority, assigned_to,
                       sla_response_breached, sla_resolve_breached, resolution_note,
                       resolved_at, closed_at, site_id, asset_id)
VALUES (:id, :tenant_id, :title, :status, :severity, :sla_response_due, :sla_resolve_due,
        :created_at, :impact, :urgency, :priority, :assigned_to, :sla_response_breached,
        :sla_resolve_breached, :resolution_note, :resolved_at, :closed_at, :site_id, :asset_id)

-- name: get_incident :optional Incident
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, site_id, asset_id
FROM incidents WHERE tenant_id = :tenant_id AND id = :id

-- A move from the status the caller read (:was), or none when a concurrent one came first;
-- the assignee is kept unless the move names one (a concurrent assignment stands).
-- name: update_incident :rowcount
UPDATE incidents
SET status = :status, assigned_to = COALESCE(:assigned_to, assigned_to),
    sla_response_breached = :sla_response_breached,
    sla_resolve_breached = :sla_resolve_breached, resolution_note = :resolution_note,
    resolved_at = :resolved_at, closed_at = :closed_at
WHERE tenant_id = :tenant_id AND id = :id AND status = :was

-- name: assign_incident :rowcount
UPDATE incidents SET assigned_to = :assigned_to
WHERE tenant_id = :tenant_id AND id = :id AND status IN (:active)

-- The lists filter on a site and an asset only when asked: :any_site / :any_asset are 0 then.
-- name: list_incidents :many Incident
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, site_id, asset_id
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND (:any_site = 1 OR site_id = :site_id) AND (:any_asset = 1 OR asset_id = :asset_id)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_incidents_after :many Incident
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, site_id, asset_id
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND (:any_site = 1 OR site_id = :site_id) AND (:any_asset = 1 OR asset_id = :asset_id)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
  AND created_at <= :after_created_at
  AND (created_at < :after_created_at OR id > :after_id)
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_incidents_by_priority :many Incident
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at, site_id, asset_id
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY priority, created_at, id

-- name: mark_response_breaches :rowcount
UPDATE incidents SET sla_response_breached = :breached
WHERE tenant_id = :tenant_id AND status = 'open' AND sla_response_due < :now
  AND sla_response_breached = :not_breached

-- name: mark_resolve_breaches :rowcount
UPDATE incidents SET sla_resolve_breached = :breached
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND sla_resolve_due < :now
  AND sla_resolve_breached = :not_breached

-- name: user_exists :value int
SELECT count(*) FROM users WHERE tenant_id = :tenant_id AND id = :id

-- name: site_exists :value int
SELECT count(*) FROM sites WHERE tenant_id = :tenant_id AND id = :id

-- name: asset_site :optional UUID
SELECT site_id FROM assets WHERE tenant_id = :tenant_id AND id = :id

-- name: priority_for :optional str
SELECT priority FROM priority_matrix
WHERE tenant_id = :tenant_id AND severity = :severity AND impact = :impact
  AND urgency = :urgency

-- name: upsert_priority :rowcount
{{ upsert priority_matrix key (tenant_id, severity, impact, urgency) set (priority) }}

-- name: list_priority_matrix :many PriorityMatrixEntry
SELECT tenant_id, severity, impact, urgency, priority FROM priority_matrix
WHERE tenant_id = :tenant_id ORDER BY severity, impact, urgency

-- name: sla_for :optional SlaPolicy
SELECT tenant_id, priority, response_minutes, resolve_minutes FROM sla_policies
WHERE tenant_id = :tenant_id AND priority = :priority

-- name: list_sla_policies :many SlaPolicy
SELECT tenant_id, priority, response_minutes, resolve_minutes FROM sla_policies
WHERE tenant_id = :tenant_id ORDER BY priority

-- name: upsert_sla_policy :rowcount
{{ upsert sla_policies key (tenant_id, priority) set (response_minutes, resolve_minutes) }}

-- name: insert_timeline_event :rowcount
INSERT INTO incident_timeline_events (id, tenant_id, incident_id, event_type, old_value,
                                      new_value, actor_id, created_at)
VALUES (:id, :tenant_id, :incident_id, :event_type, :old_value, :new_value, :actor_id,
        :created_at)

-- name: list_timeline :many IncidentTimelineEvent
SELECT id, tenant_id, incident_id, event_type, old_value, new_value, actor_id, created_at
FROM incident_timeline_events
WHERE tenant_id = :tenant_id AND incident_id = :incident_id
ORDER BY created_at, id

-- name: insert_comment :rowcount
INSERT INTO incident_comments (id, tenant_id, incident_id, author_id, body, mentions,
                               created_at)
VALUES (:id, :tenant_id, :incident_id, :author_id, :body, :mentions, :created_at)

-- name: list_comments :many IncidentComment
SELECT id, tenant_id, incident_id, author_id, body, mentions, created_at
FROM incident_comments
WHERE tenant_id = :tenant_id AND incident_id = :incident_id
ORDER BY created_at, id

-- name: insert_problem :rowcount
INSERT INTO problems (id, tenant_id, title, status, root_cause, created_at)
VALUES (:id, :tenant_id, :title, :status, :root_cause, :created_at)

-- name: get_problem :optional Problem
SELECT id, tenant_id, title, status, root_cause, created_at
FROM problems WHERE tenant_id = :tenant_id AND id = :id

-- name: update_problem :rowcount
UPDATE problems SET status = :status, root_cause = :root_cause
WHERE tenant_id = :tenant_id AND id = :id AND status = :was

-- name: list_problems :many Problem
SELECT id, tenant_id, title, status, root_cause, created_at
FROM problems WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY created_at DESC, id

-- name: insert_change :rowcount
INSERT INTO changes (id, tenant_id, title, status, type, risk, created_at)
VALUES (:id, :tenant_id, :title, :status, :type, :risk, :created_at)

-- name: get_change :optional Change
SELECT id, tenant_id, title, status, type, risk, created_at
FROM changes WHERE tenant_id = :tenant_id AND id = :id

-- name: update_change :rowcount
UPDATE changes SET status = :status
WHERE tenant_id = :tenant_id AND id = :id AND status = :was

-- name: list_changes :many Change
SELECT id, tenant_id, title, status, type, risk, created_at
FROM changes WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY created_at DESC, id

-- name: insert_article :rowcount
INSERT INTO knowledge_articles (id, tenant_id, title, body, created_at)
VALUES (:id, :tenant_id, :title, :body, :created_at)

-- name: get_article :optional KnowledgeArticle
SELECT id, tenant_id, title, body, created_at
FROM knowledge_articles WHERE tenant_id = :tenant_id AND id = :id

-- name: update_article :rowcount
UPDATE knowledge_articles SET title = :title, body = :body
WHERE tenant_id = :tenant_id AND id = :id

-- name: article_problem_exists :value int
SELECT count(*) FROM knowledge_article_problems
WHERE tenant_id = :tenant_id AND article_id = :article_id AND problem_id = :problem_id

-- name: insert_article_problem :rowcount
INSERT INTO knowledge_article_problems (tenant_id, article_id, problem_id)
VALUES (:tenant_id, :article_id, :problem_id)

-- name: delete_article_problem :rowcount
DELETE FROM knowledge_article_problems
WHERE tenant_id = :tenant_id AND article_id = :article_id AND problem_id = :problem_id

-- name: articles_for_problem :many KnowledgeArticle
SELECT k.id, k.tenant_id, k.title, k.body, k.created_at
FROM knowledge_article_problems l
JOIN knowledge_articles k ON k.tenant_id = l.tenant_id AND k.id = l.article_id
WHERE l.tenant_id = :tenant_id AND l.problem_id = :problem_id
ORDER BY k.title, k.id

-- name: problems_for_article :many Problem
SELECT p.id, p.tenant_id, p.title, p.status, p.root_cause, p.created_at
FROM knowledge_article_problems l
JOIN problems p ON p.tenant_id = l.tenant_id AND p.id = l.problem_id
WHERE l.tenant_id = :tenant_id AND l.article_id = :article_id
ORDER BY p.created_at DESC, p.id
