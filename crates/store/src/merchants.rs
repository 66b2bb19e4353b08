//! E-ID merchants (FaceID "MerchantId"): per-app configuration of an eid flow.

use crate::configs::{ConfigRecord, MERCHANTS};
use crate::error::StoreResult;
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
    /// Creates a merchant with a fresh random id.
    pub async fn create_merchant(
        &self,
        app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<String> {
        self.create_config_record(
            MERCHANTS,
            MERCHANT_ID_PREFIX,
            MERCHANT_ID_RANDOM_LEN,
            app_id,
            name,
            config,
            status,
        )
        .await
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
