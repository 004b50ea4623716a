//! Small in-process caches of rows that change rarely and are read on every resident request
//! (the problem categories, a village by its code). An entry is read again after a fixed time,
//! so a change made by another process (another server on the same PostgreSQL, a hand edit) is
//! seen within it; a change made through this store clears the cache at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recent<K, V> {
    entries: Arc<Mutex<HashMap<K, (Instant, V)>>>,
    ttl: Duration,
    /// At most this many entries; a full cache starts again empty (cheap, and a flood of
    /// lookups of different keys cannot grow it without bound).
    cap: usize,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    pub fn new(ttl: Duration, cap: usize) -> Self {
        Self {
            entries: Arc::new(Mutex::new(HashMap::new())),
            ttl,
            cap: cap.max(1),
        }
    }

    /// A panic while the lock was held leaves at worst whole entries behind: use them.
    fn lock(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value kept for `key` if it was read less than the cache's time ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        let (at, v) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.len() >= self.cap {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let c: Recent<u32, &str> = Recent::new(Duration::from_millis(30), 2);
        c.put(1, "a");
        assert_eq!(c.get(&1), Some("a"));
        c.put(2, "b");
        c.put(3, "c");
        assert_eq!(
            (c.get(&1), c.get(&3)),
            (None, Some("c")),
            "full: started again"
        );
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&3), None, "read again after the time");
        c.put(4, "d");
        c.clear();
        assert_eq!(c.get(&4), None);
    }
}
