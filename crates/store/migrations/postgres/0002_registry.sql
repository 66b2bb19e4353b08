-- The authority registry: heshen's stand-in for the public-security photo database.
-- Rows are found by a keyed hash of the ID number; every personal field is sealed.
CREATE TABLE IF NOT EXISTS registry_identities (
    id_key     TEXT PRIMARY KEY NOT NULL,   -- blind index of the ID number
    id_card    BYTEA NOT NULL,               -- sealed
    name       BYTEA NOT NULL,               -- sealed
    photo      BYTEA,                        -- sealed JPEG/PNG, NULL when the source has none
    embedding  BYTEA,                        -- sealed face embedding (little-endian f32)
    source     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
