-- The legacy real-name mini-program protocol (seed 003): its appids, managed like API keys,
-- and its flows, a third kind beside DetectAuth's and eID's.

CREATE TABLE IF NOT EXISTS legacy_apps (
    legacy_app_id TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL REFERENCES apps (app_id),
    name          TEXT NOT NULL,
    config        TEXT NOT NULL,             -- JSON
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS legacy_apps_by_app ON legacy_apps (app_id, legacy_app_id);

ALTER TABLE flows DROP CONSTRAINT IF EXISTS flows_kind_check;
ALTER TABLE flows ADD CONSTRAINT flows_kind_check CHECK (kind IN ('detect', 'eid', 'legacy'));
