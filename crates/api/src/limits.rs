//! Per-SecretId, per-action request rates (FaceID's published rate of 100 requests/s for
//! DetectAuth, GetDetectInfoEnhanced and the eID actions; a default for the rest). Limits are
//! per server node.

use heshen_core::Action;
use heshen_service::ratelimit::KeyedLimiter;
use std::collections::HashMap;
use std::num::NonZeroU32;

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Requests per second per SecretId for actions without their own entry; 0 = unlimited.
    pub default_per_second: u32,
    pub per_action: HashMap<Action, u32>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            default_per_second: 20,
            per_action: Action::ALL
                .iter()
                .filter_map(|a| a.published_rate_limit().map(|n| (*a, n)))
                .collect(),
        }
    }
}

impl RateLimits {
    pub fn limit_for(&self, action: Action) -> u32 {
        self.per_action
            .get(&action)
            .copied()
            .unwrap_or(self.default_per_second)
    }

    /// Per-action overrides by wire name, as configuration files write them.
    pub fn with_overrides(mut self, named: &HashMap<String, u32>) -> Result<Self, String> {
        for (name, rate) in named {
            let action = Action::parse(name).ok_or_else(|| {
                format!("rate_limits names `{name}`, which is not a faceid action")
            })?;
            self.per_action.insert(action, *rate);
        }
        Ok(self)
    }
}

/// One limiter per action, keyed by SecretId; actions without a limit have none.
pub struct RateLimiter {
    by_action: HashMap<Action, KeyedLimiter<String>>,
}

impl RateLimiter {
    pub fn new(limits: &RateLimits) -> Self {
        let by_action = Action::ALL
            .iter()
            .filter_map(|action| {
                NonZeroU32::new(limits.limit_for(*action))
                    .map(|rate| (*action, KeyedLimiter::per_second(rate)))
            })
            .collect();
        Self { by_action }
    }

    /// Takes one request; `false` means the SecretId is over the action's limit.
    pub fn try_acquire(&self, secret_id: &str, action: Action) -> bool {
        match self.by_action.get(&action) {
            Some(limiter) => limiter.check(&secret_id.to_string()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_and_separates_callers() {
        let mut limits = RateLimits::default();
        limits.per_action.insert(Action::GetLiveCode, 5);
        let limiter = RateLimiter::new(&limits);
        let granted = (0..20)
            .filter(|_| limiter.try_acquire("a", Action::GetLiveCode))
            .count();
        assert!((5..=6).contains(&granted), "{granted}");
        assert!(limiter.try_acquire("b", Action::GetLiveCode));
        assert!(limiter.try_acquire("a", Action::GetActionSequence));
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(&RateLimits {
            default_per_second: 0,
            per_action: HashMap::new(),
        });
        assert!((0..10_000).all(|_| limiter.try_acquire("a", Action::GetLiveCode)));
    }

    #[test]
    fn overrides_must_name_real_actions() {
        let named = HashMap::from([("DetectAuth".to_string(), 7)]);
        let limits = RateLimits::default().with_overrides(&named).unwrap();
        assert_eq!(limits.limit_for(Action::DetectAuth), 7);
        let typo = HashMap::from([("DetectAuht".to_string(), 7)]);
        assert!(RateLimits::default().with_overrides(&typo).is_err());
    }
}
