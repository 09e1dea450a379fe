-- V24: onboarding OT completed flag. Whether the tenant finished the OT onboarding; existing
-- tenants start at false.

ALTER TABLE dbo.tenants ADD onboarding_ot_completed BIT NOT NULL
        CONSTRAINT df_tenants_onboarding_ot_completed DEFAULT 0;
GO
