//! Verification rules (FaceID "RuleId"): per-app configuration of a
//! detect flow. Configs are not personal data, so they are stored as plain
//! JSON text.

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

#[derive(sqlx::FromRow)]
struct RuleRow {
    rule_id: String,
    app_id: String,
    name: String,
    config: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<RuleRow> for Rule {
    type Error = StoreError;

    fn try_from(row: RuleRow) -> StoreResult<Rule> {
        Ok(Rule {
            config: parse_config_json(&row.config, "rule", &row.rule_id)?,
            rule_id: row.rule_id,
            app_id: row.app_id,
            name: row.name,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(crate) fn parse_config_json(
    text: &str,
    what: &str,
    id: &str,
) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::CorruptData(format!("config of {what} {id} is not JSON: {e}")))
}

const RULE_COLUMNS: &str = "rule_id, app_id, name, config, status, created_at, updated_at";

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
            sqlx::query(
                "INSERT INTO rules (rule_id, app_id, name, config, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
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
        let sql = format!("SELECT {RULE_COLUMNS} FROM rules WHERE rule_id = $1");
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, RuleRow>(&sql)
            .bind(rule_id)
            .fetch_optional(pool)
            .await?);
        row.map(Rule::try_from).transpose()
    }

    /// Rules of one app, or of all apps, in creation order.
    pub async fn list_rules(&self, app_id: Option<&str>) -> StoreResult<Vec<Rule>> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM rules WHERE ($1 IS NULL OR app_id = $1) \
             ORDER BY created_at, rule_id"
        );
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, RuleRow>(&sql)
            .bind(app_id)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(Rule::try_from).collect()
    }

    /// Replaces name, config and status. Returns false when no such rule.
    pub async fn update_rule(
        &self,
        rule_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        let updated = with_pool!(self.db(), |pool| {
            sqlx::query(
            "UPDATE rules SET name = $1, config = $2, status = $3, updated_at = $4 WHERE rule_id = $5"
        )
        .bind(name)
        .bind(config.to_string())
        .bind(status)
        .bind(now_ms())
        .bind(rule_id)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(updated > 0)
    }
}
