//! Rules and merchants share one shape: an id, the owning app, a name, a JSON configuration
//! and a review status. The configurations are not personal data, so they are stored as
//! plain JSON text. One set of queries serves both tables; only how ids are drawn differs.

use crate::db::with_pool;
use crate::error::{is_foreign_key_violation, is_unique_violation, StoreError, StoreResult};
use crate::ids::now_ms;
use crate::ids::random_upper_alphanumeric;
use crate::store::Store;

/// A table of per-app configurations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfigTable {
    pub table: &'static str,
    pub id_column: &'static str,
    /// What a row is, for error messages.
    pub what: &'static str,
}

pub(crate) const RULES: ConfigTable = ConfigTable {
    table: "rules",
    id_column: "rule_id",
    what: "rule",
};

pub(crate) const MERCHANTS: ConfigTable = ConfigTable {
    table: "merchants",
    id_column: "merchant_id",
    what: "merchant",
};

pub(crate) const LEGACY_APPS: ConfigTable = ConfigTable {
    table: "legacy_apps",
    id_column: "legacy_app_id",
    what: "legacy appid",
};

/// One row, with its configuration parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfigRecord {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub config: serde_json::Value,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ConfigRow {
    id: String,
    app_id: String,
    name: String,
    config: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl ConfigTable {
    /// The statement that inserts one row: id, app, name, config text, status, time.
    pub fn insert_sql(&self) -> String {
        format!(
            "INSERT INTO {} ({}, app_id, name, config, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            self.table, self.id_column
        )
    }

    fn select_sql(&self, filter: &str) -> String {
        format!(
            "SELECT {} AS id, app_id, name, config, status, created_at, updated_at \
             FROM {} WHERE {filter}",
            self.id_column, self.table
        )
    }

    fn record(&self, row: ConfigRow) -> StoreResult<ConfigRecord> {
        let config = serde_json::from_str(&row.config).map_err(|e| {
            StoreError::CorruptData(format!(
                "config of {} {} is not JSON: {e}",
                self.what, row.id
            ))
        })?;
        Ok(ConfigRecord {
            id: row.id,
            app_id: row.app_id,
            name: row.name,
            config,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl Store {
    /// Inserts a row under a fresh random id, `prefix` and `random_len` upper-case
    /// alphanumerics (unique: the primary key rejects a collision and we draw again).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn create_config_record(
        &self,
        table: ConfigTable,
        prefix: &str,
        random_len: usize,
        app_id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<String> {
        let now = now_ms();
        let config_text = config.to_string();
        let insert = table.insert_sql();
        for _ in 0..5 {
            let id = format!("{prefix}{}", random_upper_alphanumeric(random_len));
            let inserted = with_pool!(self.db(), |pool| sqlx::query(&insert)
                .bind(&id)
                .bind(app_id)
                .bind(name)
                .bind(&config_text)
                .bind(status)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ()));
            match inserted {
                Ok(_) => return Ok(id),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(StoreError::not_found("app", app_id))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(format!(
            "could not allocate a unique {} id",
            table.what
        )))
    }

    pub(crate) async fn config_record(
        &self,
        table: ConfigTable,
        id: &str,
    ) -> StoreResult<Option<ConfigRecord>> {
        let sql = table.select_sql(&format!("{} = $1", table.id_column));
        let row = with_pool!(self.db(), |pool| sqlx::query_as::<_, ConfigRow>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        row.map(|row| table.record(row)).transpose()
    }

    /// Rows of one app, or of all apps, in creation order.
    pub(crate) async fn config_records(
        &self,
        table: ConfigTable,
        app_id: Option<&str>,
    ) -> StoreResult<Vec<ConfigRecord>> {
        let sql = table.select_sql(&format!(
            "($1 IS NULL OR app_id = $1) ORDER BY created_at, {}",
            table.id_column
        ));
        let rows = with_pool!(self.db(), |pool| sqlx::query_as::<_, ConfigRow>(&sql)
            .bind(app_id)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(|row| table.record(row)).collect()
    }

    /// Replaces name, config and status. Returns false when no such row.
    pub(crate) async fn update_config_record(
        &self,
        table: ConfigTable,
        id: &str,
        name: &str,
        config: &serde_json::Value,
        status: &str,
    ) -> StoreResult<bool> {
        let sql = format!(
            "UPDATE {} SET name = $1, config = $2, status = $3, updated_at = $4 WHERE {} = $5",
            table.table, table.id_column
        );
        let updated = with_pool!(self.db(), |pool| sqlx::query(&sql)
            .bind(name)
            .bind(config.to_string())
            .bind(status)
            .bind(now_ms())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(updated > 0)
    }
}
