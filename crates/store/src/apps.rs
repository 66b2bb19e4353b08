use crate::db::with_pool;
use crate::error::StoreResult;
use crate::ids::now_ms;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct App {
    pub app_id: String,
    pub name: String,
    pub created_at: i64,
}

impl Store {
    /// Creates the app if it does not exist; an existing app keeps its name.
    /// Returns true when the app was created by this call.
    pub async fn ensure_app(&self, app_id: &str, name: &str) -> StoreResult<bool> {
        let created = with_pool!(self.db(), |pool| {
            sqlx::query(
            "INSERT INTO apps (app_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(app_id)
        .bind(name)
        .bind(now_ms())
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(created == 1)
    }

    pub async fn app(&self, app_id: &str) -> StoreResult<Option<App>> {
        let app = with_pool!(self.db(), |pool| sqlx::query_as::<_, App>(
            "SELECT app_id, name, created_at FROM apps WHERE app_id = $1"
        )
        .bind(app_id)
        .fetch_optional(pool)
        .await?);
        Ok(app)
    }

    pub async fn list_apps(&self) -> StoreResult<Vec<App>> {
        let apps = with_pool!(self.db(), |pool| sqlx::query_as::<_, App>(
            "SELECT app_id, name, created_at FROM apps ORDER BY app_id"
        )
        .fetch_all(pool)
        .await?);
        Ok(apps)
    }
}
