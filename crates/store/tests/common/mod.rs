//! Test environments: a temp-dir SQLite store, or a fresh PostgreSQL
//! database `heshen_test_<random>` that is dropped when the test ends.
//! PostgreSQL being unreachable fails the test: it never skips.

use std::path::{Path, PathBuf};

use heshen_store::{Backend, Store, StoreConfig};
use rand::distributions::{Alphanumeric, DistString};
use sqlx::Connection;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn admin_postgres_url() -> String {
    std::env::var("HESHEN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

pub struct TestEnv {
    pub config: StoreConfig,
    pub backend: Backend,
    dir: tempfile::TempDir,
    postgres_database: Option<String>,
}

impl TestEnv {
    pub async fn sqlite() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("heshen.db").display()
        );
        Self::with(dir, database_url, Backend::Sqlite, None)
    }

    pub async fn postgres() -> TestEnv {
        let admin_url = admin_postgres_url();
        let name = format!(
            "heshen_test_{}",
            Alphanumeric
                .sample_string(&mut rand::thread_rng(), 12)
                .to_lowercase()
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {admin_url} is required for these tests (set HESHEN_TEST_POSTGRES_URL): {e}")
            });
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("valid postgres URL");
        url.set_path(&format!("/{name}"));
        let dir = tempfile::tempdir().expect("temp dir");
        Self::with(dir, url.to_string(), Backend::Postgres, Some(name))
    }

    fn with(
        dir: tempfile::TempDir,
        database_url: String,
        backend: Backend,
        postgres_database: Option<String>,
    ) -> TestEnv {
        let media_dir = dir.path().join("media");
        let media_url = url::Url::from_directory_path(&media_dir)
            .expect("absolute media dir")
            .to_string();
        TestEnv {
            config: StoreConfig {
                database_url,
                media_url,
                master_key: [0x5a; 32],
            },
            backend,
            dir,
            postgres_database,
        }
    }

    /// Opens the store and applies migrations.
    pub async fn open(&self) -> Store {
        let store = Store::open(self.config.clone()).await.expect("open store");
        store.migrate().await.expect("migrate");
        assert_eq!(store.backend(), self.backend);
        store
    }

    pub fn media_dir(&self) -> PathBuf {
        self.dir.path().join("media")
    }

    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Reads one BLOB/BYTEA value straight from the database, bypassing the
    /// store (to check what is really on disk).
    pub async fn raw_bytes(&self, sql: &str, param: &str) -> Vec<u8> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.config.database_url)
                    .await
                    .unwrap();
                sqlx::query_scalar::<_, Vec<u8>>(sql)
                    .bind(param)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.config.database_url)
                    .await
                    .unwrap();
                sqlx::query_scalar::<_, Vec<u8>>(sql)
                    .bind(param)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }
}

impl TestEnv {
    /// Runs one statement straight on the database, bypassing the store (to tamper with
    /// what is stored, as someone with database access could).
    pub async fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.config.database_url)
                    .await
                    .unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.config.database_url)
                    .await
                    .unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let Some(name) = self.postgres_database.take() else {
            return;
        };
        // Drop cannot await and may run inside the test's runtime, so the
        // cleanup gets its own thread and runtime. FORCE ends connections a
        // failed test may have left open.
        let admin_url = admin_postgres_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("failed to drop test database: {dropped:?}");
        }
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
