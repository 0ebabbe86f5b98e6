//! The result-size guard (`max_result_rows`, `max_result_bytes`): a result
//! that is held in memory whole (a cursor's `execute`, `Rows`, `query_arrow`,
//! the CLI) stops being read once it passes the database's limit, and the
//! statement is cancelled through the session's cancel-and-drain path (as a
//! timeout is). Results read as they arrive (`stream()`, named cursors) are
//! the remedy, so they are never capped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;
use tokio_postgres::Row;

use super::Session;
use crate::Error;

/// A database's limits on a buffered result; None: no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultCap {
    pub rows: Option<u64>,
    /// Counted as the rows' size on the wire (PostgreSQL's DataRow bodies).
    pub bytes: Option<u64>,
    /// The configured database's name, for messages.
    pub database: String,
}

impl ResultCap {
    pub fn is_set(&self) -> bool {
        self.rows.is_some() || self.bytes.is_some()
    }
}

/// Which limit a result passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Rows(u64),
    Bytes(u64),
}

/// One statement's count against a [`ResultCap`]. The statement adds rows;
/// the session waits on [`Tally::tripped`] to send the cancel.
pub struct Tally<'a> {
    cap: &'a ResultCap,
    rows: AtomicU64,
    bytes: AtomicU64,
    over: OnceLock<Exceeded>,
    notify: Notify,
}

impl<'a> Tally<'a> {
    pub fn new(cap: &'a ResultCap) -> Self {
        Tally { cap, rows: AtomicU64::new(0), bytes: AtomicU64::new(0), over: OnceLock::new(), notify: Notify::new() }
    }

    /// Counts one row; false once the result is over a limit (the row, and
    /// every row after it, is to be dropped).
    pub fn admit(&self, row: &Row) -> bool {
        if self.over.get().is_some() {
            return false;
        }
        let rows = self.rows.fetch_add(1, Ordering::Relaxed) + 1;
        let size = u64::try_from(row.raw_size_bytes()).unwrap_or(u64::MAX);
        let bytes = self.bytes.fetch_add(size, Ordering::Relaxed).saturating_add(size);
        let exceeded = match (self.cap.rows, self.cap.bytes) {
            (Some(max), _) if rows > max => Exceeded::Rows(max),
            (_, Some(max)) if bytes > max => Exceeded::Bytes(max),
            _ => return true,
        };
        let _ = self.over.set(exceeded);
        self.notify.notify_one();
        false
    }

    pub fn over(&self) -> Option<Exceeded> {
        self.over.get().copied()
    }

    /// Resolves once the result passed a limit.
    pub async fn tripped(&self) {
        if self.over().is_none() {
            self.notify.notified().await;
        }
    }
}

/// What became of the statement whose result was too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// The server confirmed the cancel. `aborted`: the caller's own
    /// transaction is now aborted (it must roll back).
    Cancelled { aborted: bool },
    /// It had completed before the cancel landed (or before one was sent).
    Completed(Kept),
    /// Neither could be confirmed: the connection was closed.
    Unknown,
}

/// Where a completed statement's effects are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Autocommit: it took effect.
    Committed,
    /// The transaction this call opened was rolled back.
    RolledBack,
    /// Inside the caller's open transaction.
    InTransaction,
}

impl Session {
    /// The error for a result that passed its limit (`tally` tripped).
    pub(super) fn too_large(&self, tally: Option<&Tally<'_>>, fate: Fate) -> Error {
        // Only a tripped tally stops work, so the fallback is not reached.
        static UNKNOWN: ResultCap = ResultCap { rows: None, bytes: None, database: String::new() };
        let (cap, exceeded) = tally.and_then(|t| t.over().map(|o| (t.cap, o))).unwrap_or((&UNKNOWN, Exceeded::Rows(0)));
        too_large(cap, exceeded, fate, self.label())
    }
}

/// The one message for a result over its limit, on every path.
pub fn too_large(cap: &ResultCap, exceeded: Exceeded, fate: Fate, label: &str) -> Error {
    let what = match exceeded {
        Exceeded::Rows(max) => format!("max_result_rows = {max} (it has more than {max} rows)"),
        Exceeded::Bytes(max) => format!("max_result_bytes = {max} (it has more than {max} bytes on the wire)"),
    };
    let fate = match fate {
        Fate::Cancelled { aborted: false } => "so reading stopped and the query was cancelled on the server: it did \
                                               not take effect, and the connection is ready for the next statement"
            .to_string(),
        Fate::Cancelled { aborted: true } => "so reading stopped and the query was cancelled on the server: it did \
                                              not take effect, and the open transaction is now aborted: call \
                                              rollback() before running anything else"
            .to_string(),
        Fate::Completed(Kept::Committed) => "but the statement had already completed on the server (in autocommit, \
                                             so it took effect) when reading stopped; its rows were discarded"
            .to_string(),
        Fate::Completed(Kept::RolledBack) => "but the statement had already completed on the server when reading \
                                              stopped; its transaction was rolled back, so it did not take effect"
            .to_string(),
        Fate::Completed(Kept::InTransaction) => "but the statement had already completed on the server when reading \
                                                 stopped, so it took effect inside the open transaction (commit() or \
                                                 rollback() as you intend); its rows were discarded"
            .to_string(),
        Fate::Unknown => format!(
            "so reading stopped, but the server did not confirm the cancel in time and the connection to {label} was \
             closed. The statement may have completed: check before running it again"
        ),
    };
    Error::Operational(format!(
        "the result is larger than {what}, the limit set for database {:?}, {fate}. To read a result this large, use \
         cursor.stream(sql) or a named cursor (conn.cursor(name=...)), which read rows as they arrive; or add a \
         LIMIT to the query.",
        cap.database
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_the_database_and_the_remedies() {
        let cap = ResultCap { rows: Some(10), bytes: None, database: "analytics".into() };
        let text = too_large(&cap, Exceeded::Rows(10), Fate::Cancelled { aborted: false }, "u@h:1/d").to_string();
        for part in ["max_result_rows = 10", "\"analytics\"", "cancelled", "stream(", "cursor(name=", "LIMIT"] {
            assert!(text.contains(part), "{part:?} missing from {text}");
        }
        let aborted = too_large(&cap, Exceeded::Bytes(5), Fate::Cancelled { aborted: true }, "x").to_string();
        assert!(aborted.contains("max_result_bytes = 5") && aborted.contains("rollback()"), "{aborted}");
        let unknown = too_large(&cap, Exceeded::Rows(10), Fate::Unknown, "u@h:1/d").to_string();
        assert!(unknown.contains("may have completed") && unknown.contains("u@h:1/d"), "{unknown}");
    }

    #[test]
    fn an_unset_cap_is_not_set() {
        assert!(!ResultCap::default().is_set());
        assert!(ResultCap { bytes: Some(1), ..ResultCap::default() }.is_set());
    }
}
