-- V25: knowledge article -> problem links. Many-to-many links between knowledge articles and
-- problems, both of the same tenant.
-- New tenant table: its rls_ policy follows the rule stated in V16.

CREATE TABLE dbo.knowledge_article_problems (
    tenant_id UNIQUEIDENTIFIER NOT NULL,
    article_id UNIQUEIDENTIFIER NOT NULL,
    problem_id UNIQUEIDENTIFIER NOT NULL,
    CONSTRAINT pk_knowledge_article_problems PRIMARY KEY (tenant_id, article_id, problem_id),
    CONSTRAINT fk_knowledge_article_problems_tenant_id FOREIGN KEY (tenant_id)
        REFERENCES dbo.tenants (id),
    CONSTRAINT fk_knowledge_article_problems_article_id FOREIGN KEY (tenant_id, article_id)
        REFERENCES dbo.knowledge_articles (tenant_id, id),
    CONSTRAINT fk_knowledge_article_problems_problem_id FOREIGN KEY (tenant_id, problem_id)
        REFERENCES dbo.problems (tenant_id, id)
);
CREATE INDEX ix_knowledge_article_problems_tenant_problem
    ON dbo.knowledge_article_problems (tenant_id, problem_id);
GO

CREATE SECURITY POLICY dbo.rls_knowledge_article_problems
    ADD FILTER PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.knowledge_article_problems,
    ADD BLOCK PREDICATE dbo.fn_rls_tenant(tenant_id) ON dbo.knowledge_article_problems
    WITH (STATE = OFF);
GO
