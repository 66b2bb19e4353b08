//! Database connection for both backends.
//!
//! We keep an enum of two typed pools rather than `sqlx::AnyPool`:
//! - SQLite needs per-connection settings (WAL, `synchronous=NORMAL`, busy
//!   timeout, foreign keys) that `SqliteConnectOptions` sets natively at
//!   connect time; through `Any` they would be URL guesses or
//!   `after_connect` hacks.
//! - The typed drivers decode `bool`, BLOB/BYTEA and `i64` natively, while
//!   `Any` adds a conversion layer on every bind and row, on the insert hot
//!   path included.
//!
//! The SQL text is shared: both backends accept `$N` placeholders,
//! `ON CONFLICT DO NOTHING` and `RETURNING`, and [`with_pool!`] expands one
//! query body once per backend.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::error::{StoreError, StoreResult};

#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the typed pool of whichever backend
/// is configured. The body is compiled once per backend.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL (expected sqlite:// or postgres://): {}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

fn available_cores() -> u32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2)
}

impl Db {
    pub(crate) async fn connect(url: &str) -> StoreResult<Db> {
        match Backend::of_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // In WAL mode NORMAL keeps the database consistent and
                    // committed transactions survive an application crash;
                    // only an OS crash/power loss can drop the last commits.
                    .synchronous(SqliteSynchronous::Normal)
                    // Checkpoints run beside the flow writer (group_commit.rs), not
                    // inside whichever commit crosses 1,000 WAL pages: there each one
                    // (two fsyncs) stalled every insert queued behind that commit.
                    .pragma("wal_autocheckpoint", "0")
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                // `mode=rwc` creates the file but not its directory (e.g. a
                // fresh `data/` dir on first start).
                if let Some(dir) = options.get_filename().parent() {
                    if !dir.as_os_str().is_empty() && !url.contains(":memory:") {
                        std::fs::create_dir_all(dir)?;
                    }
                }
                // SQLite serialises writers anyway; extra connections only
                // help concurrent readers, each costing a worker thread.
                let pool = SqlitePoolOptions::new()
                    .max_connections((available_cores() * 2).clamp(4, 16))
                    .min_connections(1)
                    // An embedded database cannot lose its connection: skip the
                    // ping round trip to the connection's thread on every acquire.
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)?.application_name("heshen");
                let pool = PgPoolOptions::new()
                    .max_connections((available_cores() * 4).clamp(8, 32))
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations; already-applied ones are skipped, so this
    /// is safe on every start (PostgreSQL also takes an advisory lock, so
    /// nodes starting together do not race).
    pub(crate) async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

/// `(…), (…)` placeholders for a multi-row INSERT of `rows` × `columns`.
///
/// SQLite gets anonymous `?`: sqlx resolves every `$N` through
/// `sqlite3_bind_parameter_name`, a linear scan, which made binding a
/// 3,000-parameter statement quadratic and dominated the insert CPU profile.
/// PostgreSQL needs numbered `$N`.
pub(crate) fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    let mut next = 1;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&next.to_string());
                }
            }
            next += 1;
        }
        sql.push(')');
    }
    sql
}

/// Placeholders for an `IN (…)` list of `count` values (see
/// [`values_placeholders`] for why SQLite gets `?`).
pub(crate) fn placeholder_list(backend: Backend, count: usize) -> String {
    let mut sql = values_placeholders(backend, 1, count);
    sql.pop();
    sql.remove(0);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(
            values_placeholders(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(values_placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(placeholder_list(Backend::Postgres, 2), "$1, $2");
        assert_eq!(placeholder_list(Backend::Sqlite, 2), "?, ?");
    }

    #[test]
    fn backend_detection() {
        assert_eq!(
            Backend::of_url("sqlite:///tmp/x.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://u@h/db").is_err());
    }
}
