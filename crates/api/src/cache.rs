//! A small time-bounded cache for hot lookups (API keys, rules, merchants), so the
//! request path does not hit the database every time. Entries live `ttl`; a
//! disabled key or rule therefore stops working on every node within that time.

use dashmap::DashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 100_000;

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: DashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: DashMap::new(),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entry = self.entries.get(key)?;
        (entry.0.elapsed() < self.ttl).then(|| entry.1.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if self.entries.len() >= MAX_ENTRIES {
            // Unknown SecretIds are cached too; never let a flood of them grow memory.
            self.entries.clear();
        }
        self.entries.insert(key, (Instant::now(), value));
    }

    pub fn invalidate(&self, key: &K) {
        self.entries.remove(key);
    }
}
