//! Turning the merged table into a validated [`Config`]. Every error names the
//! source (file or variable), the dotted key and what was expected, and an
//! unknown key is an error: a typo must not silently fall back to a default.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use toml::{Table, Value};

use super::{
    Access, AuditConfig, CREDENTIALS_DURATION_RANGE, Config, Credstash, DEFAULT_APPLICATION_NAME,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_CREDENTIALS_DURATION, DEFAULT_PASSWORD_SECRET, DEFAULT_QUERY_TIMEOUT, Database,
    DbUser, Layered, PasswordSource, SslMode,
};
use crate::{Error, Result, duration};

pub(super) fn config(layered: &Layered) -> Result<Config> {
    let root = Section { layered, path: String::new(), table: &layered.table };
    root.only(&["credstash", "access", "audit", "databases"])?;

    let mut credstash = Credstash::default();
    if let Some(s) = root.section("credstash")? {
        s.only(&["table", "kms_key", "region", "kms_region", "cache_ttl", "decrypt_keys"])?;
        if let Some(v) = s.string("table")? {
            credstash.table = v;
        }
        if let Some(v) = s.string("kms_key")? {
            credstash.kms_key = v;
        }
        credstash.region = s.string("region")?;
        credstash.kms_region = s.string("kms_region")?;
        if let Some(v) = s.duration("cache_ttl", true)? {
            credstash.cache_ttl = v;
        }
        if credstash.table.is_empty() {
            return Err(s.error("table", "must not be empty"));
        }
        credstash.decrypt_keys = s.key_list("decrypt_keys")?;
    }

    let mut access = Access::default();
    if let Some(s) = root.section("access")? {
        s.only(&["contact", "policy_secret"])?;
        access.contact = s.string("contact")?;
        access.policy_secret = s.string("policy_secret")?;
    }

    let mut audit = AuditConfig::default();
    if let Some(s) = root.section("audit")? {
        s.only(&["file"])?;
        audit.file = s.string("file")?.filter(|f| !f.is_empty()).map(PathBuf::from);
    }

    let mut databases = Vec::new();
    if let Some(all) = root.section("databases")? {
        for name in all.table.keys() {
            let s = all.section(name)?.expect("key listed above");
            databases.push(database(name, &s)?);
        }
    }
    Ok(Config { credstash, access, audit, databases })
}

fn database(name: &str, s: &Section<'_>) -> Result<Database> {
    s.only(&[
        "host",
        "host_secret",
        "port",
        "dbname",
        "sslmode",
        "sslrootcert",
        "allow_insecure_password",
        "application_name",
        "password_secret",
        "context",
        "default_user",
        "default_timeout",
        "max_timeout",
        "max_result_rows",
        "max_result_bytes",
        "connect_timeout",
        "password_source",
        "cluster_identifier",
        "db_groups",
        "auto_create",
        "region",
        "credentials_duration",
        "users",
    ])?;
    let port = match s.integer("port")? {
        None => 5432,
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| s.error("port", &format!("must be from 1 to 65535, got {p}")))?,
    };
    let sslmode = match s.string("sslmode")? {
        // Secure by default: the certificate and host name are checked.
        None => SslMode::VerifyFull,
        Some(m) => SslMode::parse(&m)
            .ok_or_else(|| s.error("sslmode", &format!("must be one of {}, got {m:?}", SslMode::NAMES.join(", "))))?,
    };
    let mut context = BTreeMap::new();
    if let Some(c) = s.section("context")? {
        for key in c.table.keys() {
            context.insert(key.clone(), c.string(key)?.expect("key listed above"));
        }
    }
    let mut users = BTreeMap::new();
    if let Some(u) = s.section("users")? {
        for user in u.table.keys() {
            let us = u.section(user)?.expect("key listed above");
            us.only(&["allow", "assume_role", "external_id", "password_source", "db_groups"])?;
            users.insert(
                user.clone(),
                DbUser {
                    allow: us.strings("allow")?.unwrap_or_default(),
                    assume_role: us.string("assume_role")?,
                    external_id: us.string("external_id")?,
                    password_source: us.password_source()?,
                    db_groups: us.strings("db_groups")?,
                },
            );
        }
    }
    let db = Database {
        name: name.to_string(),
        host: s.string("host")?,
        host_secret: s.string("host_secret")?,
        port,
        dbname: s.string("dbname")?.unwrap_or_else(|| name.to_string()),
        sslmode,
        // "" unsets it (e.g. a keyword override choosing sslmode=require).
        sslrootcert: s.string("sslrootcert")?.filter(|p| !p.is_empty()).map(PathBuf::from),
        allow_insecure_password: s.boolean("allow_insecure_password")?.unwrap_or(false),
        application_name: s.string("application_name")?.unwrap_or_else(|| DEFAULT_APPLICATION_NAME.into()),
        password_secret: s.string("password_secret")?.unwrap_or_else(|| DEFAULT_PASSWORD_SECRET.into()),
        context,
        default_user: s.string("default_user")?,
        default_timeout: s.duration("default_timeout", false)?.unwrap_or(DEFAULT_QUERY_TIMEOUT),
        max_timeout: s.duration("max_timeout", false)?,
        max_result_rows: s.positive("max_result_rows", "rows")?,
        max_result_bytes: s.positive("max_result_bytes", "bytes")?,
        connect_timeout: s.duration("connect_timeout", false)?.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        password_source: s.password_source()?.unwrap_or_default(),
        cluster_identifier: s.string("cluster_identifier")?.filter(|c| !c.is_empty()),
        db_groups: s.strings("db_groups")?.unwrap_or_default(),
        auto_create: s.boolean("auto_create")?.unwrap_or(false),
        region: s.string("region")?.filter(|r| !r.is_empty()),
        credentials_duration: s.duration("credentials_duration", false)?.unwrap_or(DEFAULT_CREDENTIALS_DURATION),
        users,
    };
    validate(&db, s)?;
    Ok(db)
}

fn validate(db: &Database, s: &Section<'_>) -> Result<()> {
    if db.host.is_some() && db.host_secret.is_some() {
        return Err(s.error("host_secret", "give either host or host_secret, not both"));
    }
    check_template(&db.password_secret, s, "password_secret")?;
    for (key, value) in &db.context {
        check_template(value, s, &format!("context.{key}"))?;
    }
    if let Some(max) = db.max_timeout
        && db.default_timeout > max
    {
        return Err(s.error(
            "default_timeout",
            &format!("{} is above max_timeout {}", duration::display(db.default_timeout), duration::display(max)),
        ));
    }
    if let Some(user) = &db.default_user
        && !db.users.is_empty()
        && !db.users.contains_key(user)
    {
        return Err(s.error(
            "default_user",
            &format!(
                "{user:?} has no [databases.{}.users.{user}] section (defined users: {})",
                db.name,
                db.users.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    validate_sources(db, s)?;
    if matches!(db.sslmode, SslMode::Disable | SslMode::Prefer | SslMode::Require) && db.sslrootcert.is_some() {
        // libpq ignores it too, but a user who set it surely wanted it checked.
        return Err(s.error("sslrootcert", "only takes effect with sslmode verify-ca or verify-full"));
    }
    if db.sslmode == SslMode::VerifyCa && db.sslrootcert.is_none() {
        // As libpq: verify-ca against every public CA, with no host name check,
        // would accept any site's certificate.
        return Err(s.error(
            "sslrootcert",
            "is required with sslmode = \"verify-ca\" (the CA that signed the server's certificate); \
             or use sslmode = \"verify-full\", which also checks the host name against the system's roots",
        ));
    }
    Ok(())
}

/// The keys each password source needs, and those it cannot use.
fn validate_sources(db: &Database, s: &Section<'_>) -> Result<()> {
    let uses = |source| db.sources().any(|s| s == source);
    let (redshift, rds) = (uses(PasswordSource::RedshiftIam), uses(PasswordSource::RdsIam));
    if redshift && db.cluster_identifier.is_none() {
        return Err(s.error(
            "cluster_identifier",
            "is required with password_source = \"redshift-iam\" (the cluster GetClusterCredentials asks for)",
        ));
    }
    if !redshift {
        let set = [
            ("cluster_identifier", db.cluster_identifier.is_some()),
            ("db_groups", !db.db_groups.is_empty() || db.users.values().any(|u| u.db_groups.is_some())),
            ("auto_create", db.auto_create),
            ("credentials_duration", db.credentials_duration != DEFAULT_CREDENTIALS_DURATION),
        ];
        if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
            return Err(s.error(key, "only takes effect with password_source = \"redshift-iam\""));
        }
    }
    if !CREDENTIALS_DURATION_RANGE.contains(&db.credentials_duration) {
        return Err(s.error(
            "credentials_duration",
            &format!("must be from 15m to 1h (Redshift's limits), got {}", duration::display(db.credentials_duration)),
        ));
    }
    if rds && !matches!(db.sslmode, SslMode::VerifyFull | SslMode::VerifyCa) {
        // The token is a bearer credential sent as a cleartext password:
        // only to a server whose certificate was checked.
        return Err(s.error(
            "sslmode",
            &format!(
                "is {:?}, but password_source = \"rds-iam\" sends its token only over verified TLS: use \
                 sslmode = \"verify-full\" (the default; add the RDS CA bundle as sslrootcert)",
                db.sslmode.as_str()
            ),
        ));
    }
    Ok(())
}

fn check_template(template: &str, s: &Section<'_>, key: &str) -> Result<()> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| s.error(key, &format!("unclosed '{{' in {template:?}")))?;
        let name = &rest[open + 1..open + close];
        if name != "database" && name != "user" {
            return Err(
                s.error(key, &format!("unknown placeholder {{{name}}} in {template:?}; use {{database}} or {{user}}"))
            );
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// A view of one table in the merged config, for typed reads with good errors.
struct Section<'a> {
    layered: &'a Layered,
    path: String,
    table: &'a Table,
}

impl<'a> Section<'a> {
    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    fn error(&self, key: &str, what: &str) -> Error {
        let path = self.key_path(key);
        Error::config(format!("invalid config ({}): {path}: {what}", self.layered.origin(&path)))
    }

    fn type_error(&self, key: &str, expected: &str, got: &Value) -> Error {
        self.error(key, &format!("expected {expected}, got {} {}", got.type_str(), short(got)))
    }

    fn only(&self, known: &[&str]) -> Result<()> {
        for key in self.table.keys() {
            if !known.contains(&key.as_str()) {
                return Err(self.error(key, &format!("unknown key; valid keys here: {}", known.join(", "))));
            }
        }
        Ok(())
    }

    fn section(&self, key: &str) -> Result<Option<Section<'a>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(Section { layered: self.layered, path: self.key_path(key), table: t })),
            Some(other) => Err(self.type_error(key, "a table", other)),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.type_error(key, "a string", other)),
        }
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| self.type_error(key, "a list of strings", v)))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(other) => Err(self.type_error(key, "a list of strings", other)),
        }
    }

    fn password_source(&self) -> Result<Option<PasswordSource>> {
        let Some(text) = self.string("password_source")? else { return Ok(None) };
        PasswordSource::parse(&text).map(Some).ok_or_else(|| {
            self.error("password_source", &format!("must be one of {}, got {text:?}", PasswordSource::NAMES.join(", ")))
        })
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            // Keyword overrides and environment variables arrive as text.
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(self.type_error(key, "true or false", other)),
        }
    }

    /// A non-empty list of KMS keys; an environment variable gives them
    /// comma-separated.
    fn key_list(&self, key: &str) -> Result<Option<Vec<String>>> {
        let keys = match self.table.get(key) {
            Some(Value::String(s)) => Some(s.split(',').map(|k| k.trim().to_string()).collect::<Vec<_>>()),
            _ => self.strings(key)?,
        };
        match keys {
            Some(keys) if keys.is_empty() || keys.iter().any(String::is_empty) => Err(self
                .error(key, "must list at least one KMS key (key id, key ARN or alias), or \"*\" to accept any key")),
            keys => Ok(keys),
        }
    }

    fn integer(&self, key: &str) -> Result<Option<i64>> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i)),
            // Environment variables and CLI options arrive as text.
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(self.type_error(key, "an integer", other)),
        }
    }

    /// A limit: a whole number above 0 (of `unit`), or absent for none.
    fn positive(&self, key: &str, unit: &str) -> Result<Option<u64>> {
        match self.integer(key)? {
            None => Ok(None),
            Some(n) => u64::try_from(n).ok().filter(|n| *n > 0).map(Some).ok_or_else(|| {
                self.error(
                    key,
                    &format!("must be a whole number of {unit} above 0, got {n}; leave it out for no limit"),
                )
            }),
        }
    }

    /// A duration: "30s", "15m", or a number of seconds. `zero_ok` allows 0
    /// (e.g. a cache TTL of 0 disables the cache).
    fn duration(&self, key: &str, zero_ok: bool) -> Result<Option<Duration>> {
        let parsed = match self.table.get(key) {
            None => return Ok(None),
            Some(Value::Integer(0)) if zero_ok => return Ok(Some(Duration::ZERO)),
            Some(Value::String(s)) if zero_ok && s.trim() == "0" => {
                return Ok(Some(Duration::ZERO));
            }
            Some(Value::Integer(i)) => duration::parse(&i.to_string()),
            Some(Value::Float(f)) => duration::parse(&f.to_string()),
            Some(Value::String(s)) => duration::parse(s),
            Some(other) => {
                return Err(self.type_error(key, "a duration such as \"30s\" or \"15m\"", other));
            }
        };
        parsed.map(Some).map_err(|e| self.error(key, &e))
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 { format!("{}...", text.chars().take(40).collect::<String>()) } else { text }
}
