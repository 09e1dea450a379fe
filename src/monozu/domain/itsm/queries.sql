-- ITSM statements: incidents with their timeline and comments, the priority matrix and SLA
-- policies, problems, changes, knowledge articles. Every statement filters on :tenant_id;
-- queries.sqlserver.sql overrides the page limits.

-- name: insert_incident
INSERT INTO incidents (id, tenant_id, title, status, severity, sla_response_due,
                       sla_resolve_due, created_at, impact, urgency, priority, assigned_to,
                       sla_response_breached, sla_resolve_breached, resolution_note,
                       resolved_at, closed_at)
VALUES (:id, :tenant_id, :title, :status, :severity, :sla_response_due, :sla_resolve_due,
        :created_at, :impact, :urgency, :priority, :assigned_to, :sla_response_breached,
        :sla_resolve_breached, :resolution_note, :resolved_at, :closed_at)

-- name: get_incident
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents WHERE tenant_id = :tenant_id AND id = :id

-- name: update_incident
UPDATE incidents
SET status = :status, assigned_to = :assigned_to, sla_response_breached = :sla_response_breached,
    sla_resolve_breached = :sla_resolve_breached, resolution_note = :resolution_note,
    resolved_at = :resolved_at, closed_at = :closed_at
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_incidents
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_incidents_after
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND severity IN (:severities)
  AND LOWER(title) LIKE :pattern ESCAPE '\'
  AND created_at <= :after_created_at
  AND (created_at < :after_created_at OR id > :after_id)
ORDER BY created_at DESC, id
{{ limit :limit }}

-- name: list_incidents_by_priority
SELECT id, tenant_id, title, status, severity, sla_response_due, sla_resolve_due, created_at,
       impact, urgency, priority, assigned_to, sla_response_breached, sla_resolve_breached,
       resolution_note, resolved_at, closed_at
FROM incidents
WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY priority, created_at, id

-- name: mark_response_breaches
UPDATE incidents SET sla_response_breached = :breached
WHERE tenant_id = :tenant_id AND status = 'open' AND sla_response_due < :now
  AND sla_response_breached = :not_breached

-- name: mark_resolve_breaches
UPDATE incidents SET sla_resolve_breached = :breached
WHERE tenant_id = :tenant_id AND status IN (:statuses) AND sla_resolve_due < :now
  AND sla_resolve_breached = :not_breached

-- name: user_exists
SELECT 1 FROM users WHERE tenant_id = :tenant_id AND id = :id

-- name: priority_for
SELECT priority FROM priority_matrix
WHERE tenant_id = :tenant_id AND severity = :severity AND impact = :impact
  AND urgency = :urgency

-- name: insert_priority
INSERT INTO priority_matrix (tenant_id, severity, impact, urgency, priority)
VALUES (:tenant_id, :severity, :impact, :urgency, :priority)

-- name: update_priority
UPDATE priority_matrix SET priority = :priority
WHERE tenant_id = :tenant_id AND severity = :severity AND impact = :impact
  AND urgency = :urgency

-- name: list_priority_matrix
SELECT tenant_id, severity, impact, urgency, priority FROM priority_matrix
WHERE tenant_id = :tenant_id ORDER BY severity, impact, urgency

-- name: sla_for
SELECT tenant_id, priority, response_minutes, resolve_minutes FROM sla_policies
WHERE tenant_id = :tenant_id AND priority = :priority

-- name: list_sla_policies
SELECT tenant_id, priority, response_minutes, resolve_minutes FROM sla_policies
WHERE tenant_id = :tenant_id ORDER BY priority

-- name: insert_sla_policy
INSERT INTO sla_policies (tenant_id, priority, response_minutes, resolve_minutes)
VALUES (:tenant_id, :priority, :response_minutes, :resolve_minutes)

-- name: update_sla_policy
UPDATE sla_policies SET response_minutes = :response_minutes, resolve_minutes = :resolve_minutes
WHERE tenant_id = :tenant_id AND priority = :priority

-- name: insert_timeline_event
INSERT INTO incident_timeline_events (id, tenant_id, incident_id, event_type, old_value,
                                      new_value, actor_id, created_at)
VALUES (:id, :tenant_id, :incident_id, :event_type, :old_value, :new_value, :actor_id,
        :created_at)

-- name: list_timeline
SELECT id, tenant_id, incident_id, event_type, old_value, new_value, actor_id, created_at
FROM incident_timeline_events
WHERE tenant_id = :tenant_id AND incident_id = :incident_id
ORDER BY created_at, id

-- name: insert_comment
INSERT INTO incident_comments (id, tenant_id, incident_id, author_id, body, mentions,
                               created_at)
VALUES (:id, :tenant_id, :incident_id, :author_id, :body, :mentions, :created_at)

-- name: list_comments
SELECT id, tenant_id, incident_id, author_id, body, mentions, created_at
FROM incident_comments
WHERE tenant_id = :tenant_id AND incident_id = :incident_id
ORDER BY created_at, id

-- name: insert_problem
INSERT INTO problems (id, tenant_id, title, status, root_cause, created_at)
VALUES (:id, :tenant_id, :title, :status, :root_cause, :created_at)

-- name: get_problem
SELECT id, tenant_id, title, status, root_cause, created_at
FROM problems WHERE tenant_id = :tenant_id AND id = :id

-- name: update_problem
UPDATE problems SET status = :status, root_cause = :root_cause
WHERE tenant_id = :tenant_id AND id = :id

-- name: list_problems
SELECT id, tenant_id, title, status, root_cause, created_at
FROM problems WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY created_at DESC, id

-- name: insert_change
INSERT INTO changes (id, tenant_id, title, status, type, risk, created_at)
VALUES (:id, :tenant_id, :title, :status, :type, :risk, :created_at)

-- name: get_change
SELECT id, tenant_id, title, status, type, risk, created_at
FROM changes WHERE tenant_id = :tenant_id AND id = :id

-- name: update_change
UPDATE changes SET status = :status WHERE tenant_id = :tenant_id AND id = :id

-- name: list_changes
SELECT id, tenant_id, title, status, type, risk, created_at
FROM changes WHERE tenant_id = :tenant_id AND status IN (:statuses)
ORDER BY created_at DESC, id

-- name: insert_article
INSERT INTO knowledge_articles (id, tenant_id, title, body, created_at)
VALUES (:id, :tenant_id, :title, :body, :created_at)

-- name: get_article
SELECT id, tenant_id, title, body, created_at
FROM knowledge_articles WHERE tenant_id = :tenant_id AND id = :id

-- name: update_article
UPDATE knowledge_articles SET title = :title, body = :body
WHERE tenant_id = :tenant_id AND id = :id

-- name: article_problem_exists
SELECT 1 FROM knowledge_article_problems
WHERE tenant_id = :tenant_id AND article_id = :article_id AND problem_id = :problem_id

-- name: insert_article_problem
INSERT INTO knowledge_article_problems (tenant_id, article_id, problem_id)
VALUES (:tenant_id, :article_id, :problem_id)

-- name: delete_article_problem
DELETE FROM knowledge_article_problems
WHERE tenant_id = :tenant_id AND article_id = :article_id AND problem_id = :problem_id

-- name: articles_for_problem
SELECT k.id, k.tenant_id, k.title, k.body, k.created_at
FROM knowledge_article_problems l
JOIN knowledge_articles k ON k.tenant_id = l.tenant_id AND k.id = l.article_id
WHERE l.tenant_id = :tenant_id AND l.problem_id = :problem_id
ORDER BY k.title, k.id

-- name: problems_for_article
SELECT p.id, p.tenant_id, p.title, p.status, p.root_cause, p.created_at
FROM knowledge_article_problems l
JOIN problems p ON p.tenant_id = l.tenant_id AND p.id = l.problem_id
WHERE l.tenant_id = :tenant_id AND l.article_id = :article_id
ORDER BY p.created_at DESC, p.id
