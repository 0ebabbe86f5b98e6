//! Opening a connection: tokio-postgres config, TLS by sslmode, the driver
//! task on the one runtime, and errors that say what to do.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_postgres::error::ErrorPosition;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{CancelToken, Client, NoTls, Socket, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;
use zeroize::Zeroizing;

use super::tls;
use crate::config::SslMode;
use crate::error::DbError;
use crate::{Error, Result, runtime};

/// Everything needed to log in. The password is zeroized on drop and never
/// printed (Debug is hand-written).
pub struct Params {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub password: Zeroizing<String>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub application_name: String,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Params")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("sslmode", &self.sslmode)
            .finish_non_exhaustive()
    }
}

/// How long after a CancelRequest a "user request" cancel on another
/// statement is taken for ours (the server-side backstop bounds it).
pub const STRAY_CANCEL_WINDOW: Duration = Duration::from_secs(15);

/// A live connection: the client, what is needed to cancel its query, and
/// whether the server side is gone.
pub struct Session {
    pub client: Client,
    cancel: CancelToken,
    tls: Option<MakeRustlsConnect>,
    closed: Arc<AtomicBool>,
    /// Prepared statements by (sql, parameter type oids).
    pub statements: Mutex<lru::Statements>,
    /// When we last sent a CancelRequest. The server handles them
    /// asynchronously: one may land on a later statement.
    last_cancel: Mutex<Option<std::time::Instant>>,
    /// The statement_timeout last set on the server (ms), if known.
    pub statement_timeout_ms: Mutex<Option<u64>>,
    /// `user@host:port/dbname`, for messages.
    pub label: String,
}

impl Session {
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.client.is_closed()
    }

    /// Asks the server to cancel whatever this connection is running.
    pub async fn cancel(&self) -> Result<()> {
        let sent = match &self.tls {
            Some(tls) => self.cancel.cancel_query(tls.clone()).await,
            None => self.cancel.cancel_query(NoTls).await,
        };
        sent.map_err(|e| Error::Operational(format!("could not send a cancel request to {}: {e}", self.label)))
    }

    pub fn cancel_sent(&self) {
        *self.last_cancel.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::time::Instant::now());
    }

    /// Whether a statement that failed with "canceling statement due to user
    /// request" could have been hit by a late cancel of ours: one was sent
    /// recently on this connection (observed under load: the server can
    /// apply a CancelRequest to the statement after the one it was for).
    pub fn recent_cancel(&self) -> bool {
        self.last_cancel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < STRAY_CANCEL_WINDOW)
    }

    /// Marks the connection unusable (e.g. a cancel that could not be delivered).
    pub fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

pub async fn connect(p: &Params) -> Result<Session> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&p.host)
        .port(p.port)
        .dbname(&p.dbname)
        .user(&p.user)
        .password(p.password.as_bytes())
        .application_name(&p.application_name)
        .connect_timeout(p.connect_timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(60))
        .ssl_mode(match p.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
    let label = format!("{}@{}:{}/{}", p.user, p.host, p.port, p.dbname);
    let tls = tls::connector(p.sslmode, p.sslrootcert.as_deref())?;
    let closed = Arc::new(AtomicBool::new(false));
    let target = (label.as_str(), p.sslmode);
    let client = match &tls {
        Some(tls) => handshake(&config, tls.clone(), p.connect_timeout, target, closed.clone()).await?,
        None => handshake(&config, NoTls, p.connect_timeout, target, closed.clone()).await?,
    };
    let cancel = client.cancel_token();
    Ok(Session {
        client,
        cancel,
        tls,
        closed,
        statements: Mutex::new(lru::Statements::default()),
        statement_timeout_ms: Mutex::new(None),
        last_cancel: Mutex::new(None),
        label,
    })
}

/// Logs in over `tls` and starts the connection's driver task, which sets
/// `closed` when the server side goes away. The whole handshake (TCP, TLS,
/// auth) is bounded, not just the TCP connect.
async fn handshake<T>(
    config: &tokio_postgres::Config,
    tls: T,
    bound: Duration,
    (label, mode): (&str, SslMode),
    closed: Arc<AtomicBool>,
) -> Result<Client>
where
    T: MakeTlsConnect<Socket> + Send,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = tokio::time::timeout(bound, config.connect(tls))
        .await
        .map_err(|_| timed_out(label, bound))?
        .map_err(|e| connect_error(&e, label, mode))?;
    runtime::spawn(async move {
        let _ = connection.await;
        closed.store(true, Ordering::SeqCst);
    });
    Ok(client)
}

fn timed_out(label: &str, bound: Duration) -> Error {
    Error::Operational(format!(
        "connecting to {label} timed out after {}: check that the host is reachable (VPN, security groups) \
         or raise connect_timeout",
        crate::duration::display(bound)
    ))
}

fn connect_error(e: &tokio_postgres::Error, label: &str, mode: SslMode) -> Error {
    if let Some(db) = e.as_db_error() {
        let mut err = db_error(db);
        let advice = match db.code().code() {
            "28P01" => "the password was rejected",
            "28000" if db.message().contains("no encryption") || db.message().contains("SSL off") => {
                "the server requires TLS: set sslmode = \"require\" or \"verify-full\""
            }
            "3D000" => "the database does not exist: check dbname",
            _ => "",
        };
        err.context = Some(format!(
            "while connecting to {label}{}",
            if advice.is_empty() { String::new() } else { format!(": {advice}") }
        ));
        return Error::Database(Box::new(err));
    }
    let detail = chain(e);
    let hint = if detail.contains("certificate") || detail.contains("InvalidCertificate") {
        format!(
            " The server's TLS certificate was not accepted under sslmode={}: check sslrootcert and the host name.",
            mode.as_str()
        )
    } else if detail.contains("refused") {
        " Is the database running, and are host and port right?".to_string()
    } else if detail.contains("server does not support TLS") || detail.contains("TLS") {
        format!(" (sslmode={})", mode.as_str())
    } else {
        String::new()
    };
    Error::Operational(format!("cannot connect to {label}: {detail}.{hint}"))
}

/// The error and its causes, joined (tokio-postgres's Display is terse).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

pub fn db_error(db: &tokio_postgres::error::DbError) -> DbError {
    DbError {
        sqlstate: db.code().code().to_string(),
        severity: db.severity().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
        position: match db.position() {
            Some(ErrorPosition::Original(p)) => Some(*p),
            _ => None,
        },
        context: None,
    }
}

/// Maps an error from a query on an open session.
pub fn query_error(e: &tokio_postgres::Error, session: &Session) -> Error {
    if let Some(db) = e.as_db_error() {
        return Error::Database(Box::new(db_error(db)));
    }
    if e.to_string().starts_with("error serializing parameter") {
        // Our own parameter encoder refused a value: a data problem, not the connection's.
        return Error::Data(chain(e));
    }
    if e.is_closed() || session.is_closed() {
        session.mark_closed();
        return Error::Operational(format!(
            "the connection to {} was lost ({}); reconnect to continue",
            session.label,
            chain(e)
        ));
    }
    Error::Operational(format!("query on {} failed: {}", session.label, chain(e)))
}

/// A small LRU of prepared statements per connection.
pub mod lru {
    use super::Statement;

    const CAPACITY: usize = 128;

    #[derive(Default)]
    pub struct Statements(Vec<((String, Vec<u32>), Statement)>);

    impl Statements {
        pub fn get(&mut self, sql: &str, types: &[u32]) -> Option<Statement> {
            let at = self.0.iter().position(|((s, t), _)| s == sql && t == types)?;
            let entry = self.0.remove(at);
            let statement = entry.1.clone();
            self.0.push(entry);
            Some(statement)
        }

        pub fn put(&mut self, sql: &str, types: &[u32], statement: Statement) {
            if self.0.len() >= CAPACITY {
                self.0.remove(0);
            }
            self.0.push(((sql.to_string(), types.to_vec()), statement));
        }

        pub fn clear(&mut self) {
            self.0.clear();
        }
    }
}
