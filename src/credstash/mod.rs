//! A credstash-compatible secret store: records that credstash reads, and
//! every record credstash writes read back. See `record` (the item format),
//! `crypto` (the cipher) and `store` (DynamoDB and KMS).

pub mod cache;
pub mod crypto;
mod errors;
pub mod keys;
pub mod record;
pub mod store;
