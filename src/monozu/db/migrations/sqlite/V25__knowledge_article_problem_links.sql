-- V25: knowledge article -> problem links. Many-to-many links between knowledge articles and
-- problems, both of the same tenant.

CREATE TABLE knowledge_article_problems (
    tenant_id BLOB NOT NULL CHECK (typeof(tenant_id) = 'blob' AND length(tenant_id) = 16),
    article_id BLOB NOT NULL CHECK (typeof(article_id) = 'blob' AND length(article_id) = 16),
    problem_id BLOB NOT NULL CHECK (typeof(problem_id) = 'blob' AND length(problem_id) = 16),
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
