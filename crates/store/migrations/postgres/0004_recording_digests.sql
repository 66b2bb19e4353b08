-- Keyed digests of the recordings judged, so a recording uploaded again (into this flow or
-- another) is recognised as a replay. Erased with the flow that first sent it.
CREATE TABLE IF NOT EXISTS recording_digests (
    digest  TEXT PRIMARY KEY NOT NULL,   -- HMAC-SHA256 under a key derived from the master key
    token   TEXT NOT NULL,
    nonce   TEXT NOT NULL,               -- the challenge it answered
    seen_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS recording_digests_by_token ON recording_digests (token);
