//! heshen's Tencent Cloud API 3.0 gateway for product `faceid`, version `2018-03-01`: reading
//! and authenticating requests, rate limits, dispatch to the actions, and the mapping of the
//! application layer's outcomes and errors to FaceID's wire codes. The work itself is done by
//! `heshen-service`.

pub mod actions;
pub mod config;
pub mod envelope;
pub mod gateway;
pub mod limits;
pub mod params;
pub mod wire;

pub use config::GatewayConfig;
pub use gateway::Gateway;

use axum::routing::any;
use axum::Router;

/// The API router: everything arrives at `/`, by POST or GET.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/", any(gateway::handle))
        .with_state(gateway)
}
