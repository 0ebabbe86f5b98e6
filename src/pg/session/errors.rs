//! Errors of a session's queries, and what they say about the connection.

use tokio_postgres::error::SqlState;

use super::Session;
use crate::Error;
use crate::pg::connect::{chain, db_error};
use crate::pg::query;

impl Session {
    /// Maps an error from a query on this session; an error that means the
    /// connection is gone marks it closed before anyone sees the error.
    pub(in crate::pg) fn fail(&self, e: &tokio_postgres::Error) -> Error {
        if let Some(db) = e.as_db_error() {
            let gone = [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW]
                .contains(db.code())
                || matches!(db.severity(), "FATAL" | "PANIC");
            if gone {
                self.mark_closed();
            }
            return Error::Database(Box::new(db_error(db)));
        }
        if let Some(param) = query::param_error(e) {
            // Our own parameter encoder refused a value: a data problem, not the connection's.
            return Error::Data(param);
        }
        if e.is_closed() || self.is_closed() || is_io(e) {
            self.mark_closed();
            return Error::Operational(format!(
                "the connection to {} was lost ({}); reconnect to continue",
                self.label(),
                chain(e)
            ));
        }
        Error::Operational(format!("query on {} failed: {}", self.label(), chain(e)))
    }
}

pub(super) fn is_query_canceled(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::QUERY_CANCELED)
}

/// An IO error (EOF, reset) under the tokio-postgres error: the link is gone.
fn is_io(e: &tokio_postgres::Error) -> bool {
    std::error::Error::source(e).is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
}
