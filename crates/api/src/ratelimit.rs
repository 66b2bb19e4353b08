//! Per-SecretId, per-action token buckets (FaceID's default: 100 requests/s for
//! DetectAuth and GetDetectInfoEnhanced). Buckets are per server node.

use dashmap::DashMap;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Requests per second per SecretId for actions without their own entry; 0 = unlimited.
    pub default_per_second: u32,
    pub per_action: HashMap<String, u32>,
}

impl Default for RateLimits {
    fn default() -> Self {
        let per_action = [
            ("DetectAuth", 100),
            ("GetDetectInfoEnhanced", 100),
            ("GetEidToken", 100),
            ("GetEidResult", 100),
        ]
        .into_iter()
        .map(|(a, n)| (a.to_string(), n))
        .collect();
        Self {
            default_per_second: 20,
            per_action,
        }
    }
}

impl RateLimits {
    pub fn limit_for(&self, action: &str) -> u32 {
        self.per_action
            .get(action)
            .copied()
            .unwrap_or(self.default_per_second)
    }
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

pub struct RateLimiter {
    limits: RateLimits,
    buckets: DashMap<(String, String), Mutex<Bucket>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: DashMap::new(),
        }
    }

    /// Takes one token; `false` means the caller is over its limit.
    pub fn try_acquire(&self, secret_id: &str, action: &str) -> bool {
        let rate = self.limits.limit_for(action);
        if rate == 0 {
            return true;
        }
        let rate = f64::from(rate);
        let key = (secret_id.to_string(), action.to_string());
        let entry = self.buckets.entry(key).or_insert_with(|| {
            Mutex::new(Bucket {
                tokens: rate,
                refilled: Instant::now(),
            })
        });
        let mut bucket = entry.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_and_separates_callers() {
        let mut limits = RateLimits::default();
        limits.per_action.insert("X".into(), 5);
        let limiter = RateLimiter::new(limits);
        let granted = (0..20).filter(|_| limiter.try_acquire("a", "X")).count();
        assert_eq!(granted, 5);
        assert!(limiter.try_acquire("b", "X"));
        assert!(limiter.try_acquire("a", "OtherAction"));
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(RateLimits {
            default_per_second: 0,
            per_action: HashMap::new(),
        });
        assert!((0..10_000).all(|_| limiter.try_acquire("a", "Y")));
    }
}
