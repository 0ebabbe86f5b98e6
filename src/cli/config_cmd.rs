//! `middleware config show|check`.

use std::io::Write;

use clap::Subcommand;

use super::Context;
use crate::config::{Config, Layered, PasswordSource};
use crate::{Error, Result, duration};

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Print the resolved configuration and where each value came from.
    Show,
    /// Validate the configuration; exit 1 with the file and key of the first problem.
    Check,
}

pub fn run(ctx: &Context, action: &Action) -> Result<()> {
    let layered = Layered::load(&ctx.sources)?;
    let config = layered.resolve()?;
    let mut out = std::io::stdout().lock();
    let text = match action {
        Action::Show => show(&layered, &config),
        Action::Check => format!(
            "config ok: {} database(s) from {}\n{}",
            config.databases.len(),
            if layered.files.is_empty() {
                "defaults only (no config file found)".to_string()
            } else {
                layered.files.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            },
            decrypt_keys_note(&config.credstash.decrypt_keys()),
        ),
    };
    out.write_all(text.as_bytes()).map_err(|e| Error::Operational(format!("cannot write to stdout: {e}")))
}

/// TOML that could be pasted back into a file, each value annotated with its source.
fn show(layered: &Layered, config: &Config) -> String {
    let mut out = String::new();
    out.push_str("# files read, in order (later wins):\n");
    if layered.files.is_empty() {
        out.push_str("#   (none)\n");
    }
    for file in &layered.files {
        out.push_str(&format!("#   {file}\n"));
    }
    let line = |out: &mut String, path: &str, key: &str, value: String| {
        out.push_str(&format!("{:<56} # {}\n", format!("{key} = {value}"), layered.origin(path).label()));
    };
    let c = &config.credstash;
    out.push_str("\n[credstash]\n");
    line(&mut out, "credstash.table", "table", quote(&c.table));
    line(&mut out, "credstash.kms_key", "kms_key", quote(&c.kms_key));
    if let Some(r) = &c.region {
        line(&mut out, "credstash.region", "region", quote(r));
    }
    if let Some(r) = &c.kms_region {
        line(&mut out, "credstash.kms_region", "kms_region", quote(r));
    }
    line(&mut out, "credstash.cache_ttl", "cache_ttl", quote(&ttl(c.cache_ttl)));
    let keys: Vec<String> = c.decrypt_keys().iter().map(|k| quote(k)).collect();
    line(&mut out, "credstash.decrypt_keys", "decrypt_keys", format!("[{}]", keys.join(", ")));
    out.push_str("\n[access]\n");
    if let Some(v) = &config.access.contact {
        line(&mut out, "access.contact", "contact", quote(v));
    }
    if let Some(v) = &config.access.policy_secret {
        line(&mut out, "access.policy_secret", "policy_secret", quote(v));
    }
    if let Some(f) = &config.audit.file {
        out.push_str("\n[audit]\n");
        line(&mut out, "audit.file", "file", quote(&f.display().to_string()));
    }
    for db in &config.databases {
        let p = |k: &str| format!("databases.{}.{k}", db.name);
        out.push_str(&format!("\n[databases.{}]\n", db.name));
        if let Some(h) = &db.host {
            line(&mut out, &p("host"), "host", quote(h));
        }
        if let Some(h) = &db.host_secret {
            line(&mut out, &p("host_secret"), "host_secret", quote(h));
        }
        line(&mut out, &p("port"), "port", db.port.to_string());
        line(&mut out, &p("dbname"), "dbname", quote(&db.dbname));
        line(&mut out, &p("sslmode"), "sslmode", quote(db.sslmode.as_str()));
        if let Some(c) = &db.sslrootcert {
            line(&mut out, &p("sslrootcert"), "sslrootcert", quote(&c.display().to_string()));
        }
        line(
            &mut out,
            &p("allow_insecure_password"),
            "allow_insecure_password",
            db.allow_insecure_password.to_string(),
        );
        line(&mut out, &p("application_name"), "application_name", quote(&db.application_name));
        line(&mut out, &p("password_secret"), "password_secret", quote(&db.password_secret));
        if !db.context.is_empty() {
            let pairs: Vec<String> = db.context.iter().map(|(k, v)| format!("{k} = {}", quote(v))).collect();
            line(&mut out, &p("context"), "context", format!("{{ {} }}", pairs.join(", ")));
        }
        if let Some(u) = &db.default_user {
            line(&mut out, &p("default_user"), "default_user", quote(u));
        }
        line(&mut out, &p("default_timeout"), "default_timeout", quote(&duration::display(db.default_timeout)));
        if let Some(m) = db.max_timeout {
            line(&mut out, &p("max_timeout"), "max_timeout", quote(&duration::display(m)));
        }
        if let Some(n) = db.max_result_rows {
            line(&mut out, &p("max_result_rows"), "max_result_rows", n.to_string());
        }
        if let Some(n) = db.max_result_bytes {
            line(&mut out, &p("max_result_bytes"), "max_result_bytes", n.to_string());
        }
        line(&mut out, &p("connect_timeout"), "connect_timeout", quote(&duration::display(db.connect_timeout)));
        line(&mut out, &p("password_source"), "password_source", quote(db.password_source.as_str()));
        if let Some(r) = &db.region {
            line(&mut out, &p("region"), "region", quote(r));
        }
        if db.sources().any(|s| s == PasswordSource::RedshiftIam) {
            if let Some(c) = &db.cluster_identifier {
                line(&mut out, &p("cluster_identifier"), "cluster_identifier", quote(c));
            }
            line(&mut out, &p("db_groups"), "db_groups", list(&db.db_groups));
            line(&mut out, &p("auto_create"), "auto_create", db.auto_create.to_string());
            let d = duration::display(db.credentials_duration);
            line(&mut out, &p("credentials_duration"), "credentials_duration", quote(&d));
        }
        for (name, user) in &db.users {
            let up = |k: &str| format!("databases.{}.users.{name}.{k}", db.name);
            out.push_str(&format!("\n[databases.{}.users.{name}]\n", db.name));
            line(&mut out, &up("allow"), "allow", list(&user.allow));
            if let Some(r) = &user.assume_role {
                line(&mut out, &up("assume_role"), "assume_role", quote(r));
            }
            if user.external_id.is_some() {
                line(&mut out, &up("external_id"), "external_id", quote("<redacted>"));
            }
            if let Some(source) = user.password_source {
                line(&mut out, &up("password_source"), "password_source", quote(source.as_str()));
            }
            if let Some(groups) = &user.db_groups {
                line(&mut out, &up("db_groups"), "db_groups", list(groups));
            }
        }
    }
    out
}

/// Which KMS keys reads accept, and a warning when that is any key.
fn decrypt_keys_note(keys: &[String]) -> String {
    if keys.iter().any(|k| k == "*") {
        "warning: [credstash] decrypt_keys has \"*\": records encrypted under any KMS key are accepted, so anyone \
         who can write the table can plant a secret under a key of their own; list the keys instead\n"
            .into()
    } else {
        format!("secrets are accepted only from KMS key(s): {}\n", keys.join(", "))
    }
}

fn ttl(d: std::time::Duration) -> String {
    if d.is_zero() { "0".into() } else { duration::display(d) }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| quote(i)).collect::<Vec<_>>().join(", "))
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
