//! Settings of the API surface; the binary fills them from its layered configuration.

use crate::ratelimit::RateLimits;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Base URL users' browsers reach this server at; flow URLs are built on it.
    pub public_url: String,
    /// How long a BizToken can be used to perform the verification.
    pub biz_token_ttl: Duration,
    /// How long an EidToken can be used (FaceID: 600 s).
    pub eid_token_ttl: Duration,
    /// How long results stay retrievable after the flow ends; then they are erased.
    pub result_retention: Duration,
    /// Allowed difference between X-TC-Timestamp and the server clock.
    pub signature_window: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub rate_limits: RateLimits,
    /// How long key and rule lookups are cached on a node.
    pub cache_ttl: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            biz_token_ttl: Duration::from_secs(7200),
            eid_token_ttl: Duration::from_secs(600),
            result_retention: Duration::from_secs(3 * 24 * 3600),
            signature_window: Duration::from_secs(300),
            max_body_bytes: 12 * 1024 * 1024,
            rate_limits: RateLimits::default(),
            cache_ttl: Duration::from_secs(5),
        }
    }
}
