//! A small windowed counter per key (a client address) for what anyone may do without an account:
//! filing a report, looking a tracking code up. Kept in memory: a restart forgets it, which is
//! acceptable for a flood guard; the clock is the app's, so tests can move it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Keys kept before old windows are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct Limiter {
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl Limiter {
    /// Counts one attempt of `key` at `now` (ms); false when `max` were already counted in the
    /// window of `window_ms` that started with the key's first attempt.
    pub fn allow(&self, key: &str, now: i64, max: u32, window_ms: i64) -> bool {
        // A panic while holding the lock leaves only counters behind: keep using them.
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > SWEEP_ABOVE {
            hits.retain(|_, (start, _)| now - *start < window_ms);
        }
        let entry = hits.entry(key.to_string()).or_insert((now, 0));
        if now - entry.0 >= window_ms {
            *entry = (now, 0);
        }
        if entry.1 >= max {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Limiter;

    #[test]
    fn counts_per_key_within_the_window() {
        let l = Limiter::default();
        assert!(l.allow("a", 0, 2, 1000));
        assert!(l.allow("a", 10, 2, 1000));
        assert!(!l.allow("a", 20, 2, 1000), "the third in the window");
        assert!(l.allow("b", 20, 2, 1000), "another address");
        assert!(l.allow("a", 1000, 2, 1000), "a new window");
    }
}
