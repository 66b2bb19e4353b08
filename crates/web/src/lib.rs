//! heshen's pages, on the application layer (`heshen-service`) like every front door: the H5
//! verification flow behind DetectAuth's `Url` today; the eID pages and the console next.
//! Pages are rendered on the server (askama); the browser runs small modules only where it
//! must act (camera, recording, upload), served from the binary.

mod assets;
pub mod console;
pub mod h5;
pub mod i18n;
pub mod miniprogram;
mod packages;
mod pages;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use heshen_service::console::Accounts;
use heshen_service::ratelimit::KeyedLimiter;
use heshen_service::AppState;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Limits of the pages' uploads.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest recording one attempt may upload.
    pub max_recording_bytes: u64,
    /// The parts the liveness page cuts a recording into, so a broken upload resumes.
    pub recording_part_bytes: usize,
    /// Largest ID-card photo.
    pub max_card_bytes: usize,
    /// Uploads (card sides and recordings) per token per minute.
    pub uploads_per_minute: NonZeroU32,
    /// Recording parts per token per minute (a recording of the largest size is 80 parts).
    pub parts_per_minute: NonZeroU32,
    /// WeChat's business-domain check files, served at the root: name → content.
    pub wechat_check_files: std::collections::HashMap<String, String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_recording_bytes: 20 * 1024 * 1024,
            recording_part_bytes: 256 * 1024,
            max_card_bytes: 8 * 1024 * 1024,
            uploads_per_minute: NonZeroU32::new(12).expect("non-zero"),
            parts_per_minute: NonZeroU32::new(240).expect("non-zero"),
            wechat_check_files: std::collections::HashMap::new(),
        }
    }
}

/// The pages' shared state.
#[derive(Clone)]
pub struct Web {
    state: AppState,
    accounts: Accounts,
    config: Arc<WebConfig>,
    uploads: Arc<KeyedLimiter<String>>,
    parts: Arc<KeyedLimiter<String>>,
}

impl Web {
    pub fn new(state: AppState, config: WebConfig) -> Self {
        Self {
            accounts: Accounts::new(state.store().clone()),
            uploads: Arc::new(KeyedLimiter::per_minute(config.uploads_per_minute)),
            parts: Arc::new(KeyedLimiter::per_minute(config.parts_per_minute)),
            config: Arc::new(config),
            state,
        }
    }
}

/// The pages' routes: the H5 flow under `/h5`, the web SDK, the console under `/console`.
pub fn router(web: Web) -> Router {
    h5_router(web.clone())
        .merge(console::router(web))
        .layer(middleware::from_fn(same_origin_posts))
}

fn h5_router(web: Web) -> Router {
    let card_limit = web.config.max_card_bytes;
    Router::new()
        .route("/h5/start", get(h5::start))
        .route("/eid/start", get(h5::start))
        .route("/mp/v1/tokens/{token}", get(miniprogram::token_status))
        .route("/mp/v1/return", get(miniprogram::return_page))
        .route("/mp/v1/legacy/auth", post(miniprogram::legacy_auth))
        .route("/{file}", get(miniprogram::wechat_check_file))
        .route("/h5/assets/{file}", get(assets::serve))
        .route("/sdk/heshen.js", get(assets::sdk))
        .route(
            "/h5/{token}/consent",
            get(h5::consent_page).post(h5::consent_submit),
        )
        .route("/h5/{token}/doc/{name}", get(h5::document))
        .route(
            "/h5/{token}/identity",
            get(h5::identity).post(h5::identity_submit),
        )
        .route(
            "/h5/{token}/identity/card/{side}",
            post(h5::card_upload).layer(DefaultBodyLimit::max(card_limit)),
        )
        .route("/h5/{token}/liveness", get(h5::liveness))
        .route("/h5/{token}/leave", get(h5::leave))
        .route("/h5/{token}/liveness/{nonce}", post(h5::recording_upload))
        .route(
            "/h5/{token}/liveness/{nonce}/parts",
            get(h5::recording_parts).post(h5::recording_complete),
        )
        .route(
            "/h5/{token}/liveness/{nonce}/parts/{index}",
            put(h5::recording_part),
        )
        .route("/h5/{token}/processing", get(h5::processing))
        .route("/h5/{token}/status", get(h5::status))
        .route("/h5/{token}/result", get(h5::result))
        .route("/h5/{token}/continue", get(h5::continue_to_integrator))
        .with_state(web)
}

/// A page's form or upload must come from the page itself: a POST or PUT whose `Origin`
/// names another site is refused (the token in the path is the person's only credential).
async fn same_origin_posts(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::POST | Method::PUT) {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if let (Some(origin), Some(host)) = (origin, host) {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin == "null" || origin_host != host {
                let lang = i18n::Lang::negotiate(None, request.headers());
                return h5::cross_site(lang);
            }
        }
    }
    next.run(request).await
}
