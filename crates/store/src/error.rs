use std::path::PathBuf;

/// Everything the store can fail with. Bad data in the database or in object
/// storage surfaces as an error, never as a panic.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A sealed value failed authentication: wrong master key, tampered
    /// bytes, or a value copied from another row/column.
    #[error("cannot decrypt {0}: wrong master key or tampered data")]
    Crypto(String),
    #[error("media storage error: {0}")]
    Media(#[from] object_store::Error),
    #[error("invalid store configuration: {0}")]
    Config(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A streamed upload went past its limit (and was aborted).
    #[error("the upload is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// A stored value that the schema allows but the code cannot interpret
    /// (e.g. malformed JSON written by hand).
    #[error("corrupt stored data: {0}")]
    CorruptData(String),
    #[error("master key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// The store was closed (or its flow writer stopped) before the request
    /// could be queued.
    #[error("store is closed")]
    Closed,
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }
}

pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}
