//! The core's log records and audit events, for whoever shows them: Python's
//! `logging` (the bindings drain them while holding the GIL), or the CLI's
//! stderr (`--debug`).
//!
//! Nothing here calls into Python. Records made anywhere (tokio workers
//! included) go into a bounded queue; the Python side moves them to
//! `logging` at its own choke points (after a blocking call, when an asyncio
//! loop drains). Levels follow Python's: [`set_levels`] turns `log`'s global
//! maximum up or down, so a disabled level costs one atomic load.
//!
//! Never log a secret, a password, a data key or an AWS secret key. SQL text
//! only at DEBUG.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::sync::Locked;

/// Records kept for the next drain; past this the oldest go (and are counted).
const QUEUE_BOUND: usize = 10_000;

/// One log record, as Python's `logging` will get it.
#[derive(Debug, Clone)]
pub struct Record {
    pub level: log::Level,
    /// The Python logger: `middleware.pg`, `middleware.aws`, `middleware.audit`, ...
    pub logger: String,
    pub message: String,
    pub audit: Option<Audit>,
}

/// Who did what: one per connect and per query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audit {
    /// "connect" | "query"
    pub event: &'static str,
    /// "ok" | "denied" | "timeout" | "error"
    pub outcome: &'static str,
    pub arn: Option<String>,
    pub database: String,
    pub db_user: String,
    pub duration_ms: f64,
    /// Queries: rows returned or affected.
    pub rows: Option<u64>,
    pub sqlstate: Option<String>,
}

impl Audit {
    fn message(&self) -> String {
        let who = self.arn.as_deref().unwrap_or("(unknown identity)");
        let mut text = format!(
            "{} {}: {who} as {} on {} ({:.1} ms",
            self.event, self.outcome, self.db_user, self.database, self.duration_ms
        );
        if let Some(rows) = self.rows {
            text.push_str(&format!(", {rows} rows"));
        }
        if let Some(state) = &self.sqlstate {
            text.push_str(&format!(", SQLSTATE {state}"));
        }
        text.push(')');
        text
    }

    /// One JSON line for the `[audit] file` sink.
    pub fn json(&self) -> String {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        serde_json::json!({
            "time": at,
            "event": self.event,
            "outcome": self.outcome,
            "arn": self.arn,
            "database": self.database,
            "db_user": self.db_user,
            "duration_ms": (self.duration_ms * 10.0).round() / 10.0,
            "rows": self.rows,
            "sqlstate": self.sqlstate,
        })
        .to_string()
    }
}

static QUEUE: Mutex<VecDeque<Record>> = Mutex::new(VecDeque::new());
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Whether anyone listens to `middleware.audit` (Python's level, or the CLI).
static AUDIT_ON: AtomicBool = AtomicBool::new(false);
static SINK: Mutex<Option<PathBuf>> = Mutex::new(None);
static STDERR: AtomicBool = AtomicBool::new(false);

struct Bridge;

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with("_core") && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return; // other crates' records (rustls, ...) are not ours to forward
        }
        push(Record {
            level: record.level(),
            logger: python_logger(record.target()),
            message: record.args().to_string(),
            audit: None,
        });
    }

    fn flush(&self) {}
}

/// `_core::pg::session` -> `middleware.pg`.
fn python_logger(target: &str) -> String {
    match target.split("::").nth(1) {
        Some(part) => format!("middleware.{part}"),
        None => "middleware".to_string(),
    }
}

fn push(record: Record) {
    if STDERR.load(Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr(), "{} {}: {}", record.level, record.logger, record.message);
        return;
    }
    let mut queue = QUEUE.locked();
    if queue.len() >= QUEUE_BOUND {
        queue.pop_front();
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
    queue.push_back(record);
}

/// Installs the bridge (once); records start flowing when a level allows.
pub fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if log::set_logger(&Bridge).is_ok() {
            log::set_max_level(log::LevelFilter::Off);
        }
    });
}

/// Follows the listeners' levels: `core` for the `middleware` loggers,
/// `audit` whether `middleware.audit` takes INFO.
pub fn set_levels(core: log::LevelFilter, audit: bool) {
    install();
    log::set_max_level(core);
    AUDIT_ON.store(audit, Ordering::Relaxed);
}

/// The CLI's `--debug`: every record straight to stderr.
pub fn to_stderr() {
    STDERR.store(true, Ordering::Relaxed);
    set_levels(log::LevelFilter::Debug, true);
}

/// Where audit events are also appended as JSON lines (`[audit] file`).
pub fn set_audit_file(path: Option<PathBuf>) {
    *SINK.locked() = path;
}

/// Whether an audit event would go anywhere (build it only then).
pub fn audit_wanted() -> bool {
    AUDIT_ON.load(Ordering::Relaxed) || SINK.locked().is_some()
}

/// Records an audit event: to the `[audit] file` sink (a failing sink never
/// fails the work), and to `middleware.audit`.
pub fn audit(event: Audit) {
    let sink = SINK.locked().clone();
    if let Some(path) = sink {
        let line = event.json();
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            log::warn!("cannot append to the audit file {}: {e}", path.display());
        }
    }
    if AUDIT_ON.load(Ordering::Relaxed) {
        push(Record {
            level: log::Level::Info,
            logger: "middleware.audit".into(),
            message: event.message(),
            audit: Some(event),
        });
    }
}

/// Takes the records made since the last call, and how many were dropped.
pub fn drain() -> (Vec<Record>, u64) {
    let records = QUEUE.locked().drain(..).collect();
    (records, DROPPED.swap(0, Ordering::Relaxed))
}

/// `middleware:{principal}`-style names: the IAM user or role name of an
/// ARN, in a template, trimmed to PostgreSQL's 63 bytes.
pub fn application_name(template: &str, arn: &str) -> String {
    let principal = crate::principal::principal_name(arn);
    let mut name = template.replace("{principal}", principal);
    while name.len() > 63 {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggers_follow_the_module_tree() {
        assert_eq!(python_logger("_core::pg::session"), "middleware.pg");
        assert_eq!(python_logger("_core"), "middleware");
    }

    #[test]
    fn application_names_name_the_principal_within_63_bytes() {
        let arn = "arn:aws:sts::123456789012:assumed-role/data-eng/alice@example.com";
        assert_eq!(application_name("middleware:{principal}", arn), "middleware:data-eng");
        let user = "arn:aws:iam::123456789012:user/team/alice";
        assert_eq!(application_name("middleware:{principal}", user), "middleware:alice");
        let long = format!("arn:aws:iam::1:user/{}", "é".repeat(40));
        let name = application_name("middleware:{principal}", &long);
        assert!(name.len() <= 63 && name.starts_with("middleware:é"));
    }

    #[test]
    fn audit_lines_are_json_with_every_field() {
        let event = Audit {
            event: "query",
            outcome: "timeout",
            arn: Some("arn:aws:iam::1:user/alice".into()),
            database: "analytics".into(),
            db_user: "read_only".into(),
            duration_ms: 12.34,
            rows: None,
            sqlstate: Some("57014".into()),
        };
        let v: serde_json::Value = serde_json::from_str(&event.json()).unwrap();
        assert_eq!(
            (v["event"].as_str(), v["outcome"].as_str(), v["sqlstate"].as_str()),
            (Some("query"), Some("timeout"), Some("57014"))
        );
        assert!(event.message().contains("alice as read_only on analytics"));
    }
}
