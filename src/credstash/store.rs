//! The credstash operations over DynamoDB and KMS, sending what credstash
//! 1.17.1 sends (CREDSTASH.md, "Operations"), with errors a person can act on.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::{StreamExt, TryStreamExt};
use zeroize::Zeroizing;

use super::cache;
use super::crypto::{self, Digest};
use super::keys::Pins;
use super::record::{self, Item, Record, Sealed};
use crate::aws;
use crate::error::AccessDenied;
use crate::process_cache::Bounded;
use crate::{Error, Result};

/// A KMS encryption context: sent on seal and open, stored nowhere.
pub type Context = BTreeMap<String, String>;

/// Where the store is and who talks to it.
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub table: String,
    /// The table's region; None follows the AWS chain (then us-east-1, as credstash).
    pub region: Option<String>,
    /// KMS's region when it differs from the table's (credstash --kms-region).
    pub kms_region: Option<String>,
    pub target: aws::Target,
    /// Whom to ask for access, for denial messages.
    pub contact: Option<String>,
    /// The KMS keys whose data keys reads accept (`[credstash] decrypt_keys`).
    pub decrypt_keys: Vec<String>,
}

/// A name, version and comment, as `list` reports them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretInfo {
    pub name: String,
    pub version: String,
    pub comment: Option<String>,
}

/// What `put` stores. Its Debug (below) never shows the value.
pub struct Put<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
    /// None: "1" (credstash's CLI default), or the next version with `autoversion`.
    pub version: Option<&'a str>,
    pub autoversion: bool,
    pub context: &'a Context,
    pub digest: Digest,
    pub kms_key: &'a str,
    pub comment: Option<&'a str>,
    /// Write credsmash's authenticated `aes-gcm` instead of credstash's format.
    pub gcm: bool,
}

impl std::fmt::Debug for Put<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Put")
            .field("name", &self.name)
            .field("value", &format_args!("<{} bytes redacted>", self.value.len()))
            .field("version", &self.version)
            .field("autoversion", &self.autoversion)
            .field("context", &self.context)
            .field("digest", &self.digest)
            .field("kms_key", &self.kms_key)
            .field("comment", &self.comment)
            .field("gcm", &self.gcm)
            .finish()
    }
}

/// A connected store.
pub struct Store {
    pub(super) loc: Location,
    pub(super) region: String,
    pub(super) ddb: aws_sdk_dynamodb::Client,
    pub(super) kms: aws_sdk_kms::Client,
    /// The access key id of the caller's credentials (cache partitioning).
    pub caller_key: String,
    /// `decrypt_keys` resolved to key ARNs, once per store (see `keys.rs`).
    pub(super) pins: Pins,
}

const PARALLEL_GETS: usize = 16;

/// Connected stores, reused while the location and the AWS setup are the
/// same: building SDK clients costs more than a cached secret lookup.
/// Forgets every store (their clients hold credentials AWS rejected).
pub fn forget_all() {
    STORES.clear();
}

static STORES: Bounded<u64, Arc<Store>, 16> = Bounded::new();

impl Store {
    /// A connected store for `loc`, shared with earlier callers when possible.
    pub async fn shared(loc: &Location) -> Result<Arc<Store>> {
        let mut h = DefaultHasher::new();
        (&loc.table, &loc.region, &loc.kms_region, &loc.contact, &loc.decrypt_keys).hash(&mut h);
        aws::cache_key(&aws::Target { region: loc.region.clone(), ..loc.target.clone() }).hash(&mut h);
        aws::cache_key(&aws::Target { region: loc.kms_region.clone(), ..loc.target.clone() }).hash(&mut h);
        let key = h.finish();
        if let Some(store) = STORES.get(&key) {
            return Ok(store);
        }
        let store = Arc::new(Store::connect(loc).await?);
        STORES.insert(key, store.clone());
        Ok(store)
    }

    pub async fn connect(loc: &Location) -> Result<Store> {
        let table_target = aws::Target { region: loc.region.clone(), ..loc.target.clone() };
        let config = aws::sdk_config(&table_target).await;
        let region = config.region().map_or_else(|| aws::FALLBACK_REGION.to_string(), ToString::to_string);
        let credentials = aws::credentials(&table_target).await.map_err(|e| {
            if e.is_access_denied() {
                // Chaining into a role was refused: an access problem, not missing credentials.
                Error::AccessDenied(Box::new(AccessDenied {
                    message: format!("access denied: AWS refused to let you assume the role for this secret ({e})"),
                    arn: aws::parse_denial(&e.to_string()).arn,
                    aws_code: Some("AccessDenied".into()),
                    action: Some("sts:AssumeRole".into()),
                    contact: loc.contact.clone(),
                    ..AccessDenied::default()
                }))
            } else {
                e.into_error()
            }
        })?;
        let kms_config = match &loc.kms_region {
            Some(kms_region) if Some(kms_region) != loc.region.as_ref() => {
                aws::sdk_config(&aws::Target { region: Some(kms_region.clone()), ..loc.target.clone() }).await
            }
            _ => config.clone(),
        };
        Ok(Store {
            loc: loc.clone(),
            region,
            ddb: aws_sdk_dynamodb::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&kms_config),
            caller_key: credentials.access_key_id().to_string(),
            pins: Pins::new(&loc.decrypt_keys),
        })
    }

    /// The secret cache's key for a read through this store.
    pub fn cache_key(&self, name: &str, version: Option<&str>, context: &Context) -> cache::Key {
        cache::Key {
            trusted: self.loc.decrypt_keys.clone(),
            ..cache::Key::new(&self.loc.table, &self.region, name, version, context, &self.caller_key)
        }
    }

    pub fn table(&self) -> &str {
        &self.loc.table
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The latest record of `name` (consistent read), or a given version.
    pub async fn fetch(&self, name: &str, version: Option<&str>) -> Result<Record> {
        let item = match version {
            None => self.latest_item(name, None).await?,
            Some(v) => {
                let padded = record::lookup_version(v);
                let out = self
                    .ddb
                    .get_item()
                    .table_name(&self.loc.table)
                    .key("name", AttributeValue::S(name.into()))
                    .key("version", AttributeValue::S(padded))
                    .send()
                    .await
                    .map_err(|e| self.fail("dynamodb:GetItem", Some(name), &aws::failure(&e)))?;
                out.item
            }
        };
        let item = item.ok_or_else(|| self.not_found(name, version))?;
        Record::from_item(&item).map_err(|record::Malformed(why)| Error::SecretIntegrity {
            name: name.into(),
            message: format!("the stored record of secret {name:?} in table {:?} is damaged: {why}", self.loc.table),
        })
    }

    async fn latest_item(&self, name: &str, projection: Option<&str>) -> Result<Option<Item>> {
        let out = self
            .query_name(name)
            .limit(1)
            .scan_index_forward(false)
            .consistent_read(true)
            .set_projection_expression(projection.map(str::to_string))
            .send()
            .await
            .map_err(|e| self.fail("dynamodb:Query", Some(name), &aws::failure(&e)))?;
        Ok(out.items.and_then(|items| items.into_iter().next()))
    }

    /// A Query for every version of `name` (the table's hash key).
    fn query_name(&self, name: &str) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.ddb
            .query()
            .table_name(&self.loc.table)
            .key_condition_expression("#n = :n")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":n", AttributeValue::S(name.into()))
    }

    /// Fetches and decrypts one secret.
    pub async fn get(&self, name: &str, version: Option<&str>, context: &Context) -> Result<Zeroizing<Vec<u8>>> {
        let record = self.fetch(name, version).await?;
        self.open(&record, context).await
    }

    /// Decrypts a fetched record: KMS unwraps the data key (from a pinned key
    /// only, see `keys.rs`), the HMAC is checked, then the contents are
    /// decrypted.
    pub async fn open(&self, record: &Record, context: &Context) -> Result<Zeroizing<Vec<u8>>> {
        let data_key = self.unwrap_data_key(record, context).await?;
        if data_key.len() != record.sealed.key_bytes() {
            return Err(self.integrity(&record.name, "KMS returned a data key of the wrong size"));
        }
        record.open(&data_key).map_err(|_| {
            self.integrity(&record.name, "its authentication check failed (the record was altered or damaged)")
        })
    }

    /// Every name, version and comment in the table (paginated scan).
    pub async fn list(&self) -> Result<Vec<SecretInfo>> {
        let mut infos = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .ddb
                .scan()
                .table_name(&self.loc.table)
                .projection_expression("#N, version, #C")
                .expression_attribute_names("#N", "name")
                .expression_attribute_names("#C", "comment")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail("dynamodb:Scan", None, &aws::failure(&e)))?;
            for item in out.items.unwrap_or_default() {
                let text = |k: &str| match item.get(k) {
                    Some(AttributeValue::S(s)) => Some(s.clone()),
                    _ => None,
                };
                if let (Some(name), Some(version)) = (text("name"), text("version")) {
                    infos.push(SecretInfo { name, version, comment: text("comment") });
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        infos.sort();
        Ok(infos)
    }

    /// The distinct names in the table, sorted.
    pub async fn names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.list().await?.into_iter().map(|i| i.name).collect();
        names.dedup();
        Ok(names)
    }

    /// Decrypts the latest (or given) version of each of `names`, a bounded
    /// number at a time. One failure fails the whole call, promptly.
    pub async fn get_many(
        &self,
        names: Vec<String>,
        version: Option<&str>,
        context: &Context,
    ) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>> {
        futures_util::stream::iter(names)
            .map(|name| async move {
                let value = self.get(&name, version, context).await?;
                Ok::<_, Error>((name, value))
            })
            .buffer_unordered(PARALLEL_GETS)
            .try_collect()
            .await
    }

    /// Seals and stores a new version; never overwrites one. Returns the
    /// stored (padded) version.
    pub async fn put(&self, put: &Put<'_>) -> Result<String> {
        let version = match (put.autoversion, put.version) {
            (true, Some(_)) => {
                return Err(Error::Programming("give either a version or autoversion, not both".into()));
            }
            (true, None) => self.next_version(put.name).await?,
            (false, v) => record::pad_version(v.unwrap_or("1")),
        };
        let key_bytes = if put.gcm { record::GCM_KEY_BYTES } else { crypto::DATA_KEY_BYTES };
        let out = self
            .kms
            .generate_data_key()
            .key_id(put.kms_key)
            .number_of_bytes(i32::try_from(key_bytes).expect("small"))
            .set_encryption_context(Some(to_map(put.context)))
            .send()
            .await
            .map_err(|e| self.kms_fail_put(put, &aws::failure(&e)))?;
        let data_key = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
        let wrapped_key = out.ciphertext_blob.map(Blob::into_inner).unwrap_or_default();
        if data_key.len() != key_bytes || wrapped_key.is_empty() {
            return Err(Error::Kms { message: "KMS returned an unusable data key".into(), aws_code: None });
        }
        let (sealed, contents) = Sealed::seal(&data_key, put.value, put.gcm, put.digest);
        let record = Record {
            name: put.name.into(),
            version: version.clone(),
            comment: put.comment.map(str::to_string),
            wrapped_key,
            contents,
            sealed,
        };
        let result = self
            .ddb
            .put_item()
            .table_name(&self.loc.table)
            .set_item(Some(record.to_item()))
            .condition_expression("attribute_not_exists(#n)")
            .expression_attribute_names("#n", "name")
            .send()
            .await;
        match result {
            Ok(_) => Ok(version),
            Err(e) => {
                let f = aws::failure(&e);
                if f.code.as_deref() == Some("ConditionalCheckFailedException") {
                    Err(Error::Programming(format!(
                        "secret {:?} version {} already exists in table {:?}: secrets are never overwritten. \
                         Store a new version with -a/autoversion=True or an explicit higher version.",
                        put.name,
                        version.trim_start_matches('0'),
                        self.loc.table
                    )))
                } else {
                    Err(self.fail("dynamodb:PutItem", Some(put.name), &f))
                }
            }
        }
    }

    /// credstash's autoversion: latest numeric version + 1; the first is 1.
    async fn next_version(&self, name: &str) -> Result<String> {
        let latest = self.latest_item(name, Some("version")).await?;
        let current = match latest.as_ref().and_then(|i| i.get("version")) {
            None => 0,
            Some(AttributeValue::S(v)) => v.parse::<u64>().map_err(|_| {
                Error::Programming(format!(
                    "cannot autoversion secret {name:?}: its latest version {v:?} is not a number; give a version"
                ))
            })?,
            Some(_) => return Err(self.integrity(name, "its version attribute is not a string")),
        };
        Ok(record::pad_version(&(current + 1).to_string()))
    }

    /// Deletes every version of `name`; returns the versions deleted.
    pub async fn delete(&self, name: &str) -> Result<Vec<String>> {
        let mut versions = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .query_name(name)
                .projection_expression("#n, version")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail("dynamodb:Query", Some(name), &aws::failure(&e)))?;
            for item in out.items.unwrap_or_default() {
                let Some(AttributeValue::S(version)) = item.get("version").cloned() else {
                    continue;
                };
                self.ddb
                    .delete_item()
                    .table_name(&self.loc.table)
                    .key("name", AttributeValue::S(name.into()))
                    .key("version", AttributeValue::S(version.clone()))
                    .send()
                    .await
                    .map_err(|e| self.fail("dynamodb:DeleteItem", Some(name), &aws::failure(&e)))?;
                versions.push(version);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        if versions.is_empty() {
            return Err(self.not_found(name, None));
        }
        Ok(versions)
    }
}

pub(super) fn to_map(context: &Context) -> HashMap<String, String> {
    context.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
