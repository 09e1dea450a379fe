-- V15: user settings appearance. Theme, density and accent colour per user; existing rows get
-- the defaults.

ALTER TABLE dbo.user_settings
    ADD theme NVARCHAR(10) NOT NULL
        CONSTRAINT df_user_settings_theme DEFAULT N'system'
        CONSTRAINT ck_user_settings_theme CHECK (theme IN (N'light', N'dark', N'system'));
ALTER TABLE dbo.user_settings
    ADD density NVARCHAR(20) NOT NULL CONSTRAINT df_user_settings_density DEFAULT N'comfortable';
ALTER TABLE dbo.user_settings
    ADD accent_color NVARCHAR(7) NULL;
GO
