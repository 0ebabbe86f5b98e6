//! The `middleware` command line. Entered from Python with `sys.argv`
//! (`middleware._core.run_cli`); returns an exit code and never exits the
//! process itself. Exit codes: 0 ok, 1 error, 2 usage, 3 access denied,
//! 4 timeout.

mod access_cmd;
mod config_cmd;
mod db_cmd;
mod format;
mod output;
mod psql;
mod secrets_cmd;
mod secrets_format;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Error;
use crate::config::Sources;

#[derive(Parser, Debug)]
#[command(
    name = "middleware",
    version = crate::LONG_VERSION,
    about = "Database access for data teams: credstash passwords, per-user access, PostgreSQL/Redshift.",
    after_help = "Examples:\n  middleware whoami\n  middleware query \"select count(*) from sales\" --timeout 30s\n  \
        middleware connect analytics -u read_only\n  middleware secrets list\n  middleware config show",
)]
struct Cli {
    /// On errors, also print every detail (the full error chain).
    #[arg(long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Open psql on a database as a database user (password never on the command line).
    #[command(after_help = "Examples:\n  middleware connect\n  middleware connect analytics -u read_write\n  \
        middleware connect analytics -p data-eng-profile")]
    Connect(db_cmd::Target),
    /// Run SQL with a time limit and print the rows.
    Query(db_cmd::QueryArgs),
    /// Show your AWS identity and which database users you may use.
    #[command(after_help = "Examples:\n  middleware whoami\n  middleware whoami -p other-profile")]
    Whoami(access_cmd::ProfileArg),
    /// Check every link: credentials, identity, policy, table, KMS, database login.
    #[command(after_help = "Examples:\n  middleware doctor\n  middleware doctor analytics -u read_write")]
    Doctor(db_cmd::Target),
    /// Print the IAM policy that lets a principal read one database user's password.
    #[command(after_help = "Examples:\n  middleware iam-policy analytics read_only > read_only-policy.json\n  \
        aws iam put-role-policy --role-name analysts --policy-name analytics-read-only \\\n    \
        --policy-document file://read_only-policy.json")]
    IamPolicy(access_cmd::PolicyArgs),
    /// Read and write credstash secrets (credstash's commands and flags).
    Secrets(Box<secrets_cmd::SecretsArgs>),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  middleware completion bash > ~/.local/share/bash-completion/completions/middleware\n  \
        middleware completion zsh > \"${fpath[1]}/_middleware\"\n  \
        middleware completion fish > ~/.config/fish/completions/middleware.fish"
    )]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Show or check the resolved configuration.
    #[command(
        after_help = "Examples:\n  middleware config show\n  MIDDLEWARE_CONFIG=./middleware.toml middleware config check"
    )]
    Config {
        #[command(subcommand)]
        action: config_cmd::Action,
    },
}

/// Tells whether the user pressed Ctrl-C (Python's pending signals, when the
/// CLI runs inside the Python entry point).
pub type InterruptCheck<'a> = &'a (dyn Fn() -> bool + Sync);

/// Everything a command needs from its caller.
pub struct Context<'a> {
    pub sources: Sources,
    interrupted: InterruptCheck<'a>,
}

impl Context<'_> {
    /// Runs async work to completion; Ctrl-C stops it with `Error::Interrupted`.
    pub fn block_on<T>(&self, work: impl std::future::Future<Output = crate::Result<T>>) -> crate::Result<T> {
        self.interruptible(|_| work)
    }

    /// Like [`Context::block_on`], handing the work the interrupt so it can
    /// clean up (a query cancels itself on the server).
    pub fn interruptible<T, F>(&self, work: impl FnOnce(crate::runtime::Interrupt) -> F) -> crate::Result<T>
    where
        F: std::future::Future<Output = crate::Result<T>>,
    {
        let poll = || if (self.interrupted)() { Err(()) } else { Ok(()) };
        crate::runtime::block_on_interruptible(work, poll).unwrap_or(Err(Error::Interrupted))
    }
}

/// Runs the CLI with `argv` (program name first) and returns the exit code.
pub fn run(argv: &[String], packaged_config: Option<PathBuf>, interrupted: InterruptCheck<'_>) -> i32 {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" to clap but exit 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    if cli.debug {
        crate::logging::to_stderr(); // the core's records, as they happen
    }
    let ctx = Context { sources: Sources::standard(packaged_config), interrupted };
    let result = match cli.command {
        Command::Connect(target) => db_cmd::connect(&ctx, &target),
        Command::Query(args) => db_cmd::query(&ctx, &args).map(|()| 0),
        Command::Whoami(args) => access_cmd::whoami(&ctx, &args).map(|()| 0),
        Command::Doctor(target) => access_cmd::doctor(&ctx, &target),
        Command::IamPolicy(args) => access_cmd::iam_policy(&ctx, &args).map(|()| 0),
        Command::Secrets(args) => secrets_cmd::run(&ctx, *args).map(|()| 0),
        Command::Config { action } => config_cmd::run(&ctx, &action).map(|()| 0),
        Command::Completion { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "middleware", &mut script);
            output::write_stdout(&script).map(|()| 0)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => report(&err, cli.debug),
    }
}

/// Prints an error for a person: one line (plus any detail the error carries)
/// on stderr, prefixed with the program name.
fn report(err: &Error, debug: bool) -> i32 {
    let mut stderr = std::io::stderr().lock();
    if debug {
        let _ = writeln!(stderr, "middleware: debug: {err:#?}");
    }
    let text = match err {
        Error::Interrupted => "interrupted".to_string(),
        // One line: multi-line server text (DETAIL/HINT) joined with " | ".
        _ => err.to_string().replace('\n', " | "),
    };
    let _ = writeln!(stderr, "middleware: {text}");
    err.exit_code()
}
