//! Settings of the API gateway; the binary fills them from its layered configuration.

use crate::limits::RateLimits;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Allowed difference between X-TC-Timestamp and the server clock.
    pub signature_window: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Bytes of request bodies all connections may hold in memory at once; past that,
    /// new requests are shed rather than queued.
    pub body_budget_bytes: usize,
    /// Requests being worked on at once; past that, new requests are shed.
    pub max_in_flight: usize,
    /// How long a client may take to send its body.
    pub body_timeout: Duration,
    /// How long one request may take from its headers to its answer.
    pub request_timeout: Duration,
    pub rate_limits: RateLimits,
    /// TC3 lets a client leave the body out of the signature (`UNSIGNED-PAYLOAD`), as FaceID
    /// does; a deployment can refuse that.
    pub allow_unsigned_payload: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            signature_window: Duration::from_secs(300),
            max_body_bytes: 12 * 1024 * 1024,
            body_budget_bytes: 256 * 1024 * 1024,
            max_in_flight: 1024,
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            rate_limits: RateLimits::default(),
            allow_unsigned_payload: true,
        }
    }
}
