-- V15: user settings appearance. Theme, density and accent colour per user; existing rows get
-- the defaults.

ALTER TABLE user_settings
    ADD COLUMN theme TEXT NOT NULL DEFAULT 'system'
        CHECK (length(theme) <= 10)
        CONSTRAINT ck_user_settings_theme CHECK (theme IN ('light', 'dark', 'system'));
ALTER TABLE user_settings
    ADD COLUMN density TEXT NOT NULL DEFAULT 'comfortable' CHECK (length(density) <= 20);
ALTER TABLE user_settings
    ADD COLUMN accent_color TEXT NULL CHECK (length(accent_color) <= 7);
