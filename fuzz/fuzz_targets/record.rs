//! The credstash record reader must never panic on any stored item, what it
//! accepts must write back to the same record, and opening it with any data
//! key must fail cleanly (never panic), as must a seal/open round trip hold.
#![no_main]

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use libfuzzer_sys::fuzz_target;
use _core::credstash::crypto::Digest;
use _core::credstash::record::{Item, Record, Sealed};

const ATTRIBUTES: [&str; 11] =
    ["name", "version", "key", "contents", "hmac", "digest", "algorithm", "nonce", "iv", "tag", "comment"];

fuzz_target!(|data: &[u8]| {
    // Chunks separated by 0xFF; a chunk's first byte picks the attribute and
    // whether it is a string (even) or binary (odd).
    let mut item = Item::new();
    for chunk in data.split(|b| *b == 0xFF) {
        let Some((&tag, rest)) = chunk.split_first() else { continue };
        let name = ATTRIBUTES[usize::from(tag) % ATTRIBUTES.len()];
        let value = if tag % 2 == 0 {
            AttributeValue::S(String::from_utf8_lossy(rest).into_owned())
        } else {
            AttributeValue::B(Blob::new(rest.to_vec()))
        };
        item.insert(name.to_string(), value);
    }
    if let Ok(record) = Record::from_item(&item) {
        assert_eq!(Record::from_item(&record.to_item()).as_ref(), Ok(&record));
        // Any key of the right size (from the fuzz input): authentic or not, no panic.
        let mut key = data.to_vec();
        key.resize(record.sealed.key_bytes(), 0);
        let _ = record.open(&key);
        // What we seal under that key opens to the same plaintext.
        let (sealed, contents) = Sealed::seal(&key, data, key.len() == 32, Digest::Sha256);
        let resealed = Record { contents, sealed, ..record };
        assert_eq!(resealed.open(&key).map(|p| p.to_vec()), Ok(data.to_vec()));
    }
});
