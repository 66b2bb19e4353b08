//! Append-only audit trail of administrative actions.

use crate::db::with_pool;
use crate::error::{StoreError, StoreResult};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> StoreResult<AuditEntry> {
        let detail = serde_json::from_str(&row.detail).map_err(|e| {
            StoreError::CorruptData(format!("audit entry {} detail is not JSON: {e}", row.id))
        })?;
        Ok(AuditEntry {
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            detail,
        })
    }
}

impl Store {
    /// Appends an entry and returns its id (ids increase with time).
    pub async fn append_audit(
        &self,
        at: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> StoreResult<i64> {
        let id = with_pool!(self.db(), |pool| {
            sqlx::query_scalar::<_, i64>(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id"
        )
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail.to_string())
        .fetch_one(pool)
        .await?
        });
        Ok(id)
    }

    /// Newest entries first; pass the smallest id of the previous page as
    /// `before_id` to continue.
    pub async fn list_audit(
        &self,
        limit: u32,
        before_id: Option<i64>,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor, action, target, detail FROM audit_log \
             WHERE id < $1 ORDER BY id DESC LIMIT $2"
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
