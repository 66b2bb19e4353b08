//! Keyed rate limits (GCRA, from `governor`) whose idle keys are evicted, so callers that
//! come and go, or keys an attacker makes up, cannot grow memory without bound.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every this many checks, keys whose bucket is full again (idle) are dropped.
const EVICT_EVERY: u64 = 4096;

pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `per_second` requests per second per key, with a burst of as many.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::dashmap(Quota::per_second(per_second)),
            checks: AtomicU64::new(0),
        }
    }

    /// `per_minute` requests per minute per key, with a burst of as many.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::dashmap(Quota::per_minute(per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one cell for `key`; `false` means the key is over its limit.
    pub fn check(&self, key: &K) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            self.evict_idle();
        }
        self.limiter.check_key(key).is_ok()
    }

    /// Drops the keys that are back to a full burst: forgetting them changes nothing.
    pub fn evict_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_and_separates_keys() {
        let limiter = KeyedLimiter::per_second(NonZeroU32::new(5).unwrap());
        let granted = (0..20).filter(|_| limiter.check(&"a")).count();
        assert!((5..=6).contains(&granted), "{granted}");
        assert!(limiter.check(&"b"));
    }

    #[test]
    fn idle_keys_are_evicted() {
        let limiter = KeyedLimiter::per_second(NonZeroU32::new(1000).unwrap());
        for i in 0..10_000u32 {
            limiter.check(&i);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        limiter.evict_idle();
        assert!(limiter.len() < 100, "{} keys remain", limiter.len());
    }
}
