//! Amazon Redshift's temporary credentials (`redshift:GetClusterCredentials`):
//! IAM decides who may be which database user; Redshift answers with the
//! user to log in as (`IAM:<user>`, or `IAMA:<user>` when it auto-creates
//! it) and a password valid until `Expiration`. Cached per caller and ask
//! until shortly before that; also the cluster's endpoint (DescribeClusters)
//! when the config names no host.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_redshift::Client;

use crate::aws::{self, Failure};
use crate::credstash::cache::Secret;
use crate::error::AccessDenied;
use crate::process_cache::Expiring;
use crate::{Error, Result};

/// What GetClusterCredentials is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ask {
    pub cluster: String,
    pub db_user: String,
    pub db_name: String,
    pub groups: Vec<String>,
    pub auto_create: bool,
    pub duration: Duration,
}

/// The login Redshift hands out.
#[derive(Clone)]
pub struct Temporary {
    /// The user to log in as, as Redshift named it (`IAM:read_only`).
    pub user: String,
    pub password: Secret,
}

/// Who asked (after role chaining) and what: one identity never gets a
/// password another fetched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    caller: String,
    target: aws::Target,
    ask: Ask,
}

static CACHE: Expiring<Key, Temporary> = Expiring::new();

/// Used no later than this before Redshift's `Expiration`: time for the
/// login itself, and for clocks that disagree a little.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The temporary login for `ask`, from the cache unless `fresh`; and whether
/// it came from the cache.
pub async fn credentials(target: &aws::Target, caller: &str, ask: &Ask, fresh: bool) -> Result<(Temporary, bool)> {
    let key = Key { caller: caller.to_string(), target: target.clone(), ask: ask.clone() };
    if fresh {
        CACHE.remove(&key);
    } else if let Some(found) = CACHE.get(&key) {
        return Ok((found, true));
    }
    let config = aws::sdk_config(target).await;
    let region = config.region().map(ToString::to_string).unwrap_or_default();
    let duration = i32::try_from(ask.duration.as_secs()).unwrap_or(i32::MAX);
    let out = Client::new(&config)
        .get_cluster_credentials()
        .cluster_identifier(&ask.cluster)
        .db_user(&ask.db_user)
        .db_name(&ask.db_name)
        .set_db_groups((!ask.groups.is_empty()).then(|| ask.groups.clone()))
        .auto_create(ask.auto_create)
        .duration_seconds(duration)
        .send()
        .await
        .map_err(|e| fail("redshift:GetClusterCredentials", &ask.cluster, &region, &aws::failure(&e)))?;
    let (Some(user), Some(password)) = (out.db_user(), out.db_password()) else {
        return Err(Error::Aws {
            message: format!(
                "Redshift GetClusterCredentials for cluster {:?} answered without a user or password",
                ask.cluster
            ),
            aws_code: None,
        });
    };
    let temporary = Temporary {
        user: user.to_string(),
        password: Secret::new(zeroize::Zeroizing::new(password.as_bytes().to_vec())),
    };
    let lifetime = out
        .expiration()
        .and_then(|at| SystemTime::try_from(*at).ok())
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .unwrap_or(ask.duration);
    CACHE.insert(key, temporary.clone(), Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN));
    Ok((temporary, false))
}

pub(super) fn clear() {
    CACHE.clear();
}

/// The cluster's endpoint (address and port), for a config without `host`.
pub async fn endpoint(target: &aws::Target, cluster: &str) -> Result<(String, u16)> {
    let config = aws::sdk_config(target).await;
    let region = config.region().map(ToString::to_string).unwrap_or_default();
    let out = Client::new(&config)
        .describe_clusters()
        .cluster_identifier(cluster)
        .send()
        .await
        .map_err(|e| fail("redshift:DescribeClusters", cluster, &region, &aws::failure(&e)))?;
    let endpoint = out.clusters().first().and_then(|c| c.endpoint());
    match endpoint.and_then(|e| Some((e.address()?, e.port()?))) {
        Some((address, port)) => {
            let port = u16::try_from(port).map_err(|_| Error::Aws {
                message: format!("Redshift cluster {cluster:?} has an invalid port {port}"),
                aws_code: None,
            })?;
            Ok((address.to_string(), port))
        }
        None => Err(Error::Operational(format!(
            "Redshift cluster {cluster:?} (region {region}) has no endpoint yet (is it still being created, or \
             paused?). Wait until it is available, or set host in the database's config."
        ))),
    }
}

/// An AWS failure of a Redshift call, for the person reading it.
fn fail(action: &str, cluster: &str, region: &str, f: &Failure) -> Error {
    if f.is_bad_credentials() {
        return aws::rejected_credentials(f);
    }
    if f.is_access_denied() {
        let parsed = aws::parse_denial(&f.message);
        return Error::AccessDenied(Box::new(AccessDenied {
            message: format!("access denied: AWS refused {action} on Redshift cluster {cluster:?}: {}", f.message),
            arn: parsed.arn,
            aws_code: f.code.clone().or_else(|| Some("AccessDenied".into())),
            action: Some(parsed.action.unwrap_or_else(|| action.to_string())),
            ..AccessDenied::default()
        }));
    }
    if f.code.as_deref() == Some("ClusterNotFound") || f.code.as_deref() == Some("ClusterNotFoundFault") {
        return Error::Aws {
            message: format!(
                "Redshift cluster {cluster:?} was not found in region {region}. Check cluster_identifier and region \
                 in the database's config."
            ),
            aws_code: f.code.clone(),
        };
    }
    if f.status.is_none() {
        return Error::Aws {
            message: format!(
                "cannot reach the Redshift API in region {region} for {action} ({}). Check the region, your network \
                 and AWS_ENDPOINT_URL.",
                f.message
            ),
            aws_code: None,
        };
    }
    Error::Aws { message: format!("{action} for cluster {cluster:?} failed: {}", f.message), aws_code: f.code.clone() }
}
