//! Who ran what: a DEBUG record per statement and the audit event.

use std::time::Instant;

use tokio_postgres::error::SqlState;

use super::Session;
use crate::pg::query::Outcome;
use crate::{Error, Result};

impl Session {
    /// A DEBUG record (SQL text only at this level) and the audit event.
    pub(super) fn record(&self, sql: &str, started: Instant, result: &Result<Outcome>) {
        let took_ms = started.elapsed().as_secs_f64() * 1e3;
        let (outcome, rows, sqlstate) = match result {
            Ok(o) => ("ok", o.rows_affected, None),
            Err(Error::QueryTimeout { cancelled, .. }) => {
                ("timeout", None, cancelled.then(|| SqlState::QUERY_CANCELED.code().to_string()))
            }
            Err(Error::Database(db)) => ("error", None, Some(db.sqlstate.clone())),
            Err(_) => ("error", None, None),
        };
        log::debug!(
            "query {outcome} on {} in {took_ms:.1} ms ({} rows): {}",
            self.label(),
            rows.map_or_else(|| "no".to_string(), |n| n.to_string()),
            sql.chars().take(2000).collect::<String>()
        );
        if !crate::logging::audit_wanted() {
            return;
        }
        let who = self.audited.get();
        crate::logging::audit(crate::logging::Audit {
            event: "query",
            outcome,
            arn: who.and_then(|w| w.arn.clone()),
            database: who.map(|w| w.database.clone()).unwrap_or_default(),
            db_user: who.map(|w| w.db_user.clone()).unwrap_or_default(),
            duration_ms: took_ms,
            rows,
            sqlstate,
        });
    }
}
