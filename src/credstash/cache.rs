//! The in-process cache of decrypted secrets. Keyed by everything that
//! decides the answer (table, region, name, version, context, and the
//! caller's credentials, so one identity never sees what another fetched),
//! with a TTL. Concurrent first requests for one key share a single fetch:
//! one KMS Decrypt, not one per thread.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::store::Context;
use crate::Result;

pub type Secret = Arc<Zeroizing<Vec<u8>>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub table: String,
    pub region: String,
    pub name: String,
    pub version: Option<String>,
    pub context: Vec<(String, String)>,
    pub caller: String,
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
        }
    }
}

type Slot = Arc<OnceCell<(Instant, Secret)>>;

static SLOTS: Mutex<Option<HashMap<Key, Slot>>> = Mutex::new(None);

fn slot(key: &Key, ttl: Duration) -> Slot {
    let mut guard = SLOTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let slots = guard.get_or_insert_with(HashMap::new);
    if let Some(existing) = slots.get(key) {
        let fresh = existing.get().is_none_or(|(at, _)| at.elapsed() < ttl);
        if fresh {
            return existing.clone();
        }
    }
    let new = Slot::default();
    slots.insert(key.clone(), new.clone());
    new
}

/// Returns the cached secret for `key`, or runs `fetch` once (shared by
/// concurrent callers) and caches its success for `ttl`. A zero TTL bypasses
/// the cache entirely; errors are never cached.
pub async fn get_or_fetch<F, Fut>(key: Key, ttl: Duration, fetch: F) -> Result<Secret>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Zeroizing<Vec<u8>>>>,
{
    if ttl.is_zero() {
        return fetch().await.map(Arc::new);
    }
    let slot = slot(&key, ttl);
    let (_, secret) =
        slot.get_or_try_init(|| async { Ok::<_, crate::Error>((Instant::now(), Arc::new(fetch().await?))) }).await?;
    Ok(secret.clone())
}

/// Forgets one key (e.g. a password the server just rejected).
pub fn forget(key: &Key) {
    if let Some(slots) = SLOTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_mut() {
        slots.remove(key);
    }
}

/// Forgets everything (`middleware.clear_cache()`).
pub fn clear() {
    *SLOTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(name: &str) -> Key {
        Key::new("t", "r", name, None, &Context::new(), "AKIA")
    }

    #[test]
    fn concurrent_first_requests_share_one_fetch_and_errors_are_not_cached() {
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
