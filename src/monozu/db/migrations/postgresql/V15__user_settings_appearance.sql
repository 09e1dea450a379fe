-- V15: user settings appearance. Theme, density and accent colour per user; existing rows get
-- the defaults.

ALTER TABLE user_settings
    ADD COLUMN theme varchar(10) NOT NULL DEFAULT 'system'
        CONSTRAINT ck_user_settings_theme CHECK (theme IN ('light', 'dark', 'system'));
ALTER TABLE user_settings
    ADD COLUMN density varchar(20) NOT NULL DEFAULT 'comfortable';
ALTER TABLE user_settings
    ADD COLUMN accent_color varchar(7) NULL;
