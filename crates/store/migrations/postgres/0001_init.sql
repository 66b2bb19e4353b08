-- heshen store schema (PostgreSQL). Timestamps are unix milliseconds.

CREATE TABLE IF NOT EXISTS apps (
    app_id     TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS api_keys (
    secret_id  TEXT PRIMARY KEY NOT NULL,
    secret_key BYTEA NOT NULL,               -- sealed
    app_id     TEXT NOT NULL REFERENCES apps (app_id),
    name       TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_by_app ON api_keys (app_id);

-- Cluster-wide counters (rule ids). A row update is serialised by the
-- database, so ids stay unique across server nodes.
CREATE TABLE IF NOT EXISTS id_sequences (
    name       TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);
INSERT INTO id_sequences (name, last_value) VALUES ('rule', 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS rules (
    rule_id    TEXT PRIMARY KEY NOT NULL,
    app_id     TEXT NOT NULL REFERENCES apps (app_id),
    name       TEXT NOT NULL,
    config     TEXT NOT NULL,                -- JSON
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rules_by_app ON rules (app_id, rule_id);

CREATE TABLE IF NOT EXISTS merchants (
    merchant_id TEXT PRIMARY KEY NOT NULL,
    app_id      TEXT NOT NULL REFERENCES apps (app_id),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,               -- JSON
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS merchants_by_app ON merchants (app_id, merchant_id);

CREATE TABLE IF NOT EXISTS flows (
    token        TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('detect', 'eid')),
    app_id       TEXT NOT NULL,
    scope_id     TEXT NOT NULL,              -- rule id (detect) or merchant id (eid)
    secret_id    TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    retain_until BIGINT NOT NULL,
    payload      BYTEA NOT NULL               -- sealed
);
-- Reconciliation pages through (created_at, token) within an app, optionally
-- narrowed to one rule/merchant.
CREATE INDEX IF NOT EXISTS flows_by_app_time ON flows (app_id, created_at, token);
CREATE INDEX IF NOT EXISTS flows_by_scope_time ON flows (app_id, scope_id, created_at, token);
CREATE INDEX IF NOT EXISTS flows_by_retention ON flows (retain_until);

CREATE TABLE IF NOT EXISTS nonces (
    secret_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (secret_id, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires_at);

CREATE TABLE IF NOT EXISTS audit_log (
    id     BIGSERIAL PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL                     -- JSON
);
