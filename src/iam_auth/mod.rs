//! Database passwords that IAM hands out instead of credstash:
//! Redshift's temporary credentials (`redshift.rs`) and RDS IAM auth tokens
//! (`rds_token.rs`, signed here with the caller's credentials).

pub mod rds_token;
pub mod redshift;

use std::time::{Duration, Instant, SystemTime};

use zeroize::Zeroizing;

use crate::aws;
use crate::credstash::cache::Secret;
use crate::process_cache::Expiring;
use crate::{Error, Result};

/// Tokens live 15 minutes; reused for 14, so none is used in its last minute.
const TOKEN_REUSE: Duration = Duration::from_secs(14 * 60);

/// Per access key and target: a token is signed by one identity.
static TOKENS: Expiring<(String, rds_token::Target), Secret> = Expiring::new();

/// An RDS auth token for `target`, signed with the credentials of `caller`
/// (after role chaining); reused for 14 minutes.
pub async fn rds_token(caller: &aws::Target, target: &rds_token::Target) -> Result<Secret> {
    let credentials = aws::credentials(caller).await.map_err(aws::CredentialsFailure::into_error)?;
    let key = (credentials.access_key_id().to_string(), target.clone());
    if let Some(token) = TOKENS.get(&key) {
        return Ok(token);
    }
    let token = rds_token::token(target, &credentials, SystemTime::now()).map_err(Error::Operational)?;
    let token = Secret::new(Zeroizing::new(token.as_bytes().to_vec()));
    TOKENS.insert(key, token.clone(), Instant::now() + TOKEN_REUSE);
    Ok(token)
}

/// Forgets every temporary password and token this process holds.
pub fn clear() {
    TOKENS.clear();
    redshift::clear();
}

/// The region a token is signed for: the database's, else the chain's.
pub async fn region(caller: &aws::Target) -> String {
    let config = aws::sdk_config(caller).await;
    config.region().map_or_else(|| aws::FALLBACK_REGION.to_string(), ToString::to_string)
}
