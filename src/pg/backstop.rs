//! The server-side backstop: a `statement_timeout` just above the client's
//! limit, for when the client dies and cannot cancel (see session.rs).

use std::time::Duration;

use tokio_postgres::SimpleQueryMessage;

use super::session::BACKSTOP_MARGIN;

/// PostgreSQL's statement_timeout is an int of milliseconds.
const MAX_STATEMENT_TIMEOUT_MS: u64 = i32::MAX as u64;

pub(super) struct Backstop {
    pub ms: u64,
    /// The session's own value, to put back (as `SHOW` printed it).
    pub previous: String,
    /// Set with SET LOCAL inside our transaction: it ends with it.
    pub local: bool,
}

pub(super) fn backstop_ms(limit: Duration) -> u64 {
    u64::try_from((limit + BACKSTOP_MARGIN).as_millis()).unwrap_or(u64::MAX).min(MAX_STATEMENT_TIMEOUT_MS)
}

pub(super) fn set_sql(value: &str, local: bool) -> String {
    let scope = if local { "LOCAL " } else { "" };
    format!("SET {scope}statement_timeout = '{}'", value.replace('\'', "''"))
}

/// What goes out before the statement: put back the old backstop (when
/// there is one and it is not wanted as is), then read the session's own
/// value and set the new one. One simple query, so all or nothing applies.
pub(super) fn prefix_sql(old: Option<&Backstop>, want: Option<u64>, local: bool) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(old) = old {
        parts.push(set_sql(&old.previous, old.local));
    }
    if let Some(ms) = want {
        parts.push("SHOW statement_timeout".to_string());
        parts.push(set_sql(&ms.to_string(), local));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The value `SHOW` printed.
pub(super) fn shown(messages: &[SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backstop_is_clamped_to_postgresqls_range() {
        assert_eq!(backstop_ms(Duration::from_secs(1)), 11_000);
        assert_eq!(backstop_ms(Duration::from_secs(60 * 86_400)), MAX_STATEMENT_TIMEOUT_MS);
    }

    #[test]
    fn the_prefix_puts_back_then_sets_in_one_query() {
        let old = Backstop { ms: 11_000, previous: "0".into(), local: false };
        assert_eq!(
            prefix_sql(Some(&old), Some(12_000), true).as_deref(),
            Some("SET statement_timeout = '0'; SHOW statement_timeout; SET LOCAL statement_timeout = '12000'")
        );
        assert_eq!(prefix_sql(None, None, false), None);
        assert_eq!(set_sql("it's", false), "SET statement_timeout = 'it''s'");
    }
}
