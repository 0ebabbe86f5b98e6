//! `middleware connect`'s psql: the password goes through a 0600 passfile
//! that never outlives psql (never argv, never the environment, which `ps e`
//! shows), and psql gets the same TLS checks as our own client.
//!
//! The passfile lives in `$XDG_RUNTIME_DIR` when there is one (a per-user
//! tmpfs that the session's end clears), else in `$TMPDIR`. It is removed
//! when psql exits, and also when this process gets SIGHUP (the terminal was
//! closed), SIGTERM or SIGINT: those would otherwise kill it without running
//! any cleanup. On SIGHUP/SIGTERM psql gets the same signal and the file is
//! removed at once; on SIGINT psql decides (interactive psql cancels its
//! query and carries on, so this process waits with it).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tokio::signal::unix::{SignalKind, signal};
use zeroize::Zeroizing;

use crate::config::SslMode;
use crate::{Error, Result};

/// What psql connects to, as whom.
pub struct Launch<'a> {
    pub host: &'a str,
    pub port: u16,
    pub dbname: &'a str,
    pub user: &'a str,
    pub password: &'a [u8],
    pub sslmode: SslMode,
    pub sslrootcert: Option<&'a Path>,
    /// The database accepts sending the password without verified TLS.
    pub allow_insecure_password: bool,
}

/// How long psql may take to exit after SIGHUP/SIGTERM before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// Runs psql until it exits; returns its exit code (128 + signal number when
/// a signal ended it, or ended this process).
pub fn run(psql: &Path, launch: &Launch<'_>) -> Result<i32> {
    let major = std::cell::OnceCell::new();
    let major = || *major.get_or_init(|| psql_major(psql));
    let mut tls = tls_env(launch.sslmode, launch.sslrootcert, major, system_bundle)?;
    tls.extend(auth_env(launch.sslmode, launch.allow_insecure_password, major)?);
    // Not `Context::block_on`: signals are handled here, psql must never be
    // abandoned while its passfile exists.
    crate::runtime::block_on(async {
        // Before the passfile exists: from here on these signals no longer
        // kill this process (and psql starts with their default actions).
        let failed = |e: std::io::Error| Error::Operational(format!("cannot watch for signals: {e}"));
        let mut hup = signal(SignalKind::hangup()).map_err(failed)?;
        let mut term = signal(SignalKind::terminate()).map_err(failed)?;
        let mut int = signal(SignalKind::interrupt()).map_err(failed)?;
        let passfile = passfile(launch)?;
        let mut command = std::process::Command::new(psql);
        command
            .env_remove("PGPASSWORD")
            // Either would send psql (and the password) somewhere else than the host below.
            .env_remove("PGSERVICE")
            .env_remove("PGHOSTADDR")
            .env("PGPASSFILE", passfile.path())
            .env("PGHOST", launch.host)
            .env("PGPORT", launch.port.to_string())
            .env("PGDATABASE", launch.dbname)
            .env("PGUSER", launch.user)
            .env("PGAPPNAME", "middleware-psql")
            .envs(tls);
        let mut child = tokio::process::Command::from(command)
            .spawn()
            .map_err(|e| Error::Operational(format!("cannot start psql ({}): {e}", psql.display())))?;
        let pid = child.id().and_then(|id| i32::try_from(id).ok()).and_then(Pid::from_raw);
        let forward = |sig: Signal| {
            if let Some(pid) = pid {
                let _ = rustix::process::kill_process(pid, sig); // it may be gone already
            }
        };
        let ended_by = loop {
            tokio::select! {
                status = child.wait() => {
                    let status = status.map_err(|e| Error::Operational(format!("lost track of psql: {e}")))?;
                    drop(passfile);
                    return Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)));
                }
                _ = hup.recv() => break Signal::HUP,
                _ = term.recv() => break Signal::TERM,
                _ = int.recv() => {
                    // From the terminal, psql (same foreground group) got it too.
                    if !terminal_sent_it() {
                        forward(Signal::INT);
                    }
                }
            }
        };
        forward(ended_by);
        // psql read the passfile when it connected; nothing needs it now.
        drop(passfile);
        if tokio::time::timeout(EXIT_GRACE, child.wait()).await.is_err() {
            forward(Signal::KILL);
            let _ = child.wait().await;
        }
        Ok(128 + ended_by.as_raw())
    })
}

/// The 0600 passfile (created with O_EXCL, close-on-exec), deleted on drop:
/// in `$XDG_RUNTIME_DIR` when it is a directory we may write to (not so
/// after `su`, for one), else in `$TMPDIR` (or /tmp).
fn passfile(launch: &Launch<'_>) -> Result<tempfile::NamedTempFile> {
    let create = |dir: &Path| tempfile::Builder::new().prefix("middleware-pgpass-").tempfile_in(dir);
    let runtime_dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
    let file = match runtime_dir.filter(|d| d.is_dir()).map(|d| create(&d)) {
        Some(Ok(file)) => file,
        _ => {
            let dir = std::env::temp_dir();
            create(&dir).map_err(|e| {
                Error::Operational(format!("cannot create a temporary password file in {}: {e}", dir.display()))
            })?
        }
    };
    let line = passfile_line(launch);
    file.as_file()
        .write_all(line.as_bytes())
        .and_then(|()| file.as_file().flush())
        .map_err(|e| Error::Operational(format!("cannot write the password file: {e}")))?;
    Ok(file)
}

/// `host:port:db:user:password` with `:` and `\` escaped, built in one
/// buffer sized up front and wiped when dropped.
fn passfile_line(launch: &Launch<'_>) -> Zeroizing<String> {
    let fields = [launch.host.as_bytes(), launch.dbname.as_bytes(), launch.user.as_bytes(), launch.password];
    let mut line = Zeroizing::new(String::with_capacity(2 * fields.iter().map(|f| f.len()).sum::<usize>() + 16));
    let escaped = |line: &mut String, field: &str| {
        for c in field.chars() {
            if c == ':' || c == '\\' {
                line.push('\\');
            }
            line.push(c);
        }
    };
    escaped(&mut line, launch.host);
    line.push(':');
    line.push_str(&launch.port.to_string());
    line.push(':');
    escaped(&mut line, launch.dbname);
    line.push(':');
    escaped(&mut line, launch.user);
    line.push(':');
    // The broker checked that the password is UTF-8 before connecting.
    escaped(&mut line, std::str::from_utf8(launch.password).unwrap_or_default());
    line.push('\n');
    line
}

/// Whether a SIGINT came from the terminal's Ctrl-C: this process is in the
/// terminal's foreground process group, as psql is.
fn terminal_sent_it() -> bool {
    rustix::termios::tcgetpgrp(std::io::stdin()).is_ok_and(|foreground| foreground == rustix::process::getpgrp())
}

/// PGSSLMODE and PGSSLROOTCERT: psql checks what our client checks. With
/// verify-ca/verify-full and no `sslrootcert`, libpq would look for
/// ~/.postgresql/root.crt and fail; our client trusts the system's roots, so
/// psql gets them too (`system` from libpq 16 on, else the bundle file).
fn tls_env(
    mode: SslMode,
    rootcert: Option<&Path>,
    psql_major: impl FnOnce() -> Option<u32>,
    bundle: impl FnOnce() -> Option<PathBuf>,
) -> Result<Vec<(&'static str, OsString)>> {
    let mut env = vec![("PGSSLMODE", OsString::from(mode.as_str()))];
    let verified = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull);
    let root = match rootcert {
        Some(path) => Some(path.as_os_str().to_owned()),
        None if !verified => None,
        // libpq refuses sslrootcert=system with anything but verify-full.
        None if mode == SslMode::VerifyFull && psql_major().is_some_and(|v| v >= 16) => Some("system".into()),
        None => Some(
            bundle()
                .ok_or_else(|| {
                    Error::config(format!(
                        "sslmode {} needs trusted root certificates for psql, and no system CA bundle was found \
                         (looked at $SSL_CERT_FILE and {}): set sslrootcert in your database's config",
                        mode.as_str(),
                        BUNDLES.join(", ")
                    ))
                })?
                .into_os_string(),
        ),
    };
    if let Some(root) = root {
        env.push(("PGSSLROOTCERT", root));
    }
    Ok(env)
}

/// Our client never answers a cleartext or MD5 password request over an
/// unverified channel (pg/guard.rs); psql must not either. libpq 16 can be
/// told (PGREQUIREAUTH); an older psql cannot, so it is not started.
fn auth_env(
    mode: SslMode,
    allow_insecure: bool,
    psql_major: impl FnOnce() -> Option<u32>,
) -> Result<Vec<(&'static str, OsString)>> {
    if allow_insecure || matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) {
        return Ok(Vec::new());
    }
    match psql_major() {
        Some(v) if v >= 16 => Ok(vec![("PGREQUIREAUTH", OsString::from("scram-sha-256"))]),
        _ => Err(Error::config(format!(
            "sslmode {} does not verify the server, and this psql (before PostgreSQL 16) cannot refuse to send \
             the password in clear if the server (or someone in between) asks for it. Use sslmode = \"verify-full\" \
             (with sslrootcert for a private CA), install psql 16 or later, or set allow_insecure_password = true \
             for this database if you accept that risk",
            mode.as_str()
        ))),
    }
}

/// Where distributions keep the system's CA bundle.
const BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",   // RHEL, Fedora, Amazon Linux
    "/etc/ssl/cert.pem",                  // macOS, BSDs
    "/etc/ssl/ca-bundle.pem",             // SUSE
];

fn system_bundle() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(BUNDLES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// The major version `psql --version` reports ("psql (PostgreSQL) 15.18 ...").
fn psql_major(psql: &Path) -> Option<u32> {
    let out = std::process::Command::new(psql).arg("--version").output().ok()?;
    parse_major(&String::from_utf8_lossy(&out.stdout))
}

fn parse_major(version: &str) -> Option<u32> {
    let number = version.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    number.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(password: &[u8]) -> Launch<'_> {
        Launch {
            host: "db.example",
            port: 5439,
            dbname: "a:b",
            user: "alice@corp.example",
            password,
            sslmode: SslMode::VerifyFull,
            sslrootcert: None,
            allow_insecure_password: false,
        }
    }

    #[test]
    fn psql_never_sends_a_password_in_clear_unless_allowed() {
        assert!(auth_env(SslMode::VerifyFull, false, || Some(15)).unwrap().is_empty());
        let required = auth_env(SslMode::Require, false, || Some(16)).unwrap();
        assert_eq!(required, [("PGREQUIREAUTH", OsString::from("scram-sha-256"))]);
        let old = auth_env(SslMode::Prefer, false, || Some(15)).unwrap_err().to_string();
        assert!(old.contains("allow_insecure_password") && old.contains("verify-full"), "{old}");
        assert!(auth_env(SslMode::Disable, true, || Some(15)).unwrap().is_empty());
    }

    #[test]
    fn the_passfile_line_escapes_colons_and_backslashes() {
        let line = passfile_line(&launch(br"p:w\d"));
        assert_eq!(line.as_str(), "db.example:5439:a\\:b:alice@corp.example:p\\:w\\\\d\n");
        assert!(line.capacity() >= line.len());
    }

    #[test]
    fn psql_versions() {
        assert_eq!(parse_major("psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), Some(15));
        assert_eq!(parse_major("psql (PostgreSQL) 16beta2"), Some(16));
        assert_eq!(parse_major("psql (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("nonsense"), None);
    }

    #[test]
    fn psql_verifies_what_our_client_verifies() {
        let env = |mode, root: Option<&Path>, major: Option<u32>, bundle: Option<&str>| {
            tls_env(mode, root, || major, || bundle.map(PathBuf::from))
                .map(|e| e.into_iter().map(|(k, v)| format!("{k}={}", v.to_string_lossy())).collect::<Vec<_>>())
        };
        let ca = Path::new("/etc/ca.pem");
        let bundle = Some("/etc/ssl/certs/ca-certificates.crt");
        assert_eq!(
            env(SslMode::VerifyFull, Some(ca), Some(16), bundle).unwrap(),
            ["PGSSLMODE=verify-full", "PGSSLROOTCERT=/etc/ca.pem"]
        );
        assert_eq!(
            env(SslMode::VerifyFull, None, Some(16), bundle).unwrap(),
            ["PGSSLMODE=verify-full", "PGSSLROOTCERT=system"]
        );
        assert_eq!(
            env(SslMode::VerifyFull, None, Some(15), bundle).unwrap(),
            ["PGSSLMODE=verify-full", "PGSSLROOTCERT=/etc/ssl/certs/ca-certificates.crt"]
        );
        assert_eq!(
            env(SslMode::VerifyCa, None, Some(17), bundle).unwrap(),
            ["PGSSLMODE=verify-ca", "PGSSLROOTCERT=/etc/ssl/certs/ca-certificates.crt"]
        );
        assert_eq!(env(SslMode::Require, None, Some(15), None).unwrap(), ["PGSSLMODE=require"]);
        let missing = env(SslMode::VerifyFull, None, Some(15), None).unwrap_err().to_string();
        assert!(missing.contains("sslrootcert") && missing.contains("verify-full"), "{missing}");
    }
}
