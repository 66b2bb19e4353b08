//! Verification rules (FaceID "RuleId"): per-app configuration of a detect flow.

use crate::configs::{ConfigRecord, RULES};
use crate::db::with_pool;
use crate::error::{is_foreign_key_violation, StoreError, StoreResult};
use crate::ids::now_ms;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub rule_id: String,
    pub app_id: String,
    pub name: String,
    pub config: serde_json::Value,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ConfigRecord> for Rule {
    fn from(record: ConfigRecord) -> Rule {
        Rule {
            rule_id: record.id,
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
    /// Creates a rule and returns its id: a decimal number from a database
    /// counter ("1", "2", …), so ids stay unique across server nodes.
    pub async fn create_rule(
        &self,
        app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<String> {
        let now = now_ms();
        let config_text = config.to_string();
        let insert = RULES.insert_sql();
        let result: Result<String, sqlx::Error> = with_pool!(self.db(), |pool| async {
            // One transaction so a failed insert (unknown app) does not burn
            // a number. The first statement writes, so SQLite takes its write
            // lock up front instead of failing a read→write upgrade.
            let mut tx = pool.begin().await?;
            let next: i64 = sqlx::query_scalar(
                "UPDATE id_sequences SET last_value = last_value + 1 WHERE name = 'rule' \
                 RETURNING last_value",
            )
            .fetch_one(&mut *tx)
            .await?;
            let rule_id = next.to_string();
            sqlx::query(&insert)
                .bind(&rule_id)
                .bind(app_id)
                .bind(name)
                .bind(&config_text)
                .bind(status)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(rule_id)
        }
        .await);
        match result {
            Ok(rule_id) => Ok(rule_id),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::not_found("app", app_id)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn rule(&self, rule_id: &str) -> StoreResult<Option<Rule>> {
        Ok(self.config_record(RULES, rule_id).await?.map(Rule::from))
    }

    /// Rules of one app, or of all apps, in creation order.
    pub async fn list_rules(&self, app_id: Option<&str>) -> StoreResult<Vec<Rule>> {
        let records = self.config_records(RULES, app_id).await?;
        Ok(records.into_iter().map(Rule::from).collect())
    }

    /// Replaces name, config and status. Returns false when no such rule.
    pub async fn update_rule(
        &self,
        rule_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        self.update_config_record(RULES, rule_id, name, config, status)
            .await
    }
}
