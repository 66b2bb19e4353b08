//! Append-only audit trail: who did what, when, to what, from where.
//!
//! Every entry carries `hash`, an HMAC (key derived from the master key) over the previous
//! entry's hash and this entry's fields. Appends are serialised through the one-row
//! `audit_head` table, so the chain never forks across nodes, and [`Store::verify_audit`]
//! finds the first entry that was edited, removed or slipped in. Someone who can write the
//! database but does not hold the master key cannot forge a consistent chain.

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
    /// The app the action concerned; empty for system-wide actions.
    pub app_id: String,
    /// Where the request came from (an address), empty for the CLI and heshen itself.
    pub origin: String,
    pub hash: String,
}

/// What an append records.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: &'a serde_json::Value,
    pub app_id: &'a str,
    pub origin: &'a str,
}

/// Which entries a listing shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only these apps' entries (and none of the system-wide ones); `None`: everything.
    pub apps: Option<Vec<String>>,
    /// Newest first, ids below this one (the previous page's smallest).
    pub before_id: Option<i64>,
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditChain {
    /// Every entry links to the one before it, and the head names the last.
    Intact { entries: u64 },
    /// The first entry whose hash does not follow (edited, or one before it removed or
    /// inserted), or `None` when the entries are consistent but the head is not (the
    /// newest entries were removed).
    Broken { at_id: Option<i64>, entries: u64 },
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    app_id: String,
    origin: String,
    hash: String,
}

const COLUMNS: &str = "id, at, actor, action, target, detail, app_id, origin, hash";

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
            app_id: row.app_id,
            origin: row.origin,
            hash: row.hash,
        })
    }
}

/// The fields an entry's hash covers, in a fixed, unambiguous encoding.
#[allow(clippy::too_many_arguments)]
fn link_material(
    previous: &str,
    id: i64,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    app_id: &str,
    origin: &str,
) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!([
        previous, id, at, actor, action, target, detail, app_id, origin
    ]))
    .expect("a JSON array of strings and numbers serialises")
}

impl Store {
    fn audit_link(&self, material: &[u8]) -> String {
        self.cipher().blind_index("audit-chain", material)
    }

    fn row_link(&self, previous: &str, row: &AuditRow) -> String {
        self.audit_link(&link_material(
            previous,
            row.id,
            row.at,
            &row.actor,
            &row.action,
            &row.target,
            &row.detail,
            &row.app_id,
            &row.origin,
        ))
    }

    /// Appends an entry, chained to the one before it, and returns its id (ids increase
    /// with time, without gaps).
    pub async fn append_audit(&self, entry: NewAuditEntry<'_>) -> StoreResult<i64> {
        let detail = entry.detail.to_string();
        let id = with_pool!(self.db(), |pool| {
            async {
            let mut tx = pool.begin().await?;
            // Writing first takes the write lock (SQLite) or the row lock (PostgreSQL)
            // before the previous hash is read, so no other append can slip in between.
            let (id, previous): (i64, String) = sqlx::query_as(
                "UPDATE audit_head SET last_id = last_id + 1 WHERE name = 'audit' \
                 RETURNING last_id, hash",
            )
            .fetch_one(&mut *tx)
            .await?;
            let hash = self.audit_link(&link_material(
                &previous,
                id,
                entry.at,
                entry.actor,
                entry.action,
                entry.target,
                &detail,
                entry.app_id,
                entry.origin,
            ));
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, target, detail, app_id, origin, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(entry.at)
            .bind(entry.actor)
            .bind(entry.action)
            .bind(entry.target)
            .bind(&detail)
            .bind(entry.app_id)
            .bind(entry.origin)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE name = 'audit'")
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        }
        .await
        })?;
        Ok(id)
    }

    /// Newest entries first, `limit` of them, narrowed by `filter`.
    pub async fn list_audit(
        &self,
        limit: u32,
        filter: &AuditFilter,
    ) -> StoreResult<Vec<AuditEntry>> {
        let before = filter.before_id.unwrap_or(i64::MAX);
        let rows = match &filter.apps {
            None => with_pool!(self.db(), |pool| sqlx::query_as::<_, AuditRow>(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?),
            Some(apps) => {
                let apps = serde_json::to_string(apps).expect("strings serialise");
                // The app list travels as one JSON parameter, read back by each
                // backend's JSON function, so the statement does not grow with it.
                let in_apps = match self.backend() {
                    crate::Backend::Sqlite => "app_id IN (SELECT value FROM json_each($3))",
                    crate::Backend::Postgres => {
                        "app_id IN (SELECT jsonb_array_elements_text($3::jsonb))"
                    }
                };
                with_pool!(self.db(), |pool| sqlx::query_as::<_, AuditRow>(&format!(
                    "SELECT {COLUMNS} FROM audit_log WHERE id < $1 AND {in_apps} \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(before)
                .bind(i64::from(limit))
                .bind(&apps)
                .fetch_all(pool)
                .await?)
            }
        };
        rows.into_iter().map(AuditEntry::try_from).collect()
    }

    /// Walks the whole chain, oldest first, a page at a time.
    pub async fn verify_audit(&self) -> StoreResult<AuditChain> {
        const PAGE: i64 = 1_000;
        let mut previous = String::new();
        let mut expected_id = 1_i64;
        let mut entries = 0_u64;
        loop {
            let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, AuditRow>(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2"
            ))
            .bind(expected_id)
            .bind(PAGE)
            .fetch_all(pool)
            .await?);
            let page_len = rows.len();
            for row in rows {
                if row.id != expected_id || row.hash != self.row_link(&previous, &row) {
                    return Ok(AuditChain::Broken {
                        at_id: Some(row.id),
                        entries,
                    });
                }
                entries += 1;
                expected_id += 1;
                previous = row.hash;
            }
            if page_len < PAGE as usize {
                break;
            }
        }
        let (last_id, head): (i64, String) = with_pool!(self.db(), |pool| sqlx::query_as(
            "SELECT last_id, hash FROM audit_head WHERE name = 'audit'"
        )
        .fetch_one(pool)
        .await?);
        if last_id != expected_id - 1 || head != previous {
            return Ok(AuditChain::Broken {
                at_id: None,
                entries,
            });
        }
        Ok(AuditChain::Intact { entries })
    }

    /// Chains entries written before the chain existed (hash still empty), in id order.
    /// Runs after migrating; a no-op once every entry is chained.
    pub(crate) async fn chain_unchained_audit(&self) -> StoreResult<()> {
        let unchained: i64 = with_pool!(self.db(), |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE hash = ''"
        )
        .fetch_one(pool)
        .await?);
        if unchained == 0 {
            return Ok(());
        }
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, AuditRow>(&format!(
            "SELECT {COLUMNS} FROM audit_log ORDER BY id"
        ))
        .fetch_all(pool)
        .await?);
        let mut previous = String::new();
        for (position, row) in rows.iter().enumerate() {
            let id = position as i64 + 1;
            let renumbered = AuditRow {
                id,
                at: row.at,
                actor: row.actor.clone(),
                action: row.action.clone(),
                target: row.target.clone(),
                detail: row.detail.clone(),
                app_id: row.app_id.clone(),
                origin: row.origin.clone(),
                hash: String::new(),
            };
            let hash = self.row_link(&previous, &renumbered);
            with_pool!(self.db(), |pool| sqlx::query(
                "UPDATE audit_log SET id = $1, hash = $2 WHERE id = $3"
            )
            .bind(id)
            .bind(&hash)
            .bind(row.id)
            .execute(pool)
            .await
            .map(|_| ())?);
            previous = hash;
        }
        with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE audit_head SET last_id = $1, hash = $2 WHERE name = 'audit'"
        )
        .bind(rows.len() as i64)
        .bind(&previous)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }
}
