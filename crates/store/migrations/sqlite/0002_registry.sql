-- The authority registry: heshen's stand-in for the public-security photo database.
-- Rows are found by a keyed hash of the ID number; every personal field is sealed.
CREATE TABLE IF NOT EXISTS registry_identities (
    id_key     TEXT PRIMARY KEY NOT NULL,   -- blind index of the ID number
    id_card    BLOB NOT NULL,               -- sealed
    name       BLOB NOT NULL,               -- sealed
    photo      BLOB,                        -- sealed JPEG/PNG, NULL when the source has none
    embedding  BLOB,                        -- sealed face embedding (little-endian f32)
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
