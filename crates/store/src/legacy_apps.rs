//! Appids of the legacy real-name mini-program protocol (seed 003): per-app configuration
//! of a legacy flow. Their secret keys are derived from the master key, never stored.

use crate::configs::{ConfigRecord, LEGACY_APPS};
use crate::error::StoreResult;
use crate::store::Store;

const LEGACY_APP_ID_PREFIX: &str = "TIDA";
const LEGACY_APP_ID_RANDOM_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq)]
pub struct LegacyApp {
    pub legacy_app_id: String,
    /// The heshen app it belongs to: its flows, records and statistics are that app's.
    pub app_id: String,
    pub name: String,
    pub config: serde_json::Value,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ConfigRecord> for LegacyApp {
    fn from(record: ConfigRecord) -> LegacyApp {
        LegacyApp {
            legacy_app_id: record.id,
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
    pub async fn create_legacy_app(
        &self,
        app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<String> {
        self.create_config_record(
            LEGACY_APPS,
            LEGACY_APP_ID_PREFIX,
            LEGACY_APP_ID_RANDOM_LEN,
            app_id,
            name,
            config,
            status,
        )
        .await
    }

    pub async fn legacy_app(&self, legacy_app_id: &str) -> StoreResult<Option<LegacyApp>> {
        Ok(self
            .config_record(LEGACY_APPS, legacy_app_id)
            .await?
            .map(LegacyApp::from))
    }

    /// Legacy appids of one app, or of all apps, in creation order.
    pub async fn list_legacy_apps(&self, app_id: Option<&str>) -> StoreResult<Vec<LegacyApp>> {
        let records = self.config_records(LEGACY_APPS, app_id).await?;
        Ok(records.into_iter().map(LegacyApp::from).collect())
    }

    /// Replaces name, config and status. Returns false when no such appid.
    pub async fn update_legacy_app(
        &self,
        legacy_app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        self.update_config_record(LEGACY_APPS, legacy_app_id, name, config, status)
            .await
    }
}
