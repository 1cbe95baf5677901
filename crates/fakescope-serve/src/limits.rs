//! Per-key request rates: a token bucket per key, refilled continuously.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets by key id.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// Takes one request from `key`'s bucket of `per_minute` requests per minute (as burst
    /// too). `Err(seconds)` until the next token when the bucket is empty.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), u64> {
        self.check_at(key, per_minute, Instant::now())
    }

    fn check_at(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), u64> {
        if per_minute == 0 {
            return Err(60);
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..6 {
            limiter.check_at("k", 6, t0).unwrap();
        }
        // Six per minute: one every ten seconds.
        assert_eq!(limiter.check_at("k", 6, t0), Err(10));
        // Another key has its own bucket.
        limiter.check_at("other", 6, t0).unwrap();
        assert!(
            limiter
                .check_at("k", 6, t0 + Duration::from_secs(10))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("k", 6, t0 + Duration::from_secs(11))
                .is_err()
        );
    }
}
