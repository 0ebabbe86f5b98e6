//! The credstash record reader must never panic on any stored item, and what
//! it accepts must write back to the same record.
#![no_main]

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use libfuzzer_sys::fuzz_target;
use _core::credstash::record::{Item, Record};

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
    }
});
