-- V24: onboarding OT completed flag. Whether the tenant finished the OT onboarding; existing
-- tenants start at false.

ALTER TABLE tenants ADD COLUMN onboarding_ot_completed INTEGER NOT NULL DEFAULT 0
        CHECK (onboarding_ot_completed IN (0, 1));
