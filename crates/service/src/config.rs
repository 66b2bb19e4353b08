//! Settings of the application layer; the binary fills them from its layered configuration.

use crate::outbound::OutboundPolicy;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Base URL users' browsers reach this server at; flow URLs are built on it.
    pub public_url: String,
    /// How long a BizToken can be used to perform the verification.
    pub biz_token_ttl: Duration,
    /// How long an EidToken can be used (seed 001: 7,200 s; the API reference once said 600 s).
    pub eid_token_ttl: Duration,
    /// How long results stay retrievable after the flow ends; then they are erased.
    pub result_retention: Duration,
    /// How long key, rule and merchant lookups are cached on a node.
    pub cache_ttl: Duration,
    /// Where caller-given URLs (ImageUrl, VideoUrl) and remote sources may point.
    pub outbound: OutboundPolicy,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            biz_token_ttl: Duration::from_secs(7200),
            eid_token_ttl: Duration::from_secs(7200),
            result_retention: Duration::from_secs(3 * 24 * 3600),
            cache_ttl: Duration::from_secs(5),
            outbound: OutboundPolicy::default(),
        }
    }
}
