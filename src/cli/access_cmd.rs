//! `middleware whoami`, `iam-policy` and `doctor`: who you are, what AWS
//! must allow, and which link of the chain is broken.

use std::fmt::Write as _;

use clap::Args;

use super::db_cmd::Target;
use super::{Context, output};
use crate::broker::{self, Request};
use crate::config::{Config, Database, PasswordSource};
use crate::credstash::keys::{Resolved, is_key_arn};
use crate::pg::query;
use crate::runtime::Interrupt;
use crate::secrets::{self, Scope};
use crate::{Error, Result, aws, iam, iam_auth, identity, policy};

#[derive(Args, Debug)]
pub struct ProfileArg {
    /// The AWS profile to act as.
    #[arg(short = 'p', long)]
    pub profile: Option<String>,
}

pub fn whoami(ctx: &Context, args: &ProfileArg) -> Result<()> {
    let config = Config::load(&ctx.sources)?;
    let target = aws::Target { profile: args.profile.clone(), ..aws::Target::default() };
    let who = ctx.block_on(identity::whoami(&target))?;
    let databases = ctx.block_on(async {
        let mut all = Vec::new();
        for db in &config.databases {
            all.push(broker::with_policy(&config, db, args.profile.clone()).await?);
        }
        Ok(all)
    })?;
    let mut out = format!("arn:     {}\naccount: {}\nuser id: {}\n", who.arn, who.account, who.user_id);
    if who.principal != who.arn {
        let _ = writeln!(out, "role:    {}", who.principal);
    }
    let width = databases.iter().map(|d| d.name.len()).max().unwrap_or(8).max(8);
    let _ = writeln!(out, "\n{:width$}  users you may use", "database");
    for db in &databases {
        let users = policy::usable_users(db, &who);
        let shown = if users.is_empty() { "(none)".to_string() } else { users.join(", ") };
        let _ = writeln!(out, "{:width$}  {shown}", db.name);
    }
    if config.databases.is_empty() {
        out.push_str("(no databases configured)\n");
    }
    output::write_stdout(out.as_bytes())
}

#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// A database from the config.
    database: String,
    /// The database user to grant.
    user: String,
    /// The AWS account id for resource ARNs (default: the caller's).
    #[arg(long)]
    account: Option<String>,
    /// rds-iam: the instance's (or Aurora cluster's) resource id, db-... or cluster-...
    #[arg(long)]
    resource_id: Option<String>,
    #[command(flatten)]
    profile: ProfileArg,
}

/// The IAM policy granting exactly the reads `connect` needs for one user:
/// its credstash records (DynamoDB LeadingKeys) and their data keys (KMS
/// encryption context).
pub fn iam_policy(ctx: &Context, args: &PolicyArgs) -> Result<()> {
    let config = Config::load(&ctx.sources)?;
    let db = config.database(Some(&args.database))?;
    if !db.users.contains_key(&args.user) {
        return Err(Error::config(format!(
            "database {:?} has no user {:?} in the config (users: {})",
            db.name,
            args.user,
            db.users.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let target = aws::Target { profile: args.profile.profile.clone(), ..aws::Target::default() };
    // The caller's ARN gives the partition (aws, aws-cn, aws-us-gov), and the
    // account unless --account names another.
    let who = match &args.account {
        Some(_) => ctx.block_on(identity::whoami(&target)).ok(),
        None => Some(ctx.block_on(identity::whoami(&target))?),
    };
    let account = args.account.clone().or_else(|| who.as_ref().map(|w| w.account.clone())).unwrap_or_default();
    let req =
        Request { config: &config, db, user: &args.user, profile: args.profile.profile.clone(), own_driver: false };
    let loc = broker::location(&req);
    let region = loc.region.clone().unwrap_or_else(|| aws::FALLBACK_REGION.into());
    let kms_region = loc.kms_region.clone().unwrap_or_else(|| region.clone());
    let partition = who
        .as_ref()
        .and_then(|w| iam::partition_of(&w.arn))
        .unwrap_or_else(|| iam::partition_for_region(&region))
        .to_string();
    let source = db.source_for(&args.user);
    let mut statements = Vec::new();
    let mut warnings = Vec::new();
    // The credstash reads: the password (its source is credstash), the host
    // (host_secret, whatever the source).
    let mut names = Vec::new();
    if source == PasswordSource::Credstash {
        names.push(db.password_secret_for(&args.user));
    }
    if let Some(h) = &db.host_secret {
        names.push(db.expand(h, &args.user));
    }
    if !names.is_empty() {
        let keys = policy_keys(ctx, &config, &broker::scope(&req), &partition, &kms_region, &account)?;
        let context = db.context_for(&args.user);
        let policy = iam::policy(&iam::Input {
            partition: &partition,
            region: &region,
            kms_region: &kms_region,
            account: &account,
            table: &loc.table,
            database: &db.name,
            user: &args.user,
            names: &names,
            keys: keys.as_deref(),
            context: &context,
        });
        statements.extend(policy.document["Statement"].as_array().cloned().unwrap_or_default());
        warnings.extend(policy.warnings);
    }
    let db_region = match &db.region {
        Some(r) => r.clone(),
        None => ctx.block_on(async { Ok(iam_auth::region(&target).await) })?,
    };
    match source {
        PasswordSource::Credstash => {}
        PasswordSource::RedshiftIam => statements.extend(iam::db_auth::redshift(&iam::db_auth::Redshift {
            partition: &partition,
            region: &db_region,
            account: &account,
            cluster: db.cluster_identifier.as_deref().unwrap_or_default(),
            db_user: &args.user,
            dbname: &db.dbname,
            groups: db.db_groups_for(&args.user),
            auto_create: db.auto_create,
            describe: db.host.is_none() && db.host_secret.is_none(),
        })),
        PasswordSource::RdsIam => {
            let (rds, notes) = iam::db_auth::rds(&iam::db_auth::Rds {
                partition: &partition,
                region: &db_region,
                account: &account,
                resource_id: args.resource_id.as_deref(),
                db_user: &args.user,
            });
            statements.extend(rds);
            warnings.extend(notes);
        }
    }
    let policy =
        iam::Policy { document: serde_json::json!({ "Version": "2012-10-17", "Statement": statements }), warnings };
    let mut text = serde_json::to_string_pretty(&policy.document).unwrap_or_default();
    text.push('\n');
    for warning in &policy.warnings {
        eprintln!("middleware: warning: {warning}");
    }
    if let Some(role) = db.users.get(&args.user).and_then(|u| u.assume_role.as_ref()) {
        eprintln!(
            "middleware: attach this policy to the role {role} (the user {:?} gets its password as that role)",
            args.user
        );
    }
    output::write_stdout(text.as_bytes())
}

/// `decrypt_keys` as the policy names them (None: `"*"`): key ARNs as they
/// are, the rest resolved with DescribeKey; a key id that cannot be resolved
/// becomes its ARN, an alias a `kms:ResourceAliases` condition.
fn policy_keys(
    ctx: &Context,
    config: &Config,
    scope: &Scope,
    partition: &str,
    kms_region: &str,
    account: &str,
) -> Result<Option<Vec<iam::Key>>> {
    let configured = config.credstash.decrypt_keys();
    if configured.iter().any(|k| k == "*") {
        return Ok(None);
    }
    let resolved = if configured.iter().all(|k| is_key_arn(k)) {
        configured.iter().map(|k| Resolved { configured: k.clone(), arn: Ok(k.clone()) }).collect()
    } else {
        ctx.block_on(secrets::trusted_keys(config, scope))?.unwrap_or_default()
    };
    Ok(Some(
        resolved
            .into_iter()
            .map(|r| match r.arn {
                Ok(arn) => iam::Key::Arn(arn),
                Err(_) if r.configured.starts_with("alias/") || r.configured.contains(":alias/") => {
                    iam::Key::Alias(r.configured)
                }
                Err(_) => iam::Key::Arn(format!("arn:{partition}:kms:{kms_region}:{account}:key/{}", r.configured)),
            })
            .collect(),
    ))
}

/// One link of the chain: its name, and Ok(detail) or Err(what to do).
struct Check {
    name: String,
    outcome: std::result::Result<String, String>,
}

pub fn doctor(ctx: &Context, target: &Target) -> Result<i32> {
    let config = match Config::load(&ctx.sources) {
        Ok(c) => c,
        Err(e) => {
            output::write_stdout(format!("FAIL config: {e}\n").as_bytes())?;
            return Ok(1);
        }
    };
    let mut checks =
        vec![Check { name: "config".into(), outcome: Ok(format!("{} database(s)", config.databases.len())) }];
    let databases: Vec<&Database> = match &target.database {
        Some(name) => vec![config.database(Some(name))?],
        None => config.databases.iter().collect(),
    };
    let aws_target = aws::Target { profile: target.profile.clone(), ..aws::Target::default() };
    let creds =
        ctx.block_on(async { Ok(aws::credentials(&aws_target).await.map_err(aws::CredentialsFailure::into_error)) })?;
    checks.push(Check {
        name: "AWS credentials".into(),
        outcome: creds
            // Characters, not bytes: a bogus key id may hold multi-byte ones.
            .map(|c| format!("access key {}…", c.access_key_id().chars().take(8).collect::<String>()))
            .map_err(|e| e.to_string()),
    });
    let who = ctx.block_on(identity::whoami(&aws_target));
    checks.push(Check {
        name: "identity (STS)".into(),
        outcome: who.as_ref().map(|w| w.arn.clone()).map_err(ToString::to_string),
    });
    let mut failed = false;
    let mut out = String::new();
    let flush = |out: &mut String, checks: &mut Vec<Check>, failed: &mut bool| {
        for c in checks.drain(..) {
            match c.outcome {
                Ok(detail) => {
                    let _ = writeln!(out, "OK   {}: {detail}", c.name);
                }
                Err(fix) => {
                    *failed = true;
                    let _ = writeln!(out, "FAIL {}: {fix}", c.name);
                }
            }
        }
    };
    flush(&mut out, &mut checks, &mut failed);
    let Ok(who) = who else {
        output::write_stdout(out.as_bytes())?;
        return Ok(1);
    };
    for db in databases {
        let _ = writeln!(out, "\n[{}]", db.name);
        let usable = match ctx.block_on(broker::with_policy(&config, db, target.profile.clone())) {
            Ok(effective) => policy::usable_users(&effective, &who),
            Err(e) => {
                checks.push(Check { name: "access policy secret".into(), outcome: Err(e.to_string()) });
                Vec::new()
            }
        };
        let user = target
            .user
            .clone()
            .or_else(|| db.default_user.clone().filter(|u| usable.contains(u)))
            .or_else(|| usable.first().cloned());
        checks.push(Check {
            name: "access policy".into(),
            outcome: if usable.is_empty() {
                Err(format!(
                    "{} may use no user here; ask {} to add you to an allow list",
                    who.arn,
                    config.access.contact.as_deref().unwrap_or("your platform team")
                ))
            } else {
                Ok(format!("you may use {}", usable.join(", ")))
            },
        });
        let Some(user) = user else {
            flush(&mut out, &mut checks, &mut failed);
            continue;
        };
        let req = Request { config: &config, db, user: &user, profile: target.profile.clone(), own_driver: false };
        if db.source_for(&user) == PasswordSource::Credstash {
            let loc = broker::location(&req);
            let table = ctx.block_on(secrets::probe(&config, &broker::scope(&req), &db.password_secret_for(&user)));
            checks.push(Check {
                name: format!("credstash table {:?}", loc.table),
                outcome: table
                    .map(|r| format!("readable in {r}, password record of {user:?} found"))
                    .map_err(|e| e.to_string()),
            });
        }
        let password = ctx.block_on(broker::probe_password(&req, &who));
        checks.push(Check {
            name: match db.source_for(&user) {
                PasswordSource::Credstash => "KMS decrypt".into(),
                other => format!("password source {}", other.as_str()),
            },
            outcome: password.map_err(|e| e.to_string()),
        });
        let login = ctx.block_on(async {
            let session = broker::connect(&req).await?;
            session.set_autocommit(true)?;
            query::run(&session, "select 1", &[], Some(std::time::Duration::from_secs(10)), Interrupt::never()).await?;
            Ok::<_, Error>(session.label().to_string())
        });
        checks.push(Check {
            name: "database login".into(),
            outcome: login.map(|l| format!("{l}: select 1 ok")).map_err(|e| e.to_string().replace('\n', " | ")),
        });
        flush(&mut out, &mut checks, &mut failed);
    }
    output::write_stdout(out.as_bytes())?;
    Ok(i32::from(failed))
}
