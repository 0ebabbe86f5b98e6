//! The in-process cache of decrypted secrets. Keyed by everything that
//! decides the answer (table, region, name, version, context, and the
//! caller's credentials, so one identity never sees what another fetched),
//! with a TTL. Concurrent first requests for one key share a single fetch:
//! one KMS Decrypt, not one per thread. Expired entries are dropped (their
//! plaintexts wiped) whenever the cache is used, not only when the same key
//! is asked for again; a child after `fork()` starts with an empty cache.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::store::Context;
use crate::Result;
use crate::sync::Locked;

pub type Secret = Arc<Zeroizing<Vec<u8>>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub table: String,
    pub region: String,
    pub name: String,
    pub version: Option<String>,
    pub context: Vec<(String, String)>,
    pub caller: String,
    /// The KMS keys the read trusted (`decrypt_keys`): narrowing them must
    /// not keep serving what a wider list let in.
    pub trusted: Vec<String>,
}

impl Key {
    pub fn new(table: &str, region: &str, name: &str, version: Option<&str>, context: &Context, caller: &str) -> Key {
        Key {
            table: table.into(),
            region: region.into(),
            name: name.into(),
            version: version.map(str::to_string),
            context: context.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            caller: caller.into(),
            trusted: Vec::new(),
        }
    }
}

type Slot = Arc<OnceCell<(Instant, Secret)>>;

struct Entry {
    slot: Slot,
    ttl: Duration,
}

impl Entry {
    fn expired(&self) -> bool {
        self.slot.get().is_some_and(|(at, _)| at.elapsed() >= self.ttl)
    }
}

/// The slots of the process that made them: a child after `fork()` starts
/// empty, since a fetch in flight in the parent never completes there.
struct Slots {
    pid: u32,
    map: HashMap<Key, Entry>,
}

static SLOTS: Mutex<Option<Slots>> = Mutex::new(None);

/// How long a caller waits for another's fetch of the same secret before
/// fetching it itself. Longer than a healthy fetch (AWS calls are bounded at
/// 20 s each): it only matters when the fetching task is gone.
const SHARED_FETCH_WAIT: Duration = Duration::from_secs(45);

/// How long to wait for the cache's lock. It is held for microseconds, so
/// this only runs out when a thread held it while the process forked (the
/// child's copy stays locked forever); the cache is then bypassed.
const LOCK_WAIT: Duration = Duration::from_secs(2);

fn lock() -> Option<MutexGuard<'static, Option<Slots>>> {
    let started = Instant::now();
    loop {
        match SLOTS.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_micros(50));
            }
            Err(TryLockError::WouldBlock) => return None,
        }
    }
}

/// This process's slots, with expired entries evicted: their plaintexts are
/// wiped as soon as nobody else holds them.
fn slots(guard: &mut Option<Slots>) -> &mut HashMap<Key, Entry> {
    let pid = std::process::id();
    if guard.as_ref().is_some_and(|s| s.pid != pid) {
        // Inherited through fork. A slot still being filled may have waiters
        // that never wake here: leak it rather than drop it; the rest drops.
        if let Some(stale) = guard.take() {
            for (_, entry) in stale.map {
                if entry.slot.initialized() {
                    drop(entry);
                } else {
                    std::mem::forget(entry);
                }
            }
        }
    }
    let slots = guard.get_or_insert_with(|| Slots { pid, map: HashMap::new() });
    slots.map.retain(|_, entry| !entry.expired());
    &mut slots.map
}

/// The slot for `key`: a fresh one, or the one a concurrent fetch is filling.
fn slot(key: &Key, ttl: Duration) -> Option<Slot> {
    let mut guard = lock()?;
    let map = slots(&mut guard);
    if let Some(existing) = map.get(key) {
        return Some(existing.slot.clone());
    }
    let new = Slot::default();
    map.insert(key.clone(), Entry { slot: new.clone(), ttl });
    Some(new)
}

/// Returns the cached secret for `key`, or runs `fetch` once (shared by
/// concurrent callers) and caches its success for `ttl`. A zero TTL bypasses
/// the cache entirely; errors are never cached.
pub async fn get_or_fetch<F, Fut>(key: Key, ttl: Duration, fetch: F) -> Result<Secret>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Zeroizing<Vec<u8>>>>,
{
    get_or_fetch_within(key, ttl, SHARED_FETCH_WAIT, fetch).await
}

async fn get_or_fetch_within<F, Fut>(key: Key, ttl: Duration, patience: Duration, fetch: F) -> Result<Secret>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Zeroizing<Vec<u8>>>>,
{
    let slot = if ttl.is_zero() { None } else { slot(&key, ttl) };
    let Some(slot) = slot else {
        log::debug!("secret {:?} in {}: cache off (cache_ttl = 0)", key.name, key.table);
        return fetch().await.map(Arc::new);
    };
    let hit = if slot.get().is_some() { "hit" } else { "miss" };
    log::debug!("secret cache {hit}: {:?} in {} ({})", key.name, key.table, key.region);
    // Shared by the initialiser (if this caller becomes it) and the bypass
    // below (if it does not), which never both run.
    let fetch = Mutex::new(Some(fetch));
    let take = || fetch.locked().take();
    let shared = slot.get_or_try_init(|| async {
        // Never None: after the bypass took it, `shared` is not polled again.
        let fetch = take().ok_or_else(|| crate::Error::Operational("a secret fetch ran twice".into()))?;
        Ok::<_, crate::Error>((Instant::now(), Arc::new(fetch().await?)))
    });
    tokio::pin!(shared);
    let waited = tokio::time::sleep(patience);
    tokio::pin!(waited);
    loop {
        tokio::select! {
            result = &mut shared => return Ok(result?.1.clone()),
            // Another caller's fetch never finished (its task is gone, e.g.
            // in a forked child): fetch without the cache. Our own fetch,
            // once started, is never abandoned.
            () = &mut waited => match take() {
                Some(fetch) => return fetch().await.map(Arc::new),
                None => waited.as_mut().reset(tokio::time::Instant::now() + patience),
            },
        }
    }
}

/// Forgets one key (e.g. a password the server just rejected).
pub fn forget(key: &Key) {
    if let Some(mut guard) = lock() {
        slots(&mut guard).remove(key);
    }
}

/// Forgets everything (`middleware.clear_cache()`).
pub fn clear() {
    if let Some(mut guard) = lock() {
        slots(&mut guard).clear();
    }
}

/// How many secrets are held (tests).
#[cfg(test)]
fn held() -> usize {
    lock().map_or(0, |mut guard| slots(&mut guard).len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(name: &str) -> Key {
        Key::new("t", "r", name, None, &Context::new(), "AKIA")
    }

    /// The cache is one per process: tests that look at all of it take turns.
    static WHOLE_CACHE: Mutex<()> = Mutex::new(());

    fn whole_cache() -> MutexGuard<'static, ()> {
        WHOLE_CACHE.locked()
    }

    #[allow(clippy::unnecessary_wraps)] // what a fetch returns
    fn value(v: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(v.to_vec()))
    }

    #[test]
    fn expired_entries_are_evicted_when_any_other_entry_is_used() {
        let _turn = whole_cache();
        crate::runtime::block_on(async {
            let old = get_or_fetch(key("short-lived"), Duration::from_millis(5), || async { value(b"old") }).await;
            let weak = Arc::downgrade(&old.unwrap());
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(weak.upgrade().is_some(), "still held by the cache until it is next used");
            get_or_fetch(key("other"), Duration::from_secs(60), || async { value(b"x") }).await.unwrap();
            assert!(weak.upgrade().is_none(), "the expired plaintext was dropped (and so wiped)");
        });
    }

    #[test]
    fn a_child_after_fork_does_not_wait_for_the_parents_fetch() {
        let _turn = whole_cache();
        // What a child inherits when another thread was fetching at fork():
        // a slot that will never be filled, under the parent's pid.
        let inherited = Slots {
            pid: std::process::id().wrapping_add(1),
            map: HashMap::from([(key("in-flight"), Entry { slot: Slot::default(), ttl: Duration::from_secs(60) })]),
        };
        *lock().unwrap() = Some(inherited);
        let started = Instant::now();
        let got = crate::runtime::block_on(get_or_fetch(key("in-flight"), Duration::from_secs(60), || async {
            value(b"fresh")
        }));
        assert_eq!(got.unwrap().as_slice(), b"fresh");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(held(), 1, "the parent's slots are gone");
    }

    #[test]
    fn a_fetch_that_never_finishes_is_waited_for_only_so_long() {
        let _turn = whole_cache();
        crate::runtime::block_on(async {
            let stuck = crate::runtime::spawn(get_or_fetch(key("stuck"), Duration::from_secs(60), || async {
                std::future::pending::<Result<Zeroizing<Vec<u8>>>>().await
            }));
            tokio::time::sleep(Duration::from_millis(20)).await;
            let started = Instant::now();
            let got =
                get_or_fetch_within(key("stuck"), Duration::from_secs(60), Duration::from_millis(100), || async {
                    value(b"own")
                });
            assert_eq!(got.await.unwrap().as_slice(), b"own");
            assert!(started.elapsed() < Duration::from_secs(2));
            stuck.abort();
        });
    }

    #[test]
    fn concurrent_first_requests_share_one_fetch_and_errors_are_not_cached() {
        let _turn = whole_cache();
        crate::runtime::block_on(async {
            let calls = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..8 {
                let calls = calls.clone();
                handles.push(crate::runtime::spawn(async move {
                    get_or_fetch(key("shared"), Duration::from_secs(60), || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(Zeroizing::new(b"v".to_vec()))
                    })
                    .await
                    .unwrap()
                }));
            }
            for h in handles {
                assert_eq!(h.await.unwrap().as_slice(), b"v");
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1);

            let failed = get_or_fetch(key("flaky"), Duration::from_secs(60), || async {
                Err(crate::Error::Operational("boom".into()))
            })
            .await;
            assert!(failed.is_err());
            let ok =
                get_or_fetch(key("flaky"), Duration::from_secs(60), || async { Ok(Zeroizing::new(b"w".to_vec())) });
            assert_eq!(ok.await.unwrap().as_slice(), b"w");
        });
    }

    #[test]
    fn entries_expire_and_a_zero_ttl_bypasses() {
        let _turn = whole_cache();
        crate::runtime::block_on(async {
            let calls = AtomicUsize::new(0);
            for ttl in [Duration::from_millis(1), Duration::ZERO] {
                for _ in 0..2 {
                    get_or_fetch(key(&format!("ttl{ttl:?}")), ttl, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok(Zeroizing::new(Vec::new()))
                    })
                    .await
                    .unwrap();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            assert_eq!(calls.load(Ordering::SeqCst), 4);
        });
    }
}
