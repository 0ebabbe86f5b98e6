//! Reading the config sources and merging them, remembering where each value
//! came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::Config;
use crate::{Error, Result};

/// Where a value came from, shown by `config show` and in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    /// The file packaged inside the wheel (what a platform team's fork edits).
    Packaged(PathBuf),
    /// `~/.config/middleware/middleware.toml`.
    User(PathBuf),
    /// The file named by `$MIDDLEWARE_CONFIG`.
    EnvFile(PathBuf),
    /// A `MIDDLEWARE_*` environment variable.
    EnvVar(String),
    /// A keyword argument or command-line option.
    Argument(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => write!(f, "default"),
            Source::Packaged(p) => write!(f, "packaged file {}", p.display()),
            Source::User(p) => write!(f, "user file {}", p.display()),
            Source::EnvFile(p) => write!(f, "$MIDDLEWARE_CONFIG file {}", p.display()),
            Source::EnvVar(name) => write!(f, "environment variable {name}"),
            Source::Argument(name) => write!(f, "argument {name}"),
        }
    }
}

impl Source {
    /// A short label for annotating values (`config show`); the files
    /// themselves are listed once above the values.
    pub fn label(&self) -> String {
        match self {
            Source::Default => "default".into(),
            Source::Packaged(_) => "packaged".into(),
            Source::User(_) => "user file".into(),
            Source::EnvFile(_) => "$MIDDLEWARE_CONFIG".into(),
            Source::EnvVar(name) => format!("${name}"),
            Source::Argument(name) => format!("argument {name}"),
        }
    }
}

/// Environment variables that set one config key each.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("MIDDLEWARE_CREDSTASH_TABLE", "credstash.table"),
    ("MIDDLEWARE_CREDSTASH_KMS_KEY", "credstash.kms_key"),
    ("MIDDLEWARE_CREDSTASH_REGION", "credstash.region"),
    ("MIDDLEWARE_CREDSTASH_KMS_REGION", "credstash.kms_region"),
    ("MIDDLEWARE_CREDSTASH_CACHE_TTL", "credstash.cache_ttl"),
    ("MIDDLEWARE_CREDSTASH_DECRYPT_KEYS", "credstash.decrypt_keys"),
    ("MIDDLEWARE_ACCESS_CONTACT", "access.contact"),
    ("MIDDLEWARE_ACCESS_POLICY_SECRET", "access.policy_secret"),
];

/// The inputs to configuration, gathered once so loading is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub packaged: Option<PathBuf>,
    pub user: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub env_vars: Vec<(String, String)>,
}

impl Sources {
    /// The standard sources: `packaged` (found by the caller next to the
    /// Python package), the user's file and this process's environment.
    /// The modification times of the files, to notice edits.
    pub(super) fn stamps(&self) -> Vec<Option<std::time::SystemTime>> {
        [&self.packaged, &self.user, &self.env_file]
            .into_iter()
            .map(|p| p.as_ref().and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok()))
            .collect()
    }

    pub fn standard(packaged: Option<PathBuf>) -> Sources {
        let home_config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
        Sources {
            packaged,
            user: home_config.map(|dir| dir.join("middleware").join("middleware.toml")),
            env_file: std::env::var_os("MIDDLEWARE_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from),
            env_vars: ENV_KEYS
                .iter()
                .filter_map(|(name, _)| std::env::var(name).ok().map(|v| ((*name).to_string(), v)))
                .collect(),
        }
    }
}

/// All sources merged into one table, with the origin of every leaf value.
#[derive(Debug, Clone, Default)]
pub struct Layered {
    pub(super) table: Table,
    pub(super) origins: BTreeMap<String, Source>,
    /// Files that were read, in order, for `config show`.
    pub files: Vec<Source>,
}

impl Layered {
    pub fn load(sources: &Sources) -> Result<Layered> {
        let mut layered = Layered::default();
        let files = [
            sources.packaged.clone().map(Source::Packaged),
            sources.user.clone().map(Source::User),
            sources.env_file.clone().map(Source::EnvFile),
        ];
        for source in files.into_iter().flatten() {
            let path = match &source {
                Source::Packaged(p) | Source::User(p) | Source::EnvFile(p) => p.clone(),
                _ => unreachable!("only files are listed here"),
            };
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                // Only the file the user named explicitly must exist.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !matches!(source, Source::EnvFile(_)) => {
                    continue;
                }
                Err(e) => {
                    return Err(Error::config(format!(
                        "cannot read config file {} (from {source}): {e}",
                        path.display()
                    )));
                }
            };
            let table: Table = text.parse().map_err(|e: toml::de::Error| {
                Error::config(format!("config file {} is not valid TOML: {}", path.display(), e.to_string().trim_end()))
            })?;
            layered.merge(table, &source);
            layered.files.push(source);
        }
        for (name, value) in &sources.env_vars {
            let key = ENV_KEYS.iter().find(|(n, _)| n == name).map_or(name.as_str(), |(_, k)| *k);
            layered.set(key, Value::String(value.clone()), &Source::EnvVar(name.clone()));
        }
        Ok(layered)
    }

    /// Sets one value at a dotted path (e.g. `databases.analytics.port`).
    pub fn set(&mut self, path: &str, value: Value, source: &Source) {
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().expect("a path has at least one part");
        let mut table = &mut self.table;
        for part in parts {
            let entry = table.entry(part.to_string()).or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            table = entry.as_table_mut().expect("made a table above");
        }
        self.origins.retain(|k, _| k != path && !k.starts_with(&format!("{path}.")));
        record_origins(path, &value, source, &mut self.origins);
        table.insert(last.to_string(), value);
    }

    /// The names of the `[databases.*]` sections, in order.
    pub fn database_names(&self) -> Vec<String> {
        self.table.get("databases").and_then(Value::as_table).map(|t| t.keys().cloned().collect()).unwrap_or_default()
    }

    /// Where the value at `path` came from.
    pub fn origin(&self, path: &str) -> Source {
        self.origins.get(path).cloned().unwrap_or(Source::Default)
    }

    /// The merged values, for `config show`.
    pub fn table(&self) -> &Table {
        &self.table
    }

    pub fn resolve(&self) -> Result<Config> {
        super::parse::config(self)
    }

    fn merge(&mut self, layer: Table, source: &Source) {
        for (key, value) in layer {
            merge_into(&mut self.table, key.clone(), value, &key, source, &mut self.origins);
        }
    }
}

/// Tables merge key by key; anything else (including `context`, which is one
/// value as a whole) replaces what an earlier layer had.
fn merge_into(
    table: &mut Table,
    key: String,
    value: Value,
    path: &str,
    source: &Source,
    origins: &mut BTreeMap<String, Source>,
) {
    match (table.get_mut(&key), value) {
        (Some(Value::Table(existing)), Value::Table(incoming)) if key != "context" => {
            for (k, v) in incoming {
                let child = format!("{path}.{k}");
                merge_into(existing, k, v, &child, source, origins);
            }
        }
        (_, value) => {
            origins.retain(|k, _| k != path && !k.starts_with(&format!("{path}.")));
            record_origins(path, &value, source, origins);
            table.insert(key, value);
        }
    }
}

fn record_origins(path: &str, value: &Value, source: &Source, origins: &mut BTreeMap<String, Source>) {
    origins.insert(path.to_string(), source.clone());
    if let Value::Table(t) = value {
        for (k, v) in t {
            record_origins(&format!("{path}.{k}"), v, source, origins);
        }
    }
}
