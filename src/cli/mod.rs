//! The `middleware` command line. Entered from Python with `sys.argv`
//! (`middleware._core.run_cli`); returns an exit code and never exits the
//! process itself. Exit codes: 0 ok, 1 error, 2 usage, 3 access denied,
//! 4 timeout.

mod config_cmd;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Error;
use crate::config::Sources;

#[derive(Parser, Debug)]
#[command(
    name = "middleware",
    version = crate::VERSION,
    about = "Database access for data teams: credstash passwords, per-user access, PostgreSQL/Redshift.",
    after_help = "Examples:\n  middleware config show\n  middleware config check",
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show or check the resolved configuration.
    Config {
        #[command(subcommand)]
        action: config_cmd::Action,
    },
}

/// Everything a command needs from its caller.
pub struct Context {
    pub sources: Sources,
}

/// Runs the CLI with `argv` (program name first) and returns the exit code.
pub fn run(argv: &[String], packaged_config: Option<PathBuf>) -> i32 {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" to clap but exit 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let ctx = Context {
        sources: Sources::standard(packaged_config),
    };
    let result = match cli.command {
        Command::Config { action } => config_cmd::run(&ctx, &action),
    };
    match result {
        Ok(()) => 0,
        Err(err) => report(&err),
    }
}

/// Prints an error for a person: one line (plus any detail the error carries)
/// on stderr, prefixed with the program name.
fn report(err: &Error) -> i32 {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "middleware: {err}");
    err.exit_code()
}
