//! middleware core: credstash-compatible secrets, per-user access checks and
//! PostgreSQL / Redshift connections, shared by the Python API and the CLI.
//!
//! Dependencies point one way: `python` and `cli` -> `broker` -> `pg`,
//! `credstash`, `iam_auth`, `identity`, `policy` -> `config`, `aws`, `error`,
//! `runtime`.

pub mod aws;
mod aws_log;
pub mod broker;
pub mod cli;
pub mod config;
pub mod credstash;
pub mod duration;
pub mod error;
pub mod glob;
pub mod iam;
pub mod iam_auth;
pub mod identity;
pub mod logging;
pub mod pg;
pub mod policy;
pub mod principal;
mod process_cache;
pub mod runtime;
pub mod secrets;
pub mod sync;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, Result};

/// The package version, shared by `middleware --version` and `__version__`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit this build came from (`unknown` outside a checkout).
pub const GIT_COMMIT: &str = env!("MIDDLEWARE_GIT_COMMIT");

/// What `middleware --version` prints after the name: version and commit.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("MIDDLEWARE_GIT_COMMIT"), ")");
