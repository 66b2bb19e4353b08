//! Shared state of the API: storage, configuration, caches, rate limiter, clock.

use crate::authority::{AuthoritySource, RegistrySource};
use crate::cache::TtlCache;
use crate::clock::Clock;
use crate::config::ApiConfig;
use crate::ratelimit::RateLimiter;
use heshen_core::rule::{MerchantConfig, ReviewStatus, RuleConfig};
use heshen_core::ApiError;
use heshen_store::Store;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Caller {
    pub secret_id: String,
    pub app_id: String,
}

#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub secret_key: String,
    pub app_id: String,
    pub enabled: bool,
}

#[derive(Debug, Clone)]
pub struct RuleEntry {
    pub rule_id: String,
    pub app_id: String,
    pub status: ReviewStatus,
    pub config: RuleConfig,
}

#[derive(Debug, Clone)]
pub struct MerchantEntry {
    pub merchant_id: String,
    pub app_id: String,
    pub status: ReviewStatus,
    pub config: MerchantConfig,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ApiConfig,
    clock: Clock,
    limiter: RateLimiter,
    keys: TtlCache<String, Option<KeyEntry>>,
    rules: TtlCache<String, Option<RuleEntry>>,
    merchants: TtlCache<String, Option<MerchantEntry>>,
    key_root: [u8; 32],
    authority: Arc<dyn AuthoritySource>,
    vision: std::sync::OnceLock<crate::vision::Vision>,
}

/// Storage failures are logged in full but shown to callers without internals.
pub fn storage_error(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(%err, "storage failure");
    ApiError::new(
        heshen_core::ErrorCode::FailedOperationDbError,
        "The storage backend failed; please retry.",
    )
}

impl AppState {
    /// `key_root` derives each eID merchant's key (`eid.rs`) and each app's encryption key
    /// (`crypto.rs`); it must be the same on every node, so it comes from the shared master key.
    pub fn new(store: Store, config: ApiConfig, key_root: [u8; 32]) -> Self {
        let registry = Arc::new(RegistrySource::new(store.clone()));
        Self::with_authority(store, config, key_root, registry)
    }

    /// Like [`AppState::new`], with an authority source other than heshen's own registry.
    pub fn with_authority(
        store: Store,
        config: ApiConfig,
        key_root: [u8; 32],
        authority: Arc<dyn AuthoritySource>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                limiter: RateLimiter::new(config.rate_limits.clone()),
                keys: TtlCache::new(config.cache_ttl),
                rules: TtlCache::new(config.cache_ttl),
                merchants: TtlCache::new(config.cache_ttl),
                store,
                config,
                clock: Clock::default(),
                key_root,
                authority,
                vision: std::sync::OnceLock::new(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    pub fn authority(&self) -> &dyn AuthoritySource {
        self.inner.authority.as_ref()
    }

    /// Gives the API its vision engine; the vision actions answer UnsupportedOperation until then.
    pub fn attach_vision(&self, vision: crate::vision::Vision) -> bool {
        self.inner.vision.set(vision).is_ok()
    }

    pub fn vision(&self) -> Option<&crate::vision::Vision> {
        self.inner.vision.get()
    }

    pub fn key_root(&self) -> &[u8; 32] {
        &self.inner.key_root
    }

    pub async fn api_key(&self, secret_id: &str) -> Result<Option<KeyEntry>, ApiError> {
        if let Some(hit) = self.inner.keys.get(&secret_id.to_string()) {
            return Ok(hit);
        }
        let found = self
            .inner
            .store
            .api_key(secret_id)
            .await
            .map_err(storage_error)?
            .map(|k| KeyEntry {
                secret_key: k.secret_key,
                app_id: k.app_id,
                enabled: k.enabled,
            });
        self.inner.keys.insert(secret_id.to_string(), found.clone());
        Ok(found)
    }

    pub async fn rule(&self, rule_id: &str) -> Result<Option<RuleEntry>, ApiError> {
        if let Some(hit) = self.inner.rules.get(&rule_id.to_string()) {
            return Ok(hit);
        }
        let found = match self
            .inner
            .store
            .rule(rule_id)
            .await
            .map_err(storage_error)?
        {
            Some(r) => Some(RuleEntry {
                config: serde_json::from_value(r.config.clone()).map_err(|e| {
                    ApiError::internal(format!(
                        "Rule {} has an unreadable configuration: {e}",
                        r.rule_id
                    ))
                })?,
                status: ReviewStatus::parse(&r.status).unwrap_or(ReviewStatus::Pending),
                rule_id: r.rule_id,
                app_id: r.app_id,
            }),
            None => None,
        };
        self.inner.rules.insert(rule_id.to_string(), found.clone());
        Ok(found)
    }

    pub async fn merchant(&self, merchant_id: &str) -> Result<Option<MerchantEntry>, ApiError> {
        if let Some(hit) = self.inner.merchants.get(&merchant_id.to_string()) {
            return Ok(hit);
        }
        let found = match self
            .inner
            .store
            .merchant(merchant_id)
            .await
            .map_err(storage_error)?
        {
            Some(m) => Some(MerchantEntry {
                config: serde_json::from_value(m.config.clone()).map_err(|e| {
                    ApiError::internal(format!(
                        "Merchant {} has an unreadable configuration: {e}",
                        m.merchant_id
                    ))
                })?,
                status: ReviewStatus::parse(&m.status).unwrap_or(ReviewStatus::Pending),
                merchant_id: m.merchant_id,
                app_id: m.app_id,
            }),
            None => None,
        };
        self.inner
            .merchants
            .insert(merchant_id.to_string(), found.clone());
        Ok(found)
    }

    /// Forget cached lookups after a local change (other nodes catch up within `cache_ttl`).
    pub fn invalidate_key(&self, secret_id: &str) {
        self.inner.keys.invalidate(&secret_id.to_string());
    }

    pub fn invalidate_rule(&self, rule_id: &str) {
        self.inner.rules.invalidate(&rule_id.to_string());
    }
}
