//! A small process cache whose entries carry their own deadline: temporary
//! database credentials (Redshift's live until their `Expiration`, RDS tokens
//! 15 minutes). Expired entries are dropped whenever the cache is used, and a
//! child after `fork()` starts empty (what the parent fetched was for the
//! parent's connections and credentials).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

use crate::sync::Locked;

pub struct Expiring<K, V> {
    inner: Mutex<Option<Entries<K, V>>>,
}

struct Entries<K, V> {
    pid: u32,
    map: HashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash, V: Clone> Expiring<K, V> {
    pub const fn new() -> Self {
        Expiring { inner: Mutex::new(None) }
    }

    /// The value for `key`, unless it is past its deadline.
    pub fn get(&self, key: &K) -> Option<V> {
        self.with(|map| map.get(key).map(|(_, v)| v.clone()))
    }

    /// Keeps `value` until `deadline` (an entry already past it is not kept).
    pub fn insert(&self, key: K, value: V, deadline: Instant) {
        if deadline > Instant::now() {
            self.with(|map| map.insert(key, (deadline, value)));
        }
    }

    /// Forgets `key`, e.g. after the database refused what it held.
    pub fn remove(&self, key: &K) {
        self.with(|map| map.remove(key));
    }

    /// Forgets everything (`middleware.clear_cache()`).
    pub fn clear(&self) {
        self.with(HashMap::clear);
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<K, (Instant, V)>) -> T) -> T {
        let mut guard = self.inner.locked();
        let pid = std::process::id();
        if guard.as_ref().is_some_and(|e| e.pid != pid) {
            *guard = None;
        }
        let entries = guard.get_or_insert_with(|| Entries { pid, map: HashMap::new() });
        let now = Instant::now();
        entries.map.retain(|_, (deadline, _)| *deadline > now);
        f(&mut entries.map)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn entries_live_until_their_own_deadline() {
        let cache: Expiring<&str, u32> = Expiring::new();
        let now = Instant::now();
        cache.insert("long", 1, now + Duration::from_secs(60));
        cache.insert("short", 2, now + Duration::from_millis(30));
        cache.insert("past", 3, now);
        assert_eq!(cache.get(&"long"), Some(1));
        assert_eq!(cache.get(&"short"), Some(2));
        assert_eq!(cache.get(&"past"), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&"short"), None);
        cache.remove(&"long");
        assert_eq!(cache.get(&"long"), None);
    }
}
