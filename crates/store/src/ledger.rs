//! What outlives a flow: its daily counters (statistics), its bill and charges
//! (reconciliation), and the operator's prices. They are written in the same transaction as
//! the flow row they describe, so a count or a charge is never lost nor made twice.
//!
//! The retention purge leaves them: counters hold no personal data, and a charge keeps only
//! the masked ID number and name, sealed. Bills go after their own, longer retention (see
//! [`BILL_RETENTION_MS`]) or when an operator erases the flow.

use crate::db::{placeholder_list, with_pool};
use crate::error::StoreResult;
use crate::store::Store;
use crate::SealContext;
use std::collections::BTreeMap;

/// GetWeChatBillDetails answers for a year back; bills stay a little longer.
pub const BILL_RETENTION_MS: i64 = 400 * 24 * 3600 * 1000;

/// An amount to add to one daily counter of the flow's app and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// Beijing day number.
    pub day: i64,
    pub metric: String,
    pub n: i64,
}

/// The bill a new DetectAuth flow opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBill {
    /// The scene of the rule the flow runs under.
    pub channel: String,
}

/// One liveness + comparison attempt, as reconciliation lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub seq: String,
    pub req_time: i64,
    /// `authority`, `photo` or `none`.
    pub compare_source: String,
    pub billed: bool,
    pub error_code: i64,
    /// Similarity with two decimals; empty when no comparison ran.
    pub sim: String,
    pub masked_id_card: String,
    pub masked_name: String,
}

/// A bill with its charges, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub token: String,
    pub scope_id: String,
    pub created_at: i64,
    pub channel: String,
    pub charges: Vec<Charge>,
}

/// Charges of one rule, channel and comparison source on a day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChargeTotal {
    pub scope_id: String,
    pub channel: String,
    pub compare_source: String,
    pub attempts: i64,
    pub billed: i64,
}

/// One daily counter as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountRow {
    pub day: i64,
    pub scope_id: String,
    pub metric: String,
    pub n: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Masked {
    id_card: String,
    name: String,
}

/// A charge with its masked identity sealed, ready for the database.
#[derive(Debug)]
pub(crate) struct SealedCharge {
    pub(crate) charge: Charge,
    pub(crate) masked: Vec<u8>,
}

fn masked_context(token: &str) -> SealContext<'_> {
    SealContext::new("charges", "masked", token)
}

impl Store {
    pub(crate) fn seal_charges(&self, token: &str, charges: Vec<Charge>) -> Vec<SealedCharge> {
        charges
            .into_iter()
            .map(|charge| {
                let masked = serde_json::to_vec(&Masked {
                    id_card: charge.masked_id_card.clone(),
                    name: charge.masked_name.clone(),
                })
                .unwrap_or_default();
                SealedCharge {
                    masked: self.cipher().seal(masked_context(token), &masked),
                    charge,
                }
            })
            .collect()
    }
}

/// Sums the counts of one app and scope by (day, metric): one upsert per counter, as
/// PostgreSQL refuses the same key twice in one statement.
pub(crate) fn merge_counts<'a>(
    counts: impl IntoIterator<Item = (&'a str, &'a str, &'a Count)>,
) -> BTreeMap<(String, String, i64, String), i64> {
    let mut merged = BTreeMap::new();
    for (app_id, scope_id, count) in counts {
        *merged
            .entry((
                app_id.to_string(),
                scope_id.to_string(),
                count.day,
                count.metric.clone(),
            ))
            .or_insert(0) += count.n;
    }
    merged
}

pub(crate) const ADD_COUNT_SQL: &str =
    "INSERT INTO flow_counts (app_id, day, scope_id, metric, n) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (app_id, day, scope_id, metric) \
     DO UPDATE SET n = flow_counts.n + excluded.n";

pub(crate) const BILL_COLUMNS: &str = "token, app_id, scope_id, created_at, channel, retain_until";
pub(crate) const BILL_COLUMN_COUNT: usize = 6;

pub(crate) const INSERT_CHARGE_SQL: &str = "INSERT INTO charges \
     (token, seq, req_time, compare_source, billed, error_code, sim, masked) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (token, seq) DO NOTHING";

/// Writes merged counts inside the caller's transaction `$tx`.
macro_rules! write_counts {
    ($tx:expr, $merged:expr) => {
        async {
            for ((app_id, scope_id, day, metric), n) in $merged {
                sqlx::query($crate::ledger::ADD_COUNT_SQL)
                    .bind(app_id)
                    .bind(day)
                    .bind(scope_id)
                    .bind(metric)
                    .bind(n)
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}
pub(crate) use write_counts;

/// Writes sealed charges of `$token` inside the caller's transaction `$tx`.
macro_rules! write_charges {
    ($tx:expr, $token:expr, $charges:expr) => {
        async {
            for sealed in $charges {
                let c = &sealed.charge;
                sqlx::query($crate::ledger::INSERT_CHARGE_SQL)
                    .bind($token)
                    .bind(&c.seq)
                    .bind(c.req_time)
                    .bind(&c.compare_source)
                    .bind(c.billed)
                    .bind(c.error_code)
                    .bind(&c.sim)
                    .bind(&sealed.masked)
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}
pub(crate) use write_charges;

#[derive(sqlx::FromRow)]
struct BillRow {
    token: String,
    scope_id: String,
    created_at: i64,
    channel: String,
}

#[derive(sqlx::FromRow)]
struct ChargeRow {
    token: String,
    seq: String,
    req_time: i64,
    compare_source: String,
    billed: bool,
    error_code: i64,
    sim: String,
    masked: Vec<u8>,
}

impl Store {
    /// The daily counters of an app for days `[from_day, to_day)`, optionally of one rule.
    pub async fn counts(
        &self,
        app_id: &str,
        from_day: i64,
        to_day: i64,
        scope_id: Option<&str>,
    ) -> StoreResult<Vec<CountRow>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, CountRow>(
            "SELECT day, scope_id, metric, n FROM flow_counts \
             WHERE app_id = $1 AND day >= $2 AND day < $3 AND ($4 = '' OR scope_id = $4) \
             ORDER BY day, scope_id, metric"
        )
        .bind(app_id)
        .bind(from_day)
        .bind(to_day)
        .bind(scope_id.unwrap_or_default())
        .fetch_all(pool)
        .await?);
        Ok(rows)
    }

    /// One page of an app's bills opened in `[from_ms, to_ms)`, ordered by
    /// `(created_at, token)`, each with its charges. `after` continues after a bill the
    /// previous page returned.
    pub async fn bills_between(
        &self,
        app_id: &str,
        from_ms: i64,
        to_ms: i64,
        scope_id: Option<&str>,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<Bill>> {
        let (after_at, after_token) = after.unwrap_or((i64::MIN, ""));
        // The rule condition only when there is one, so the planner keeps to the index.
        let sql = format!(
            "SELECT token, scope_id, created_at, channel FROM bills \
             WHERE app_id = $1 AND created_at >= $2 AND created_at < $3 \
             AND (created_at > $4 OR (created_at = $4 AND token > $5)) {} \
             ORDER BY created_at, token LIMIT {limit}",
            if scope_id.is_some() {
                "AND scope_id = $6"
            } else {
                ""
            }
        );
        let rows = with_pool!(self.db(), |pool| {
            let mut query = sqlx::query_as::<_, BillRow>(&sql)
                .bind(app_id)
                .bind(from_ms.max(after_at))
                .bind(to_ms)
                .bind(after_at)
                .bind(after_token);
            if let Some(scope) = scope_id {
                query = query.bind(scope);
            }
            query.fetch_all(pool).await?
        });
        let tokens: Vec<String> = rows.iter().map(|r| r.token.clone()).collect();
        let mut charges = self.charges_of(&tokens).await?;
        Ok(rows
            .into_iter()
            .map(|row| Bill {
                charges: charges.remove(&row.token).unwrap_or_default(),
                token: row.token,
                scope_id: row.scope_id,
                created_at: row.created_at,
                channel: row.channel,
            })
            .collect())
    }

    async fn charges_of(&self, tokens: &[String]) -> StoreResult<BTreeMap<String, Vec<Charge>>> {
        let mut found: BTreeMap<String, Vec<Charge>> = BTreeMap::new();
        for chunk in tokens.chunks(500) {
            let sql = format!(
                "SELECT token, seq, req_time, compare_source, billed, error_code, sim, masked \
                 FROM charges WHERE token IN ({}) ORDER BY req_time, seq",
                placeholder_list(self.db().backend(), chunk.len())
            );
            let rows = with_pool!(self.db(), |pool| {
                let mut query = sqlx::query_as::<_, ChargeRow>(&sql);
                for token in chunk {
                    query = query.bind(token);
                }
                query.fetch_all(pool).await?
            });
            for row in rows {
                let opened = self
                    .cipher()
                    .open(masked_context(&row.token), &row.masked)?;
                let masked: Masked = serde_json::from_slice(&opened).map_err(|e| {
                    crate::StoreError::CorruptData(format!("charge {} {}: {e}", row.token, row.seq))
                })?;
                found.entry(row.token).or_default().push(Charge {
                    seq: row.seq,
                    req_time: row.req_time,
                    compare_source: row.compare_source,
                    billed: row.billed,
                    error_code: row.error_code,
                    sim: row.sim,
                    masked_id_card: masked.id_card,
                    masked_name: masked.name,
                });
            }
        }
        Ok(found)
    }

    /// The charges of an app's bills opened in `[from_ms, to_ms)`, summed by rule, channel
    /// and comparison source.
    pub async fn charge_totals(
        &self,
        app_id: &str,
        from_ms: i64,
        to_ms: i64,
        scope_id: Option<&str>,
    ) -> StoreResult<Vec<ChargeTotal>> {
        let sql = format!(
            "SELECT b.scope_id AS scope_id, b.channel AS channel, \
             c.compare_source AS compare_source, COUNT(*) AS attempts, \
             SUM(CASE WHEN c.billed THEN 1 ELSE 0 END) AS billed \
             FROM bills b JOIN charges c ON c.token = b.token \
             WHERE b.app_id = $1 AND b.created_at >= $2 AND b.created_at < $3 {} \
             GROUP BY b.scope_id, b.channel, c.compare_source \
             ORDER BY b.scope_id, b.channel, c.compare_source",
            if scope_id.is_some() {
                "AND b.scope_id = $4"
            } else {
                ""
            }
        );
        let rows = with_pool!(self.db(), |pool| {
            let mut query = sqlx::query_as::<_, ChargeTotal>(&sql)
                .bind(app_id)
                .bind(from_ms)
                .bind(to_ms);
            if let Some(scope) = scope_id {
                query = query.bind(scope);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The app's unit prices in fen, by comparison source.
    pub async fn prices(&self, app_id: &str) -> StoreResult<BTreeMap<String, i64>> {
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, (String, i64)>(
            "SELECT compare_source, fen FROM prices WHERE app_id = $1"
        )
        .bind(app_id)
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().collect())
    }

    pub async fn set_price(
        &self,
        app_id: &str,
        compare_source: &str,
        fen: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        with_pool!(self.db(), |pool| sqlx::query(
            "INSERT INTO prices (app_id, compare_source, fen, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app_id, compare_source) DO UPDATE SET fen = excluded.fen, \
             updated_at = excluded.updated_at"
        )
        .bind(app_id)
        .bind(compare_source)
        .bind(fen)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Deletes the bill of one flow and its charges (erasure on demand).
    pub(crate) async fn delete_bill(&self, token: &str) -> StoreResult<()> {
        for sql in [
            "DELETE FROM charges WHERE token = $1",
            "DELETE FROM bills WHERE token = $1",
        ] {
            with_pool!(self.db(), |pool| sqlx::query(sql)
                .bind(token)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Deletes up to `limit` bills past their retention with their charges; the number deleted.
    pub(crate) async fn purge_bills(&self, now_ms: i64, limit: u32) -> StoreResult<u64> {
        let tokens = with_pool!(self.db(), |pool| sqlx::query_scalar::<_, String>(
            "SELECT token FROM bills WHERE retain_until < $1 ORDER BY retain_until LIMIT $2"
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?);
        for token in &tokens {
            self.delete_bill(token).await?;
        }
        Ok(tokens.len() as u64)
    }
}
