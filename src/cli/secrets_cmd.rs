//! `middleware secrets ...`: credstash's commands, flags and output formats,
//! over the same store (either tool reads the other's records).

use std::io::Read;

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use super::secrets_format::{Format, render, texts};
use super::{Context, output};
use crate::config::Config;
use crate::credstash::store::Context as KmsContext;
use crate::secrets::{self, PutRequest, Scope};
use crate::{Error, Result};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  middleware secrets put db.password - env=prod < pw.txt\n  \
    middleware secrets get db.password env=prod\n  middleware secrets getall -f dotenv\n  \
    middleware secrets list")]
pub struct SecretsArgs {
    /// AWS region of the table (default: config, then the AWS chain, then us-east-1).
    #[arg(short = 'r', long)]
    region: Option<String>,
    /// The credstash table (default: config [credstash] table).
    #[arg(short = 't', long, env = "CREDSTASH_DEFAULT_TABLE")]
    table: Option<String>,
    /// AWS profile to use.
    #[arg(short = 'p', long)]
    profile: Option<String>,
    /// Assume this IAM role first.
    #[arg(short = 'n', long = "arn")]
    arn: Option<String>,
    /// KMS region, when it differs from the table's.
    #[arg(long)]
    kms_region: Option<String>,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Print a secret's value ("prefix*" prints several, formatted).
    Get {
        /// The secret's name; `*` matches any characters.
        name: String,
        /// KMS encryption context, as key=value pairs.
        #[arg(value_parser = key_value)]
        context: Vec<(String, String)>,
        /// The version to get (default: the latest).
        #[arg(short = 'v', long)]
        version: Option<String>,
        /// Do not print a newline after the value.
        #[arg(short = 'n', long)]
        noline: bool,
        /// Output format for wildcard names.
        #[arg(short = 'f', long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Print every secret, decrypted.
    Getall {
        #[arg(value_parser = key_value)]
        context: Vec<(String, String)>,
        #[arg(short = 'v', long)]
        version: Option<String>,
        #[arg(short = 'f', long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Store a new version of a secret.
    Put {
        name: String,
        /// The value, `-` to read standard input, or `@FILE` to read a file.
        value: String,
        #[arg(value_parser = key_value)]
        context: Vec<(String, String)>,
        /// KMS key (default: config [credstash] kms_key).
        #[arg(short = 'k', long)]
        key: Option<String>,
        /// The version to store (default 1).
        #[arg(short = 'v', long, conflicts_with = "autoversion")]
        version: Option<String>,
        /// Store the latest version + 1.
        #[arg(short = 'a', long)]
        autoversion: bool,
        /// HMAC digest: SHA, SHA224, SHA256, SHA384, SHA512 or MD5.
        #[arg(short = 'd', long, default_value = "SHA256")]
        digest: String,
        #[arg(short = 'c', long)]
        comment: Option<String>,
        /// Record format: "aes-ctr-legacy" (credstash's) or "aes-gcm" (credsmash's
        /// authenticated encryption, which credstash cannot read).
        #[arg(long, default_value = "aes-ctr-legacy")]
        algorithm: String,
    },
    /// List names, versions and comments.
    List,
    /// List the distinct names.
    Keys,
    /// Delete every version of a secret.
    Delete { name: String },
    /// Create the credstash table.
    Setup,
}

fn key_value(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() && !v.contains('=') => Ok((k.into(), v.into())),
        _ => Err(format!("{text:?} is not of the form key=value")),
    }
}

pub fn run(ctx: &Context, args: SecretsArgs) -> Result<()> {
    let config = Config::load(&ctx.sources)?;
    let scope = Scope {
        table: args.table,
        region: args.region,
        kms_region: args.kms_region,
        profile: args.profile,
        assume_role: args.arn,
        external_id: None,
    };
    // Holds plaintexts on the way to stdout: wiped when dropped.
    let mut out = Zeroizing::new(Vec::new());
    match args.action {
        Action::Get { name, context, version, noline, format } => {
            let context: KmsContext = context.into_iter().collect();
            if name.contains('*') {
                let all = ctx.block_on(secrets::get_all(&config, &scope, version.as_deref(), &context, Some(&name)))?;
                // credstash writes wildcard output without a trailing newline.
                let text = render(&texts(all)?, format)?;
                out.reserve_exact(text.len());
                out.extend(text.as_bytes());
            } else {
                let secret = ctx.block_on(secrets::get(&config, &scope, &name, version.as_deref(), &context))?;
                out.reserve_exact(secret.len() + 1);
                out.extend(secret.iter());
                if !noline {
                    out.push(b'\n');
                }
            }
        }
        Action::Getall { context, version, format } => {
            let context: KmsContext = context.into_iter().collect();
            let all = ctx.block_on(secrets::get_all(&config, &scope, version.as_deref(), &context, None))?;
            let text = render(&texts(all)?, format)?;
            out.reserve_exact(text.len() + 1);
            out.extend(text.as_bytes());
            out.push(b'\n');
        }
        Action::Put { name, value, context, key, version, autoversion, digest, comment, algorithm } => {
            let request = PutRequest {
                value: read_value(&value)?,
                name,
                version,
                autoversion,
                context: context.into_iter().collect(),
                digest: Some(digest),
                kms_key: key,
                comment,
                algorithm: Some(algorithm),
            };
            ctx.block_on(secrets::put(&config, &scope, &request))?;
            out.extend(format!("{} has been stored\n", request.name).as_bytes());
        }
        Action::List => {
            let infos = ctx.block_on(secrets::list(&config, &scope))?;
            let width = infos.iter().map(|i| i.name.chars().count()).max().unwrap_or(0);
            for i in infos {
                let comment = i.comment.unwrap_or_default();
                out.extend(format!("{:width$} -- version {} -- comment {comment}\n", i.name, i.version).as_bytes());
            }
        }
        Action::Keys => {
            let infos = ctx.block_on(secrets::list(&config, &scope))?;
            let names: std::collections::BTreeSet<String> = infos.into_iter().map(|i| i.name).collect();
            for name in names {
                out.extend(format!("{name}\n").as_bytes());
            }
        }
        Action::Delete { name } => {
            for version in ctx.block_on(secrets::delete(&config, &scope, &name))? {
                out.extend(format!("Deleting {name} -- version {version}\n").as_bytes());
            }
        }
        Action::Setup => {
            let table = scope.location(&config).table;
            let created = ctx.block_on(secrets::setup(&config, &scope))?;
            out.extend(if created {
                format!("Table {table:?} has been created. Create a KMS key with the alias alias/credstash (or set [credstash] kms_key) to store secrets.\n")
            } else {
                "Credential Store table already exists\n".to_string()
            }.as_bytes());
        }
    }
    output::write_stdout(&out)
}

/// The value to store: literal, `-` for stdin, `@path` for a file's contents.
fn read_value(arg: &str) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    if arg == "-" {
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::Interface(format!("cannot read the value from standard input: {e}")))?;
    } else if let Some(path) = arg.strip_prefix('@') {
        let path = expand_home(path);
        buf.extend(
            std::fs::read(&path)
                .map_err(|e| Error::Interface(format!("cannot read the value from file {}: {e}", path.display())))?,
        );
    } else {
        // Works (credstash does the same), but argv is not private.
        eprintln!(
            "middleware: warning: a value given on the command line can be read by other local users (the process \
             list, /proc/<pid>/cmdline) and stays in your shell history; pass - to read it from standard input, or \
             @FILE"
        );
        buf.extend(arg.as_bytes());
    }
    Ok(buf)
}

fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_pairs_are_key_equals_value() {
        assert_eq!(key_value("env=prod").unwrap(), ("env".into(), "prod".into()));
        for bad in ["env", "=prod", "env=", "a=b=c"] {
            assert!(key_value(bad).is_err(), "{bad}");
        }
    }
}
