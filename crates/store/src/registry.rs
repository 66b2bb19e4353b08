//! The authority registry: identities (ID number, name, photo, face embedding) that
//! verifications compare against when no authority source is connected.

use crate::cipher::SealContext;
use crate::db::with_pool;
use crate::error::{StoreError, StoreResult};
use crate::ids::now_ms;
use crate::store::Store;

const TABLE: &str = "registry_identities";

/// One identity as the registry holds it, decrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryIdentity {
    pub id_card: String,
    pub name: String,
    pub photo: Option<Vec<u8>>,
    /// Face embedding bytes as produced by the vision engine.
    pub embedding: Option<Vec<u8>>,
    pub source: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id_key: String,
    id_card: Vec<u8>,
    name: Vec<u8>,
    photo: Option<Vec<u8>>,
    embedding: Option<Vec<u8>>,
    source: String,
}

impl Store {
    fn registry_key(&self, id_card: &str) -> String {
        self.cipher()
            .blind_index("registry.id_card", id_card.as_bytes())
    }

    fn seal_field(&self, key: &str, column: &str, value: &[u8]) -> Vec<u8> {
        self.cipher()
            .seal(SealContext::new(TABLE, column, key), value)
    }

    fn open_field(&self, key: &str, column: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        self.cipher()
            .open(SealContext::new(TABLE, column, key), value)
    }

    /// Adds or replaces the identity with this ID number. Returns true when it was new.
    pub async fn upsert_identity(&self, identity: &RegistryIdentity) -> StoreResult<bool> {
        let key = self.registry_key(&identity.id_card);
        let id_card = self.seal_field(&key, "id_card", identity.id_card.as_bytes());
        let name = self.seal_field(&key, "name", identity.name.as_bytes());
        let photo = identity
            .photo
            .as_deref()
            .map(|p| self.seal_field(&key, "photo", p));
        let embedding = identity
            .embedding
            .as_deref()
            .map(|e| self.seal_field(&key, "embedding", e));
        let now = now_ms();
        let existed = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM registry_identities WHERE id_key = $1"
        )
        .bind(&key)
        .fetch_one(pool)
        .await?)
            > 0;
        with_pool!(self.db(), |pool| {
            sqlx::query(
            "INSERT INTO registry_identities (id_key, id_card, name, photo, embedding, source, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (id_key) DO UPDATE SET id_card = excluded.id_card, name = excluded.name, \
             photo = excluded.photo, embedding = excluded.embedding, source = excluded.source, \
             updated_at = excluded.updated_at"
        )
        .bind(&key)
        .bind(&id_card)
        .bind(&name)
        .bind(&photo)
        .bind(&embedding)
        .bind(&identity.source)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())?
        });
        Ok(!existed)
    }

    /// The identity registered under this ID number, if any.
    pub async fn identity(&self, id_card: &str) -> StoreResult<Option<RegistryIdentity>> {
        let key = self.registry_key(id_card);
        let row = with_pool!(self.db(), |pool| {
            sqlx::query_as::<_, Row>(
            "SELECT id_key, id_card, name, photo, embedding, source FROM registry_identities WHERE id_key = $1"
        )
        .bind(&key)
        .fetch_optional(pool)
        .await?
        });
        let Some(row) = row else { return Ok(None) };
        let text = |column: &str, sealed: &[u8]| -> StoreResult<String> {
            String::from_utf8(self.open_field(&row.id_key, column, sealed)?)
                .map_err(|_| StoreError::CorruptData(format!("registry {column} is not UTF-8")))
        };
        Ok(Some(RegistryIdentity {
            id_card: text("id_card", &row.id_card)?,
            name: text("name", &row.name)?,
            photo: row
                .photo
                .as_deref()
                .map(|p| self.open_field(&row.id_key, "photo", p))
                .transpose()?,
            embedding: row
                .embedding
                .as_deref()
                .map(|e| self.open_field(&row.id_key, "embedding", e))
                .transpose()?,
            source: row.source,
        }))
    }

    pub async fn count_identities(&self) -> StoreResult<i64> {
        Ok(with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM registry_identities"
        )
        .fetch_one(pool)
        .await?))
    }
}
