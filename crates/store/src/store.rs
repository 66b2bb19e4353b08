use std::sync::Arc;

use crate::cipher::Cipher;
use crate::config::{MasterKey, StoreConfig};
use crate::db::{with_pool, Backend, Db};
use crate::error::StoreResult;
use crate::group_commit::FlowWriter;
use crate::media::Media;

/// Handle to the persistence layer. Cheap to clone; all clones share the
/// pools, the cipher and the flow writer task.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
}

#[derive(Debug)]
pub(crate) struct StoreInner {
    pub(crate) db: Db,
    pub(crate) cipher: Cipher,
    pub(crate) media: Media,
    pub(crate) flow_writer: FlowWriter,
}

impl Store {
    /// Connects to the database and media storage. Must run inside a Tokio
    /// runtime (it spawns the flow writer task). Call [`Store::migrate`]
    /// before first use of a fresh database.
    pub async fn open(config: StoreConfig) -> StoreResult<Store> {
        let media = Media::from_url(&config.media_url)?;
        let db = Db::connect(&config.database_url).await?;
        let cipher = Cipher::new(&MasterKey::from_bytes(config.master_key));
        let flow_writer = FlowWriter::spawn(db.clone());
        Ok(Store {
            inner: Arc::new(StoreInner {
                db,
                cipher,
                media,
                flow_writer,
            }),
        })
    }

    /// Creates or upgrades the schema; idempotent.
    pub async fn migrate(&self) -> StoreResult<()> {
        self.inner.db.migrate().await?;
        self.chain_unchained_audit().await
    }

    /// Cheap readiness probe: one round trip to the database.
    pub async fn health_check(&self) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    /// Stops accepting flow inserts, waits until every queued insert is
    /// committed (and its caller answered), then closes the pools.
    pub async fn close(&self) {
        self.inner.flow_writer.shutdown().await;
        self.inner.db.close().await;
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn cipher(&self) -> &Cipher {
        &self.inner.cipher
    }
}
