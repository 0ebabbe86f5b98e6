//! `middleware secrets ...`: credstash's commands, flags and output formats,
//! over the same store (either tool reads the other's records).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;

use clap::{Args, Subcommand, ValueEnum};
use zeroize::Zeroizing;

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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Dotenv,
    Yaml,
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

type Texts = BTreeMap<String, Zeroizing<String>>;

fn texts(all: BTreeMap<String, Zeroizing<Vec<u8>>>) -> Result<Texts> {
    all.into_iter()
        .map(|(name, value)| {
            let text = secrets::text(&name, &value)?;
            Ok((name, text))
        })
        .collect()
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

/// credstash's output formats, byte for byte where credstash is deterministic
/// (it prints dict order; we sort by name), except dotenv, which is quoted for
/// the shell. Written into one buffer sized up front, so no copy of a
/// plaintext is left behind by a reallocation, and wiped when dropped.
fn render(secrets: &Texts, format: Format) -> Result<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(room(secrets)));
    match format {
        Format::Json => json(secrets, &mut out),
        Format::Csv => {
            for (k, v) in secrets {
                csv_field(k, &mut out);
                out.push(',');
                csv_field(v, &mut out);
                out.push('\n');
            }
        }
        Format::Dotenv => {
            for (k, v) in secrets {
                dotenv_line(k, v, &mut out)?;
            }
        }
        Format::Yaml => {
            for (k, v) in secrets {
                yaml_scalar(k, &mut out);
                out.push_str(": ");
                yaml_scalar(v, &mut out);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The most any format needs: JSON's \u00XX is 6 bytes for a byte of input.
fn room(secrets: &Texts) -> usize {
    secrets.iter().map(|(k, v)| 6 * (k.len() + v.len()) + 16).sum::<usize>() + 8
}

/// `NAME='value'` that a shell sources back to exactly `value`: inside single
/// quotes nothing is special but `'`, written as `'\''`. credstash wrote the
/// value unescaped, so a stored `'; cmd; '` ran `cmd` when sourced.
fn dotenv_line(name: &str, value: &str, out: &mut String) -> Result<()> {
    let var = name.to_uppercase();
    let is_identifier = var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_identifier {
        return Err(Error::Interface(format!(
            "secret {name:?} cannot be written as dotenv: {var:?} is not a shell variable name (letters, digits \
             and _, not starting with a digit). Use -f json, csv or yaml, or a name pattern that leaves it out."
        )));
    }
    if value.contains('\0') {
        return Err(Error::Interface(format!(
            "secret {name:?} cannot be written as dotenv: its value contains a NUL byte, which a shell variable \
             cannot hold. Use -f json instead."
        )));
    }
    out.push_str(&var);
    out.push_str("='");
    push_replaced(out, value, '\'', "'\\''");
    out.push_str("'\n");
    Ok(())
}

/// Python's `json.dumps(d, sort_keys=True, indent=4, separators=(',', ': '))`
/// (ASCII only: everything else as \uXXXX, as ensure_ascii does).
fn json(secrets: &Texts, out: &mut String) {
    if secrets.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push_str("{\n");
    for (i, (k, v)) in secrets.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str("    ");
        json_str(k, out);
        out.push_str(": ");
        json_str(v, out);
    }
    out.push_str("\n}");
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Python's csv module, default dialect: quote when needed, double quotes.
fn csv_field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        push_replaced(out, s, '"', "\"\"");
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A YAML scalar: plain when unambiguous, else single-quoted.
fn yaml_scalar(s: &str, out: &mut String) {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        && !s.starts_with(['-', '.'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
    if plain {
        out.push_str(s);
        return;
    }
    out.push('\'');
    push_replaced(out, s, '\'', "''");
    out.push('\'');
}

/// `s` with every `from` written as `to`, straight into `out` (no copy).
fn push_replaced(out: &mut String, s: &str, from: char, to: &str) {
    for (i, part) in s.split(from).enumerate() {
        if i > 0 {
            out.push_str(to);
        }
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Texts {
        pairs.iter().map(|(k, v)| ((*k).into(), Zeroizing::new((*v).to_string()))).collect()
    }

    fn rendered(pairs: &[(&str, &str)], format: Format) -> String {
        render(&map(pairs), format).unwrap().to_string()
    }

    fn yaml(s: &str) -> String {
        let mut out = String::new();
        yaml_scalar(s, &mut out);
        out
    }

    #[test]
    fn json_matches_pythons_sorted_indented_ascii_output() {
        let pairs = [("b", "x\"y"), ("a", "héllo 😀\u{1}")];
        assert_eq!(
            rendered(&pairs, Format::Json),
            "{\n    \"a\": \"h\\u00e9llo \\ud83d\\ude00\\u0001\",\n    \"b\": \"x\\\"y\"\n}"
        );
        assert_eq!(rendered(&[], Format::Json), "{}");
    }

    #[test]
    fn csv_and_yaml() {
        let pairs = [("db.pw", "a,b"), ("k", "it's \"q\"")];
        assert_eq!(rendered(&pairs, Format::Csv), "db.pw,\"a,b\"\nk,\"it's \"\"q\"\"\"\n");
        assert_eq!(rendered(&pairs, Format::Yaml), "db.pw: 'a,b'\nk: 'it''s \"q\"'\n");
        assert_eq!(yaml("true"), "'true'");
        assert_eq!(yaml("123"), "'123'");
        assert_eq!(yaml("plain_value"), "plain_value");
    }

    #[test]
    fn dotenv_quotes_for_the_shell_and_refuses_names_that_are_not_variables() {
        let pairs = [("k", "x'; touch /tmp/p; echo '"), ("db_pw", "a\nb $HOME `id`")];
        assert_eq!(rendered(&pairs, Format::Dotenv), "DB_PW='a\nb $HOME `id`'\nK='x'\\''; touch /tmp/p; echo '\\'''\n");
        for bad in ["db.pw", "1st", "a-b", "", "é"] {
            let err = render(&map(&[(bad, "v")]), Format::Dotenv).unwrap_err().to_string();
            assert!(err.contains("not a shell variable name") && err.contains("-f json"), "{bad}: {err}");
        }
        assert!(render(&map(&[("k", "a\0b")]), Format::Dotenv).is_err());
    }

    #[test]
    fn the_rendering_buffer_is_sized_once() {
        let long = "\u{1}".repeat(1000);
        for format in [Format::Json, Format::Csv, Format::Dotenv, Format::Yaml] {
            let secrets = map(&[("k", &long), ("q", "''''\"\"\"\"")]);
            let out = render(&secrets, format).unwrap();
            assert_eq!(out.capacity(), room(&secrets), "{format:?} outgrew its buffer");
        }
    }

    #[test]
    fn context_pairs_are_key_equals_value() {
        assert_eq!(key_value("env=prod").unwrap(), ("env".into(), "prod".into()));
        for bad in ["env", "=prod", "env=", "a=b=c"] {
            assert!(key_value(bad).is_err(), "{bad}");
        }
    }
}
