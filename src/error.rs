//! The one error type of the core. Messages are written for the person who
//! will read them: what happened, to whom, and what to do next. The Python
//! mapping (python/exceptions.rs) and the CLI exit codes both start here.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is missing, unreadable or invalid.
    #[error("{0}")]
    Config(String),

    /// The caller may not use what it asked for (our pre-check or AWS's own denial).
    #[error("{}", .0.message)]
    AccessDenied(Box<AccessDenied>),

    /// No credstash record with that name (and version).
    #[error("{message}")]
    SecretNotFound { name: String, message: String },

    /// A record failed its HMAC check or could not be decoded.
    #[error("{message}")]
    SecretIntegrity { name: String, message: String },

    /// KMS refused or failed (other than an access denial).
    #[error("{message}")]
    Kms { message: String, aws_code: Option<String> },

    /// Any other AWS failure (DynamoDB, STS, network to AWS).
    #[error("{message}")]
    Aws { message: String, aws_code: Option<String> },

    /// The server answered with an error; fields kept as PostgreSQL sent them.
    #[error("{}", .0.display())]
    Database(Box<DbError>),

    /// A query ran past its limit. `cancelled` only when the server confirmed
    /// the cancel (the statement did not take effect).
    #[error("{message}")]
    QueryTimeout { message: String, limit: Duration, elapsed: Duration, cancelled: bool },

    /// Ctrl-C / a notebook interrupt stopped the work.
    #[error("interrupted")]
    Interrupted,

    /// The connection could not be made or was lost.
    #[error("{0}")]
    Operational(String),

    /// Misuse of the API: a closed connection or cursor, a bad argument type.
    #[error("{0}")]
    Interface(String),

    /// A mistake in the SQL or its parameters, or a bad argument value.
    #[error("{0}")]
    Programming(String),

    /// A value that cannot be represented.
    #[error("{0}")]
    Data(String),

    /// Something this driver does not do.
    #[error("{0}")]
    NotSupported(String),
}

/// Why access was denied, with everything a person needs to ask for it.
#[derive(Debug, Default)]
pub struct AccessDenied {
    pub message: String,
    /// The caller's IAM ARN, when known.
    pub arn: Option<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    /// The database users this identity may use on `database`.
    pub allowed: Vec<String>,
    /// Whom to ask (`[access] contact`).
    pub contact: Option<String>,
    /// AWS's error code when AWS itself said no (e.g. `AccessDeniedException`).
    pub aws_code: Option<String>,
    /// The AWS action that was denied (e.g. `kms:Decrypt`).
    pub action: Option<String>,
}

/// A PostgreSQL error as the server sent it.
#[derive(Debug, Default, Clone)]
pub struct DbError {
    pub sqlstate: String,
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<u32>,
    /// Extra context we add (e.g. which database and user), shown after the server's text.
    pub context: Option<String>,
}

impl DbError {
    fn display(&self) -> String {
        let mut out = format!("{} (SQLSTATE {})", self.message, self.sqlstate);
        if let Some(detail) = &self.detail {
            out.push_str("\nDETAIL: ");
            out.push_str(detail);
        }
        if let Some(hint) = &self.hint {
            out.push_str("\nHINT: ");
            out.push_str(hint);
        }
        if let Some(context) = &self.context {
            out.push('\n');
            out.push_str(context);
        }
        out
    }
}

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }

    /// Whether this is the server's error with that SQLSTATE.
    pub fn is_sqlstate(&self, state: &tokio_postgres::error::SqlState) -> bool {
        matches!(self, Error::Database(db) if db.sqlstate == state.code())
    }

    /// The process exit code of the CLI for this error (DESIGN.md: 1 error,
    /// 3 access denied, 4 timeout; 2 is for usage errors, decided by clap).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::AccessDenied(_) => 3,
            Error::QueryTimeout { .. } => 4,
            Error::Interrupted => 130,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_keep_sqlstate_detail_and_hint_in_text() {
        let err = Error::Database(Box::new(DbError {
            sqlstate: "42P01".into(),
            severity: "ERROR".into(),
            message: "relation \"nope\" does not exist".into(),
            hint: Some("check the schema".into()),
            ..DbError::default()
        }));
        let text = err.to_string();
        assert!(text.contains("42P01") && text.contains("HINT: check the schema"), "{text}");
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn exit_codes_follow_the_cli_contract() {
        assert_eq!(Error::AccessDenied(Box::default()).exit_code(), 3);
        let timeout = Error::QueryTimeout {
            message: String::new(),
            limit: Duration::from_secs(1),
            elapsed: Duration::from_secs(1),
            cancelled: true,
        };
        assert_eq!(timeout.exit_code(), 4);
    }
}
