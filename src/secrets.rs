//! The secrets service shared by the Python API and the CLI: configuration
//! and per-call overrides -> a credstash [`Store`], through the cache.
//!
//! Where secret material lives, and when it is wiped (reviewed; the parts we
//! cannot observe from a test):
//! - KMS data keys: copied out of the SDK's response into `Zeroizing` buffers
//!   (`store.rs`), wiped when the seal/open returns. The SDK's own response
//!   `Blob` is dropped right after the copy but not wiped (it offers no hook).
//! - Plaintexts: decrypted into `Zeroizing<Vec<u8>>`; the cache holds them as
//!   `Arc<Zeroizing<..>>`, wiped when the last holder drops them (expired
//!   entries are evicted whenever the cache is used; `clear_cache()`).
//! - Database passwords: `connect::Params.password` is `Zeroizing<String>`;
//!   tokio-postgres copies it into its `Config` for the handshake, dropped
//!   (not wiped) when `connect` returns. `middleware connect` writes it to a
//!   0600 passfile (in `$XDG_RUNTIME_DIR` when set) deleted as soon as psql
//!   exits or `middleware` gets SIGHUP/SIGTERM/SIGINT (`cli/psql.rs`).
//! - Text copies: `text()` returns `Zeroizing<String>`; the CLI renders
//!   secrets and the passfile line into buffers sized up front (no copy left
//!   behind by a reallocation) and wiped on drop.
//! - Data keys from a KMS key not in `decrypt_keys` are wiped unused
//!   (`credstash/keys.rs`).
//! - Values handed to Python (`get_secret`) become Python `str`/`bytes`, which
//!   Python cannot wipe: the caller owns that copy.
//! - Never: logs (the core logs nothing), Debug output (`Params`, `DbUser`
//!   redact), error text, process arguments (tests/test_leaks.py checks).

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::config::Config;
use crate::credstash::cache::{self, Secret};
use crate::credstash::crypto::Digest;
use crate::credstash::keys::Resolved;
use crate::credstash::store::{Context, Location, Put, SecretInfo, Store};
use crate::{Error, Result, aws};

/// Per-call choices that override `[credstash]` (keyword arguments, CLI flags).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub table: Option<String>,
    pub region: Option<String>,
    pub kms_region: Option<String>,
    pub profile: Option<String>,
    /// A role to assume first (credstash's `-n/--arn`).
    pub assume_role: Option<String>,
    /// The role's external id, when its trust policy asks for one.
    pub external_id: Option<String>,
}

impl Scope {
    pub fn location(&self, config: &Config) -> Location {
        let c = &config.credstash;
        Location {
            table: self.table.clone().unwrap_or_else(|| c.table.clone()),
            region: self.region.clone().or_else(|| c.region.clone()),
            kms_region: self.kms_region.clone().or_else(|| c.kms_region.clone()),
            target: aws::Target {
                profile: self.profile.clone(),
                assume_role: self.assume_role.clone(),
                external_id: self.external_id.clone(),
                ..aws::Target::default()
            },
            contact: config.access.contact.clone(),
            decrypt_keys: c.decrypt_keys(),
        }
    }
}

/// One secret's plaintext, from the cache when fresh.
pub async fn get(
    config: &Config,
    scope: &Scope,
    name: &str,
    version: Option<&str>,
    context: &Context,
) -> Result<Secret> {
    let got = async {
        let store = Store::shared(&scope.location(config)).await?;
        let key = store.cache_key(name, version, context);
        // Boxed: the AWS calls' futures are large, and the cache keeps this one.
        cache::get_or_fetch(key, config.credstash.cache_ttl, || Box::pin(store.get(name, version, context))).await
    };
    got.await.map_err(forget_rejected)
}

/// Drops one cached secret, so the next read goes to AWS (e.g. a password
/// the server just rejected: maybe rotated).
pub async fn forget(
    config: &Config,
    scope: &Scope,
    name: &str,
    version: Option<&str>,
    context: &Context,
) -> Result<()> {
    let store = Store::shared(&scope.location(config)).await?;
    cache::forget(&store.cache_key(name, version, context));
    Ok(())
}

/// Whether a secret's record can be read (DynamoDB only, nothing
/// decrypted): the table's region, for `doctor`.
pub async fn probe(config: &Config, scope: &Scope, name: &str) -> Result<String> {
    let probed = async {
        let store = Store::shared(&scope.location(config)).await?;
        store.fetch(name, None).await.map(|_| store.region().to_string())
    };
    probed.await.map_err(forget_rejected)
}

/// The trusted KMS keys with their ARNs (`decrypt_keys`, aliases resolved),
/// or None when any key is trusted.
pub async fn trusted_keys(config: &Config, scope: &Scope) -> Result<Option<Vec<Resolved>>> {
    Ok(Store::shared(&scope.location(config)).await?.pinned_keys().await)
}

/// AWS rejected the caller's credentials (a revoked or expired key): decided
/// here, once, for every operation of the service, the cached configs and
/// stores built on them are dropped, so new keys work without a restart.
fn forget_rejected(e: Error) -> Error {
    if matches!(&e, Error::Aws { aws_code: Some(code), .. } if aws::is_bad_credentials_code(code)) {
        aws::forget_all();
        crate::credstash::store::forget_all();
    }
    e
}

/// Decodes a secret as text, refusing binary data with a useful message. The
/// copy is wiped when dropped, like the bytes it came from.
pub fn text(name: &str, secret: &[u8]) -> Result<Zeroizing<String>> {
    let text = std::str::from_utf8(secret).map_err(|e| {
        Error::Data(format!(
            "secret {name:?} is not UTF-8 text (byte {} of {} is invalid): read it with get_secret_bytes()",
            e.valid_up_to(),
            secret.len()
        ))
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Every secret's latest (or given) version; fails as a whole if one fails.
pub async fn get_all(
    config: &Config,
    scope: &Scope,
    version: Option<&str>,
    context: &Context,
    pattern: Option<&str>,
) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>> {
    let all = async {
        let store = Store::shared(&scope.location(config)).await?;
        let names =
            store.names().await?.into_iter().filter(|n| pattern.is_none_or(|p| crate::glob::matches(p, n))).collect();
        store.get_many(names, version, context).await
    };
    all.await.map_err(forget_rejected)
}

pub async fn list(config: &Config, scope: &Scope) -> Result<Vec<SecretInfo>> {
    async { Store::shared(&scope.location(config)).await?.list().await }.await.map_err(forget_rejected)
}

/// What a put stores, with the config's defaults for what the caller left out.
#[derive(Debug, Default)]
pub struct PutRequest {
    pub name: String,
    pub value: Zeroizing<Vec<u8>>,
    pub version: Option<String>,
    pub autoversion: bool,
    pub context: Context,
    pub digest: Option<String>,
    pub kms_key: Option<String>,
    pub comment: Option<String>,
    pub algorithm: Option<String>,
}

/// Stores a new version; returns the stored (padded) version.
pub async fn put(config: &Config, scope: &Scope, req: &PutRequest) -> Result<String> {
    let digest = match req.digest.as_deref() {
        None => Digest::Sha256,
        Some(d) => Digest::parse(d).ok_or_else(|| {
            Error::Programming(format!("unsupported digest {d:?}: use one of {}", Digest::NAMES.join(", ")))
        })?,
    };
    let gcm = match req.algorithm.as_deref() {
        None | Some("aes-ctr-legacy") => false,
        Some("aes-gcm") => true,
        Some(other) => {
            return Err(Error::Programming(format!(
                "algorithm {other:?} cannot be written; use \"aes-ctr-legacy\" (credstash's format, the default) \
                 or \"aes-gcm\" (credsmash's authenticated encryption, which credstash cannot read)"
            )));
        }
    };
    check_sizes(req)?;
    let store = Store::shared(&scope.location(config)).await?;
    let version = store
        .put(&Put {
            name: &req.name,
            value: &req.value,
            version: req.version.as_deref(),
            autoversion: req.autoversion,
            context: &req.context,
            digest,
            kms_key: req.kms_key.as_deref().unwrap_or(&config.credstash.kms_key),
            comment: req.comment.as_deref(),
            gcm,
        })
        .await?;
    cache::clear(); // a "latest" entry may now be stale
    Ok(version)
}

/// DynamoDB's limits, checked before any AWS call so the message is ours:
/// items of at most 400 KB (the secret is base64-encoded in credstash's
/// format), names of at most 2048 bytes, versions of at most 1024.
fn check_sizes(req: &PutRequest) -> Result<()> {
    const MAX_VALUE: usize = 280 * 1024;
    if req.name.is_empty() {
        return Err(Error::Programming("a secret name must not be empty".into()));
    }
    if req.name.len() > 2048 {
        return Err(Error::Programming(format!(
            "a secret name is at most 2048 bytes (DynamoDB's key limit); this one is {}",
            req.name.len()
        )));
    }
    if req.version.as_ref().is_some_and(|v| v.len() > 1024) {
        return Err(Error::Programming("a secret version is at most 1024 characters".into()));
    }
    if req.value.len() > MAX_VALUE {
        return Err(Error::Programming(format!(
            "secret {:?} is {} KB; a credstash record holds at most about {} KB (DynamoDB items are limited \
             to 400 KB). Store large material elsewhere (e.g. S3) and keep its key here.",
            req.name,
            req.value.len() / 1024,
            MAX_VALUE / 1024
        )));
    }
    Ok(())
}

/// Deletes every version; returns the versions deleted.
pub async fn delete(config: &Config, scope: &Scope, name: &str) -> Result<Vec<String>> {
    let versions = Store::shared(&scope.location(config)).await?.delete(name).await?;
    cache::clear();
    Ok(versions)
}

/// Creates the table; false when it already existed.
pub async fn setup(config: &Config, scope: &Scope) -> Result<bool> {
    Store::shared(&scope.location(config)).await?.setup().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_secrets_are_refused_as_text_with_a_pointer() {
        let message = text("blob", &[0x66, 0xff]).unwrap_err().to_string();
        assert!(message.contains("get_secret_bytes") && message.contains("blob"), "{message}");
        assert_eq!(text("t", "héllo".as_bytes()).unwrap().as_str(), "héllo");
    }
}
