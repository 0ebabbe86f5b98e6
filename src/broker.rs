//! The one path from (database, user) to a live connection, shared by the
//! Python API and the CLI: profile -> identity -> policy pre-check -> secret
//! (cache, role chaining) -> PostgreSQL -> refresh-and-retry on a rotated
//! password.

use std::time::{Duration, Instant};

mod login;

use crate::config::{Config, Database, PasswordSource};
use crate::credstash::cache;
use crate::credstash::store::Location;
use crate::error::AccessDenied;
use crate::identity::{self, Identity};
use crate::logging::{self, Audit};
use crate::pg::session::{Audited, Session};
use crate::secrets::Scope;
use crate::{Error, Result, aws, duration, iam_auth, policy};

/// Who asks for what, after config resolution.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub config: &'a Config,
    pub db: &'a Database,
    pub user: &'a str,
    /// The AWS profile to act as (CLI `-p`, `profile=` keyword).
    pub profile: Option<String>,
    /// The session will be waited on by one blocking thread at a time (a
    /// Python `Connection`): its IO is driven by that thread (see
    /// [`crate::runtime::Driver`]).
    pub own_driver: bool,
}

impl<'a> Request<'a> {
    /// Resolves who asks for what: the named database (else the only or
    /// first one) and the user asked for (else its `default_user`). The one
    /// place the CLI and the Python API turn names into a request.
    pub fn new(
        config: &'a Config,
        database: Option<&str>,
        user: Option<&'a str>,
        profile: Option<String>,
    ) -> Result<Self> {
        let db = config.database(database)?;
        let user = db.user(user)?;
        Ok(Request { config, db, user, profile, own_driver: false })
    }

    fn caller_target(&self) -> aws::Target {
        aws::Target { profile: self.profile.clone(), ..aws::Target::default() }
    }

    /// Where the password lives, read as the user's role when one is configured.
    fn scope(&self) -> Scope {
        let user = self.db.users.get(self.user);
        Scope {
            profile: self.profile.clone(),
            assume_role: user.and_then(|u| u.assume_role.clone()),
            external_id: user.and_then(|u| u.external_id.clone()),
            ..Scope::default()
        }
    }

    /// Who asks IAM for the database password (redshift-iam, rds-iam): the
    /// caller, as the user's role when one is configured, in the database's
    /// region.
    fn aws_target(&self) -> aws::Target {
        let user = self.db.users.get(self.user);
        aws::Target {
            profile: self.profile.clone(),
            region: self.db.region.clone(),
            assume_role: user.and_then(|u| u.assume_role.clone()),
            external_id: user.and_then(|u| u.external_id.clone()),
        }
    }
}

/// The friendly pre-check: the caller's identity against the policy, before
/// any secret is touched (except the policy itself, when it lives in
/// credstash).
pub async fn check_access(req: &Request<'_>) -> Result<Identity> {
    let who = identity::whoami(&req.caller_target()).await?;
    let db = with_policy(req.config, req.db, req.profile.clone()).await?;
    let decision = policy::decide(&db, req.user, &who);
    if decision.allowed {
        return Ok(who);
    }
    let req = Request { db: &db, ..req.clone() };
    Err(denied(&req, &who, decision.usable, None, None))
}

/// `db` with its allow lists replaced by those of `[access] policy_secret`,
/// when one is configured (read through the secret cache).
pub async fn with_policy(config: &Config, db: &Database, profile: Option<String>) -> Result<Database> {
    let mut db = db.clone();
    if let Some(name) = &config.access.policy_secret {
        let scope = Scope { profile, ..Scope::default() };
        let secret = crate::secrets::get(config, &scope, name, None, &crate::credstash::store::Context::new()).await?;
        let text = crate::secrets::text(name, &secret)?;
        policy::apply_rules(&mut db, &policy::parse_rules(&text, &format!("credstash secret {name:?}"))?);
    }
    Ok(db)
}

fn denied(
    req: &Request<'_>,
    who: &Identity,
    usable: Vec<String>,
    aws_code: Option<String>,
    action: Option<String>,
) -> Error {
    let (db, user) = (&req.db.name, req.user);
    let ask = req
        .config
        .access
        .contact
        .as_ref()
        .map_or_else(|| "Ask your platform team for access.".to_string(), |c| format!("To get access, ask {c}."));
    let message = match &aws_code {
        // Our policy said yes; AWS itself said no.
        Some(code) => format!(
            "access denied: AWS refused {} ({code}) for {}, so {} The access policy allows you this user, but your \
             IAM permissions do not. {ask}",
            action.as_deref().unwrap_or("the request"),
            who.arn,
            match req.db.source_for(user) {
                PasswordSource::Credstash => {
                    format!("the password of database user {user:?} on {db:?} cannot be read.")
                }
                _ => format!("database user {user:?} on {db:?} cannot be used."),
            }
        ),
        None => {
            let may = if usable.is_empty() {
                format!("You may not use any database user on {db:?}.")
            } else {
                format!("On {db:?} you may use: {}.", usable.join(", "))
            };
            format!("access denied: {} may not use database user {user:?} on {db:?}. {may} {ask}", who.arn)
        }
    };
    Error::AccessDenied(Box::new(AccessDenied {
        message,
        arn: Some(who.arn.clone()),
        database: Some(db.clone()),
        user: Some(user.to_string()),
        allowed: usable,
        contact: req.config.access.contact.clone(),
        aws_code,
        action,
    }))
}

/// Checks access, fetches the password and connects (see [`open`]).
pub async fn connect(req: &Request<'_>) -> Result<Session> {
    open(req).await.map(|opened| opened.session)
}

/// A live session with what it took: the resolved host and port (from the
/// config, `host_secret` or the Redshift cluster), the user the server knows
/// (Redshift's temporary ones are `IAM:<user>`) and the password it accepted.
pub struct Opened {
    pub session: Session,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: cache::Secret,
}

/// [`connect`], also handing back the host and password it used (`middleware
/// connect` gives the same ones to psql, never parsing them out of a label).
/// Records who did it: an audit event, and `application_name` naming the IAM
/// principal, so the database's own views show the human behind a shared user.
pub async fn open(req: &Request<'_>) -> Result<Opened> {
    logging::set_audit_file(req.config.audit.file.clone());
    let started = Instant::now();
    let (arn, result) = match check_access(req).await {
        Ok(who) => (Some(who.arn.clone()), login::login(req, &who).await),
        Err(e) => (denied_arn(&e), Err(e)),
    };
    let outcome = match &result {
        Ok(_) => "ok",
        Err(Error::AccessDenied(_)) => "denied",
        Err(_) => "error",
    };
    let took_ms = started.elapsed().as_secs_f64() * 1e3;
    log::debug!("connect {outcome}: {} as {} in {took_ms:.1} ms", req.db.name, req.user);
    if logging::audit_wanted() {
        logging::audit(Audit {
            event: "connect",
            outcome,
            arn: arn.clone(),
            database: req.db.name.clone(),
            db_user: req.user.to_string(),
            duration_ms: took_ms,
            ..Audit::default()
        });
    }
    let opened = result?;
    opened.session.set_audit(Audited { arn, database: req.db.name.clone(), db_user: req.user.to_string() });
    opened.session.set_result_cap(crate::pg::session::cap::ResultCap {
        rows: req.db.max_result_rows,
        bytes: req.db.max_result_bytes,
        database: req.db.name.clone(),
    });
    Ok(opened)
}

fn denied_arn(e: &Error) -> Option<String> {
    match e {
        Error::AccessDenied(d) => d.arn.clone(),
        _ => None,
    }
}

/// The user's password from credstash (through the cache), read as the
/// user's role when one is configured. Callers check access first.
pub async fn fetch_password(req: &Request<'_>) -> Result<cache::Secret> {
    let name = req.db.password_secret_for(req.user);
    crate::secrets::get(req.config, &req.scope(), &name, None, &req.db.context_for(req.user)).await
}

/// For `doctor`: gets the password from its source without logging in, and
/// says what it got (never the password).
pub async fn probe_password(req: &Request<'_>, who: &Identity) -> Result<String> {
    let source = req.db.source_for(req.user);
    let result = async {
        match source {
            PasswordSource::Credstash => {
                fetch_password(req).await.map(|_| format!("password of {:?} decrypted", req.user))
            }
            PasswordSource::RedshiftIam => {
                let ask = login::redshift_ask(req)?;
                let (t, _) = iam_auth::redshift::credentials(&req.aws_target(), &who.arn, &ask, false).await?;
                Ok(format!("temporary credentials for {:?} from cluster {:?}", t.user, ask.cluster))
            }
            PasswordSource::RdsIam => {
                let (host, port) = login::endpoint(req, source).await?;
                let credentials =
                    aws::credentials(&req.aws_target()).await.map_err(aws::CredentialsFailure::into_error)?;
                Ok(format!(
                    "auth token for {:?} on {host}:{port} signed with access key {}… (IAM checks rds-db:connect at login)",
                    req.user,
                    credentials.access_key_id().chars().take(8).collect::<String>()
                ))
            }
        }
    };
    result.await.map_err(|e| aws_denial(req, who, e))
}

/// AWS said no (a denial, or a KMS context mismatch on the password, which
/// is how IAM conditions on the encryption context fail): the same friendly
/// message as the pre-check, keeping AWS's code.
fn aws_denial(req: &Request<'_>, who: &Identity, err: Error) -> Error {
    match err {
        Error::AccessDenied(d) => {
            let usable = policy::usable_users(req.db, who); // the file's view: the secret's was checked already
            denied(req, who, usable, d.aws_code.clone(), d.action.clone())
        }
        Error::Kms { aws_code: Some(code), .. } if code == "InvalidCiphertextException" => {
            let usable = policy::usable_users(req.db, who);
            denied(req, who, usable, Some(code), Some("kms:Decrypt".into()))
        }
        other => other,
    }
}

/// The query time limit: the one asked for, else the database's default;
/// refused above `max_timeout`.
pub fn query_timeout(db: &Database, asked: Option<Duration>) -> Result<Duration> {
    let limit = asked.unwrap_or(db.default_timeout);
    if limit.is_zero() {
        return Err(Error::Programming("timeout must be positive".into()));
    }
    if let Some(max) = db.max_timeout
        && limit > max
    {
        return Err(Error::Programming(format!(
            "a timeout of {} is above the maximum of {} allowed on database {:?} (max_timeout); \
             ask for at most {}",
            duration::display(limit),
            duration::display(max),
            db.name,
            duration::display(max)
        )));
    }
    Ok(limit)
}

/// Where a database's secrets live (for `iam-policy` and `doctor`).
pub fn location(req: &Request<'_>) -> Location {
    req.scope().location(req.config)
}

/// Who reads a database user's secrets (its role, when chained), for the
/// secrets service.
pub fn scope(req: &Request<'_>) -> Scope {
    req.scope()
}
