-- The legacy real-name mini-program protocol (seed 003): its appids, managed like API keys,
-- and its flows, a third kind beside DetectAuth's and eID's. SQLite cannot change a CHECK
-- constraint in place, so the flows table is rebuilt with the wider one.

CREATE TABLE IF NOT EXISTS legacy_apps (
    legacy_app_id TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL REFERENCES apps (app_id),
    name          TEXT NOT NULL,
    config        TEXT NOT NULL,             -- JSON
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS legacy_apps_by_app ON legacy_apps (app_id, legacy_app_id);

CREATE TABLE flows_with_legacy (
    token        TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('detect', 'eid', 'legacy')),
    app_id       TEXT NOT NULL,
    scope_id     TEXT NOT NULL,              -- rule id (detect), merchant id (eid), legacy appid
    secret_id    TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    retain_until INTEGER NOT NULL,
    payload      BLOB NOT NULL,              -- sealed
    result_code  BIGINT
);
INSERT INTO flows_with_legacy
    (token, kind, app_id, scope_id, secret_id, status, version, created_at, expires_at,
     finished_at, retain_until, payload, result_code)
    SELECT token, kind, app_id, scope_id, secret_id, status, version, created_at, expires_at,
           finished_at, retain_until, payload, result_code
    FROM flows;
DROP TABLE flows;
ALTER TABLE flows_with_legacy RENAME TO flows;
CREATE INDEX IF NOT EXISTS flows_by_app_time ON flows (app_id, created_at, token);
CREATE INDEX IF NOT EXISTS flows_by_scope_time ON flows (app_id, scope_id, created_at, token);
CREATE INDEX IF NOT EXISTS flows_by_retention ON flows (retain_until);
CREATE INDEX IF NOT EXISTS flows_by_app_code ON flows (app_id, result_code, created_at);
