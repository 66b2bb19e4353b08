//! Retention: really deletes (rows and media objects, not flags) whatever
//! has outlived its retention time.

use crate::error::StoreResult;
use crate::store::Store;

/// Rows per delete statement. Small batches keep each write transaction
/// short, so SQLite's single write lock is never held long and API writes
/// interleave with a large purge.
const PURGE_BATCH: u32 = 500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub flows: u64,
    pub media_objects: u64,
    pub nonces: u64,
    pub bills: u64,
}

impl Store {
    /// Erases one flow now, media first (as the purge does), whatever its retention.
    pub async fn erase_flow(&self, token: &str) -> StoreResult<PurgeReport> {
        let media_objects = self.delete_media(token).await?;
        self.delete_bill(token).await?;
        let tokens = [token.to_string()];
        self.delete_flow_companions(&tokens).await?;
        let flows = self.delete_flows(&tokens).await?;
        Ok(PurgeReport {
            flows,
            media_objects,
            nonces: 0,
            bills: 0,
        })
    }

    /// Deletes flows with `retain_until < now_ms` together with their media,
    /// and nonces with `expires_at < now_ms`.
    pub async fn purge(&self, now_ms: i64) -> StoreResult<PurgeReport> {
        let mut report = PurgeReport::default();
        loop {
            let tokens = self.expired_flow_tokens(now_ms, PURGE_BATCH).await?;
            if tokens.is_empty() {
                break;
            }
            // Media first: if we stop half way the rows are still there and
            // the next purge retries, whereas deleting rows first could
            // orphan media forever.
            for token in &tokens {
                report.media_objects += self.delete_media(token).await?;
            }
            self.delete_flow_companions(&tokens).await?;
            report.flows += self.delete_flows(&tokens).await?;
            if tokens.len() < PURGE_BATCH as usize {
                break;
            }
        }
        // Bills outlive their flows (reconciliation looks a year back) and go on their own.
        loop {
            let deleted = self.purge_bills(now_ms, PURGE_BATCH).await?;
            report.bills += deleted;
            if deleted < u64::from(PURGE_BATCH) {
                break;
            }
        }
        loop {
            let deleted = self.delete_expired_nonces(now_ms, PURGE_BATCH).await?;
            report.nonces += deleted;
            if deleted < u64::from(PURGE_BATCH) {
                break;
            }
        }
        Ok(report)
    }
}
