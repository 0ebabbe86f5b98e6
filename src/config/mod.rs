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
    /// A result held whole (not streamed) may have at most this many rows;
    /// None: no limit.
    pub max_result_rows: Option<u64>,
    /// ... and at most this many bytes on the wire.
    pub max_result_bytes: Option<u64>,
    pub connect_timeout: Duration,
    /// Where passwords come from, unless a user says otherwise.
    pub password_source: PasswordSource,
    /// redshift-iam: the cluster GetClusterCredentials names (and, without
    /// `host`, whose endpoint DescribeClusters gives).
    pub cluster_identifier: Option<String>,
    /// redshift-iam: groups the temporary user joins for the session.
    pub db_groups: Vec<String>,
    /// redshift-iam: let Redshift create a missing user (`IAMA:<user>`).
    pub auto_create: bool,
    /// The database's region (rds-iam signing, redshift-iam calls); None:
    /// the AWS chain's region.
    pub region: Option<String>,
    /// redshift-iam: how long the temporary password lives (900-3600 s).
    pub credentials_duration: Duration,
    pub users: BTreeMap<String, DbUser>,
}

#[derive(Clone, PartialEq, Default)]
pub struct DbUser {
    pub allow: Vec<String>,
    pub assume_role: Option<String>,
    /// Shared with the role's owner as a weak secret: kept out of Debug output.
    pub external_id: Option<String>,
    /// Overrides the database's `password_source` for this user.
    pub password_source: Option<PasswordSource>,
    /// Overrides the database's `db_groups` for this user.
    pub db_groups: Option<Vec<String>>,
}

impl fmt::Debug for DbUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbUser")
            .field("allow", &self.allow)
            .field("assume_role", &self.assume_role)
            .field("external_id", &self.external_id.as_ref().map(|_| "<redacted>"))
            .field("password_source", &self.password_source)
            .field("db_groups", &self.db_groups)
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

/// Where a database user's password comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PasswordSource {
    /// A credstash record (`password_secret`).
    #[default]
    Credstash,
    /// Amazon Redshift's temporary credentials (`redshift:GetClusterCredentials`).
    RedshiftIam,
    /// An RDS/Aurora IAM auth token (SigV4, `rds-db:connect`).
    RdsIam,
}

impl PasswordSource {
    pub const NAMES: [&'static str; 3] = ["credstash", "redshift-iam", "rds-iam"];

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "credstash" => PasswordSource::Credstash,
            "redshift-iam" => PasswordSource::RedshiftIam,
            "rds-iam" => PasswordSource::RdsIam,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PasswordSource::Credstash => "credstash",
            PasswordSource::RedshiftIam => "redshift-iam",
            PasswordSource::RdsIam => "rds-iam",
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
/// Redshift's own default for GetClusterCredentials, and its minimum.
pub const DEFAULT_CREDENTIALS_DURATION: Duration = Duration::from_secs(900);
pub const CREDENTIALS_DURATION_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(900)..=Duration::from_secs(3600);

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

    /// Where `user`'s password comes from.
    pub fn source_for(&self, user: &str) -> PasswordSource {
        self.users.get(user).and_then(|u| u.password_source).unwrap_or(self.password_source)
    }

    /// The Redshift groups `user` joins (redshift-iam).
    pub fn db_groups_for(&self, user: &str) -> &[String] {
        self.users.get(user).and_then(|u| u.db_groups.as_deref()).unwrap_or(&self.db_groups)
    }

    /// The sources this database uses, its own and its users'.
    pub fn sources(&self) -> impl Iterator<Item = PasswordSource> + '_ {
        std::iter::once(self.password_source).chain(self.users.values().filter_map(|u| u.password_source))
    }

    /// The KMS encryption context for `user`'s password.
    pub fn context_for(&self, user: &str) -> BTreeMap<String, String> {
        self.context.iter().map(|(k, v)| (k.clone(), self.expand(v, user))).collect()
    }
}
