//! Verification flows (a FaceID BizToken / EidToken and its state). The
//! payload is opaque to the store and sealed at rest; everything needed to
//! query is in plain columns.

use crate::cipher::SealContext;
use crate::db::{placeholder_list, with_pool};
use crate::error::{is_unique_violation, StoreError, StoreResult};
use crate::ledger::{merge_counts, write_charges, write_counts, Charge, Count, NewBill};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowKind {
    /// Face detection / liveness flow scoped to a rule.
    Detect,
    /// E-ID flow scoped to a merchant.
    Eid,
    /// Legacy mini-program flow scoped to a legacy appid.
    Legacy,
}

impl FlowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Detect => "detect",
            FlowKind::Eid => "eid",
            FlowKind::Legacy => "legacy",
        }
    }

    pub fn parse(text: &str) -> Option<FlowKind> {
        match text {
            "detect" => Some(FlowKind::Detect),
            "eid" => Some(FlowKind::Eid),
            "legacy" => Some(FlowKind::Legacy),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlow {
    pub token: String,
    pub kind: FlowKind,
    pub app_id: String,
    /// Rule id (detect) or merchant id (eid).
    pub scope_id: String,
    pub secret_id: String,
    pub status: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub retain_until: i64,
    /// Plaintext; sealed before it leaves the caller's task.
    pub payload: Vec<u8>,
    /// Daily counters to add with the flow (what it counts as on being issued).
    pub counts: Vec<Count>,
    /// The bill a DetectAuth flow opens; `None` for eID flows.
    pub bill: Option<NewBill>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    pub token: String,
    pub kind: FlowKind,
    pub app_id: String,
    pub scope_id: String,
    pub secret_id: String,
    pub status: String,
    /// Starts at 1 and grows by one on every successful [`Store::update_flow`].
    pub version: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub finished_at: Option<i64>,
    pub retain_until: i64,
    /// Decrypted payload.
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowUpdate {
    pub status: String,
    pub payload: Vec<u8>,
    pub finished_at: Option<i64>,
    pub retain_until: i64,
    /// The final result code, once the flow is finished.
    pub result_code: Option<i64>,
    /// Daily counters to add with this step.
    pub counts: Vec<Count>,
    /// Charges the step adds to the flow's bill (its new attempts).
    pub charges: Vec<Charge>,
}

/// A flow as the console's records list it: the plain columns only, nothing decrypted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FlowSummary {
    pub token: String,
    pub kind: String,
    pub scope_id: String,
    pub status: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub retain_until: i64,
    pub result_code: Option<i64>,
}

/// Which results a search keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFilter {
    Passed,
    /// Finished with any code but 0.
    Failed,
    Unfinished,
    Code(i64),
}

/// A search of one app's flows, newest first.
#[derive(Debug, Clone, Default)]
pub struct FlowSearch {
    pub token: Option<String>,
    pub scope_id: Option<String>,
    /// Created in `[from_ms, to_ms)`.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub result: Option<ResultFilter>,
    /// Continue below this `(created_at, token)` (the previous page's last row).
    pub before: Option<(i64, String)>,
}

pub(crate) const INITIAL_FLOW_VERSION: i64 = 1;

pub(crate) fn payload_context(token: &str) -> SealContext<'_> {
    SealContext::new("flows", "payload", token)
}

/// A flow row as stored: the payload already sealed.
#[derive(Debug)]
pub(crate) struct SealedFlow {
    pub(crate) token: String,
    pub(crate) kind: FlowKind,
    pub(crate) app_id: String,
    pub(crate) scope_id: String,
    pub(crate) secret_id: String,
    pub(crate) status: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) retain_until: i64,
    pub(crate) payload: Vec<u8>,
    pub(crate) counts: Vec<Count>,
    pub(crate) bill: Option<NewBill>,
}

pub(crate) const FLOW_INSERT_COLUMNS: &str =
    "token, kind, app_id, scope_id, secret_id, status, version, \
     created_at, expires_at, finished_at, retain_until, payload";
pub(crate) const FLOW_INSERT_COLUMN_COUNT: usize = 12;

/// Binds one [`SealedFlow`] in [`FLOW_INSERT_COLUMNS`] order.
macro_rules! bind_sealed_flow {
    ($query:expr, $flow:expr) => {
        $query
            .bind(&$flow.token)
            .bind($flow.kind.as_str())
            .bind(&$flow.app_id)
            .bind(&$flow.scope_id)
            .bind(&$flow.secret_id)
            .bind(&$flow.status)
            .bind($crate::flows::INITIAL_FLOW_VERSION)
            .bind($flow.created_at)
            .bind($flow.expires_at)
            .bind(None::<i64>)
            .bind($flow.retain_until)
            .bind(&$flow.payload)
    };
}
pub(crate) use bind_sealed_flow;

#[derive(sqlx::FromRow)]
struct FlowRow {
    token: String,
    kind: String,
    app_id: String,
    scope_id: String,
    secret_id: String,
    status: String,
    version: i64,
    created_at: i64,
    expires_at: i64,
    finished_at: Option<i64>,
    retain_until: i64,
    payload: Vec<u8>,
}

const FLOW_SELECT_COLUMNS: &str = "token, kind, app_id, scope_id, secret_id, status, version, \
     created_at, expires_at, finished_at, retain_until, payload";

impl Store {
    fn open_flow_row(&self, row: FlowRow) -> StoreResult<FlowRecord> {
        let kind = FlowKind::parse(&row.kind).ok_or_else(|| {
            StoreError::CorruptData(format!(
                "flow {} has unknown kind {:?}",
                row.token, row.kind
            ))
        })?;
        let payload = self
            .cipher()
            .open(payload_context(&row.token), &row.payload)?;
        Ok(FlowRecord {
            token: row.token,
            kind,
            app_id: row.app_id,
            scope_id: row.scope_id,
            secret_id: row.secret_id,
            status: row.status,
            version: row.version,
            created_at: row.created_at,
            expires_at: row.expires_at,
            finished_at: row.finished_at,
            retain_until: row.retain_until,
            payload,
        })
    }

    /// Durably inserts a flow (version 1). Concurrent calls are group
    /// committed: this returns once the transaction holding the row has
    /// committed. A duplicate token is [`StoreError::Conflict`]; when the
    /// writer queue is full the call waits (backpressure). Dropping the
    /// future after the flow was queued does not cancel the insert.
    pub async fn insert_flow(&self, flow: NewFlow) -> StoreResult<()> {
        // Seal here, on the caller's task, so encryption runs in parallel
        // and the single writer only does database work.
        let payload = self
            .cipher()
            .seal(payload_context(&flow.token), &flow.payload);
        let sealed = SealedFlow {
            token: flow.token,
            kind: flow.kind,
            app_id: flow.app_id,
            scope_id: flow.scope_id,
            secret_id: flow.secret_id,
            status: flow.status,
            created_at: flow.created_at,
            expires_at: flow.expires_at,
            retain_until: flow.retain_until,
            payload,
            counts: flow.counts,
            bill: flow.bill,
        };
        self.inner.flow_writer.insert(sealed).await
    }

    pub async fn flow(&self, token: &str) -> StoreResult<Option<FlowRecord>> {
        let sql = format!("SELECT {FLOW_SELECT_COLUMNS} FROM flows WHERE token = $1");
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, FlowRow>(&sql)
            .bind(token)
            .fetch_optional(pool)
            .await?);
        row.map(|row| self.open_flow_row(row)).transpose()
    }

    /// Compare-and-swap: applies `update` only if the stored version is
    /// still `expected_version`, then bumps the version. `Ok(false)` means
    /// someone else updated the flow first (re-read and retry);
    /// [`StoreError::NotFound`] means there is no such flow.
    pub async fn update_flow(
        &self,
        token: &str,
        expected_version: i64,
        update: FlowUpdate,
    ) -> StoreResult<bool> {
        let sealed = self.cipher().seal(payload_context(token), &update.payload);
        let charges = self.seal_charges(token, update.charges);
        let counted = !update.counts.is_empty() || !charges.is_empty();
        macro_rules! step_in_transaction {
            ($pool:expr) => {
                async {
                    let mut tx = $pool.begin().await?;
                    let updated = sqlx::query(
                        "UPDATE flows SET status = $1, payload = $2, finished_at = $3, \
                         retain_until = $4, result_code = $7, version = version + 1 \
                         WHERE token = $5 AND version = $6",
                    )
                    .bind(&update.status)
                    .bind(&sealed)
                    .bind(update.finished_at)
                    .bind(update.retain_until)
                    .bind(token)
                    .bind(expected_version)
                    .bind(update.result_code)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if updated > 0 && counted {
                        let owner = sqlx::query_as::<_, (String, String)>(
                            "SELECT app_id, scope_id FROM flows WHERE token = $1",
                        )
                        .bind(token)
                        .fetch_one(&mut *tx)
                        .await?;
                        let merged = merge_counts(
                            update
                                .counts
                                .iter()
                                .map(|c| (owner.0.as_str(), owner.1.as_str(), c)),
                        );
                        write_counts!(tx, merged)?;
                        write_charges!(tx, token, &charges)?;
                    }
                    tx.commit().await?;
                    Ok::<u64, sqlx::Error>(updated)
                }
                .await
            };
        }
        let updated = with_pool!(self.db(), |pool| step_in_transaction!(pool)?);
        if updated > 0 {
            return Ok(true);
        }
        let exists = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(
            "SELECT version FROM flows WHERE token = $1"
        )
        .bind(token)
        .fetch_optional(pool)
        .await?);
        match exists {
            Some(_) => Ok(false),
            None => Err(StoreError::not_found("flow", token)),
        }
    }

    /// One page (`limit` rows) of an app's flows matching `search`, newest first, without
    /// opening a payload.
    pub async fn search_flows(
        &self,
        app_id: &str,
        search: &FlowSearch,
        limit: u32,
    ) -> StoreResult<Vec<FlowSummary>> {
        let (passed, failed, unfinished, code) = match search.result {
            None => (false, false, false, None),
            Some(ResultFilter::Passed) => (true, false, false, None),
            Some(ResultFilter::Failed) => (false, true, false, None),
            Some(ResultFilter::Unfinished) => (false, false, true, None),
            Some(ResultFilter::Code(code)) => (false, false, false, Some(code)),
        };
        let (before_at, before_token) = search.before.clone().unwrap_or((i64::MAX, String::new()));
        // Only the conditions that are set go into the statement: a `($n = '' OR col = $n)`
        // form would hide the indexes from the planner and scan the whole app.
        let mut conditions = vec!["app_id = $1".to_string()];
        let mut next = 2;
        let mut placeholder = || {
            let p = format!("${next}");
            next += 1;
            p
        };
        if search.token.is_some() {
            conditions.push(format!("token = {}", placeholder()));
        }
        if search.scope_id.is_some() {
            conditions.push(format!("scope_id = {}", placeholder()));
        }
        if search.from_ms.is_some() {
            conditions.push(format!("created_at >= {}", placeholder()));
        }
        if search.to_ms.is_some() {
            conditions.push(format!("created_at < {}", placeholder()));
        }
        match (passed, failed, unfinished, code) {
            (true, _, _, _) => conditions.push("result_code = 0".into()),
            (_, true, _, _) => {
                conditions.push("result_code IS NOT NULL AND result_code <> 0".into())
            }
            (_, _, true, _) => conditions.push("result_code IS NULL".into()),
            (_, _, _, Some(_)) => conditions.push(format!("result_code = {}", placeholder())),
            _ => {}
        }
        if search.before.is_some() {
            let (at, token) = (placeholder(), placeholder());
            conditions.push(format!(
                "(created_at < {at} OR (created_at = {at} AND token < {token}))"
            ));
        }
        let sql = format!(
            "SELECT token, kind, scope_id, status, created_at, finished_at, retain_until, \
             result_code FROM flows WHERE {} ORDER BY created_at DESC, token DESC LIMIT {}",
            conditions.join(" AND "),
            limit
        );
        let rows = with_pool!(self.db(), |pool| {
            let mut query = sqlx::query_as::<_, FlowSummary>(&sql).bind(app_id);
            if let Some(token) = &search.token {
                query = query.bind(token);
            }
            if let Some(scope) = &search.scope_id {
                query = query.bind(scope);
            }
            if let Some(from) = search.from_ms {
                query = query.bind(from);
            }
            if let Some(to) = search.to_ms {
                query = query.bind(to);
            }
            if let Some(code) = code {
                query = query.bind(code);
            }
            if search.before.is_some() {
                query = query.bind(before_at).bind(before_token.clone());
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// One page of an app's flows created in `[from_ms, to_ms)`, optionally
    /// only those of one rule/merchant, ordered by `(created_at, token)`.
    /// Pass the last token of the previous page as `after_token` to continue;
    /// [`StoreError::NotFound`] if that token no longer exists (purged).
    pub async fn flows_between(
        &self,
        app_id: &str,
        from_ms: i64,
        to_ms: i64,
        scope_id: Option<&str>,
        after_token: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<FlowRecord>> {
        // Keyset pagination: resume strictly after the cursor's
        // (created_at, token), which the indexes serve without an offset scan.
        let (cursor_created_at, cursor_token) = match after_token {
            None => (i64::MIN, String::new()),
            Some(token) => {
                let created_at = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, i64>(
                    "SELECT created_at FROM flows WHERE token = $1"
                )
                .bind(token)
                .fetch_optional(pool)
                .await?)
                .ok_or_else(|| StoreError::not_found("flow", token))?;
                (created_at, token.to_string())
            }
        };
        let scope_filter = if scope_id.is_some() {
            "AND scope_id = $6"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {FLOW_SELECT_COLUMNS} FROM flows \
             WHERE app_id = $1 AND created_at >= $2 AND created_at < $3 \
             AND (created_at > $4 OR token > $5) {scope_filter} \
             ORDER BY created_at, token LIMIT {limit}"
        );
        let rows = with_pool!(self.db(), |pool| {
            let mut query = sqlx::query_as::<_, FlowRow>(&sql)
                .bind(app_id)
                // Starting the range scan at the cursor (not at `from_ms`)
                // keeps every page O(limit) instead of re-reading earlier pages.
                .bind(from_ms.max(cursor_created_at))
                .bind(to_ms)
                .bind(cursor_created_at)
                .bind(&cursor_token);
            if let Some(scope_id) = scope_id {
                query = query.bind(scope_id);
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| self.open_flow_row(row))
            .collect()
    }

    /// Tokens of flows whose retention has passed, oldest first.
    pub(crate) async fn expired_flow_tokens(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<String>> {
        let tokens = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, String>(
            "SELECT token FROM flows WHERE retain_until < $1 ORDER BY retain_until LIMIT $2"
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?);
        Ok(tokens)
    }

    pub(crate) async fn delete_flows(&self, tokens: &[String]) -> StoreResult<u64> {
        if tokens.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM flows WHERE token IN ({})",
            placeholder_list(self.db().backend(), tokens.len())
        );
        let deleted = with_pool!(self.db(), |pool| {
            let mut query = sqlx::query(&sql);
            for token in tokens {
                query = query.bind(token);
            }
            query.execute(pool).await?.rows_affected()
        });
        Ok(deleted)
    }
}

/// Maps a failed single-row flow insert to the caller-facing error.
pub(crate) fn flow_insert_error(token: &str, err: sqlx::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Conflict(format!("flow token already exists: {token}"))
    } else {
        StoreError::Database(err)
    }
}
