//! The configuration model (`middleware.toml`), its layering and validation.
//!
//! Sources, later wins: the file packaged in the wheel, the user's file,
//! `$MIDDLEWARE_CONFIG`, `MIDDLEWARE_*` environment variables, then keyword
//! arguments. Every value remembers where it came from, so errors and
//! `middleware config show` can name the file and key.

mod layers;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sync::Locked;

pub use layers::{Layered, Source, Sources};

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub credstash: Credstash,
    pub access: Access,
    pub audit: AuditConfig,
    /// In the order they were first defined: the first is the default database.
    pub databases: Vec<Database>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Credstash {
    pub table: String,
    pub kms_key: String,
    pub region: Option<String>,
    pub kms_region: Option<String>,
    /// How long decrypted secrets stay in this process; zero disables the cache.
    pub cache_ttl: Duration,
    /// KMS keys whose data keys reads accept (ids, ARNs or aliases); None
    /// means `[kms_key]`, `"*"` any key.
    pub decrypt_keys: Option<Vec<String>>,
}

impl Credstash {
    /// The keys reads accept: `decrypt_keys`, else the key writes use.
    pub fn decrypt_keys(&self) -> Vec<String> {
        self.decrypt_keys.clone().unwrap_or_else(|| vec![self.kms_key.clone()])
    }
}

/// `[audit]`: where audit events also go, besides `middleware.audit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditConfig {
    /// A JSON-lines file each connect and query appends to.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    pub contact: Option<String>,
    pub policy_secret: Option<String>,
}

/// One `[databases.<name>]` profile. It holds no password: those only ever
/// live in zeroized buffers fetched from credstash (see `secrets.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    pub name: String,
    pub host: Option<String>,
    pub host_secret: Option<String>,
    pub port: u16,
    pub dbname: String,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// Answer a cleartext or MD5 password request over a channel that was
    /// not verified (no TLS, or `prefer`/`require`). Off by default.
    pub allow_insecure_password: bool,
    /// What the database sees as `application_name`; `{principal}` is the
    /// caller's IAM user or role name.
    pub application_name: String,
    pub password_secret: String,
    pub context: BTreeMap<String, String>,
    pub default_user: Option<String>,
    pub default_timeout: Duration,
    pub max_timeout: Option<Duration>,
    pub connect_timeout: Duration,
    pub users: BTreeMap<String, DbUser>,
}

#[derive(Clone, PartialEq, Default)]
pub struct DbUser {
    pub allow: Vec<String>,
    pub assume_role: Option<String>,
    /// Shared with the role's owner as a weak secret: kept out of Debug output.
    pub external_id: Option<String>,
}

impl fmt::Debug for DbUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbUser")
            .field("allow", &self.allow)
            .field("assume_role", &self.assume_role)
            .field("external_id", &self.external_id.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// libpq's sslmode values that make sense for a client holding passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const NAMES: [&'static str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

pub const DEFAULT_TABLE: &str = "credential-store";
pub const DEFAULT_KMS_KEY: &str = "alias/credstash";
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);
pub const DEFAULT_PASSWORD_SECRET: &str = "{database}.{user}.password";
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_APPLICATION_NAME: &str = "middleware:{principal}";

impl Default for Credstash {
    fn default() -> Self {
        Credstash {
            table: DEFAULT_TABLE.into(),
            kms_key: DEFAULT_KMS_KEY.into(),
            region: None,
            kms_region: None,
            cache_ttl: DEFAULT_CACHE_TTL,
            decrypt_keys: None,
        }
    }
}

impl Config {
    /// Loads and validates the configuration from the standard sources.
    pub fn load(sources: &Sources) -> crate::Result<Config> {
        Layered::load(sources)?.resolve()
    }

    /// Like [`Config::load`], but reuses the last result while the sources
    /// and the files' modification times are unchanged: a notebook calling
    /// `get_secret` in a loop should not re-read and re-parse TOML each time.
    pub fn load_cached(sources: &Sources) -> crate::Result<Arc<Config>> {
        type Cached = (Sources, Vec<Option<std::time::SystemTime>>, Arc<Config>);
        static LAST: Mutex<Option<Cached>> = Mutex::new(None);
        let stamps = sources.stamps();
        let mut last = LAST.locked();
        if let Some((s, t, config)) = last.as_ref()
            && s == sources
            && *t == stamps
        {
            return Ok(config.clone());
        }
        let config = Arc::new(Config::load(sources)?);
        *last = Some((sources.clone(), stamps, config.clone()));
        Ok(config)
    }

    /// The named database, or the first configured one when `name` is None.
    pub fn database(&self, name: Option<&str>) -> crate::Result<&Database> {
        match name {
            Some(name) => self.databases.iter().find(|d| d.name == name).ok_or_else(|| {
                crate::Error::config(format!(
                    "no database named {name:?} is configured; known databases: {}. \
                     Add a [databases.{name}] section to your middleware.toml \
                     (see `middleware config show`).",
                    self.database_names()
                ))
            }),
            None => self.databases.first().ok_or_else(|| {
                crate::Error::config(
                    "no databases are configured: add a [databases.<name>] section to \
                     middleware.toml or point MIDDLEWARE_CONFIG at a file that has one",
                )
            }),
        }
    }

    fn database_names(&self) -> String {
        if self.databases.is_empty() {
            return "(none)".into();
        }
        self.databases.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl Database {
    /// The database user to use: the one asked for, else `default_user`.
    pub fn user<'a>(&'a self, asked: Option<&'a str>) -> crate::Result<&'a str> {
        asked.or(self.default_user.as_deref()).ok_or_else(|| {
            crate::Error::config(format!(
                "no database user given for {:?} and it has no default_user: pass user=... \
                 or set databases.{}.default_user",
                self.name, self.name
            ))
        })
    }

    /// Expands `{database}` and `{user}` in a template from this profile.
    pub fn expand(&self, template: &str, user: &str) -> String {
        template.replace("{database}", &self.name).replace("{user}", user)
    }

    /// The credstash name of `user`'s password.
    pub fn password_secret_for(&self, user: &str) -> String {
        self.expand(&self.password_secret, user)
    }

    /// The KMS encryption context for `user`'s password.
    pub fn context_for(&self, user: &str) -> BTreeMap<String, String> {
        self.context.iter().map(|(k, v)| (k.clone(), self.expand(v, user))).collect()
    }
}
