-- V28: drop diagram-related change_id. Diagrams are no longer linked to changes: the column,
-- its foreign key and its index go; every other diagram column and row stays.

ALTER TABLE diagrams DROP CONSTRAINT fk_diagrams_change_id;
DROP INDEX ix_diagrams_tenant_change;
ALTER TABLE diagrams DROP COLUMN change_id;
