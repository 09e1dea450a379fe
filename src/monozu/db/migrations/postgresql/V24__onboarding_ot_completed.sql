-- V24: onboarding OT completed flag. Whether the tenant finished the OT onboarding; existing
-- tenants start at false.

ALTER TABLE tenants ADD COLUMN onboarding_ot_completed boolean NOT NULL DEFAULT false;
