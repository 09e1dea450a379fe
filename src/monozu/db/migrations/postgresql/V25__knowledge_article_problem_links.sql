-- V25: knowledge article -> problem links. Many-to-many links between knowledge articles and
-- problems, both of the same tenant.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE knowledge_article_problems (
    tenant_id uuid NOT NULL,
    article_id uuid NOT NULL,
    problem_id uuid NOT NULL,
    CONSTRAINT pk_knowledge_article_problems PRIMARY KEY (tenant_id, article_id, problem_id),
    CONSTRAINT fk_knowledge_article_problems_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES tenants (id),
    CONSTRAINT fk_knowledge_article_problems_article_id FOREIGN KEY (tenant_id, article_id)
        REFERENCES knowledge_articles (tenant_id, id),
    CONSTRAINT fk_knowledge_article_problems_problem_id FOREIGN KEY (tenant_id, problem_id)
        REFERENCES problems (tenant_id, id)
);
CREATE INDEX ix_knowledge_article_problems_tenant_problem
    ON knowledge_article_problems (tenant_id, problem_id);

CREATE POLICY rls_knowledge_article_problems ON knowledge_article_problems
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
