-- Statistics and reconciliation outlive the flows they describe: a flow's row and media go
-- after the retention period, its counts and its bill stay.

-- Daily counters per app and rule (or merchant). `day` is the Beijing day number (days since
-- 1970-01-01 in UTC+8); `metric` names what is counted (issued, page reached, result code,
-- liveness mode, time-to-finish bucket). Only non-personal numbers live here, so the console
-- draws a year of statistics from a few thousand rows whatever the number of flows.
CREATE TABLE IF NOT EXISTS flow_counts (
    app_id   TEXT NOT NULL,
    day      BIGINT NOT NULL,
    scope_id TEXT NOT NULL,
    metric   TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (app_id, day, scope_id, metric)
);

-- One bill per DetectAuth flow, written with the flow, so GetWeChatBillDetails can page a
-- day's flows long after the flows themselves are purged.
CREATE TABLE IF NOT EXISTS bills (
    token        TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL,
    scope_id     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    channel      TEXT NOT NULL,           -- the rule's scene when the flow began
    retain_until BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bills_by_app_time ON bills (app_id, created_at, token);
CREATE INDEX IF NOT EXISTS bills_by_scope_time ON bills (app_id, scope_id, created_at, token);
CREATE INDEX IF NOT EXISTS bills_by_retention ON bills (retain_until);

-- One charge per liveness + comparison attempt of a bill.
CREATE TABLE IF NOT EXISTS charges (
    token          TEXT NOT NULL,
    seq            TEXT NOT NULL,
    req_time       BIGINT NOT NULL,
    compare_source TEXT NOT NULL,         -- 'authority', 'photo' or 'none'
    billed         BOOLEAN NOT NULL,
    error_code     BIGINT NOT NULL,
    sim            TEXT NOT NULL,         -- "0.00"–"100.00", empty when no comparison ran
    masked         BYTEA NOT NULL,         -- sealed JSON: the masked ID number and name
    PRIMARY KEY (token, seq)
);

-- The operator's unit prices, in fen (0.01 CNY), per comparison source.
CREATE TABLE IF NOT EXISTS prices (
    app_id         TEXT NOT NULL,
    compare_source TEXT NOT NULL,
    fen            BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (app_id, compare_source)
);
