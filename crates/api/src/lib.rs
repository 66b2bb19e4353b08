//! heshen's Tencent Cloud API 3.0 surface for product `faceid`, version `2018-03-01`.

pub mod actions;
pub mod authority;
pub mod cache;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod envelope;
pub mod flows;
pub mod gateway;
pub mod params;
pub mod ratelimit;
pub mod state;
pub mod vision;

pub use config::ApiConfig;
pub use state::AppState;

use axum::routing::any;
use axum::Router;

/// The API router: everything arrives at `/`, by POST or GET.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", any(gateway::handle))
        .with_state(state)
}
