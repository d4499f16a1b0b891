//! Token buckets for the rate limits: token exchange (per address, counting refusals) and writes
//! (per session). Kept in-house rather than tower_governor: the limits key on what only a handler
//! knows (a refused exchange, a session), which a middleware keyed on the request cannot see, and a
//! bucket is a few lines where the crate brings a concurrent map and a clock abstraction.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct Limiter {
    /// Tokens added per second.
    rate: f64,
    /// Most tokens a bucket holds (the burst allowed).
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Buckets kept before full ones are forgotten (a full bucket is the same as none).
const KEEP: usize = 10_000;

impl Limiter {
    pub fn new(rate: f64, burst: f64) -> Limiter {
        Limiter {
            rate,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, key: &str, f: impl FnOnce(&mut f64) -> T) -> T {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > KEEP {
            let (rate, burst) = (self.rate, self.burst);
            map.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let entry = map.entry(key.to_string()).or_insert((self.burst, now));
        entry.0 = (entry.0 + now.duration_since(entry.1).as_secs_f64() * self.rate).min(self.burst);
        entry.1 = now;
        f(&mut entry.0)
    }

    /// Whether `key` has a token left, without spending it.
    pub fn has(&self, key: &str) -> bool {
        self.with(key, |t| *t >= 1.0)
    }

    /// Spend a token of `key`'s; false (and nothing spent) when none is left.
    pub fn take(&self, key: &str) -> bool {
        self.with(key, |t| {
            if *t >= 1.0 {
                *t -= 1.0;
                true
            } else {
                false
            }
        })
    }

    /// Spend a token whether or not one is left (a refusal is counted even when over the limit).
    pub fn spend(&self, key: &str) {
        self.with(key, |t| *t = (*t - 1.0).max(0.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let l = Limiter::new(0.0, 3.0);
        assert!(l.take("a") && l.take("a") && l.take("a"));
        assert!(!l.take("a"));
        assert!(l.take("b"), "buckets are per key");
        l.spend("c");
        l.spend("c");
        l.spend("c");
        assert!(!l.has("c"));
    }
}
