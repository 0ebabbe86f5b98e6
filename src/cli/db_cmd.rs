//! `middleware query` and `middleware connect`: the broker's connection, in a
//! terminal.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{Context, format, output, psql};
use crate::broker::{self, Request};
use crate::config::Config;
use crate::pg::query;
use crate::{Error, Result, duration};

/// Which database, as whom.
#[derive(Args, Debug)]
pub struct Target {
    /// A database from the config (default: the first one).
    pub database: Option<String>,
    /// The database user (default: the database's default_user).
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// The AWS profile to act as.
    #[arg(short = 'p', long)]
    pub profile: Option<String>,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  middleware query \"select count(*) from sales\"\n  \
    middleware query analytics -u read_write --timeout 5m -f report.sql --format csv > out.csv\n  \
    echo 'select 1' | middleware query -")]
pub struct QueryArgs {
    /// [DATABASE] SQL: a database from the config (default: the first one),
    /// then the SQL to run, or `-` to read it from standard input.
    #[arg(value_name = "ARGS", num_args = 0..=2)]
    positional: Vec<String>,
    #[arg(short = 'u', long)]
    user: Option<String>,
    #[arg(short = 'p', long)]
    profile: Option<String>,
    /// Read the SQL from a file.
    #[arg(short = 'f', long)]
    file: Option<PathBuf>,
    /// Time limit, e.g. 30s, 5m (default: the database's default_timeout).
    #[arg(long, value_parser = duration::parse)]
    timeout: Option<Duration>,
    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

impl QueryArgs {
    /// (database, sql) from the positional arguments.
    fn split(&self) -> Result<(Option<&str>, Option<&str>)> {
        match (self.positional.as_slice(), &self.file) {
            ([], _) => Ok((None, None)),
            ([one], Some(_)) => Ok((Some(one.as_str()), None)),
            ([one], None) => Ok((None, Some(one.as_str()))),
            ([db, sql], None) => Ok((Some(db.as_str()), Some(sql.as_str()))),
            (_, Some(_)) => {
                Err(Error::Interface("give the SQL either as an argument or with -f FILE, not both".into()))
            }
            _ => Err(Error::Interface("too many arguments: middleware query [DATABASE] SQL".into())),
        }
    }
}

fn sql_text(args: &QueryArgs) -> Result<String> {
    let (_, sql) = args.split()?;
    let sql = match (sql, &args.file) {
        (_, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| Error::Interface(format!("cannot read SQL from {}: {e}", path.display())))?,
        (Some("-"), None) => {
            let mut buf = String::new();
            std::io::stdin()
                .read_to_string(&mut buf)
                .map_err(|e| Error::Interface(format!("cannot read SQL from standard input: {e}")))?;
            buf
        }
        (Some(s), None) => s.to_string(),
        (None, None) => {
            return Err(Error::Interface("give the SQL to run, `-f FILE`, or `-` for standard input".into()));
        }
    };
    if sql.trim().is_empty() {
        return Err(Error::Interface("the SQL to run is empty".into()));
    }
    Ok(sql)
}

pub fn query(ctx: &Context, args: &QueryArgs) -> Result<()> {
    let sql = sql_text(args)?;
    let config = Config::load(&ctx.sources)?;
    let req = Request::new(&config, args.split()?.0, args.user.as_deref(), args.profile.clone())?;
    let limit = broker::query_timeout(req.db, args.timeout)?;
    let outcome = ctx.interruptible(|interrupt| async move {
        let session = broker::connect(&req).await?;
        session.set_autocommit(true)?; // one statement, committed as it runs (as psql)
        spinning(query::run(&session, &sql, &[], Some(limit), interrupt)).await
    })?;
    let tty = std::io::stdout().is_terminal();
    let text = match args.format.unwrap_or(if tty { Format::Table } else { Format::Csv }) {
        Format::Table => format::to_table(&outcome, tty && std::env::var_os("NO_COLOR").is_none()),
        Format::Csv => format::to_csv(&outcome),
        Format::Json => format::to_json(&outcome),
        Format::Jsonl => format::to_jsonl(&outcome),
    };
    output::write_stdout(text.as_bytes())
}

/// Shows an elapsed-time spinner on stderr (a terminal only) while `work`
/// runs past a second, and clears it when done.
async fn spinning<T>(work: impl std::future::Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    let started = std::time::Instant::now();
    let spinner = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for frame in ["|", "/", "-", "\\"].iter().cycle() {
            eprint!("\r{frame} running {:.1}s (Ctrl-C cancels) ", started.elapsed().as_secs_f64());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let result = tokio::select! {
        result = work => result,
        () = spinner => unreachable!("the spinner never ends"),
    };
    if started.elapsed() >= Duration::from_secs(1) {
        eprint!("\r\x1b[2K");
    }
    result
}

/// Opens psql as the configured user (see `psql.rs` for how the password
/// reaches it and when it is removed).
pub fn connect(ctx: &Context, target: &Target) -> Result<i32> {
    let config = Config::load(&ctx.sources)?;
    let req = Request::new(&config, target.database.as_deref(), target.user.as_deref(), target.profile.clone())?;
    let db = req.db;
    let psql = which("psql").ok_or_else(|| {
        Error::Operational(
            "psql is not installed: install it with `apt-get install postgresql-client` (Debian/Ubuntu) \
             or `brew install libpq` (macOS), then try again"
                .into(),
        )
    })?;
    // Checks access, fetches the password and proves it works before psql
    // starts; psql gets the host and password that worked.
    let opened = ctx.block_on(broker::open(&req))?;
    let broker::Opened { session, host, port, user, password } = opened;
    drop(session);
    psql::run(
        &psql,
        &psql::Launch {
            host: &host,
            port,
            dbname: &db.dbname,
            user: &user,
            password: &password,
            sslmode: db.sslmode,
            sslrootcert: db.sslrootcert.as_deref(),
            // An RDS token, like our own client, only over verified TLS.
            allow_insecure_password: db.allow_insecure_password
                && db.source_for(req.user) != crate::config::PasswordSource::RdsIam,
        },
    )
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file()))
}
