//! Opening a connection: our own TCP socket (watched during login, see
//! [`super::guard`]), TLS by sslmode, the driver task on the session's runtime, and
//! errors that say what to do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_postgres::CancelToken;
use tokio_postgres::error::{ErrorPosition, SqlState};
use zeroize::Zeroizing;

use super::guard::{self, Guarded};
use super::session::Session;
use super::tls::Tls;
use crate::config::SslMode;
use crate::error::DbError;
use crate::runtime::Driver;
use crate::{Error, Result};

/// Everything needed to log in. The password is zeroized on drop and never
/// printed (Debug is hand-written).
#[derive(Clone)]
pub struct Params {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub password: Zeroizing<String>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    /// Answer cleartext/MD5 password requests without verified TLS.
    pub allow_insecure_password: bool,
    pub connect_timeout: Duration,
    pub application_name: String,
    /// The session's IO is driven by the thread waiting on it (a blocking
    /// Python connection) rather than by the shared runtime's workers.
    pub own_driver: bool,
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

/// How to reach the server again for a CancelRequest.
#[derive(Clone)]
pub struct Link {
    host: String,
    port: u16,
    tls: Tls,
    token: CancelToken,
    /// `user@host:port/dbname`, for messages.
    pub label: String,
}

impl Link {
    /// Sends a CancelRequest and waits until the server closed that
    /// connection, i.e. until the cancel was delivered to the backend.
    pub async fn cancel(self) -> Result<()> {
        let socket = tcp(&self.host, self.port)
            .await
            .map_err(|e| Error::Operational(format!("could not send a cancel request to {}: {e}", self.label)))?;
        self.token.cancel_query_raw(Guarded::draining(socket), self.tls).await.map_err(|e| {
            Error::Operational(format!("could not send a cancel request to {}: {}", self.label, chain(&e)))
        })
    }
}

/// Logs in. With `p.own_driver` the session gets a runtime of its own,
/// driven by the thread that waits on it (see [`Driver`]).
pub async fn connect(p: &Params) -> Result<Session> {
    let driver = if p.own_driver {
        Driver::own().map_err(|e| Error::Operational(format!("cannot start a connection's runtime: {e}")))?
    } else {
        Driver::Shared
    };
    // The whole handshake (DNS, TCP, TLS, auth) is bounded, not just the TCP connect.
    let deadline = tokio::time::Instant::now() + p.connect_timeout;
    let label = format!("{}@{}:{}/{}", p.user, p.host, p.port, p.dbname);
    // Resolved here, on the shared runtime: a lookup blocks a thread, and
    // an own runtime would keep a blocking thread of its own for it.
    let addrs = tokio::time::timeout_at(deadline, tokio::net::lookup_host((p.host.as_str(), p.port)))
        .await
        .map_err(|_| timed_out(&label, p.connect_timeout))?
        .map_err(|e| io_error(&e, &label))?
        .collect();
    driver.run(login(p.clone(), addrs, deadline, driver.clone())).await
}

async fn login(p: Params, addrs: Vec<SocketAddr>, deadline: tokio::time::Instant, driver: Driver) -> Result<Session> {
    let mut config = tokio_postgres::Config::new();
    config
        .dbname(&p.dbname)
        .user(&p.user)
        .password(p.password.as_bytes())
        .application_name(&p.application_name)
        .ssl_mode(match p.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
    let label = format!("{}@{}:{}/{}", p.user, p.host, p.port, p.dbname);
    let tls = Tls::new(p.sslmode, p.sslrootcert.as_deref(), &p.host, p.allow_insecure_password)?;
    let closed = Arc::new(AtomicBool::new(false));
    let login = async {
        let socket = tcp_to(addrs).await.map_err(|e| io_error(&e, &label))?;
        let watched = Guarded::new(socket, tls.plain_watch());
        config.connect_raw(watched, tls.clone()).await.map_err(|e| connect_error(&e, &label, p.sslmode))
    };
    let started = std::time::Instant::now();
    let (client, connection) =
        tokio::time::timeout_at(deadline, login).await.map_err(|_| timed_out(&label, p.connect_timeout))??;
    log::debug!(
        "connected to {label} (sslmode={}) in {:.1} ms",
        p.sslmode.as_str(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let driver_closed = closed.clone();
    let ended = driver.spawn(async move {
        let _ = connection.await;
        driver_closed.store(true, Ordering::SeqCst);
    });
    let link = Link { host: p.host.clone(), port: p.port, tls, token: client.cancel_token(), label };
    Ok(Session::new(client, link, (closed, ended), driver))
}

/// A TCP connection to the first address of `host` that answers, with
/// keepalives (a silently dropped peer is noticed) and no Nagle delay.
async fn tcp(host: &str, port: u16) -> std::io::Result<TcpStream> {
    tcp_to(tokio::net::lookup_host((host, port)).await?.collect()).await
}

/// A TCP connection to the first of `addrs` that answers (as [`tcp`]).
async fn tcp_to(addrs: Vec<SocketAddr>) -> std::io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                let keepalive = socket2::TcpKeepalive::new().with_time(Duration::from_secs(60));
                socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")))
}

fn io_error(e: &std::io::Error, label: &str) -> Error {
    let hint = match e.kind() {
        std::io::ErrorKind::ConnectionRefused => " Is the database running, and are host and port right?",
        _ => " Check the host name and that it is reachable (VPN, security groups).",
    };
    Error::Operational(format!("cannot connect to {label}: {e}.{hint}"))
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
        let advice = match db.code() {
            c if *c == SqlState::INVALID_PASSWORD => "the password was rejected",
            c if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                && (db.message().contains("no encryption") || db.message().contains("SSL off")) =>
            {
                "the server requires TLS: set sslmode = \"verify-full\" (or \"require\")"
            }
            c if *c == SqlState::INVALID_CATALOG_NAME => "the database does not exist: check dbname",
            _ => "",
        };
        err.context = Some(format!(
            "while connecting to {label}{}",
            if advice.is_empty() { String::new() } else { format!(": {advice}") }
        ));
        return Error::Database(Box::new(err));
    }
    if let Some(refused) = guard::refusal(e) {
        return Error::Operational(format!("cannot connect to {label}: {refused}"));
    }
    let detail = chain(e);
    let hint = if certificate_rejected(e) {
        format!(
            " The server's TLS certificate was not accepted under sslmode={}: if the server's CA is private \
             (a self-signed or company CA, RDS), point sslrootcert at its certificate; check the host name too.",
            mode.as_str()
        )
    } else if detail.contains("server does not support TLS") {
        format!(" The server does not offer TLS (sslmode={}).", mode.as_str())
    } else {
        String::new()
    };
    Error::Operational(format!("cannot connect to {label}: {detail}.{hint}"))
}

/// Whether rustls refused the server's certificate (found by type in the
/// error's causes).
fn certificate_rejected(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(rustls::Error::InvalidCertificate(_)) = inner.downcast_ref::<rustls::Error>()
        {
            return true;
        }
        if let Some(rustls::Error::InvalidCertificate(_)) = err.downcast_ref::<rustls::Error>() {
            return true;
        }
        source = err.source();
    }
    false
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
