//! The application's shared state: storage, configuration, clock, key ring, caches of hot
//! lookups, the authority source, the vision engine and the outbound HTTP client.

use crate::authority::{AuthoritySource, RegistrySource};
use crate::clock::Clock;
use crate::config::ServiceConfig;
use crate::error::{ServiceError, ServiceResult};
use crate::keys::KeyRing;
use crate::outbound::Outbound;
use crate::vision::Vision;
use heshen_core::rule::{MerchantConfig, ReviewStatus, RuleConfig};
use heshen_store::Store;
use moka::future::Cache;
use secrecy::SecretString;
use std::future::Future;
use std::sync::{Arc, OnceLock};

/// A SecretId's credential as signature checks need it.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub secret_key: SecretString,
    pub app_id: String,
    pub enabled: bool,
    /// Addresses or CIDR blocks allowed to use the key, comma-separated; empty: any.
    pub allowed_ips: String,
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
    /// What the person sees the eID flow is for.
    pub name: String,
    pub status: ReviewStatus,
    pub config: MerchantConfig,
}

/// A legacy protocol appid (seed 003) as its flows' pages read it.
#[derive(Debug, Clone)]
pub struct LegacyAppEntry {
    pub legacy_app_id: String,
    pub name: String,
    pub config: heshen_core::rule::LegacyConfig,
}

/// Known entries; a flood of made-up ids lands in [`Lookups::missing`] and cannot evict them.
const KNOWN_CAPACITY: u64 = 100_000;
const MISSING_CAPACITY: u64 = 10_000;

/// A read-through cache of one kind of record: bounded, expiring after the configured TTL,
/// and single-flight (concurrent misses on one id cost one database read).
struct Lookups<V: Clone + Send + Sync + 'static> {
    known: Cache<String, V>,
    missing: Cache<String, ()>,
}

enum Miss {
    Absent,
    Failed(ServiceError),
}

impl<V: Clone + Send + Sync + 'static> Lookups<V> {
    fn new(ttl: std::time::Duration) -> Self {
        Self {
            known: Cache::builder()
                .max_capacity(KNOWN_CAPACITY)
                .time_to_live(ttl)
                .build(),
            missing: Cache::builder()
                .max_capacity(MISSING_CAPACITY)
                .time_to_live(ttl)
                .build(),
        }
    }

    async fn get<F>(&self, id: &str, load: F) -> ServiceResult<Option<V>>
    where
        F: Future<Output = ServiceResult<Option<V>>>,
    {
        if self.missing.contains_key(id) {
            return Ok(None);
        }
        let loaded = self
            .known
            .try_get_with_by_ref(id, async {
                match load.await {
                    Ok(Some(value)) => Ok(value),
                    Ok(None) => Err(Miss::Absent),
                    Err(err) => Err(Miss::Failed(err)),
                }
            })
            .await;
        match loaded {
            Ok(value) => Ok(Some(value)),
            Err(miss) => match miss.as_ref() {
                Miss::Absent => {
                    self.missing.insert(id.to_string(), ()).await;
                    Ok(None)
                }
                Miss::Failed(err) => Err(err.clone()),
            },
        }
    }

    async fn invalidate(&self, id: &str) {
        self.known.invalidate(id).await;
        self.missing.invalidate(id).await;
    }

    #[cfg(test)]
    fn entries(&self) -> (u64, u64) {
        (self.known.entry_count(), self.missing.entry_count())
    }
}

pub(crate) fn parse_config<C: serde::de::DeserializeOwned>(
    what: &'static str,
    stored: &serde_json::Value,
) -> ServiceResult<C> {
    C::deserialize(stored).map_err(|e| ServiceError::corrupt(what, e))
}

/// An unknown status word serves nothing: it reads as not yet reviewed.
fn review_status(stored: &str) -> ReviewStatus {
    ReviewStatus::parse(stored).unwrap_or(ReviewStatus::Pending)
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ServiceConfig,
    clock: Clock,
    keys: KeyRing,
    outbound: Outbound,
    api_keys: Lookups<KeyEntry>,
    rules: Lookups<RuleEntry>,
    merchants: Lookups<MerchantEntry>,
    legacy_apps: Lookups<LegacyAppEntry>,
    authority: OnceLock<Arc<dyn AuthoritySource>>,
    vision: OnceLock<Vision>,
    jobs_queued: tokio::sync::Notify,
}

impl AppState {
    /// The state with heshen's own registry as the authority source.
    pub fn new(store: Store, config: ServiceConfig, keys: KeyRing) -> ServiceResult<Self> {
        let outbound = Outbound::new(config.outbound.clone())
            .map_err(|e| ServiceError::Internal(format!("the outbound HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                api_keys: Lookups::new(config.cache_ttl),
                rules: Lookups::new(config.cache_ttl),
                merchants: Lookups::new(config.cache_ttl),
                legacy_apps: Lookups::new(config.cache_ttl),
                store,
                config,
                clock: Clock::default(),
                keys,
                outbound,
                authority: OnceLock::new(),
                vision: OnceLock::new(),
                jobs_queued: tokio::sync::Notify::new(),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn keys(&self) -> &KeyRing {
        &self.inner.keys
    }

    pub fn outbound(&self) -> &Outbound {
        &self.inner.outbound
    }

    /// Replaces heshen's own registry with another authority source; only before first use.
    pub fn use_authority(&self, source: Arc<dyn AuthoritySource>) -> bool {
        self.inner.authority.set(source).is_ok()
    }

    pub fn authority(&self) -> &dyn AuthoritySource {
        self.inner
            .authority
            .get_or_init(|| Arc::new(RegistrySource::new(self.inner.store.clone())))
            .as_ref()
    }

    /// Gives the application its vision engine; vision work is refused until then.
    pub fn attach_vision(&self, vision: Vision) -> bool {
        self.inner.vision.set(vision).is_ok()
    }

    pub fn vision(&self) -> Option<&Vision> {
        self.inner.vision.get()
    }

    /// The vision engine, or the refusal a caller gets on a node started without one.
    pub fn require_vision(&self) -> ServiceResult<&Vision> {
        self.vision().ok_or(ServiceError::VisionUnavailable)
    }

    /// Tells this node's job loop that a job was queued.
    pub fn wake_jobs(&self) {
        self.inner.jobs_queued.notify_one();
    }

    /// Resolves when a job was queued on this node (or already had been).
    pub async fn jobs_woken(&self) {
        self.inner.jobs_queued.notified().await;
    }

    pub async fn api_key(&self, secret_id: &str) -> ServiceResult<Option<KeyEntry>> {
        let store = &self.inner.store;
        self.inner
            .api_keys
            .get(secret_id, async {
                Ok(store.api_key(secret_id).await?.map(|k| KeyEntry {
                    secret_key: SecretString::from(k.secret_key),
                    app_id: k.app_id,
                    enabled: k.enabled,
                    allowed_ips: k.allowed_ips,
                }))
            })
            .await
    }

    pub async fn rule(&self, rule_id: &str) -> ServiceResult<Option<RuleEntry>> {
        let store = &self.inner.store;
        self.inner
            .rules
            .get(rule_id, async {
                let Some(r) = store.rule(rule_id).await? else {
                    return Ok(None);
                };
                Ok(Some(RuleEntry {
                    config: parse_config("rule configuration", &r.config)?,
                    status: review_status(&r.status),
                    rule_id: r.rule_id,
                    app_id: r.app_id,
                }))
            })
            .await
    }

    pub async fn merchant(&self, merchant_id: &str) -> ServiceResult<Option<MerchantEntry>> {
        let store = &self.inner.store;
        self.inner
            .merchants
            .get(merchant_id, async {
                let Some(m) = store.merchant(merchant_id).await? else {
                    return Ok(None);
                };
                Ok(Some(MerchantEntry {
                    config: parse_config("merchant configuration", &m.config)?,
                    status: review_status(&m.status),
                    merchant_id: m.merchant_id,
                    app_id: m.app_id,
                    name: m.name,
                }))
            })
            .await
    }

    /// A legacy appid's name and configuration, which never change after creation: every page
    /// of its flows reads them. (Signatures read the appid's status from the store, so that
    /// disabling it takes effect at once.)
    pub async fn legacy_app(&self, legacy_app_id: &str) -> ServiceResult<Option<LegacyAppEntry>> {
        let store = &self.inner.store;
        self.inner
            .legacy_apps
            .get(legacy_app_id, async {
                let Some(app) = store.legacy_app(legacy_app_id).await? else {
                    return Ok(None);
                };
                Ok(Some(LegacyAppEntry {
                    config: parse_config("legacy appid configuration", &app.config)?,
                    legacy_app_id: app.legacy_app_id,
                    name: app.name,
                }))
            })
            .await
    }

    /// Forget cached lookups after a local change (other nodes catch up within `cache_ttl`).
    pub async fn invalidate_key(&self, secret_id: &str) {
        self.inner.api_keys.invalidate(secret_id).await;
    }

    pub async fn invalidate_rule(&self, rule_id: &str) {
        self.inner.rules.invalidate(rule_id).await;
    }

    pub async fn invalidate_merchant(&self, merchant_id: &str) {
        self.inner.merchants.invalidate(merchant_id).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn unknown_ids_cannot_evict_known_ones() {
        let lookups: Lookups<u32> = Lookups::new(Duration::from_secs(60));
        let loads = AtomicUsize::new(0);
        let known = lookups
            .get("known", async {
                loads.fetch_add(1, Ordering::Relaxed);
                Ok(Some(7))
            })
            .await
            .unwrap();
        assert_eq!(known, Some(7));
        for i in 0..(MISSING_CAPACITY * 3) {
            let id = format!("made-up-{i}");
            assert_eq!(lookups.get(&id, async { Ok(None) }).await.unwrap(), None);
        }
        lookups.known.run_pending_tasks().await;
        lookups.missing.run_pending_tasks().await;
        let (known_entries, missing_entries) = lookups.entries();
        assert_eq!(known_entries, 1);
        assert!(missing_entries <= MISSING_CAPACITY, "{missing_entries}");
        let again = lookups
            .get("known", async {
                loads.fetch_add(1, Ordering::Relaxed);
                Ok(Some(8))
            })
            .await
            .unwrap();
        assert_eq!(again, Some(7), "served from the cache");
        assert_eq!(loads.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let lookups: Lookups<u32> = Lookups::new(Duration::from_secs(60));
        let failed = lookups
            .get("x", async { Err(ServiceError::Storage("down".into())) })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            lookups.get("x", async { Ok(Some(1)) }).await.unwrap(),
            Some(1)
        );
    }
}
