-- The console: operators and their sessions, reviewed revisions of rules and merchants,
-- API-key housekeeping, and the audit log's hash chain.

CREATE TABLE IF NOT EXISTS console_users (
    username      TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,               -- argon2id PHC string
    role          TEXT NOT NULL,
    apps          TEXT NOT NULL,               -- JSON array of app ids; ["*"] is every app
    must_change   BOOLEAN NOT NULL,
    totp_secret   BLOB,                        -- sealed; NULL when no second factor
    enabled       BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A session is found by the SHA-256 of its cookie, so a copy of the table opens nothing.
CREATE TABLE IF NOT EXISTS console_sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    username   TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_by_user ON console_sessions (username);
CREATE INDEX IF NOT EXISTS console_sessions_by_expiry ON console_sessions (expires_at);

-- Every version of a rule's or merchant's configuration with its review. The rules and
-- merchants tables keep the version that serves; a new version waits here for a reviewer.
CREATE TABLE IF NOT EXISTS revisions (
    kind         TEXT NOT NULL,                -- 'rule' or 'merchant'
    subject_id   TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    app_id       TEXT NOT NULL,
    name         TEXT NOT NULL,
    config       TEXT NOT NULL,                -- JSON
    status       TEXT NOT NULL,                -- draft, pending, approved, rejected, superseded
    author       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    submitted_at BIGINT,
    reviewer     TEXT,
    reviewed_at  BIGINT,
    note         TEXT NOT NULL,
    PRIMARY KEY (kind, subject_id, revision)
);
CREATE INDEX IF NOT EXISTS revisions_by_status ON revisions (status, app_id);

ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';

-- Each audit entry carries an HMAC over the previous entry's and its own fields, under a
-- key derived from the master key: an edited, removed or inserted entry breaks the chain.
ALTER TABLE audit_log ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS audit_by_app ON audit_log (app_id, id);
-- The chain's head: one row, updated in the transaction that appends, so appends from
-- many nodes are serialised and the chain never forks.
CREATE TABLE IF NOT EXISTS audit_head (
    name    TEXT PRIMARY KEY NOT NULL,
    last_id BIGINT NOT NULL,
    hash    TEXT NOT NULL
);
INSERT INTO audit_head (name, last_id, hash)
    SELECT 'audit', COALESCE(MAX(id), 0), '' FROM audit_log WHERE true
    ON CONFLICT DO NOTHING;
