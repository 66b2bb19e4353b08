//! heshen's Tencent Cloud API 3.0 gateway for product `faceid`, version `2018-03-01`: reading
//! and authenticating requests, rate limits, dispatch to the actions, and the mapping of the
//! application layer's outcomes and errors to FaceID's wire codes. The work itself is done by
//! `heshen-service`.

pub mod actions;
pub mod config;
pub mod envelope;
pub mod gateway;
pub mod legacy;
pub mod limits;
pub mod openapi;
pub mod params;
pub mod wire;

pub use config::GatewayConfig;
pub use gateway::Gateway;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;

/// The API router: every action arrives at `/`, by POST or GET; the OpenAPI document of the
/// actions is at `/openapi.json`; seed 003's legacy pull at its own path.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/", any(gateway::handle))
        .route("/openapi.json", get(openapi_document))
        .route(
            "/new/cgi-bin/getdetectinfo.php",
            post(legacy::get_detect_info),
        )
        .with_state(gateway)
}

async fn openapi_document(State(gateway): State<Gateway>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        gateway.openapi_json(),
    )
}
