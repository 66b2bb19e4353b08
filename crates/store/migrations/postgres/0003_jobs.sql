-- Background jobs (the judging of an uploaded recording): a database queue, so a job
-- survives a restart and any node may run it. A claimed job is leased; a lease that
-- runs out (the node died) makes the job claimable again.
CREATE TABLE IF NOT EXISTS jobs (
    id           TEXT PRIMARY KEY NOT NULL,  -- idempotent: one job per (kind, subject)
    kind         TEXT NOT NULL,
    token        TEXT NOT NULL,              -- the flow it works on; erased with it
    run_after    BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    tries        INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (run_after);
CREATE INDEX IF NOT EXISTS jobs_by_token ON jobs (token);
