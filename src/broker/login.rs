//! The login itself, after the access check: where the server is, which
//! password source gives the password (credstash, Redshift's temporary
//! credentials, an RDS IAM token), and one retry with a fresh password when
//! the server rejects a cached one.

use tokio_postgres::error::SqlState;
use zeroize::Zeroizing;

use super::{Opened, Request, aws_denial};
use crate::config::PasswordSource;
use crate::credstash::cache::Secret;
use crate::iam_auth::{self, rds_token, redshift};
use crate::identity::Identity;
use crate::logging;
use crate::pg::connect::{self, Params};
use crate::{Error, Result};

/// A user name and password the server should accept.
struct Credential {
    /// Whom to log in as: the configured user, or Redshift's `IAM:<user>`.
    user: String,
    password: Secret,
    /// It came from a cache, so a rejection may only mean it is stale.
    maybe_stale: bool,
}

pub(super) async fn login(req: &Request<'_>, who: &Identity) -> Result<Opened> {
    let application_name = logging::application_name(&req.db.application_name, &who.arn);
    let source = req.db.source_for(req.user);
    let (host, port) = endpoint(req, source).await.map_err(|e| aws_denial(req, who, e))?;
    let params = |c: &Credential| -> Result<Params> {
        Ok(Params {
            host: host.clone(),
            port,
            dbname: req.db.dbname.clone(),
            user: c.user.clone(),
            password: Zeroizing::new(
                std::str::from_utf8(&c.password)
                    .map_err(|_| Error::Data(format!("the password of {:?} is not UTF-8 text", req.user)))?
                    .to_owned(),
            ),
            sslmode: req.db.sslmode,
            sslrootcert: req.db.sslrootcert.clone(),
            // A token is a bearer credential: never without verified TLS.
            allow_insecure_password: req.db.allow_insecure_password && source != PasswordSource::RdsIam,
            connect_timeout: req.db.connect_timeout,
            application_name: application_name.clone(),
            own_driver: req.own_driver,
        })
    };
    let first = credential(req, who, source, &host, port, false).await.map_err(|e| aws_denial(req, who, e))?;
    let rejected = match connect::connect(&params(&first)?).await {
        Ok(session) => return Ok(Opened { session, host, port, user: first.user, password: first.password }),
        Err(Error::Database(db)) if is_rejection(&db.sqlstate) => db,
        Err(other) => return Err(other),
    };
    if !first.maybe_stale {
        return Err(explain(req, source, rejected));
    }
    // Maybe rotated (credstash) or expired early (Redshift) since we cached
    // it: fetch it fresh and try once more.
    let fresh = credential(req, who, source, &host, port, true).await.map_err(|e| aws_denial(req, who, e))?;
    if fresh.password.as_slice() == first.password.as_slice() && fresh.user == first.user {
        return Err(explain(req, source, rejected));
    }
    let session = connect::connect(&params(&fresh)?).await.map_err(|e| match e {
        Error::Database(db) if is_rejection(&db.sqlstate) => explain(req, source, db),
        other => other,
    })?;
    Ok(Opened { session, host, port, user: fresh.user, password: fresh.password })
}

/// The server refused the login's password (28P01; PAM, as RDS IAM uses, 28000).
fn is_rejection(sqlstate: &str) -> bool {
    sqlstate == SqlState::INVALID_PASSWORD.code() || sqlstate == SqlState::INVALID_AUTHORIZATION_SPECIFICATION.code()
}

/// The server's refusal, with what to check for the source that gave the password.
fn explain(req: &Request<'_>, source: PasswordSource, mut db: Box<crate::error::DbError>) -> Error {
    let (database, user) = (&req.db.name, req.user);
    let what = match source {
        PasswordSource::Credstash => return Error::Database(db),
        PasswordSource::RedshiftIam => format!(
            "Redshift refused the temporary credentials for {user:?} on {database:?}. Check that the user exists \
             (or set auto_create = true) and that db_groups name existing groups."
        ),
        PasswordSource::RdsIam => format!(
            "The database refused the IAM auth token for {user:?} on {database:?}. Check that your IAM identity may \
             rds-db:connect as this user (`middleware iam-policy {database} {user}`), that IAM database \
             authentication is enabled on the instance, and that the user has the rds_iam role \
             (GRANT rds_iam TO {user})."
        ),
    };
    db.context = Some(match db.context.take() {
        Some(c) => format!("{c}\n{what}"),
        None => what,
    });
    Error::Database(db)
}

async fn credential(
    req: &Request<'_>,
    who: &Identity,
    source: PasswordSource,
    host: &str,
    port: u16,
    fresh: bool,
) -> Result<Credential> {
    match source {
        PasswordSource::Credstash => {
            let scope = req.scope();
            let (name, context) = (req.db.password_secret_for(req.user), req.db.context_for(req.user));
            if fresh {
                crate::secrets::forget(req.config, &scope, &name, None, &context).await?;
            }
            let password = crate::secrets::get(req.config, &scope, &name, None, &context).await?;
            let maybe_stale = !fresh && !req.config.credstash.cache_ttl.is_zero();
            Ok(Credential { user: req.user.to_string(), password, maybe_stale })
        }
        PasswordSource::RedshiftIam => {
            let ask = redshift_ask(req)?;
            let (temporary, cached) = redshift::credentials(&req.aws_target(), &who.arn, &ask, fresh).await?;
            Ok(Credential { user: temporary.user, password: temporary.password, maybe_stale: cached })
        }
        PasswordSource::RdsIam => {
            let target = req.aws_target();
            let region = match &req.db.region {
                Some(r) => r.clone(),
                None => iam_auth::region(&target).await,
            };
            let token = rds_token::Target { host: host.to_string(), port, user: req.user.to_string(), region };
            let password = iam_auth::rds_token(&target, &token).await?;
            Ok(Credential { user: req.user.to_string(), password, maybe_stale: false })
        }
    }
}

/// What GetClusterCredentials is asked for `req`.
pub(super) fn redshift_ask(req: &Request<'_>) -> Result<redshift::Ask> {
    let cluster = req.db.cluster_identifier.clone().ok_or_else(|| {
        Error::config(format!(
            "database {:?} uses password_source = \"redshift-iam\" but has no cluster_identifier",
            req.db.name
        ))
    })?;
    Ok(redshift::Ask {
        cluster,
        db_user: req.user.to_string(),
        db_name: req.db.dbname.clone(),
        groups: req.db.db_groups_for(req.user).to_vec(),
        auto_create: req.db.auto_create,
        duration: req.db.credentials_duration,
    })
}

/// The server: configured, itself a credstash secret (`host_secret`), or,
/// for Redshift, the cluster's endpoint.
pub(super) async fn endpoint(req: &Request<'_>, source: PasswordSource) -> Result<(String, u16)> {
    if let Some(host) = &req.db.host {
        return Ok((host.clone(), req.db.port));
    }
    if let Some(name) = &req.db.host_secret {
        let name = req.db.expand(name, req.user);
        let secret = crate::secrets::get(req.config, &req.scope(), &name, None, &req.db.context_for(req.user)).await?;
        return crate::secrets::text(&name, &secret).map(|h| (h.trim().to_string(), req.db.port));
    }
    if source == PasswordSource::RedshiftIam
        && let Some(cluster) = &req.db.cluster_identifier
    {
        return redshift::endpoint(&req.aws_target(), cluster).await;
    }
    Err(Error::config(format!(
        "database {:?} has neither host nor host_secret: set one in [databases.{}]",
        req.db.name, req.db.name
    )))
}
