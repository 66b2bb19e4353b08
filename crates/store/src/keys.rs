//! API credentials (Tencent Cloud style SecretId / SecretKey pairs).

use crate::cipher::SealContext;
use crate::db::with_pool;
use crate::error::{is_foreign_key_violation, is_unique_violation, StoreError, StoreResult};
use crate::ids::{now_ms, random_alphanumeric};
use crate::store::Store;

const SECRET_KEY_COLUMN: (&str, &str) = ("api_keys", "secret_key");

/// A freshly created credential; the only time the secret key is handed out
/// in a listing-like context.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub secret_id: String,
    pub secret_key: String,
}

/// A credential with its decrypted secret key, for request signature checks.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub secret_id: String,
    pub secret_key: String,
    pub app_id: String,
    pub name: String,
    pub enabled: bool,
    pub created_at: i64,
    /// Addresses or CIDR blocks allowed to use the key, comma-separated; empty: any.
    pub allowed_ips: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("app_id", &self.app_id)
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A credential without its secret, for listings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyInfo {
    pub secret_id: String,
    pub app_id: String,
    pub name: String,
    pub enabled: bool,
    pub created_at: i64,
    /// When a signed request last came with this key (to the minute).
    pub last_used_at: Option<i64>,
    /// Addresses or CIDR blocks allowed to use the key, comma-separated; empty: any.
    pub allowed_ips: String,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    secret_id: String,
    secret_key: Vec<u8>,
    app_id: String,
    name: String,
    enabled: bool,
    created_at: i64,
    allowed_ips: String,
}

fn secret_key_context(secret_id: &str) -> SealContext<'_> {
    SealContext::new(SECRET_KEY_COLUMN.0, SECRET_KEY_COLUMN.1, secret_id)
}

impl Store {
    /// Creates an enabled credential for an existing app (see
    /// [`Store::ensure_app`]).
    pub async fn create_api_key(&self, app_id: &str, name: &str) -> StoreResult<NewApiKey> {
        // 32 alphanumerics ≈ 190 bits: a collision is practically impossible,
        // but retrying costs nothing and keeps the PK error away from callers.
        for _ in 0..3 {
            let secret_id = format!("AKID{}", random_alphanumeric(32));
            let secret_key = random_alphanumeric(32);
            let sealed = self
                .cipher()
                .seal(secret_key_context(&secret_id), secret_key.as_bytes());
            let inserted = with_pool!(self.db(), |pool| {
                sqlx::query(
                "INSERT INTO api_keys (secret_id, secret_key, app_id, name, enabled, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            )
            .bind(&secret_id)
            .bind(&sealed)
            .bind(app_id)
            .bind(name)
            .bind(true)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|_| ())
            });
            match inserted {
                Ok(_) => {
                    return Ok(NewApiKey {
                        secret_id,
                        secret_key,
                    })
                }
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(StoreError::not_found("app", app_id))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "could not allocate a unique SecretId".into(),
        ))
    }

    /// Looks a credential up by SecretId, decrypting its secret key.
    /// Disabled keys are returned too (with `enabled == false`).
    pub async fn api_key(&self, secret_id: &str) -> StoreResult<Option<ApiKey>> {
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, ApiKeyRow>(
            "SELECT secret_id, secret_key, app_id, name, enabled, created_at, allowed_ips \
             FROM api_keys WHERE secret_id = $1"
        )
        .bind(secret_id)
        .fetch_optional(pool)
        .await?);
        let Some(row) = row else { return Ok(None) };
        let plaintext = self
            .cipher()
            .open(secret_key_context(&row.secret_id), &row.secret_key)?;
        let secret_key = String::from_utf8(plaintext).map_err(|_| {
            StoreError::CorruptData(format!("secret key of {} is not UTF-8", row.secret_id))
        })?;
        Ok(Some(ApiKey {
            secret_id: row.secret_id,
            secret_key,
            app_id: row.app_id,
            name: row.name,
            enabled: row.enabled,
            created_at: row.created_at,
            allowed_ips: row.allowed_ips,
        }))
    }

    /// All credentials, oldest first, without secret keys.
    pub async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyInfo>> {
        let keys = with_pool!(self.db(), |pool| sqlx::query_as::<_, ApiKeyInfo>(
            "SELECT secret_id, app_id, name, enabled, created_at, last_used_at, allowed_ips \
             FROM api_keys ORDER BY created_at, secret_id"
        )
        .fetch_all(pool)
        .await?);
        Ok(keys)
    }

    /// One app's credentials, oldest first, without secret keys.
    pub async fn list_api_keys_of(&self, app_id: &str) -> StoreResult<Vec<ApiKeyInfo>> {
        let keys = with_pool!(self.db(), |pool| sqlx::query_as::<_, ApiKeyInfo>(
            "SELECT secret_id, app_id, name, enabled, created_at, last_used_at, allowed_ips \
             FROM api_keys WHERE app_id = $1 ORDER BY created_at, secret_id"
        )
        .bind(app_id)
        .fetch_all(pool)
        .await?);
        Ok(keys)
    }

    /// Records that the key signed a request at `now_ms`.
    pub async fn touch_api_key(&self, secret_id: &str, now_ms: i64) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE secret_id = $2"
        )
        .bind(now_ms)
        .bind(secret_id)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Replaces the key's address allow-list; false when no such key.
    pub async fn set_api_key_allowed_ips(
        &self,
        secret_id: &str,
        allowed_ips: &str,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE api_keys SET allowed_ips = $1 WHERE secret_id = $2"
        )
        .bind(allowed_ips)
        .bind(secret_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }

    /// Returns false when no such credential exists.
    pub async fn set_api_key_enabled(&self, secret_id: &str, enabled: bool) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE api_keys SET enabled = $1 WHERE secret_id = $2"
        )
        .bind(enabled)
        .bind(secret_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }
}
