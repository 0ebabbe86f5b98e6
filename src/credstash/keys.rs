//! Which KMS keys a read trusts (`[credstash] decrypt_keys`).
//!
//! KMS Decrypt without a KeyId decrypts under whichever key the stored
//! ciphertext names, and the record's HMAC only proves that the writer knew
//! the data key. So anyone who can write the table could store a record
//! whose data key is wrapped under a KMS key of their own (a forged
//! `host_secret` sends every client's real password to their host). Reads
//! therefore accept a data key only when KMS reports that it used one of the
//! pinned keys; the data key of any other is wiped unused.
//!
//! With exactly one pinned key (the default: `[kms_key]`), Decrypt carries
//! it as KeyId and KMS itself refuses ciphertext under any other key before
//! decrypting anything (no kms:DescribeKey permission needed, nothing to go
//! stale when an alias is re-pointed). With several, Decrypt goes without
//! KeyId and the key ARN KMS reports must be one of theirs, aliases and key
//! ids resolved with DescribeKey once per store (again when a record is
//! refused, in case an alias moved).

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_kms::operation::decrypt::{DecryptError, DecryptOutput};
use zeroize::Zeroizing;

use super::record::Record;
use super::store::{Context, Store, to_map};
use crate::aws;
use crate::sync::Locked;
use crate::{Error, Result};

type DecryptFailure = aws_sdk_kms::error::SdkError<DecryptError>;

/// The plaintext data key of a Decrypt answer, wiped when dropped.
fn data_key(out: DecryptOutput) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default())
}

/// The pinned keys of one store, with their resolution cached.
pub struct Pins {
    /// As configured; None for `"*"` (any key).
    keys: Option<Vec<String>>,
    resolved: Mutex<Option<Arc<Vec<Resolved>>>>,
}

/// One configured key and its ARN, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub configured: String,
    pub arn: std::result::Result<String, String>,
}

impl Pins {
    pub fn new(configured: &[String]) -> Pins {
        let any = configured.iter().any(|k| k == "*");
        Pins { keys: (!any).then(|| configured.to_vec()), resolved: Mutex::new(None) }
    }

    /// The KeyId to send on Decrypt: the key, when exactly one is pinned.
    pub fn key_id(&self) -> Option<&str> {
        match self.keys.as_deref() {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    fn listed(&self) -> String {
        self.keys.as_ref().map_or_else(|| "\"*\"".into(), |k| k.join(", "))
    }
}

/// `arn:<partition>:kms:<region>:<account>:key/<id>`: compared as it is.
pub fn is_key_arn(id: &str) -> bool {
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "kms", _, _, resource] if resource.starts_with("key/"))
}

/// Why a data key was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The key ARN KMS reported, when it reported one.
    pub used: Option<String>,
    /// Configured keys that could not be resolved, and why.
    pub unresolved: Vec<(String, String)>,
}

/// Whether the key KMS `used` is one of the `pinned` ones.
pub fn check(pinned: &[Resolved], used: Option<&str>) -> std::result::Result<(), Refusal> {
    if used.is_some_and(|u| pinned.iter().any(|r| r.arn.as_deref() == Ok(u))) {
        return Ok(());
    }
    Err(Refusal {
        used: used.map(str::to_string),
        unresolved: pinned
            .iter()
            .filter_map(|r| r.arn.as_ref().err().map(|why| (r.configured.clone(), why.clone())))
            .collect(),
    })
}

/// The message for a refused record: which key, which setting, how to fix.
pub fn refusal_message(name: &str, table: &str, listed: &str, refusal: &Refusal) -> String {
    let key = refusal
        .used
        .as_deref()
        .map_or_else(|| "a KMS key that is not in".to_string(), |arn| format!("KMS key {arn}, which is not in"));
    let mut message = format!(
        "secret {name:?} in table {table:?} was refused: its data key is encrypted under {key} \
         [credstash] decrypt_keys ({listed}). Anyone who can write the table can store a record under a key of \
         their own, so only the listed keys are trusted. If this record is legitimate, add its key to \
         decrypt_keys in your middleware.toml (or MIDDLEWARE_CREDSTASH_DECRYPT_KEYS, comma-separated); \
         otherwise tell your platform team that someone stored it under a key you do not use."
    );
    for (configured, why) in &refusal.unresolved {
        message.push_str(&format!(
            " Note: {configured} could not be resolved to a key ARN ({why}): allow kms:DescribeKey on it, \
             or list its key ARN instead."
        ));
    }
    message
}

impl Store {
    /// KMS unwraps the record's data key; it is returned only if a pinned key
    /// was used, and wiped otherwise.
    pub(super) async fn unwrap_data_key(&self, record: &Record, context: &Context) -> Result<Zeroizing<Vec<u8>>> {
        let kms_fail = |e: &DecryptFailure| self.kms_fail("kms:Decrypt", &record.name, context, &aws::failure(e));
        let Some(keys) = self.pins.keys.as_deref() else {
            let out = self.decrypt(record, context, None).await.map_err(|e| kms_fail(&e))?;
            return Ok(data_key(out));
        };
        if let Some(key_id) = self.pins.key_id() {
            return match self.decrypt(record, context, Some(key_id)).await {
                // KMS checked the KeyId; a key ARN is also compared, at no cost.
                Ok(out) if is_key_arn(key_id) && out.key_id.as_deref() != Some(key_id) => {
                    let used = out.key_id.clone();
                    drop(data_key(out));
                    Err(self.refused(record, &Refusal { used, unresolved: Vec::new() }))
                }
                Ok(out) => Ok(data_key(out)),
                Err(e) => Err(self.not_the_pinned_key(record, context, &e).await.unwrap_or_else(|| kms_fail(&e))),
            };
        }
        let (pinned, out) = tokio::join!(self.resolved_pins(keys, false), self.decrypt(record, context, None));
        let out = out.map_err(|e| kms_fail(&e))?;
        let used = out.key_id.clone();
        let data_key = data_key(out);
        if check(&pinned, used.as_deref()).is_err() {
            let pinned = if keys.iter().all(|k| is_key_arn(k)) { pinned } else { self.resolved_pins(keys, true).await };
            check(&pinned, used.as_deref()).map_err(|refusal| self.refused(record, &refusal))?;
        }
        Ok(data_key)
    }

    /// After KMS refused the one pinned key: the refusal naming the record's
    /// key when that was the reason (None: some other failure). KMS says
    /// IncorrectKeyException (moto: an access denial); a second Decrypt
    /// without KeyId names the key, and its result is wiped unused.
    async fn not_the_pinned_key(&self, record: &Record, context: &Context, e: &DecryptFailure) -> Option<Error> {
        let f = aws::failure(e);
        let wrong_key = f.code.as_deref() == Some("IncorrectKeyException");
        if !(wrong_key || f.is_access_denied()) || f.is_bad_credentials() {
            return None;
        }
        match self.decrypt(record, context, None).await {
            Ok(out) => {
                let used = out.key_id.clone();
                drop(data_key(out));
                Some(self.refused(record, &Refusal { used, unresolved: Vec::new() }))
            }
            Err(_) if wrong_key => Some(self.refused(record, &Refusal { used: None, unresolved: Vec::new() })),
            Err(_) => None,
        }
    }

    async fn decrypt(
        &self,
        record: &Record,
        context: &Context,
        key_id: Option<&str>,
    ) -> std::result::Result<DecryptOutput, DecryptFailure> {
        self.kms
            .decrypt()
            .ciphertext_blob(Blob::new(record.wrapped_key.clone()))
            .set_encryption_context(Some(to_map(context)))
            .set_key_id(key_id.map(str::to_string))
            .send()
            .await
    }

    /// `decrypt_keys` with their key ARNs where they could be resolved
    /// (None: `"*"`, any key). For `iam-policy`.
    pub async fn pinned_keys(&self) -> Option<Vec<Resolved>> {
        let keys = self.pins.keys.as_deref()?;
        Some(self.resolved_pins(keys, false).await.as_ref().clone())
    }

    /// `keys` as ARNs, resolved once per store (`fresh`: again). Failures
    /// that may pass (network trouble) are not kept.
    async fn resolved_pins(&self, keys: &[String], fresh: bool) -> Arc<Vec<Resolved>> {
        let cached = || self.pins.resolved.locked();
        if !fresh && let Some(done) = cached().as_ref() {
            return done.clone();
        }
        // One DescribeKey per alias or key id, all at once.
        let resolved = futures_util::future::join_all(keys.iter().map(|key| async move {
            if is_key_arn(key) {
                return (Ok(key.clone()), true);
            }
            match self.kms.describe_key().key_id(key).send().await {
                Ok(out) => (out.key_metadata.and_then(|m| m.arn).ok_or_else(|| "KMS named no ARN".to_string()), true),
                Err(e) => {
                    let f = aws::failure(&e);
                    let lasting = f.status.is_some() && !f.is_bad_credentials();
                    (Err(format!("DescribeKey: {}", f.code.as_deref().unwrap_or(&f.message))), lasting)
                }
            }
        }))
        .await;
        let lasting = resolved.iter().all(|(_, lasting)| *lasting);
        let all: Vec<Resolved> =
            keys.iter().zip(resolved).map(|(key, (arn, _))| Resolved { configured: key.clone(), arn }).collect();
        let all = Arc::new(all);
        if lasting {
            *cached() = Some(all.clone());
        }
        all
    }

    fn refused(&self, record: &Record, refusal: &Refusal) -> Error {
        Error::SecretIntegrity {
            name: record.name.clone(),
            message: refusal_message(&record.name, &self.loc.table, &self.pins.listed(), refusal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINE: &str = "arn:aws:kms:us-east-1:111122223333:key/1111";
    const THEIRS: &str = "arn:aws:kms:us-east-1:111122223333:key/2222";

    fn ok(configured: &str, arn: &str) -> Resolved {
        Resolved { configured: configured.into(), arn: Ok(arn.into()) }
    }

    #[test]
    fn key_arns_are_told_from_aliases_and_ids() {
        assert!(is_key_arn(MINE));
        assert!(is_key_arn("arn:aws-cn:kms:cn-north-1:1:key/x"));
        for other in ["alias/credstash", "1111", "arn:aws:kms:us-east-1:1:alias/credstash", "arn:aws:s3:::key/x"] {
            assert!(!is_key_arn(other), "{other}");
        }
    }

    #[test]
    fn only_one_pinned_key_goes_out_as_key_id_and_a_star_pins_nothing() {
        assert_eq!(Pins::new(&["alias/credstash".into()]).key_id(), Some("alias/credstash"));
        assert_eq!(Pins::new(&["alias/a".into(), "alias/b".into()]).key_id(), None);
        let any = Pins::new(&["alias/a".into(), "*".into()]);
        assert_eq!((any.key_id(), any.keys.is_none()), (None, true));
    }

    #[test]
    fn the_key_kms_used_must_be_a_pinned_one() {
        let pinned = [ok("alias/credstash", MINE), ok("alias/other", THEIRS)];
        assert_eq!(check(&pinned, Some(MINE)), Ok(()));
        assert_eq!(check(&pinned, Some(THEIRS)), Ok(()));
        let refused = check(&pinned[..1], Some(THEIRS)).unwrap_err();
        assert_eq!(refused.used.as_deref(), Some(THEIRS));
        assert!(check(&pinned, None).is_err(), "no reported key, no trust");
    }

    #[test]
    fn an_unresolvable_alias_matches_nothing_and_is_named() {
        let pinned = [
            ok("alias/credstash", MINE),
            Resolved { configured: "alias/x".into(), arn: Err("DescribeKey: 403".into()) },
        ];
        let refused = check(&pinned, Some(THEIRS)).unwrap_err();
        assert_eq!(refused.unresolved, [("alias/x".to_string(), "DescribeKey: 403".to_string())]);
    }

    #[test]
    fn the_message_names_the_key_the_setting_and_the_fix() {
        let refusal =
            Refusal { used: Some(THEIRS.into()), unresolved: vec![("alias/x".into(), "DescribeKey: 403".into())] };
        let message = refusal_message("db.password", "credential-store", "alias/credstash", &refusal);
        for part in [THEIRS, "decrypt_keys (alias/credstash)", "db.password", "add its key", "kms:DescribeKey"] {
            assert!(message.contains(part), "{part} missing from: {message}");
        }
    }
}
