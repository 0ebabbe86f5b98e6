//! DynamoDB item <-> credstash-family record. Pure.
//!
//! Three formats share one table, told apart by the `algorithm` attribute:
//! credstash's (absent or `aes-ctr-legacy`), and credsmash's `aes-ctr` and
//! `aes-gcm` (binary attributes). The reader is tolerant of what credstash's
//! many versions and ports wrote: `hmac` as S or B, hex in any case, a
//! missing `digest` (SHA256), base64 with line breaks, unknown extra
//! attributes. The writer is exact: what credstash 1.17.1 on Python 3 writes
//! (so `credstash get` reads our records), or what credsmash writes for GCM.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;

use super::crypto::{self, Digest};
use zeroize::Zeroizing;

/// Versions are stored left-padded with zeros to this many characters.
pub const PAD_LEN: usize = 19;

pub type Item = HashMap<String, AttributeValue>;

/// One stored version of a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub version: String,
    pub comment: Option<String>,
    /// The KMS CiphertextBlob of the data key.
    pub wrapped_key: Vec<u8>,
    pub contents: Vec<u8>,
    pub sealed: Sealed,
}

/// How the contents were encrypted, with what checking them needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealed {
    /// credstash: AES-CTR from 0..01, HMAC (raw bytes; stored as hex text).
    Legacy { hmac: Vec<u8>, digest: Digest },
    /// credsmash `aes-ctr`: AES-CTR from a random counter block, raw HMAC.
    Ctr { hmac: Vec<u8>, digest: Digest, nonce: [u8; 16] },
    /// credsmash `aes-gcm`: a 32-byte data key, 12-byte iv, 16-byte tag.
    Gcm { iv: [u8; 12], tag: [u8; 16] },
}

/// The data key of a credsmash `aes-gcm` record: one AES-256 key.
pub const GCM_KEY_BYTES: usize = 32;

impl Sealed {
    /// The data key size KMS generates for this format.
    pub fn key_bytes(&self) -> usize {
        match self {
            Sealed::Gcm { .. } => GCM_KEY_BYTES,
            _ => crypto::DATA_KEY_BYTES,
        }
    }

    /// Encrypts `plaintext` under a fresh data key, in credstash's format or,
    /// with `gcm`, credsmash's authenticated one: (how it is sealed, contents).
    pub fn seal(data_key: &[u8], plaintext: &[u8], gcm: bool, digest: Digest) -> (Sealed, Vec<u8>) {
        if gcm {
            let (iv, contents, tag) = crypto::seal_gcm(data_key, plaintext);
            (Sealed::Gcm { iv, tag }, contents)
        } else {
            let (contents, hmac) = crypto::seal_ctr(data_key, &crypto::LEGACY_NONCE, plaintext, digest);
            (Sealed::Legacy { hmac, digest }, contents)
        }
    }
}

/// The record's contents did not authenticate under the data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAuthentic;

impl Record {
    /// Checks and decrypts the contents with the unwrapped data key (pure:
    /// the store gets the key from KMS, this does the rest).
    pub fn open(&self, data_key: &[u8]) -> Result<Zeroizing<Vec<u8>>, NotAuthentic> {
        if data_key.len() != self.sealed.key_bytes() {
            return Err(NotAuthentic);
        }
        let opened = match &self.sealed {
            Sealed::Legacy { hmac, digest } => {
                crypto::open_ctr(data_key, &crypto::LEGACY_NONCE, &self.contents, hmac, *digest)
            }
            Sealed::Ctr { hmac, digest, nonce } => crypto::open_ctr(data_key, nonce, &self.contents, hmac, *digest),
            Sealed::Gcm { iv, tag } => crypto::open_gcm(data_key, iv, &self.contents, tag),
        };
        opened.map_err(|_| NotAuthentic)
    }
}

/// What was wrong with a stored item, for the caller to attach the name to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// credstash's `paddedInt`: left-pad with zeros, never truncate.
pub fn pad_version(version: &str) -> String {
    format!("{version:0>PAD_LEN$}")
}

/// The stored form of a version someone typed: a short number is normalised
/// through an integer as credstash does ("007" -> 7 -> padded); anything else
/// is padded as text.
pub fn lookup_version(version: &str) -> String {
    if version.len() < PAD_LEN
        && let Ok(n) = version.parse::<u64>()
    {
        return pad_version(&n.to_string());
    }
    pad_version(version)
}

impl Record {
    /// Reads an item as any credstash version, or credsmash, wrote it.
    pub fn from_item(item: &Item) -> Result<Record, Malformed> {
        let name = required(item, "name")?.to_string();
        let version = required(item, "version")?.to_string();
        // credstash writes no comment rather than an empty one: read them alike.
        let comment = text(item, "comment")?.filter(|c| !c.is_empty()).map(str::to_string);
        let digest = || match text(item, "digest")? {
            None => Ok(Digest::Sha256),
            Some(name) => Digest::parse(name).ok_or_else(|| {
                Malformed(format!("unsupported HMAC digest {name:?} (supported: {})", Digest::NAMES.join(", ")))
            }),
        };
        let (wrapped_key, contents, sealed) = match text(item, "algorithm")? {
            None | Some("aes-ctr-legacy") => {
                let hmac_hex = match item.get("hmac") {
                    Some(AttributeValue::S(s)) => s.as_bytes(),
                    Some(AttributeValue::B(b)) => b.as_ref(),
                    Some(_) => return Err(Malformed("attribute 'hmac' is neither a string nor binary".into())),
                    None => return Err(Malformed("attribute 'hmac' is missing".into())),
                };
                let hmac = hex::decode(hmac_hex.trim_ascii())
                    .map_err(|e| Malformed(format!("attribute 'hmac' is not valid hex ({e})")))?;
                (base64_attr(item, "key")?, base64_attr(item, "contents")?, Sealed::Legacy { hmac, digest: digest()? })
            }
            Some("aes-ctr") => {
                let sealed =
                    Sealed::Ctr { hmac: bytes_attr(item, "hmac")?, digest: digest()?, nonce: fixed(item, "nonce")? };
                (bytes_attr(item, "key")?, bytes_attr(item, "contents")?, sealed)
            }
            Some("aes-gcm") => {
                let sealed = Sealed::Gcm { iv: fixed(item, "iv")?, tag: fixed(item, "tag")? };
                (bytes_attr(item, "key")?, bytes_attr(item, "contents")?, sealed)
            }
            Some(other) => {
                return Err(Malformed(format!(
                    "it uses encryption algorithm {other:?}, which this version of middleware cannot read \
                     (known: aes-ctr-legacy, aes-ctr, aes-gcm)"
                )));
            }
        };
        Ok(Record { name, version, comment, wrapped_key, contents, sealed })
    }

    /// The item exactly as credstash 1.17.1 on Python 3 (legacy) or credsmash
    /// (aes-ctr, aes-gcm) writes it.
    pub fn to_item(&self) -> Item {
        let b64 = base64::engine::general_purpose::STANDARD;
        let bin = |b: &[u8]| AttributeValue::B(Blob::new(b.to_vec()));
        let mut item = Item::new();
        item.insert("name".into(), AttributeValue::S(self.name.clone()));
        item.insert("version".into(), AttributeValue::S(self.version.clone()));
        match &self.sealed {
            Sealed::Legacy { hmac, digest } => {
                item.insert("key".into(), AttributeValue::S(b64.encode(&self.wrapped_key)));
                item.insert("contents".into(), AttributeValue::S(b64.encode(&self.contents)));
                // The hex *characters* as bytes, as Python 3's codecs.encode(.., "hex") gives.
                item.insert("hmac".into(), AttributeValue::B(Blob::new(hex::encode(hmac).into_bytes())));
                item.insert("digest".into(), AttributeValue::S(digest.name().into()));
            }
            Sealed::Ctr { hmac, digest, nonce } => {
                item.insert("key".into(), bin(&self.wrapped_key));
                item.insert("contents".into(), bin(&self.contents));
                item.insert("hmac".into(), bin(hmac));
                item.insert("nonce".into(), bin(nonce));
                item.insert("digest".into(), AttributeValue::S(digest.name().into()));
                item.insert("algorithm".into(), AttributeValue::S("aes-ctr".into()));
            }
            Sealed::Gcm { iv, tag } => {
                item.insert("key".into(), bin(&self.wrapped_key));
                item.insert("contents".into(), bin(&self.contents));
                item.insert("iv".into(), bin(iv));
                item.insert("tag".into(), bin(tag));
                item.insert("algorithm".into(), AttributeValue::S("aes-gcm".into()));
            }
        }
        if let Some(comment) = self.comment.as_ref().filter(|c| !c.is_empty()) {
            item.insert("comment".into(), AttributeValue::S(comment.clone()));
        }
        item
    }
}

/// A binary attribute (credsmash's formats); base64 text is accepted too.
fn bytes_attr(item: &Item, name: &str) -> Result<Vec<u8>, Malformed> {
    match item.get(name) {
        Some(AttributeValue::B(b)) => Ok(b.as_ref().to_vec()),
        Some(AttributeValue::S(_)) => base64_attr(item, name),
        Some(_) => Err(Malformed(format!("attribute '{name}' is not binary"))),
        None => Err(Malformed(format!("attribute '{name}' is missing"))),
    }
}

fn fixed<const N: usize>(item: &Item, name: &str) -> Result<[u8; N], Malformed> {
    let bytes = bytes_attr(item, name)?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| Malformed(format!("attribute '{name}' must be {N} bytes, not {}", bytes.len())))
}

fn text<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, Malformed> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(s)) => Ok(Some(s)),
        Some(_) => Err(Malformed(format!("attribute '{name}' is not a string"))),
    }
}

fn required<'a>(item: &'a Item, name: &str) -> Result<&'a str, Malformed> {
    text(item, name)?.ok_or_else(|| Malformed(format!("attribute '{name}' is missing")))
}

/// Standard base64 with correct padding; whitespace (a Ruby port wraps
/// every 60 characters) is ignored.
fn base64_attr(item: &Item, name: &str) -> Result<Vec<u8>, Malformed> {
    let raw = required(item, name)?;
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| Malformed(format!("attribute '{name}' is not valid base64 ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn sample() -> Record {
        Record {
            name: "db.password".into(),
            version: pad_version("1"),
            comment: None,
            wrapped_key: b"WRAPPED-KEY-BLOB".to_vec(),
            contents: vec![0x83, 0x38, 0x15],
            sealed: Sealed::Legacy { hmac: vec![0xab, 0xcd], digest: Digest::Sha256 },
        }
    }

    #[test]
    fn versions_pad_like_credstash() {
        assert_eq!(pad_version("1"), "0000000000000000001");
        assert_eq!(pad_version(""), "0000000000000000000");
        assert_eq!(pad_version("abc"), "0000000000000000abc");
        let long = "12345678901234567890123";
        assert_eq!(pad_version(long), long, "never truncated");
        assert_eq!(lookup_version("007"), pad_version("7"));
        assert_eq!(lookup_version("0000000000000000042"), "0000000000000000042");
        assert_eq!(lookup_version("v2"), pad_version("v2"));
    }

    #[test]
    fn writes_what_credstash_1_17_1_writes() {
        let item = sample().to_item();
        assert_eq!(item["key"], s("V1JBUFBFRC1LRVktQkxPQg=="));
        assert_eq!(item["contents"], s("gzgV"));
        assert_eq!(item["hmac"], AttributeValue::B(Blob::new(b"abcd".to_vec())));
        assert_eq!(item["digest"], s("SHA256"));
        assert_eq!(item["version"], s("0000000000000000001"));
        assert!(!item.contains_key("comment"), "an empty comment is not written");
        let mut with_comment = sample();
        with_comment.comment = Some("rotated".into());
        assert_eq!(with_comment.to_item()["comment"], s("rotated"));
    }

    #[test]
    fn reads_back_what_it_writes() {
        let mut record = sample();
        record.comment = Some("c".into());
        assert_eq!(Record::from_item(&record.to_item()).unwrap(), record);
    }

    #[test]
    fn tolerates_what_older_writers_and_ports_stored() {
        let mut item = sample().to_item();
        item.insert("hmac".into(), s("ABCD")); // Python 2 / ports: S, any case
        item.remove("digest"); // very old records: SHA256
        item.insert("contents".into(), s("gz\ngV\n")); // wrapped base64
        item.insert("created_at".into(), AttributeValue::N("1700000000".into()));
        let record = Record::from_item(&item).unwrap();
        assert_eq!(record.sealed, Sealed::Legacy { hmac: vec![0xab, 0xcd], digest: Digest::Sha256 });
        assert_eq!(record.contents, vec![0x83, 0x38, 0x15]);
    }

    #[test]
    fn credsmash_formats_round_trip_and_are_checked() {
        for sealed in [
            Sealed::Ctr { hmac: vec![1; 32], digest: Digest::Sha512, nonce: [7; 16] },
            Sealed::Gcm { iv: [3; 12], tag: [4; 16] },
        ] {
            let record = Record { sealed, ..sample() };
            let item = record.to_item();
            assert!(matches!(item["contents"], AttributeValue::B(_)), "credsmash stores binary");
            assert_eq!(Record::from_item(&item).unwrap(), record);
        }
        let mut short_iv = Record { sealed: Sealed::Gcm { iv: [3; 12], tag: [4; 16] }, ..sample() }.to_item();
        short_iv.insert("iv".into(), AttributeValue::B(Blob::new(vec![0; 8])));
        let Malformed(message) = Record::from_item(&short_iv).unwrap_err();
        assert!(message.contains("'iv' must be 12 bytes"), "{message}");
    }

    #[test]
    fn malformed_items_say_which_attribute_is_wrong() {
        let cases: [(&str, Option<AttributeValue>, &str); 7] = [
            ("hmac", None, "'hmac' is missing"),
            ("hmac", Some(s("abc")), "'hmac' is not valid hex"),
            ("hmac", Some(s("zz")), "'hmac' is not valid hex"),
            ("contents", Some(s("gzgV3C/")), "'contents' is not valid base64"),
            ("key", None, "'key' is missing"),
            ("digest", Some(s("WHIRLPOOL")), "unsupported HMAC digest \"WHIRLPOOL\""),
            ("algorithm", Some(s("rot13")), "algorithm \"rot13\""),
        ];
        for (attr, value, expected) in cases {
            let mut item = sample().to_item();
            match value {
                Some(v) => item.insert(attr.into(), v),
                None => item.remove(attr),
            };
            let Malformed(message) = Record::from_item(&item).unwrap_err();
            assert!(message.contains(expected), "{attr}: {message}");
        }
    }

    #[test]
    fn sealed_records_open_with_their_key_only() {
        for gcm in [false, true] {
            let key = vec![9u8; if gcm { GCM_KEY_BYTES } else { crypto::DATA_KEY_BYTES }];
            let (sealed, contents) = Sealed::seal(&key, b"s3cret", gcm, Digest::Sha256);
            let record = Record { contents, sealed, ..sample() };
            assert_eq!(record.open(&key).unwrap().as_slice(), b"s3cret");
            // The last byte: in credstash's format the second half is the HMAC
            // key (the first, the AES key, is not authenticated by design).
            let mut other = key.clone();
            *other.last_mut().unwrap() ^= 1;
            assert_eq!(record.open(&other), Err(NotAuthentic));
            assert_eq!(record.open(&key[1..]), Err(NotAuthentic), "a key of the wrong size");
        }
    }
}
