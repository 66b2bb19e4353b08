//! E-ID merchants (FaceID "MerchantId"): per-app configuration of an eid flow.

use crate::configs::{ConfigRecord, MERCHANTS};
use crate::db::with_pool;
use crate::error::{is_foreign_key_violation, is_unique_violation, StoreError, StoreResult};
use crate::ids::{now_ms, random_upper_alphanumeric};
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

impl From<ConfigRecord> for Merchant {
    fn from(record: ConfigRecord) -> Merchant {
        Merchant {
            merchant_id: record.id,
            app_id: record.app_id,
            name: record.name,
            config: record.config,
            status: record.status,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

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
        let insert = MERCHANTS.insert_sql();
        for _ in 0..5 {
            let merchant_id = format!(
                "{MERCHANT_ID_PREFIX}{}",
                random_upper_alphanumeric(MERCHANT_ID_RANDOM_LEN)
            );
            let inserted = with_pool!(self.db(), |pool| sqlx::query(&insert)
                .bind(&merchant_id)
                .bind(app_id)
                .bind(name)
                .bind(&config_text)
                .bind(status)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ()));
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
        Ok(self
            .config_record(MERCHANTS, merchant_id)
            .await?
            .map(Merchant::from))
    }

    /// Merchants of one app, or of all apps, in creation order.
    pub async fn list_merchants(&self, app_id: Option<&str>) -> StoreResult<Vec<Merchant>> {
        let records = self.config_records(MERCHANTS, app_id).await?;
        Ok(records.into_iter().map(Merchant::from).collect())
    }

    /// Replaces name, config and status. Returns false when no such merchant.
    pub async fn update_merchant(
        &self,
        merchant_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        self.update_config_record(MERCHANTS, merchant_id, name, config, status)
            .await
    }
}
