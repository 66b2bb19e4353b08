-- The final result code of a finished flow, in the clear beside its sealed payload, so the
-- console can search and count by result without opening a payload.
ALTER TABLE flows ADD COLUMN result_code BIGINT;
CREATE INDEX IF NOT EXISTS flows_by_app_code ON flows (app_id, result_code, created_at);
