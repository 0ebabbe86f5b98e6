//! The process caches that share a shape (the secret cache, with its shared
//! fetches, is `credstash/cache.rs`):
//! - [`Bounded`]: a few entries per process (SDK configs, credstash stores,
//!   identities), the oldest dropped beyond a bound;
//! - [`Expiring`]: entries that carry their own deadline (Redshift's
//!   temporary credentials, RDS tokens), dropped whenever the cache is used;
//!   a child after `fork()` starts empty (what the parent fetched was for its
//!   own connections).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

use crate::sync::Locked;

/// At most `N` entries, in insertion order; a lookup is a linear scan (the
/// caches hold a handful of identities).
pub struct Bounded<K, V, const N: usize> {
    entries: Mutex<Vec<(K, V)>>,
}

impl<K: Eq, V: Clone, const N: usize> Bounded<K, V, N> {
    pub const fn new() -> Self {
        Bounded { entries: Mutex::new(Vec::new()) }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.locked().iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `key` (replacing an earlier one), dropping the
    /// oldest entry when full.
    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.locked();
        entries.retain(|(k, _)| *k != key);
        if entries.len() >= N {
            entries.remove(0);
        }
        entries.push((key, value));
    }

    /// Changes the value kept for `key`, if there is one.
    pub fn update(&self, key: &K, change: impl FnOnce(&mut V)) {
        if let Some((_, v)) = self.entries.locked().iter_mut().find(|(k, _)| k == key) {
            change(v);
        }
    }

    pub fn clear(&self) {
        self.entries.locked().clear();
    }
}

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
    fn bounded_keeps_the_newest_n() {
        let cache: Bounded<u32, &str, 2> = Bounded::new();
        cache.insert(1, "a");
        cache.insert(2, "b");
        cache.insert(1, "a2"); // replaced, now the newest
        cache.insert(3, "c"); // drops 2, the oldest
        assert_eq!((cache.get(&1), cache.get(&2), cache.get(&3)), (Some("a2"), None, Some("c")));
        cache.update(&3, |v| *v = "c2");
        assert_eq!(cache.get(&3), Some("c2"));
        cache.clear();
        assert_eq!(cache.get(&1), None);
    }

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
