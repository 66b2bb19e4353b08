//! E-ID merchants (FaceID "MerchantId"): per-app configuration of an eid
//! flow, stored as plain JSON like rules.

use crate::db::with_pool;
use crate::error::{is_foreign_key_violation, is_unique_violation, StoreError, StoreResult};
use crate::ids::{now_ms, random_upper_alphanumeric};
use crate::rules::parse_config_json;
use crate::store::Store;

/// FaceID merchant ids look like `0NSJ` followed by upper-case alphanumerics.
const MERCHANT_ID_PREFIX: &str = "0NSJ";
const MERCHANT_ID_RANDOM_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct Merchant {
    pub merchant_id: String,
    pub app_id: String,
    pub name: String,
    pub config: serde_json::Value,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct MerchantRow {
    merchant_id: String,
    app_id: String,
    name: String,
    config: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = StoreError;

    fn try_from(row: MerchantRow) -> StoreResult<Merchant> {
        Ok(Merchant {
            config: parse_config_json(&row.config, "merchant", &row.merchant_id)?,
            merchant_id: row.merchant_id,
            app_id: row.app_id,
            name: row.name,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const MERCHANT_COLUMNS: &str = "merchant_id, app_id, name, config, status, created_at, updated_at";

impl Store {
    /// Creates a merchant with a fresh random id (unique: the primary key
    /// rejects a collision and we draw again).
    pub async fn create_merchant(
        &self,
        app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<String> {
        let now = now_ms();
        let config_text = config.to_string();
        for _ in 0..5 {
            let merchant_id = format!(
                "{MERCHANT_ID_PREFIX}{}",
                random_upper_alphanumeric(MERCHANT_ID_RANDOM_LEN)
            );
            let inserted = with_pool!(self.db(), |pool| {
                sqlx::query(
                "INSERT INTO merchants (merchant_id, app_id, name, config, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)"
            )
            .bind(&merchant_id)
            .bind(app_id)
            .bind(name)
            .bind(&config_text)
            .bind(status)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
            });
            match inserted {
                Ok(_) => return Ok(merchant_id),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(StoreError::not_found("app", app_id))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "could not allocate a unique merchant id".into(),
        ))
    }

    pub async fn merchant(&self, merchant_id: &str) -> StoreResult<Option<Merchant>> {
        let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE merchant_id = $1");
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, MerchantRow>(&sql)
            .bind(merchant_id)
            .fetch_optional(pool)
            .await?);
        row.map(Merchant::try_from).transpose()
    }

    /// Merchants of one app, or of all apps, in creation order.
    pub async fn list_merchants(&self, app_id: Option<&str>) -> StoreResult<Vec<Merchant>> {
        let sql = format!(
            "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE ($1 IS NULL OR app_id = $1) \
             ORDER BY created_at, merchant_id"
        );
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, MerchantRow>(&sql)
            .bind(app_id)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Merchant::try_from).collect()
    }

    /// Replaces name, config and status. Returns false when no such merchant.
    pub async fn update_merchant(
        &self,
        merchant_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| sqlx::query(
            "UPDATE merchants SET name = $1, config = $2, status = $3, updated_at = $4 \
             WHERE merchant_id = $5"
        )
        .bind(name)
        .bind(config.to_string())
        .bind(status)
        .bind(now_ms())
        .bind(merchant_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated > 0)
    }
}
