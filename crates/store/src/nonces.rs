//! Request nonces for replay protection.

use crate::db::with_pool;
use crate::error::StoreResult;
use crate::store::Store;

impl Store {
    /// Records `nonce` for `secret_id` until `expires_at`. Returns true when
    /// the nonce is fresh and false when it was already seen (a replay).
    /// Atomic across concurrent requests and server nodes: the primary key
    /// decides, and `ON CONFLICT DO NOTHING` reports the loser as 0 rows.
    pub async fn remember_nonce(
        &self,
        secret_id: &str,
        nonce: &str,
        expires_at: i64,
    ) -> StoreResult<bool> {
        let inserted = with_pool!(self.db(), |pool| {
            sqlx::query(
            "INSERT INTO nonces (secret_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(secret_id)
        .bind(nonce)
        .bind(expires_at)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Deletes up to `limit` nonces that expired before `now_ms`.
    pub(crate) async fn delete_expired_nonces(&self, now_ms: i64, limit: u32) -> StoreResult<u64> {
        let deleted = with_pool!(self.db(), |pool| sqlx::query(
            "DELETE FROM nonces WHERE (secret_id, nonce) IN \
             (SELECT secret_id, nonce FROM nonces WHERE expires_at < $1 LIMIT $2)"
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .execute(pool)
        .await?
        .rows_affected());
        Ok(deleted)
    }
}
