//! A credstash-compatible secret store: records that credstash reads, and
//! every record credstash writes read back. See `record` (the item format),
//! `crypto` (the cipher), `store` (DynamoDB and KMS) and `keys` (which KMS
//! keys a read trusts).

pub mod cache;
pub mod crypto;
mod errors;
pub mod keys;
pub mod record;
mod setup;
pub mod store;
